// Retention plans against hand-computed keep sets (SPEC §6), and apply against a real store and files.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>

#include "backup/catalog.hpp"
#include "schedule/retention.hpp"
#include "schedule/settings.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::schedule {
namespace {

namespace json = boost::json;
constexpr std::int64_t k_gib = 1LL << 30;

TimeMs at(const char* iso) {
  return parse_iso8601(iso).value();
}

backup::BackupMetadata make(const std::string& id, const char* created, std::int64_t size = 100,
                            backup::BackupStatus status = backup::BackupStatus::completed) {
  backup::BackupMetadata m;
  m.id = id;
  m.name = "backup " + id;
  m.created_at = at(created);
  m.compressed_size_bytes = size;
  m.size_bytes = size * 3;
  m.status = status;
  m.filename = m.filepath = "backup-" + id + ".claudelens";
  return m;
}

// now = Friday 2026-11-27 12:00 UTC. ISO week 48 is Nov 23-29, week 47 Nov 16-22; 2025-12-31 and
// 2026-01-02 are both in ISO week 2026-W01.
const TimeMs k_now = at("2026-11-27T12:00:00Z");

std::vector<backup::BackupMetadata> calendar() {
  return {
      make("b1", "2026-11-27T10:00:00Z"),  make("b2", "2026-11-27T02:00:00Z"),  make("b3", "2026-11-26T23:00:00Z"),
      make("b4", "2026-11-25T10:00:00Z"),  make("b5", "2026-11-23T10:00:00Z"),  make("b6", "2026-11-22T10:00:00Z"),
      make("b7", "2026-11-16T10:00:00Z"),  make("b8", "2026-10-31T10:00:00Z"),  make("b9", "2026-10-01T10:00:00Z"),
      make("b10", "2026-09-15T10:00:00Z"), make("b11", "2025-12-31T10:00:00Z"), make("b12", "2026-01-02T10:00:00Z")};
}

std::map<std::string, std::vector<std::string>> kept(const RetentionPlan& p) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& k : p.keep) out[k.id] = k.kept_by;
  return out;
}

std::vector<std::string> deleted(const RetentionPlan& p) {
  std::vector<std::string> out;
  for (const auto& d : p.del) out.push_back(d.id);
  return out;
}

using Reasons = std::vector<std::string>;

TEST(Retention, daily_weekly_monthly_keep_the_newest_of_each_bucket) {
  RetentionRules r;
  r.keep_daily = 3;
  r.keep_weekly = 3;
  r.keep_monthly = 2;
  const auto plan = plan_retention(calendar(), r, k_now);
  const auto k = kept(plan);
  EXPECT_EQ(k.size(), 5u);
  EXPECT_EQ(k.at("b1"), (Reasons{"keep_daily", "keep_weekly", "keep_monthly", "newest_completed"}));
  EXPECT_EQ(k.at("b3"), (Reasons{"keep_daily"}));
  EXPECT_EQ(k.at("b4"), (Reasons{"keep_daily"}));
  EXPECT_EQ(k.at("b6"), (Reasons{"keep_weekly"}));
  EXPECT_EQ(k.at("b8"), (Reasons{"keep_weekly", "keep_monthly"}));
  // Oldest first.
  EXPECT_EQ(deleted(plan), (std::vector<std::string>{"b11", "b12", "b10", "b9", "b7", "b5", "b2"}));
  EXPECT_EQ(plan.freed_bytes, 700);
  for (const auto& d : plan.del) EXPECT_EQ(d.reason, k_reason_no_rule);
}

TEST(Retention, iso_weeks_span_the_new_year) {
  RetentionRules r;
  r.keep_weekly = 100;
  const auto k = kept(plan_retention(calendar(), r, k_now));
  // Weeks 48 (b1), 47 (b6), 44 (b8), 40 (b9), 38 (b10), 2026-W01 (b12; b11 is the same week, older).
  EXPECT_EQ(k.size(), 6u);
  EXPECT_TRUE(k.count("b12"));
  EXPECT_FALSE(k.count("b11"));
  EXPECT_FALSE(k.count("b7"));
}

