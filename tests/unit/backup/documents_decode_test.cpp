// The decode side of archive documents (docs/archive-format.md, "Entry documents"): the canonical
// shape on its fast path, and any other valid JSON object with the same members.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>
#include <string>
#include <string_view>

#include "backup/documents.hpp"

namespace claudelens::backup {
namespace {

constexpr std::string_view k_line = R"({"type":"user","uuid":"u1","message":{"content":"a \"}\" b {["}})";

bool is_slice_of(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST(DocumentsDecode, the_canonical_shape_gives_the_line_as_a_slice_of_the_document) {
  store::Entry e;
  e.session_id = "s-1";
  e.key = "u1";
  e.has_uuid = true;
  e.json = std::string(k_line);
  std::string doc;
  encode_entry(e, doc);
  ASSERT_EQ(doc, std::string(R"({"_c":"messages","s":"s-1","k":"u1","d":)") + std::string(k_line) + "}");
  auto back = decode_entry(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->has_uuid);
  EXPECT_EQ(back->session_id, "s-1");
  EXPECT_EQ(back->key, "u1");
  EXPECT_EQ(back->line, k_line);
  EXPECT_TRUE(is_slice_of(back->line, doc));
}

TEST(DocumentsDecode, any_member_order_whitespace_and_extra_members_are_accepted) {
  const std::string docs[] = {
      // reordered, spaces and newlines-free whitespace, an escaped member name and value
      std::string("{ \"d\" :\t") + std::string(k_line) + R"( , "k":"u1", "\u0073":"s\u002d1", "_c":"messages" })",
      // canonical prefix, then a member after "d": the line must stop at the end of "d"'s value
      std::string(R"({"_c":"messages","s":"s-1","k":"u1","d":)") + std::string(k_line) + R"(,"note":"}"})",
      // an unknown member before the others
      std::string(R"({"v":[1,{"d":2}],"_c":"messages","s":"s-1","k":"u1","d":)") + std::string(k_line) + "}",
  };
  for (const std::string& doc : docs) {
    auto back = decode_entry(doc);
    ASSERT_TRUE(back) << doc << ": " << back.error().message;
    EXPECT_TRUE(back->has_uuid) << doc;
    EXPECT_EQ(back->session_id, "s-1") << doc;
    EXPECT_EQ(back->key, "u1") << doc;
    EXPECT_EQ(back->line, k_line) << doc;  // the raw bytes of "d", not a re-serialisation
    EXPECT_TRUE(is_slice_of(back->line, doc));
  }
}

TEST(DocumentsDecode, parsed_by_caller_skips_walking_the_line_and_says_when_it_must_be_checked) {
  // The encoder's shape: the same line as with the whole check.
  const std::string canonical = std::string(R"({"_c":"messages","s":"s-1","k":"u1","d":)") + std::string(k_line) + "}";
  auto quick = decode_entry(canonical, LineCheck::parsed_by_caller);
  ASSERT_TRUE(quick) << quick.error().message;
  EXPECT_EQ(quick->line, k_line);
  EXPECT_EQ(quick->session_id, "s-1");
  // A member after "d": without the walk, the line runs to the last '}' (not one JSON value: the
  // caller's parse fails and it decodes again with the whole check, which finds the real line).
  const std::string extra =
      std::string(R"({"_c":"messages","s":"s-1","k":"u1","d":)") + std::string(k_line) + R"(,"note":"}"})";
  auto loose = decode_entry(extra, LineCheck::parsed_by_caller);
  ASSERT_TRUE(loose) << loose.error().message;
  EXPECT_EQ(loose->line, std::string(k_line) + R"(,"note":"}")");
  auto whole = decode_entry(extra);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->line, k_line);
}

TEST(DocumentsDecode, records_in_another_shape_keep_their_key) {
  const std::string doc = R"({"k":"~0123abcd:2","d":{"type":"summary","summary":"x"},"s":"s-9","_c":"records"})";
  auto back = decode_entry(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->has_uuid);
  EXPECT_EQ(back->key, "~0123abcd:2");
  EXPECT_EQ(back->line, R"({"type":"summary","summary":"x"})");
}

