// `claudelens retention plan|apply` on real backups created on chosen dates: the real binary runs under
// libfaketime (Debian's `faketime` package), so each backup's created_at is the date it was "taken" and the plan is
// computed at a chosen "now". Keep sets are computed by hand (see the calendar below).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "backup/metadata.hpp"
#include "integration/run_cli.hpp"
#include "schedule/settings.hpp"
#include "store/store.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* k_now = "2026-11-27 12:00:00";  // a Friday; ISO week 48 is Nov 23-29

// name → when it was taken (UTC). d9 and d10 share ISO week 2026-W01.
const std::map<std::string, std::string> k_calendar{{"d01", "2026-11-27 10:00:00"}, {"d02", "2026-11-27 02:00:00"},
                                                    {"d03", "2026-11-26 23:00:00"}, {"d04", "2026-11-25 10:00:00"},
                                                    {"d05", "2026-11-22 10:00:00"}, {"d06", "2026-11-16 10:00:00"},
                                                    {"d07", "2026-10-31 10:00:00"}, {"d08", "2026-10-01 10:00:00"},
                                                    {"d09", "2025-12-31 10:00:00"}, {"d10", "2026-01-02 10:00:00"}};

class RetentionCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(fs::exists(k_libfaketime)) << "install Debian's faketime (scripts/bootstrap does)";
    s_dir = new fs::path(fs::path(CLAUDELENS_TEST_TMP) / ("integration_retention-" + std::to_string(::getpid())));
    fs::remove_all(*s_dir);
    fs::create_directories(*s_dir);
    const auto small = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts/marot__spotter/short.jsonl";
    auto r = cli({"ingest", small.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*s_dir);
    delete s_dir;
  }
  void SetUp() override {
    // Each test starts from the same ten backups.
    fs::remove_all(*s_dir / "backups");
    auto st = open();
    auto w = st->write();
    ASSERT_TRUE(w);
    std::vector<std::string> ids;
    ASSERT_TRUE(backup::for_each_metadata(**w, [&](const backup::BackupMetadata& m) {
      ids.push_back(m.id);
      return true;
    }));
    for (const auto& id : ids) ASSERT_TRUE((*w)->delete_system(store::SystemTable::backups, id));
    ASSERT_TRUE((*w)->delete_system(store::SystemTable::settings, "backup"));
    ASSERT_TRUE((*w)->commit());
    m_ids.clear();
    for (const auto& [name, when] : k_calendar) {
      auto c = cli_at(when, {"backup", "create", "--json", "--name", name});
      ASSERT_EQ(c.exit_code, 0) << c.err;
      const auto meta = json::parse(c.out).as_object();
      ASSERT_EQ(meta.at("created_at").as_string(), fs_time_to_iso(when));
      m_ids[name] = std::string(meta.at("_id").as_string());
      m_size[name] = meta.at("compressed_size_bytes").to_number<std::int64_t>();
    }
  }

  static std::string fs_time_to_iso(std::string t) {
    t[10] = 'T';
    return t + "Z";
  }
  static std::vector<std::string> db_args() {
    return {"--db", "sqlite:" + (*s_dir / "db.sqlite").string(), "--backup-dir", (*s_dir / "backups").string()};
  }
  static CliResult cli(std::vector<std::string> args) {
    auto all = db_args();
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all);
  }
  /// The real binary with the system clock at `when` (UTC).
  static CliResult cli_at(const std::string& when, std::vector<std::string> args) {
    auto all = db_args();
    all.insert(all.end(), args.begin(), args.end());
    return run_cli_at(when, all);
  }
  static std::unique_ptr<store::Store> open() {
    auto s = store::open_store("sqlite:" + (*s_dir / "db.sqlite").string());
    EXPECT_TRUE(s);
    return std::move(s).value();
  }

  /// name → kept_by, and the names deleted, from a plan's JSON.
  struct Plan {
    std::map<std::string, std::vector<std::string>> keep;
    std::map<std::string, std::string> del;  ///< name → reason
    std::int64_t freed = 0;
  };
  Plan run_plan(const std::vector<std::string>& args) {
    auto r = cli_at(k_now, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto o = json::parse(r.out).as_object();
    Plan p;
    for (const auto& k : o.at("keep").as_array()) {
      std::vector<std::string> by;
      for (const auto& b : k.at("kept_by").as_array()) by.emplace_back(b.as_string());
      p.keep[std::string(k.at("name").as_string())] = by;
    }
    for (const auto& d : o.at("delete").as_array()) {
      const auto& obj = d.as_object();
      EXPECT_EQ(obj.at("size_bytes").as_int64(), m_size[std::string(obj.at("name").as_string())]);
      EXPECT_TRUE(obj.contains("_id") && obj.contains("created_at"));
      p.del[std::string(obj.at("name").as_string())] = std::string(obj.at("reason").as_string());
    }
    p.freed = o.at("freed_bytes").as_int64();
    return p;
  }
  static std::set<std::string> names(const std::map<std::string, std::string>& m) {
    std::set<std::string> out;
    for (const auto& [k, v] : m) out.insert(k);
    return out;
  }

  static fs::path* s_dir;
  std::map<std::string, std::string> m_ids;
  std::map<std::string, std::int64_t> m_size;
};
fs::path* RetentionCli::s_dir = nullptr;

