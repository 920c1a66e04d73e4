// The audit_log document of a backup archive: every member round-trips, the shape is as
// docs/archive-format.md says, and a line without its time, action or details object is damage.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "backup/documents.hpp"

namespace claudelens::backup {
namespace {

TEST(AuditDocuments, a_line_round_trips) {
  store::AuditEvent e;
  e.id = "0190abc";
  e.at = 1'767'225'600'123;  // 2026-01-01T00:00:00.123Z
  e.user_id = "u\"1";
  e.action = "backup.deleted";
  e.target_type = "backup";
  e.target_id = "b1";
  e.details = R"({"name":"nightly","force":true,"freed_bytes":123})";
  std::string doc;
  encode_audit(e, doc);
  const auto v = boost::json::parse(doc);
  EXPECT_EQ(v.at("_c"), "audit_log");
  EXPECT_EQ(v.at("at"), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(v.at("details").at("freed_bytes"), 123);
  auto c = document_collection(doc);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, k_audit);
  auto back = decode_audit(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->at, e.at);
  EXPECT_EQ(back->user_id, e.user_id);
  EXPECT_EQ(back->action, e.action);
  EXPECT_EQ(back->target_type, e.target_type);
  EXPECT_EQ(back->target_id, e.target_id);
  EXPECT_EQ(boost::json::parse(back->details), boost::json::parse(e.details));
}

TEST(AuditDocuments, a_damaged_line_is_refused) {
  for (const char* doc : {
           R"({"_c":"audit_log","_id":"a","action":"backup.created","details":{}})",                   // no time
           R"({"_c":"audit_log","_id":"a","at":"2026-01-01T00:00:00Z","details":{}})",                 // no action
           R"({"_c":"audit_log","_id":"a","at":"2026-01-01T00:00:00Z","action":"x","details":"{}"})",  // not an object
           R"({"_c":"audit_log","at":"2026-01-01T00:00:00Z","action":"x","details":{}})",              // no id
       }) {
    auto back = decode_audit(doc);
    ASSERT_FALSE(back) << doc;
    EXPECT_EQ(back.error().code, Errc::corrupted) << doc;
  }
}

}  // namespace
}  // namespace claudelens::backup