TEST(DocumentsDecode, damaged_or_ambiguous_entries_are_corrupted) {
  for (std::string_view bad : {
           R"({"_c":"messages","s":"s","k":"u","d":{"a":1},"d":{"a":2}})",  // "d" twice
           R"({"d":{"a":1},"s":"s","k":"u","_c":"messages","s":"t"})",      // "s" twice
           R"({"_c":"messages","s":"s","k":"u","d":[1]})",                  // a line is an object
           R"({"_c":"messages","s":"s","k":"u","d":"text"})",
           R"({"k":"u","d":{},"s":"s","_c":"prompts"})",       // not an entry
           R"({"k":"u","d":{},"s":"","_c":"records"})",        // empty session
           R"({"k":"u","d":{},"_c":"records"})",               // no session
           R"({"_c":"messages","s":"s","k":"u","d":{"a":1})",  // not closed
           R"({"_c":"messages","s":"s","k":"u","d":{"a":1}} trailing)",
       }) {
    auto r = decode_entry(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupted) << bad;
  }
}

TEST(DocumentsDecode, the_collection_of_any_shape_is_found) {
  EXPECT_EQ(document_collection(R"({"_c":"sessions","_id":"x"})").value(), "sessions");
  EXPECT_EQ(document_collection(R"({ "_id":"x", "_c" : "prompt_folders" })").value(), "prompt_folders");
  EXPECT_EQ(document_collection(R"({"_id":"x","_c":"u\u0073ers"})").value(), "users");
  EXPECT_FALSE(document_collection(R"({"_id":"x","_c":"nope"})").has_value());
  EXPECT_FALSE(document_collection(R"({"_id":"x"})").has_value());
  EXPECT_FALSE(document_collection("not json").has_value());

  auto d = decode_document(R"({"owner_id":"o","_id":"p1","d":{"content":"x"},"_c":"prompts","name":"n"})");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->collection, store::Collection::prompts);
  EXPECT_EQ(d->document.id, "p1");
}

/// A random JSON object whose strings are full of the bytes a scanner must get right: quotes,
/// backslashes (in runs), brackets, at every offset relative to 64-byte blocks.
boost::json::value random_value(std::mt19937& rng, int depth) {
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char alphabet[] = {'a', 'b', '"', '\\', '{', '}', '[', ']', ' ', ':', ','};
  const auto text = [&] {
    std::string t(static_cast<std::size_t>(pick(90)), 'x');
    for (char& c : t) c = alphabet[pick(sizeof alphabet)];
    return t;
  };
  const int kind = depth > 3 ? pick(3) : pick(5);
  if (kind == 0) return boost::json::value(text());
  if (kind == 1) return boost::json::value(pick(1000));
  if (kind == 2) return boost::json::value(nullptr);
  if (kind == 3) {
    boost::json::array a;
    for (int i = pick(5); i > 0; --i) a.push_back(random_value(rng, depth + 1));
    return a;
  }
  boost::json::object o;
  for (int i = pick(6); i > 0; --i) o[text()] = random_value(rng, depth + 1);
  return o;
}

TEST(DocumentsDecode, the_line_ends_exactly_where_d_ends_for_thousands_of_random_lines) {
  std::mt19937 rng(7);
  for (int n = 0; n < 3000; ++n) {
    boost::json::object line_object;
    for (int i = 1 + static_cast<int>(rng() % 6); i > 0; --i)
      line_object["k" + std::to_string(i)] = random_value(rng, 1);
    const std::string line = boost::json::serialize(line_object);
    const std::string head = R"({"_c":"records","s":"s-1","k":"~k:1","d":)";
    const std::string canonical = head + line + "}";
    const std::string trailing = head + line + R"(,"x":{"y":"}\\"}})";
    for (const std::string& doc : {canonical, trailing}) {
      auto back = decode_entry(doc);
      ASSERT_TRUE(back) << doc << ": " << back.error().message;
      ASSERT_EQ(back->line, line) << doc;
    }
  }
}

}  // namespace
}  // namespace claudelens::backup
