#include <gtest/gtest.h>

#include "core/time.hpp"

namespace claudelens {
namespace {

TEST(Time, parses_claude_code_timestamps_to_epoch_ms) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(parse_iso8601("2025-06-14T12:34:56.789Z"), 1749904496789);
  EXPECT_EQ(parse_iso8601("2025-06-14T12:34:56Z"), 1749904496000);
  EXPECT_EQ(parse_iso8601("2025-06-14T14:34:56.789+02:00"), 1749904496789);
  EXPECT_EQ(parse_iso8601("2025-06-14T12:34:56.7891234Z"), 1749904496789);
  EXPECT_EQ(parse_iso8601("2025-06-14"), 1749859200000);
}

TEST(Time, rejects_what_is_not_a_date) {
  EXPECT_FALSE(parse_iso8601(""));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2025-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2025-06-14T25:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2025-06-14T12:34:56.Z"));
  EXPECT_FALSE(parse_iso8601("2025-06-14T12:34:56Zjunk"));
}

TEST(Time, formats_round_trip) {
  EXPECT_EQ(format_iso8601_ms(1749904496789), "2025-06-14T12:34:56.789Z");
  EXPECT_EQ(format_iso8601(1749904496789), "2025-06-14T12:34:56Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
  for (TimeMs t : {0LL, 951782400000LL, 4102444799999LL}) EXPECT_EQ(parse_iso8601(format_iso8601_ms(t)), t);
}

}  // namespace
}  // namespace claudelens