TEST(Retention, max_backups_and_max_age_days) {
  RetentionRules r;
  r.max_backups = 2;
  r.max_age_days = 2;  // created at or after 2026-11-25T12:00
  const auto k = kept(plan_retention(calendar(), r, k_now));
  EXPECT_EQ(k.size(), 3u);
  EXPECT_EQ(k.at("b1"), (Reasons{"max_backups", "max_age_days", "newest_completed"}));
  EXPECT_EQ(k.at("b2"), (Reasons{"max_backups", "max_age_days"}));
  EXPECT_EQ(k.at("b3"), (Reasons{"max_age_days"}));
}

TEST(Retention, no_rules_keep_everything) {
  const auto plan = plan_retention(calendar(), RetentionRules{}, k_now);
  EXPECT_EQ(plan.keep.size(), 12u);
  EXPECT_TRUE(plan.del.empty());
  EXPECT_EQ(plan.freed_bytes, 0);
  // 0 is "off" as absent is.
  RetentionRules zero;
  zero.max_backups = 0;
  EXPECT_EQ(plan_retention(calendar(), zero, k_now).keep.size(), 12u);
}

TEST(Retention, total_size_deletes_the_oldest_kept_until_it_fits) {
  std::vector<backup::BackupMetadata> b{
      make("a", "2026-11-20T00:00:00Z", k_gib), make("b", "2026-11-21T00:00:00Z", k_gib),
      make("c", "2026-11-22T00:00:00Z", k_gib), make("d", "2026-11-23T00:00:00Z", k_gib),
      make("e", "2026-11-24T00:00:00Z", k_gib)};
  RetentionRules r;
  r.max_backups = 4;
  r.max_total_size_gb = 2.5;
  const auto plan = plan_retention(b, r, k_now);
  EXPECT_EQ(deleted(plan), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(plan.del[0].reason, k_reason_no_rule);
  EXPECT_EQ(plan.del[1].reason, k_reason_size);
  EXPECT_EQ(plan.del[2].reason, k_reason_size);
  EXPECT_EQ(plan.freed_bytes, 3 * k_gib);
  // The newest completed backup survives any size limit.
  r.max_total_size_gb = 0.5;
  const auto tiny = plan_retention(b, r, k_now);
  ASSERT_EQ(tiny.keep.size(), 1u);
  EXPECT_EQ(tiny.keep[0].id, "e");
  EXPECT_EQ(tiny.keep[0].kept_by, (Reasons{"max_backups", "newest_completed"}));
}

TEST(Retention, protects_backups_being_restored_and_needed_parents) {
  auto b = calendar();
  b[2].type = backup::BackupType::incremental;  // b3 ← b5 ← b9
  b[2].parent_backup_id = "b5";
  b[4].type = backup::BackupType::incremental;
  b[4].parent_backup_id = "b9";
  RetentionRules r;
  r.keep_daily = 3;
  const auto plan = plan_retention(b, r, k_now, {"b10"});
  const auto k = kept(plan);
  EXPECT_EQ(k.size(), 6u);
  EXPECT_EQ(k.at("b3"), (Reasons{"keep_daily"}));
  EXPECT_EQ(k.at("b5"), (Reasons{"needed_parent"}));
  EXPECT_EQ(k.at("b9"), (Reasons{"needed_parent"}));
  EXPECT_EQ(k.at("b10"), (Reasons{"being_restored"}));

  // A size limit cannot delete a parent a kept incremental needs: it deletes b4 first (the oldest kept
  // one not pinned), then b3 — after which b5 and b9 are no longer needed and go with it.
  for (auto& m : b) m.compressed_size_bytes = k_gib;
  r.max_total_size_gb = 5.5;  // b1 b3 b4 b5 b9 b10 = 6 GiB
  const auto tk = kept(plan_retention(b, r, k_now, {"b10"}));
  EXPECT_EQ(tk.size(), 5u);
  EXPECT_FALSE(tk.count("b4"));
  EXPECT_TRUE(tk.count("b3") && tk.count("b5") && tk.count("b9"));
  r.max_total_size_gb = 4.5;
  const auto trimmed = plan_retention(b, r, k_now, {"b10"});
  const auto tk2 = kept(trimmed);
  EXPECT_EQ(tk2.size(), 2u);
  EXPECT_TRUE(tk2.count("b1") && tk2.count("b10"));
  std::map<std::string, std::string> reasons;
  for (const auto& d : trimmed.del) reasons[d.id] = d.reason;
  EXPECT_EQ(reasons.at("b4"), k_reason_size);
  EXPECT_EQ(reasons.at("b3"), k_reason_size);
  EXPECT_EQ(reasons.at("b5"), k_reason_no_rule);
}

TEST(Retention, only_completed_count_and_old_failed_ones_go) {
  std::vector<backup::BackupMetadata> b{
      make("ok_old", "2026-11-01T00:00:00Z"),
      make("ok_new", "2026-11-20T00:00:00Z"),
      make("failed_old", "2026-11-26T11:59:00Z", 7, backup::BackupStatus::failed),
      make("failed_new", "2026-11-26T12:01:00Z", 7, backup::BackupStatus::failed),
      make("running", "2026-11-27T11:00:00Z", 0, backup::BackupStatus::in_progress),
      make("corrupt", "2026-10-01T00:00:00Z", 9, backup::BackupStatus::corrupted),
  };
  RetentionRules r;
  r.max_backups = 1;
  const auto plan = plan_retention(b, r, k_now);
  EXPECT_EQ(deleted(plan), (std::vector<std::string>{"ok_old", "failed_old"}));
  EXPECT_EQ(plan.del[1].reason, k_reason_failed);
  ASSERT_EQ(plan.keep.size(), 1u);
  EXPECT_EQ(plan.keep[0].id, "ok_new");  // the running one is newer but does not count
  EXPECT_EQ(plan.freed_bytes, 107);
}

TEST(Retention, rules_from_json_and_merge) {
  auto r = rules_from_json(json::parse(R"({"enabled":true,"max_backups":5,"keep_daily":7,"max_total_size_gb":1.5,
                                          "auto_cleanup":false,"cleanup_schedule":"0 4 * * *"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max_backups, 5);
  EXPECT_EQ(r->keep_daily, 7);
  EXPECT_EQ(r->max_total_size_gb, 1.5);
  EXPECT_FALSE(r->keep_weekly);
  RetentionRules flags;
  flags.max_backups = 2;
  const auto m = merge_rules(*r, flags);
  EXPECT_EQ(m.max_backups, 2);
  EXPECT_EQ(m.keep_daily, 7);
  auto bad = rules_from_json(json::parse(R"({"max_backups":-1})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("retention.max_backups"), std::string::npos);
  EXPECT_FALSE(rules_from_json(json::parse(R"({"keep_weekly":"three"})")));
  EXPECT_FALSE(rules_from_json(json::parse(R"({"max_total_size_gb":"big"})")));
}

TEST(Retention, plan_json_has_the_api_shape) {
  RetentionRules r;
  r.max_backups = 1;
  const auto o = plan_to_json(plan_retention(calendar(), r, k_now));
  ASSERT_EQ(o.at("delete").as_array().size(), 11u);
  const auto& d = o.at("delete").as_array()[0].as_object();
  EXPECT_EQ(d.at("_id").as_string(), "b11");
  EXPECT_EQ(d.at("created_at").as_string(), "2025-12-31T10:00:00Z");
  EXPECT_EQ(d.at("size_bytes").as_int64(), 100);
  EXPECT_EQ(d.at("name").as_string(), "backup b11");
  const auto& k = o.at("keep").as_array()[0].as_object();
  EXPECT_EQ(k.at("_id").as_string(), "b1");
  EXPECT_EQ(k.at("kept_by").as_array().size(), 2u);
  EXPECT_EQ(o.at("freed_bytes").as_int64(), 1100);
}

class RetentionStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store("sqlite:" + (m_tmp / "db.sqlite").string());
    ASSERT_TRUE(s) << s.error().message;
    m_store = std::move(s).value();
    std::filesystem::create_directories(m_tmp / "backups");
  }
  /// A registered backup with a real file of `size` bytes.
  void add(backup::BackupMetadata m) {
    std::ofstream(m_tmp / "backups" / m.filepath, std::ios::binary) << std::string(m.compressed_size_bytes, 'x');
    auto w = m_store->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE(backup::save_metadata(**w, m, k_now));
    ASSERT_TRUE((*w)->commit());
  }
  testing::TempDir m_tmp;
  std::unique_ptr<store::Store> m_store;
};

TEST_F(RetentionStore, apply_deletes_files_and_records_and_frees_what_it_claims) {
  for (auto m : calendar()) {
    m.compressed_size_bytes = 1000 + static_cast<std::int64_t>(m.id.size()) * 10;
    add(m);
  }
  add(make("failed_old", "2026-11-20T00:00:00Z", 333, backup::BackupStatus::failed));
  RetentionRules r;
  r.keep_daily = 3;
  auto planned = plan_from_store(*m_store, r, k_now);
  ASSERT_TRUE(planned);
  auto applied = apply_retention(*m_store, m_tmp / "backups", r, k_now);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(deleted(*applied), deleted(*planned));
  EXPECT_EQ(applied->del.size(), 10u);  // 9 not kept + the old failed one
  EXPECT_EQ(applied->freed_bytes, planned->freed_bytes);
  EXPECT_EQ(applied->freed_bytes, 6 * 1020 + 3 * 1030 + 333);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(m_tmp / "backups")) ++files;
  EXPECT_EQ(files, 3u);
  auto again = plan_from_store(*m_store, r, k_now);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->del.empty());
  EXPECT_EQ(again->keep.size(), 3u);
}

