// The scheduler inside the real `claudelens serve`, its time moved by the test clock file
// (CLAUDELENS_TEST_CLOCK_FILE): a `* * * * *` schedule makes one backup per minute and no more, next_run
// advances, and a server stopped for three slots runs one on restart; two servers on one database run
// each slot once. The quota (507 over HTTP, exit 1 from the CLI), the settings that turn these on and
// their refusals, and the schedules shared with `claudelens schedule`.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;

constexpr long long k_minute_ms = 60'000;

long long real_now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// "2026-11-27T10:01:00Z" for a time in ms (UTC).
std::string iso(long long ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

fs::path viewer_project() {
  return fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts" / "d-kimuson__claude-code-viewer";
}

class ServerScheduler : public ServerTest {
 protected:
  void SetUp() override {
    m_clock = dir().path() / "clock-offset-ms";
    set_fake_now(real_now_ms());
    const auto ingest = run_cli({"--db", db(), "ingest", viewer_project().string()});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    start_server();
  }
  void start_server() { start({{"CLAUDELENS_TEST_CLOCK_FILE", m_clock.string()}}); }
  std::string db() const { return "sqlite:" + (dir().path() / "db.sqlite").string(); }

  /// Moves the server's clock so that it reads `t` now (it goes on with real time from there).
  void set_fake_now(long long t) { std::ofstream(m_clock) << (t - real_now_ms()); }
  long long fake_now() const {
    std::ifstream in(m_clock);
    long long offset = 0;
    in >> offset;
    return real_now_ms() + offset;
  }

  /// Completed backups, oldest first.
  std::vector<json::object> backups(std::uint16_t on_port = 0) {
    const auto r = http_request(on_port ? on_port : port(), "GET", "/api/v1/backups?size=100&sort=created_at,asc", "",
                                {{"X-API-Key", k_admin_key}});
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json::object> out;
    const auto page = r.json();
    if (!page.is_object()) return out;
    for (const auto& b : page.at("items").as_array()) out.push_back(b.as_object());
    return out;
  }
  /// Waits (up to 20 s) until `n` backups exist and all are completed.
  std::vector<json::object> wait_backups(std::size_t n) {
    std::vector<json::object> list;
    for (int i = 0; i < 200; ++i) {
      list = backups();
      const bool done =
          std::all_of(list.begin(), list.end(), [](const auto& b) { return b.at("status") == "completed"; });
      if (list.size() >= n && done) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return list;
  }
  json::object only_schedule() {
    const auto s = get("/api/v1/settings/backup").json();
    const auto& list = s.at("scheduling").at("schedules").as_array();
    EXPECT_EQ(list.size(), 1u);
    return list.empty() ? json::object{} : list[0].as_object();
  }

  /// Stores one `* * * * *` full-backup schedule through PUT /settings/backup.
  void put_minutely(const std::string& name) {
    const json::object schedule{{"name", name}, {"schedule", "* * * * *"}, {"type", "full"}};
    const auto r = put("/api/v1/settings/backup",
                       json::object{{"scheduling", json::object{{"schedules", json::array{schedule}}}}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  fs::path m_clock;
};

TEST_F(ServerScheduler, every_minute_makes_one_backup_per_minute_and_one_after_three_missed_slots) {
  ASSERT_NO_FATAL_FAILURE(put_minutely("minutely"));
  const long long first_slot = (fake_now() / k_minute_ms + 1) * k_minute_ms;
  EXPECT_EQ(only_schedule().at("next_run").as_string(), iso(first_slot));
  EXPECT_TRUE(only_schedule().at("last_run").is_null());

  for (int k = 0; k < 3; ++k) {
    const long long slot = first_slot + k * k_minute_ms;
    set_fake_now(slot + 2'000);
    auto list = wait_backups(static_cast<std::size_t>(k + 1));
    ASSERT_EQ(list.size(), static_cast<std::size_t>(k + 1)) << "slot " << iso(slot) << "\n" << server().log();
    // More ticks within the same minute add nothing.
    std::this_thread::sleep_for(milliseconds(2'500));
    list = backups();
    ASSERT_EQ(list.size(), static_cast<std::size_t>(k + 1)) << "slot " << iso(slot) << " ran twice";
    EXPECT_EQ(list.back().at("name").as_string(), "minutely");
    EXPECT_EQ(list.back().at("status").as_string(), "completed");
    const auto s = only_schedule();
    EXPECT_EQ(s.at("last_slot").as_string(), iso(slot));
    const auto last_run = std::string(s.at("last_run").as_string());
    EXPECT_GE(last_run, iso(slot));
    EXPECT_LE(last_run, iso(slot + 10'000));
    EXPECT_EQ(s.at("next_run").as_string(), iso(slot + k_minute_ms)) << "next_run advances";
    EXPECT_EQ(s.at("last_outcome").as_string(), "queued");
  }

  // Stopped for three slots: the restarted server runs one backup for them, not three.
  EXPECT_EQ(server().stop(SIGTERM), 0) << server().log();
  const long long last_slot = first_slot + 2 * k_minute_ms;
  const long long resumed_slot = last_slot + 3 * k_minute_ms;
  set_fake_now(resumed_slot + 20'000);
  start_server();
  auto list = wait_backups(4);
  ASSERT_EQ(list.size(), 4u) << server().log();
  std::this_thread::sleep_for(milliseconds(3'000));
  EXPECT_EQ(backups().size(), 4u) << "one run for the three missed slots";
  const auto s = only_schedule();
  EXPECT_EQ(s.at("last_slot").as_string(), iso(resumed_slot));
  EXPECT_EQ(s.at("next_run").as_string(), iso(resumed_slot + k_minute_ms));
}

TEST_F(ServerScheduler, under_faketime_sixty_times_faster_each_minute_runs_once) {
  // The server alone under libfaketime at 60x (a minute passes every real second): its clock, its
  // scheduler's waits and its jobs all run on the faked time.
  const fs::path lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  ASSERT_TRUE(fs::exists(lib)) << "faketime is installed by scripts/bootstrap";
  server().stop(SIGTERM);
  start({{"LD_PRELOAD", lib.string()}, {"FAKETIME", "+0 x60"}, {"FAKETIME_NO_CACHE", "1"}});
  ASSERT_NO_FATAL_FAILURE(put_minutely("fast"));
  std::this_thread::sleep_for(milliseconds(6'000));  // about six minutes of the server's time
  const auto list = backups();
  ASSERT_GE(list.size(), 3u) << server().log();
  std::set<std::string> minutes;
  for (const auto& b : list) minutes.insert(std::string(b.at("created_at").as_string()).substr(0, 16));
  EXPECT_EQ(minutes.size(), list.size()) << "two backups in one minute";
  const auto s = only_schedule();
  const auto last_slot = std::string(s.at("last_slot").as_string());
  EXPECT_EQ(last_slot.substr(16), ":00Z");
  EXPECT_GT(std::string(s.at("next_run").as_string()), last_slot) << "next_run advances";
}

TEST_F(ServerScheduler, two_servers_on_one_database_run_each_slot_once) {
  // A second server on the same database (its own backup folder and log), on the same clock.
  const fs::path other = dir().path() / "second";
  fs::create_directories(other);
  ServerProcess::Options o;
  o.dir = other;
  o.api_key = k_admin_key;
  o.db_url = db();
  o.env = {{"CLAUDELENS_TEST_CLOCK_FILE", m_clock.string()}};
  ServerProcess second(o);
  ASSERT_NE(second.port(), 0) << second.startup_error();

  ASSERT_NO_FATAL_FAILURE(put_minutely("shared"));
  const long long first_slot = (fake_now() / k_minute_ms + 1) * k_minute_ms;
  for (int k = 0; k < 3; ++k) {
    set_fake_now(first_slot + k * k_minute_ms + 1'000);
    ASSERT_EQ(wait_backups(static_cast<std::size_t>(k + 1)).size(), static_cast<std::size_t>(k + 1));
    std::this_thread::sleep_for(milliseconds(2'500));  // both servers tick several times in this minute
    ASSERT_EQ(backups().size(), static_cast<std::size_t>(k + 1)) << server().log() << "\n---\n" << second.log();
  }
  EXPECT_EQ(backups(second.port()).size(), 3u) << "the second server sees the same backups";
}

TEST_F(ServerScheduler, the_quota_refuses_a_backup_with_507_and_the_cli_with_exit_1) {
  const auto set = put("/api/v1/settings/backup",
                       json::object{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", 0.001}}}}}});
  ASSERT_EQ(set.status, 200) << set.body;
  // 1.1 MB already in the backup folder: over the 0.001 GiB (1,073,741 bytes) quota.
  std::ofstream(dir().path() / "backups" / "filler.bin", std::ios::binary) << std::string(1'100'000, 'x');
  const auto refused = post("/api/v1/backups", json::object{{"name", "over quota"}, {"type", "full"}});
  expect_error(refused, 507, "INSUFFICIENT_STORAGE");
  EXPECT_NE(refused.body.find("storage quota exceeded"), std::string::npos) << refused.body;
  const auto settings = get("/api/v1/settings/backup").json();
  EXPECT_NEAR(settings.at("storage").at("filesystem").at("current_usage_gb").as_double(), 1'100'000.0 / (1 << 30),
              1e-6);
  EXPECT_EQ(settings.at("storage").at("filesystem").at("max_size_gb").as_double(), 0.001);

  const auto cli = run_cli({"--db", db(), "--backup-dir", (dir().path() / "backups").string(), "backup", "create",
                            "--name", "cli over quota"});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  EXPECT_NE(cli.err.find("storage quota exceeded"), std::string::npos) << cli.err;
  EXPECT_TRUE(backups().empty()) << "nothing was started";

  // Without the quota the same backup is accepted.
  ASSERT_EQ(put("/api/v1/settings/backup",
                json::object{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", nullptr}}}}}})
                .status,
            200);
  EXPECT_EQ(post("/api/v1/backups", json::object{{"name", "within quota"}, {"type", "full"}}).status, 202);
}

TEST_F(ServerScheduler, storage_low_is_logged_when_usage_passes_90_percent) {
  std::ofstream(dir().path() / "backups" / "filler.bin", std::ios::binary) << std::string(1'000'000, 'x');
  // A 1 GiB quota: far from full. (The usage is checked every 30 s and at once when the settings change.)
  ASSERT_EQ(put("/api/v1/settings/backup",
                json::object{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", 1}}}}}})
                .status,
            200);
  std::this_thread::sleep_for(milliseconds(2'000));
  EXPECT_EQ(server().log().find("event storage.low"), std::string::npos) << server().log();
  // 0.001 GiB (1,073,741 bytes) with 1,000,000 used: 93 %.
  ASSERT_EQ(put("/api/v1/settings/backup",
                json::object{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", 0.001}}}}}})
                .status,
            200);
  for (int i = 0; i < 50 && server().log().find("event storage.low") == std::string::npos; ++i)
    std::this_thread::sleep_for(milliseconds(100));
  const auto log = server().log();
  const auto at = log.find("event storage.low");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_NE(log.find("\"current_usage_bytes\":1000000", at), std::string::npos) << log.substr(at, 400);
  std::this_thread::sleep_for(milliseconds(1'500));
  EXPECT_EQ(server().log().find("event storage.low", at + 1), std::string::npos) << "once per crossing";
}

TEST_F(ServerScheduler, settings_turn_the_features_on_and_bad_values_are_refused_by_field) {
  const auto ok = put("/api/v1/settings/backup",
                      json::object{{"retention", json::object{{"enabled", true},
                                                              {"auto_cleanup", true},
                                                              {"max_backups", 5},
                                                              {"cleanup_schedule", "0 4 * * *"}}},
                                   {"storage", json::object{{"filesystem", json::object{{"max_size_gb", 50}}}}},
                                   {"scheduling", json::object{{"enabled", true}}}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto s = get("/api/v1/settings/backup").json();
  EXPECT_TRUE(s.at("retention").at("enabled").as_bool());
  EXPECT_TRUE(s.at("retention").at("auto_cleanup").as_bool());
  EXPECT_EQ(s.at("retention").at("cleanup_schedule").as_string(), "0 4 * * *");
  EXPECT_EQ(s.at("storage").at("filesystem").at("max_size_gb").to_number<double>(), 50.0);

  const std::vector<std::pair<json::object, std::string>> bad = {
      {{{"retention", json::object{{"cleanup_schedule", "61 * * * *"}}}}, "retention.cleanup_schedule"},
      {{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", -1}}}}}},
       "storage.filesystem.max_size_gb"},
      {{{"storage", json::object{{"filesystem", json::object{{"max_size_gb", "big"}}}}}},
       "storage.filesystem.max_size_gb"},
      {{{"retention", json::object{{"auto_cleanup", "yes"}}}}, "retention.auto_cleanup"},
      {{{"scheduling",
         json::object{{"schedules",
                       json::array{json::object{{"name", "pick"}, {"schedule", "@daily"}, {"type", "selective"}}}}}}},
       "scheduling.schedules[0].filters"},
      {{{"scheduling",
         json::object{{"schedules", json::array{json::object{{"name", "bad/name"}, {"schedule", "@daily"}}}}}}},
       "scheduling.schedules[0].name"},
      {{{"scheduling",
         json::object{{"schedules", json::array{json::object{{"name", "level"},
                                                             {"schedule", "@daily"},
                                                             {"options", json::object{{"compression_level", 12}}}}}}}}},
       "scheduling.schedules[0].options.compression_level"},
  };
  for (const auto& [body, field] : bad) {
    const auto r = put("/api/v1/settings/backup", body);
    expect_error(r, 400, "VALIDATION_FAILED");
    EXPECT_EQ(bad_fields(r), std::vector<std::string>{field}) << r.body;
  }
  EXPECT_EQ(get("/api/v1/settings/backup").json(), s) << "nothing was stored";
}

TEST_F(ServerScheduler, schedules_are_one_list_for_the_api_and_the_cli) {
  const auto added = run_cli({"--db", db(), "schedule", "add", "--name", "from cli", "--cron", "0 3 * * *", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto cli_id = std::string(json::parse(added.out).at("_id").as_string());
  const auto s = only_schedule();
  EXPECT_EQ(s.at("_id").as_string(), cli_id);
  EXPECT_EQ(s.at("name").as_string(), "from cli");
  EXPECT_FALSE(s.at("next_run").is_null());
  // Renamed through the API (sent back as GET showed it), plus a new one; the CLI lists both.
  json::object renamed = s;
  renamed["name"] = "renamed";
  const auto r =
      put("/api/v1/settings/backup",
          json::object{{"scheduling",
                        json::object{{"schedules", json::array{renamed, json::object{{"name", "from api"},
                                                                                     {"schedule", "@hourly"}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto listed = run_cli({"--db", db(), "schedule", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto list = json::parse(listed.out).as_array();
  ASSERT_EQ(list.size(), 2u) << listed.out;
  EXPECT_EQ(list[0].at("_id").as_string(), cli_id);
  EXPECT_EQ(list[0].at("name").as_string(), "renamed");
  EXPECT_EQ(list[1].at("name").as_string(), "from api");
  EXPECT_EQ(list[1].at("created_by").as_string().size(), 24u) << "owned by the caller";
  // Pausing from the CLI: GET shows next_run null; scheduling.enabled false nulls every next_run.
  ASSERT_EQ(run_cli({"--db", db(), "schedule", "pause", cli_id}).exit_code, 0);
  auto after = get("/api/v1/settings/backup").json().at("scheduling").at("schedules").as_array();
  EXPECT_TRUE(after[0].at("next_run").is_null());
  EXPECT_FALSE(after[1].at("next_run").is_null());
  ASSERT_EQ(put("/api/v1/settings/backup", json::object{{"scheduling", json::object{{"enabled", false}}}}).status, 200);
  after = get("/api/v1/settings/backup").json().at("scheduling").at("schedules").as_array();
  EXPECT_TRUE(after[1].at("next_run").is_null());
}

}  // namespace
}  // namespace claudelens::testing
