// Restores of more archived sessions than one batch (restore::k_session_batch): the sessions catalogue
// is streamed in batches, so the sessions after the first batch, the last one alone, the preview's
// totals and a full restore's deletions must all come out as for a small archive.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "restore/catalogue.hpp"
#include "restore/preview.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {
namespace {

using restore::Mode;

constexpr std::size_t k_sessions = 2 * restore::k_session_batch + 3;

std::string session_id(std::size_t i) {
  return fmt::format("{:08}-0000-4000-8000-000000000000", i);
}

/// One project "app" with `n` sessions of one message each, written straight into the store.
void fill(RestoreFixture& f, std::size_t n) {
  auto w = f.writer();
  store::Project p;
  p.id = "p-app";
  p.owner_id = f.admin.id;
  p.name = "app";
  p.path = "/w/app";
  ASSERT_TRUE(w->put_project(p));
  ingest::LineParser parser;
  for (std::size_t i = 0; i < n; ++i) {
    store::Session s;
    s.id = session_id(i);
    s.project_id = p.id;
    s.owner_id = f.admin.id;
    s.summary = "session " + std::to_string(i);
    ASSERT_TRUE(w->put_session(s));
    auto parsed = parser.parse(line(s.id, fmt::format("u{}", i), static_cast<int>(i % 60)));
    ASSERT_TRUE(parsed);
    parsed->entry.session_id = s.id;
    ASSERT_TRUE(w->insert_entry(parsed->entry, store::OnExisting::keep));
    ASSERT_TRUE(w->refresh_session_stats(s.id));
  }
  ASSERT_TRUE(w->refresh_project_stats(p.id));
  ASSERT_TRUE(w->commit());
}

class Batches : public ::testing::Test {
 protected:
  void SetUp() override {
    source = std::make_unique<RestoreFixture>(dir, "source");
    fill(*source, k_sessions);
    archive = source->backup();
  }
  TempDir dir;
  std::unique_ptr<RestoreFixture> source;
  std::filesystem::path archive;
};

TEST_F(Batches, restore_of_more_sessions_than_a_batch_restores_every_one) {
  RestoreFixture target(dir, "target");
  auto r = target.restore(archive, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tally("sessions").restored, static_cast<std::int64_t>(k_sessions));
  EXPECT_EQ(target.counts().sessions, static_cast<std::int64_t>(k_sessions));
  EXPECT_EQ(target.counts().messages, static_cast<std::int64_t>(k_sessions));
  const auto last = target.session(session_id(k_sessions - 1));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->summary, "session " + std::to_string(k_sessions - 1));
  EXPECT_EQ(target.keys(session_id(k_sessions - 1)), (std::set<std::string>{fmt::format("u{}", k_sessions - 1)}));
}

TEST_F(Batches, selective_restore_of_sessions_in_later_batches) {
  RestoreFixture target(dir, "target");
  restore::RestoreOptions o;
  o.mode = Mode::selective;
  o.selections.sessions = {session_id(k_sessions - 1), session_id(restore::k_session_batch + 1)};
  auto r = target.restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.counts().sessions, 2);
  EXPECT_TRUE(target.session(session_id(k_sessions - 1)));
  EXPECT_TRUE(target.session(session_id(restore::k_session_batch + 1)));
}

TEST_F(Batches, preview_counts_every_session) {
  auto p = restore::preview_restore(*source->store, archive);
  ASSERT_TRUE(p) << p.error().message;
  const auto& contents = p->at("contents").as_object();
  EXPECT_EQ(contents.at("sessions_summary").at("total").as_int64(), static_cast<std::int64_t>(k_sessions));
  EXPECT_EQ(contents.at("messages_summary").at("total").as_int64(), static_cast<std::int64_t>(k_sessions));
  // Everything exists in the source store: a session and a message conflict per session, the project.
  EXPECT_EQ(p->at("restore_analysis").at("conflicts_count").as_int64(), static_cast<std::int64_t>(2 * k_sessions + 1));
}

TEST_F(Batches, full_restore_deletes_only_what_the_catalogue_lacks) {
  RestoreFixture target(dir, "target");
  fill(target, 1);  // session 0 exists and is archived: kept
  {
    auto w = target.writer();
    store::Session extra;
    extra.id = "not-archived";
    extra.project_id = "p-app";
    extra.owner_id = target.admin.id;
    ASSERT_TRUE(w->put_session(extra));
    ASSERT_TRUE(w->commit());
  }
  restore::RestoreOptions o;
  o.mode = Mode::full;
  o.allow_delete = true;
  auto r = target.restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->deleted_sessions, (std::vector<std::string>{"not-archived"}));
  EXPECT_EQ(target.counts().sessions, static_cast<std::int64_t>(k_sessions));
  EXPECT_FALSE(target.session("not-archived"));
}

}  // namespace
}  // namespace claudelens::testing