using Reasons = std::vector<std::string>;

TEST_F(RetentionCli, daily_weekly_monthly_plan_matches_the_hand_computed_keep_set) {
  const auto p =
      run_plan({"retention", "plan", "--keep-daily", "3", "--keep-weekly", "3", "--keep-monthly", "2", "--json"});
  ASSERT_EQ(p.keep.size(), 5u);
  EXPECT_EQ(p.keep.at("d01"), (Reasons{"keep_daily", "keep_weekly", "keep_monthly", "newest_completed"}));
  EXPECT_EQ(p.keep.at("d03"), (Reasons{"keep_daily"}));
  EXPECT_EQ(p.keep.at("d04"), (Reasons{"keep_daily"}));
  EXPECT_EQ(p.keep.at("d05"), (Reasons{"keep_weekly"}));  // week 47: d05 (Sun) is newer than d06 (Mon)
  EXPECT_EQ(p.keep.at("d07"), (Reasons{"keep_weekly", "keep_monthly"}));
  EXPECT_EQ(names(p.del), (std::set<std::string>{"d02", "d06", "d08", "d09", "d10"}));
  EXPECT_EQ(p.freed, m_size["d02"] + m_size["d06"] + m_size["d08"] + m_size["d09"] + m_size["d10"]);
  // A plan deletes nothing.
  EXPECT_EQ(json::parse(cli({"backup", "list", "--json"}).out).as_array().size(), 10u);

  // ISO weeks across the new year: d10 (Fri 2026-01-02) keeps week 2026-W01, d09 (Wed 2025-12-31) not.
  const auto weeks = run_plan({"retention", "plan", "--keep-weekly", "50", "--json"});
  EXPECT_TRUE(weeks.keep.count("d10"));
  EXPECT_TRUE(weeks.del.count("d09"));
  EXPECT_EQ(weeks.keep.size(), 5u);  // weeks 48 (d01), 47 (d05), 44 (d07), 40 (d08), 2026-W01 (d10)
}

TEST_F(RetentionCli, stored_settings_apply_and_flags_override_them_for_one_command) {
  {
    auto st = open();
    auto w = st->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE(schedule::save_backup_settings(
        **w, json::parse(R"({"retention":{"enabled":true,"max_backups":2,"max_age_days":null}})").as_object(), 0));
    ASSERT_TRUE((*w)->commit());
  }
  auto p = run_plan({"retention", "plan", "--json"});
  EXPECT_EQ(p.keep.size(), 2u);
  EXPECT_TRUE(p.keep.count("d01") && p.keep.count("d02"));
  p = run_plan({"retention", "plan", "--max-backups", "4", "--json"});
  EXPECT_EQ(p.keep.size(), 4u);
  p = run_plan({"retention", "plan", "--max-age-days", "30", "--json"});  // with the stored max_backups 2
  EXPECT_EQ(p.keep.size(), 7u);  // d01-d07 are within 30 days of 2026-11-27 12:00
  p = run_plan({"retention", "plan", "--json"});
  EXPECT_EQ(p.keep.size(), 2u);  // the flags changed nothing stored
}

