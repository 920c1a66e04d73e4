// Option rules, the sessionId rewrite of renamed sessions, owners, target projects and the finer
// selections (messages, date range, exclusions).
#include <gtest/gtest.h>

#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {
namespace {

using restore::Mode;
using restore::Strategy;

TEST(RewriteSessionId, changes_only_the_session_id_bytes) {
  const std::string in = line("old-id", "u1", 1);
  auto out = restore::rewrite_session_id(in, "old-id", "new-id");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, line("new-id", "u1", 1));
  auto spaced = restore::rewrite_session_id(R"({"sessionId": "old-id","x":1})", "old-id", "n");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(*spaced, R"({"sessionId": "n","x":1})");
  EXPECT_EQ(*restore::rewrite_session_id(R"({"type":"summary"})", "old-id", "n"), R"({"type":"summary"})");
  EXPECT_FALSE(restore::rewrite_session_id(R"({"sessionId":"other"})", "old-id", "n"));
}

TEST(ValidateOptions, refuses_contradictions) {
  restore::RestoreOptions o;
  EXPECT_TRUE(restore::validate_options(o));
  o.mode = Mode::selective;
  EXPECT_EQ(restore::validate_options(o).error().code, Errc::invalid_argument);
  o.selections.sessions = {"s"};
  EXPECT_TRUE(restore::validate_options(o));
  o.mode = Mode::full;
  EXPECT_FALSE(restore::validate_options(o));
  o = {};
  o.maintain_ids = true;
  o.on_conflict = Strategy::rename;
  EXPECT_FALSE(restore::validate_options(o));
  o = {};
  o.selections.from = 10;
  o.selections.to = 5;
  EXPECT_FALSE(restore::validate_options(o));
}

class Selection : public ::testing::Test {
 protected:
  void SetUp() override {
    f = std::make_unique<RestoreFixture>(dir, "source");
    f->ingest("app", "A", {line("A", "a1", 1), line("A", "a2", 20), line("A", "a3", 40)});
    f->ingest("lib", "D", {line("D", "d1", 4, "/w/lib")});
    archive = f->backup();
  }
  TempDir dir;
  std::unique_ptr<RestoreFixture> f;
  std::filesystem::path archive;
};

TEST_F(Selection, messages_and_date_range_choose_entries) {
  RestoreFixture empty(dir, "empty");
  restore::RestoreOptions o;
  o.mode = Mode::selective;
  o.selections.messages = {"a2"};
  ASSERT_TRUE(restore::run_restore(*empty.store, archive, o));
  EXPECT_EQ(empty.keys("A"), (std::set<std::string>{"a2"}));
  EXPECT_FALSE(empty.session("D"));
  o.selections.messages.clear();
  o.selections.from = *parse_iso8601("2025-01-01T00:00:30Z");
  auto r = restore::run_restore(*empty.store, archive, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(empty.keys("A"), (std::set<std::string>{"a2", "a3"}));
  EXPECT_FALSE(empty.session("D"));  // its only entry is before `from`
}

TEST_F(Selection, exclusions_and_target_project) {
  RestoreFixture empty(dir, "empty");
  restore::RestoreOptions o;
  o.selections.exclude_projects = {"/w/lib"};
  o.target_project_name = "imported";
  auto r = restore::run_restore(*empty.store, archive, o);
  ASSERT_TRUE(r) << r.error().message;
  const auto target = empty.project_named("imported");
  ASSERT_TRUE(target);  // created for the (mapped) owner of the restored sessions
  EXPECT_FALSE(empty.session("D"));
  ASSERT_TRUE(empty.session("A"));
  EXPECT_EQ(empty.session("A")->project_id, target->id);
  EXPECT_EQ(target->sessions_count, 1);
  EXPECT_FALSE(empty.project_named("app"));  // the archive's projects are not restored
}

TEST_F(Selection, owner_with_the_same_name_gets_the_documents) {
  RestoreFixture other(dir, "other");  // its own "admin" user, with another id
  ASSERT_NE(other.admin.id, f->admin.id);
  auto r = restore::run_restore(*other.store, archive, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id_mappings.at(f->admin.id), other.admin.id);
  EXPECT_EQ(other.session("A")->owner_id, other.admin.id);
  EXPECT_TRUE(other.project_named("app"));
  EXPECT_EQ(other.counts().users, 1);
}

TEST_F(Selection, a_new_user_is_created_with_the_archived_id) {
  RestoreFixture other(dir, "other");
  {
    auto w = other.writer();
    store::User renamed = other.admin;
    renamed.name = "someone";
    ASSERT_TRUE(w->put_user(renamed));
    ASSERT_TRUE(w->commit());
  }
  auto r = restore::run_restore(*other.store, archive, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->collections.at("users").restored, 1);
  EXPECT_TRUE(*other.reader()->get_user(f->admin.id));
  EXPECT_EQ(other.session("A")->owner_id, f->admin.id);
}

TEST_F(Selection, maintain_ids_refuses_an_id_taken_by_another_owners_project) {
  // The same id with the same owner is the same project (SPEC §7: matched by `_id`); another owner's
  // project with that id is not.
  RestoreFixture other(dir, "other");
  const auto app_id = f->project_named("app")->id;
  {
    auto w = other.writer();
    const store::User someone{new_id(), "someone", store::Role::user, 1};
    ASSERT_TRUE(w->put_user(someone));
    store::Project squatter;
    squatter.id = app_id;
    squatter.owner_id = someone.id;
    squatter.name = "squatter";
    squatter.path = "/elsewhere";
    ASSERT_TRUE(w->put_project(squatter));
    ASSERT_TRUE(w->commit());
  }
  restore::RestoreOptions o;
  o.maintain_ids = true;
  auto r = restore::run_restore(*other.store, archive, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_FALSE(other.session("A"));
  o.maintain_ids = false;
  auto ok = restore::run_restore(*other.store, archive, o);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NE(ok->id_mappings.at(app_id), app_id);
  EXPECT_EQ(other.session("A")->project_id, ok->id_mappings.at(app_id));
}

}  // namespace
}  // namespace claudelens::testing
