#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "backup/documents.hpp"

namespace claudelens::backup {
namespace {

TEST(Documents, entry_round_trips_the_original_line_byte_for_byte) {
  store::Entry e;
  e.session_id = "s\"1";
  e.key = "~abc:2";
  e.has_uuid = false;
  e.json = R"({"type":"summary","summary":"naïve \u001b[1m","x":[1,{"d":2}]})";
  std::string doc;
  encode_entry(e, doc);
  EXPECT_TRUE(boost::json::parse(doc).is_object());
  auto back = decode_entry(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->has_uuid);
  EXPECT_EQ(back->session_id, "s\"1");
  EXPECT_EQ(back->key, "~abc:2");
  EXPECT_EQ(back->line, e.json);
}

TEST(Documents, session_and_project_round_trip) {
  store::Session s;
  s.id = "sess";
  s.project_id = "p";
  s.owner_id = "o";
  s.started_at = 1000;
  s.ended_at = 2000;
  s.summary = "Fix the \"bug\"";
  s.usage.input_tokens = 5;
  s.usage.cost_usd = 0.25;
  std::string doc;
  encode_session(s, 7, 9, doc);
  auto back = decode_session(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, "sess");
  EXPECT_EQ(back->started_at, 1000);
  EXPECT_EQ(back->message_count, 7);
  EXPECT_EQ(back->records_count, 9);
  EXPECT_EQ(back->summary, s.summary);
  EXPECT_EQ(back->usage.input_tokens, 5);
  EXPECT_DOUBLE_EQ(back->usage.cost_usd, 0.25);

  store::Project p{"pid", "o", "-w-app", "/w/app", "desc", 10, 20};
  doc.clear();
  encode_project(p, doc);
  auto pb = decode_project(doc);
  ASSERT_TRUE(pb);
  EXPECT_EQ(pb->path, "/w/app");
  EXPECT_EQ(pb->created_at, 10);
}

TEST(Documents, prompt_documents_keep_their_content) {
  std::string doc;
  encode_document(store::Collection::prompts, {"p1", "o", "Review", 1, 2, R"({"content":"x","tags":["a"]})"}, doc);
  auto back = decode_document(doc);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->collection, store::Collection::prompts);
  EXPECT_EQ(boost::json::parse(back->document.json), boost::json::parse(R"({"content":"x","tags":["a"]})"));
}

TEST(Documents, damaged_documents_are_errors_not_crashes) {
  for (std::string_view bad : {"", "{", "[]", R"({"_c":"messages"})", R"({"_c":"messages","s":"a","k":"b"})",
                               R"({"_c":"messages","s":"a","k":"b","d":})", R"({"_c":"sessions","_id":3})",
                               R"({"_c":"nope","_id":"x"})", R"({"_c":"messages","s":"a\)"}) {
    EXPECT_FALSE(decode_entry(bad)) << bad;
    EXPECT_FALSE(decode_session(bad)) << bad;
    EXPECT_FALSE(decode_document(bad)) << bad;
  }
}

}  // namespace
}  // namespace claudelens::backup
