#include <gtest/gtest.h>

#include "core/json_text.hpp"

namespace claudelens {
namespace {

TEST(JsonText, escapes_what_json_requires_and_keeps_utf8) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\nd\x01 é→", 14));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001 é→\"");
}

TEST(JsonText, empty_string_is_two_quotes) {
  std::string out;
  append_json_string(out, "");
  EXPECT_EQ(out, "\"\"");
}

}  // namespace
}  // namespace claudelens