TEST_F(RetentionStore, a_restore_in_progress_protects_its_backup_and_settings_hold_the_rules) {
  add(make("old", "2026-01-01T00:00:00Z"));
  add(make("new", "2026-11-01T00:00:00Z"));
  {
    auto w = m_store->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->put_system(store::SystemTable::jobs,
                                 {"job1", "", "restore", "in_progress", k_now, k_now, R"({"backup_id":"old"})"}));
    ASSERT_TRUE(save_backup_settings(**w, json::parse(R"({"retention":{"max_backups":1}})").as_object(), k_now));
    ASSERT_TRUE((*w)->commit());
  }
  auto reader = m_store->read();
  ASSERT_TRUE(reader);
  auto rules = stored_retention_rules(**reader);
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->max_backups, 1);
  auto plan = plan_from_store(*m_store, *rules, k_now);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->del.empty());
  EXPECT_EQ(kept(*plan).at("old"), (Reasons{"being_restored"}));
  // Once the job is done the backup is no longer protected.
  {
    auto w = m_store->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->put_system(store::SystemTable::jobs,
                                 {"job1", "", "restore", "completed", k_now, k_now, R"({"backup_id":"old"})"}));
    ASSERT_TRUE((*w)->commit());
  }
  plan = plan_from_store(*m_store, *rules, k_now);
  ASSERT_TRUE(plan);
  EXPECT_EQ(deleted(*plan), (std::vector<std::string>{"old"}));
}

TEST_F(RetentionStore, a_running_or_cancelling_restore_job_protects_its_backup) {
  // The job service writes restore jobs as pending, running or cancelling (never in_progress).
  add(make("old", "2026-01-01T00:00:00Z"));
  add(make("new", "2026-11-01T00:00:00Z"));
  RetentionRules r;
  r.max_backups = 1;
  for (const char* status : {"pending", "running", "cancelling"}) {
    {
      auto w = m_store->write();
      ASSERT_TRUE(w);
      ASSERT_TRUE((*w)->put_system(store::SystemTable::jobs,
                                   {"job1", "", "restore", status, k_now, k_now, R"({"backup_id":"old"})"}));
      ASSERT_TRUE((*w)->commit());
    }
    auto plan = plan_from_store(*m_store, r, k_now);
    ASSERT_TRUE(plan);
    EXPECT_TRUE(plan->del.empty()) << status;
    EXPECT_EQ(kept(*plan)["old"], (Reasons{"being_restored"})) << status;
  }
}

}  // namespace
}  // namespace claudelens::schedule