TEST_F(RetentionCli, size_limit_trims_the_oldest_kept_and_protects_newest_and_parents) {
  // d03 is an incremental whose parent is d08: a kept d03 keeps d08.
  {
    auto st = open();
    auto w = st->write();
    ASSERT_TRUE(w);
    auto m = backup::load_metadata(**w, m_ids["d03"]);
    ASSERT_TRUE(m && *m);
    (*m)->type = backup::BackupType::incremental;
    (*m)->parent_backup_id = m_ids["d08"];
    ASSERT_TRUE(backup::save_metadata(**w, **m, 0));
    ASSERT_TRUE((*w)->commit());
  }
  auto p = run_plan({"retention", "plan", "--keep-daily", "3", "--json"});
  EXPECT_EQ(p.keep.size(), 4u);
  EXPECT_EQ(p.keep.at("d08"), (Reasons{"needed_parent"}));

  // Room for exactly d01 + d02 + d03 + d08 (GiB = 2^30 bytes): --max-backups 4 keeps d01-d04 plus d08;
  // d04 is the oldest one the limit may take.
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const auto fit = m_size["d01"] + m_size["d02"] + m_size["d03"] + m_size["d08"];
  // Full precision: std::to_string keeps 6 decimals, which cuts a few KiB (a size limit of bytes).
  const std::string limit = fmt::format("{:.17g}", (static_cast<double>(fit) + 0.5) / gib);
  p = run_plan({"retention", "plan", "--max-backups", "4", "--max-total-size-gb", limit, "--json"});
  EXPECT_EQ(p.keep.size(), 4u);
  EXPECT_EQ(p.del.at("d04"), "max_total_size_gb");
  EXPECT_EQ(p.keep.at("d08"), (Reasons{"needed_parent"}));
  EXPECT_EQ(p.del.at("d05"), "no_rule_keeps_it");

  // A limit nothing fits in still keeps the newest completed backup.
  p = run_plan({"retention", "plan", "--max-backups", "4", "--max-total-size-gb", "0", "--json"});
  EXPECT_EQ(p.keep.size(), 1u);
  EXPECT_EQ(p.keep.at("d01"), (Reasons{"max_backups", "newest_completed"}));
}

TEST_F(RetentionCli, apply_deletes_files_and_records_and_frees_the_bytes_it_claims) {
  const auto planned = run_plan({"retention", "plan", "--keep-daily", "2", "--json"});
  // The bytes of the directory's regular files (beside the archives: locks; the job service's .jobs/).
  const auto file_bytes = [&] {
    std::int64_t total = 0;
    for (const auto& e : fs::directory_iterator(*s_dir / "backups"))
      if (e.is_regular_file()) total += static_cast<std::int64_t>(e.file_size());
    return total;
  };
  const std::int64_t before = file_bytes();
  auto r = cli_at(k_now, {"retention", "apply", "--keep-daily", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json::parse(r.out).as_object();
  const std::int64_t after = file_bytes();
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(*s_dir / "backups")) files += e.path().extension() == ".claudelens";
  EXPECT_EQ(o.at("freed_bytes").as_int64(), before - after);
  EXPECT_EQ(o.at("freed_bytes").as_int64(), planned.freed);
  EXPECT_EQ(o.at("delete").as_array().size(), 8u);
  EXPECT_EQ(files, 2u);
  const auto list = json::parse(cli({"backup", "list", "--json"}).out).as_array();
  std::set<std::string> left;
  for (const auto& b : list) left.emplace(b.at("name").as_string());
  EXPECT_EQ(left, (std::set<std::string>{"d01", "d03"}));
  // Applying again deletes nothing more.
  r = cli_at(k_now, {"retention", "apply", "--keep-daily", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).at("delete").as_array().empty());
}

TEST_F(RetentionCli, bad_flags_are_refused_and_nothing_is_deleted) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"retention", "apply", "--max-backups", "-1"},
        std::vector<std::string>{"retention", "apply", "--keep-daily", "many"},
        std::vector<std::string>{"retention", "apply", "--max-total-size-gb", "-2"}}) {
    auto r = cli_at(k_now, args);
    EXPECT_EQ(r.exit_code, 2) << args[2];
    EXPECT_FALSE(r.err.empty());
  }
  {
    auto st = open();
    auto w = st->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE(schedule::save_backup_settings(**w, json::parse(R"({"retention":{"keep_daily":"x"}})").as_object(), 0));
    ASSERT_TRUE((*w)->commit());
  }
  auto r = cli_at(k_now, {"retention", "apply", "--max-backups", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("retention.keep_daily"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(cli({"backup", "list", "--json"}).out).as_array().size(), 10u);
}

}  // namespace
}  // namespace claudelens::testing
