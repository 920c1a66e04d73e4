// The audit log in the SQLite store: append (an id appended twice stays once), the query's filters
// (action, [from, to)), paging with the total, newest-first order with ties in append order, the
// oldest-first scan full backups read; record_audit's own transaction, append_audit's rollback with
// its writer, and refused actions.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/audit.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {
namespace {

using claudelens::testing::TempDir;

AuditEvent line(const std::string& id, TimeMs at, const std::string& action, const std::string& target = "b1") {
  AuditEvent e;
  e.id = id;
  e.at = at;
  e.user_id = "u1";
  e.action = action;
  e.target_type = "backup";
  e.target_id = target;
  e.details = R"({"name":"n"})";
  return e;
}

std::vector<std::string> ids(const AuditPage& p) {
  std::vector<std::string> out;
  for (const auto& e : p.items) out.push_back(e.id);
  return out;
}

/// a(1000 created) b(2000 downloaded) c(2000 deleted) d(3000 created) e(4000 created), appended in that order.
void seed(Store& st) {
  auto w = st.write().value();
  for (const auto& e :
       {line("a", 1000, "backup.created"), line("b", 2000, "backup.downloaded"), line("c", 2000, "backup.deleted"),
        line("d", 3000, "backup.created"), line("e", 4000, "backup.created", "b2")})
    EXPECT_TRUE(w->append_audit(e).value());
  ASSERT_TRUE(w->commit());
}

TEST(AuditLog, query_filters_pages_and_orders_newest_first) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto r = st->read().value();
  auto all = r->query_audit({}).value();
  EXPECT_EQ(all.total, 5);
  EXPECT_EQ(ids(all), (std::vector<std::string>{"e", "d", "c", "b", "a"}));  // c after b: appended later
  EXPECT_EQ(all.items[0].target_id, "b2");
  EXPECT_EQ(all.items[0].details, R"({"name":"n"})");
  EXPECT_EQ(all.items[0].user_id, "u1");
  EXPECT_EQ(all.items[0].at, 4000);

  auto created = r->query_audit({.action = "backup.created"}).value();
  EXPECT_EQ(created.total, 3);
  EXPECT_EQ(ids(created), (std::vector<std::string>{"e", "d", "a"}));
  auto range = r->query_audit({.from = 2000, .to = 4000}).value();  // [2000, 4000)
  EXPECT_EQ(ids(range), (std::vector<std::string>{"d", "c", "b"}));
  auto both = r->query_audit({.action = "backup.created", .from = 1001}).value();
  EXPECT_EQ(ids(both), (std::vector<std::string>{"e", "d"}));
  EXPECT_EQ(r->query_audit({.action = "key.created"}).value().total, 0);

  auto page2 = r->query_audit({.offset = 2, .limit = 2}).value();
  EXPECT_EQ(page2.total, 5);
  EXPECT_EQ(ids(page2), (std::vector<std::string>{"c", "b"}));
  auto past = r->query_audit({.offset = 10, .limit = 2}).value();
  EXPECT_EQ(past.total, 5);
  EXPECT_TRUE(past.items.empty());

  std::vector<std::string> scanned;
  ASSERT_TRUE(r->for_each_audit([&](const AuditEvent& e) {
    scanned.push_back(e.id);
    return true;
  }));
  EXPECT_EQ(scanned, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(AuditLog, an_id_appended_twice_stays_once_and_unchanged) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto w = st->write().value();
  auto again = line("a", 9999, "backup.deleted");
  EXPECT_FALSE(w->append_audit(again).value());
  ASSERT_TRUE(w->commit());
  auto page = st->read().value()->query_audit({}).value();
  EXPECT_EQ(page.total, 5);
  EXPECT_EQ(page.items.back().id, "a");
  EXPECT_EQ(page.items.back().at, 1000);
  EXPECT_EQ(page.items.back().action, "backup.created");
}

TEST(AuditLog, record_commits_alone_and_append_rolls_back_with_its_writer) {
  TempDir dir;
  auto st = open_in(dir);
  ASSERT_TRUE(record_audit(*st, audit_event("u9", "key.created", "api_key", "k1", {{"name", "bob"}}), 1234));
  {
    auto w = st->write().value();
    ASSERT_TRUE(append_audit(*w, audit_event("u9", "key.revoked", "api_key", "k1"), 2000));
    // no commit: the line goes with the rolled-back change
  }
  auto page = st->read().value()->query_audit({}).value();
  ASSERT_EQ(page.total, 1);
  const AuditEvent& e = page.items[0];
  EXPECT_EQ(e.action, "key.created");
  EXPECT_EQ(e.user_id, "u9");
  EXPECT_EQ(e.at, 1234);
  EXPECT_EQ(e.details, R"({"name":"bob"})");
  EXPECT_FALSE(e.id.empty());
}

TEST(AuditLog, unknown_actions_and_invalid_utf8_details) {
  TempDir dir;
  auto st = open_in(dir);
  auto refused = record_audit(*st, audit_event("u1", "backup.exploded", "backup", "b1"), 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  EXPECT_EQ(st->read().value()->query_audit({}).value().total, 0);
  EXPECT_TRUE(is_audit_action("settings.updated"));
  EXPECT_FALSE(is_audit_action("settings"));
  // A client's file name that is not UTF-8 is escaped: the details stay valid JSON.
  const auto e = audit_event("u1", "backup.uploaded", "backup", "b1", {{"filename", "caf\xe9.claudelens"}});
  EXPECT_EQ(e.details, R"({"filename":"caf%E9.claudelens"})");
}

}  // namespace
}  // namespace claudelens::store
