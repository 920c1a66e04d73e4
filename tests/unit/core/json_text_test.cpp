#include <gtest/gtest.h>

#include <boost/json.hpp>

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

TEST(JsonText, utf8_validity_follows_rfc_3629) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80"));  // é → 😀
  EXPECT_FALSE(is_valid_utf8("caf\xe9"));                                   // Latin-1
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                                  // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                              // a UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                          // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x86"));                                  // truncated
}

TEST(JsonText, invalid_names_are_escaped_losslessly_valid_ones_kept) {
  EXPECT_EQ(escape_invalid_utf8("caf\xc3\xa9 100%"), "caf\xc3\xa9 100%");  // valid: unchanged
  EXPECT_EQ(escape_invalid_utf8("caf\xe9"), "caf%E9");
  EXPECT_EQ(escape_invalid_utf8("50%-caf\xe9-\xc3\xa9"), "50%25-caf%E9-\xc3\xa9");
  // Distinct raw names stay distinct.
  EXPECT_NE(escape_invalid_utf8("a\xe9"), escape_invalid_utf8("a\xe8"));
  EXPECT_NE(escape_invalid_utf8("%E9\xff"), escape_invalid_utf8("\xe9\xff"));
}

TEST(JsonText, json_strings_are_valid_utf8_whatever_the_input) {
  std::string out;
  append_json_string(out, "caf\xe9");
  EXPECT_EQ(out, "\"caf%E9\"");
  boost::system::error_code ec;
  boost::json::parse(out, ec);
  EXPECT_FALSE(ec);
  boost::json::value v = boost::json::object{{"name", "caf\xe9"}, {"list", boost::json::array{"\xff", "ok"}}};
  boost::json::object& o = v.as_object();
  o["caf\xe9"] = 1;
  const std::string text = boost::json::serialize(make_valid_utf8(v));
  EXPECT_TRUE(is_valid_utf8(text)) << text;
  auto back = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  EXPECT_EQ(back.at("name"), "caf%E9");
  EXPECT_EQ(back.at("list").at(0), "%FF");
  EXPECT_EQ(back.at("caf%E9"), 1);
}

}  // namespace
}  // namespace claudelens
