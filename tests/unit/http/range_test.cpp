// Range header parsing against a file size: the three forms, clamping, 416, and headers ignored.
#include <gtest/gtest.h>

#include "http/range.hpp"

namespace claudelens::http {
namespace {

using Kind = ByteRange::Kind;

TEST(Range, three_forms) {
  auto r = parse_range("bytes=0-99", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(r.length(), 100u);
  EXPECT_EQ(content_range(r, 1000), "bytes 0-99/1000");

  r = parse_range("bytes=500-", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 500u);
  EXPECT_EQ(r.last, 999u);

  r = parse_range("bytes=-10", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 990u);
  EXPECT_EQ(r.last, 999u);
}

TEST(Range, clamped_to_the_file) {
  auto r = parse_range("bytes=900-5000", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.last, 999u);
  r = parse_range("bytes=-5000", 1000);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 999u);
  r = parse_range("Bytes= 999 - 999 ", 1000);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.length(), 1u);
}

TEST(Range, unsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(content_range(parse_range("bytes=1000-", 1000), 1000), "bytes */1000");
}

TEST(Range, ignored_when_not_one_valid_byte_range) {
  for (const char* h : {"", "bytes", "items=0-5", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=0-1,5-6", "bytes=+1-2",
                        "bytes=99999999999999999999-", "bytes=1-2-3"})
    EXPECT_EQ(parse_range(h, 1000).kind, Kind::whole) << h;
}

}  // namespace
}  // namespace claudelens::http
