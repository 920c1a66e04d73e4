// The schedule library over loopback against the real server: GET /schedules/next (runs from a fixed
// `from`, the description, an invalid cron named by field, count out of range) and the retention plan
// and apply on backups made through the API (a query override, deleting and freeing bytes, a user key
// refused on apply and seeing only its own backups, "retention" never taken as a backup id).
#include <gtest/gtest.h>

#include <thread>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";

using ServerSchedules = ServerTest;

TEST_F(ServerSchedules, next_runs_from_a_fixed_time_with_the_description) {
  const auto r = get("/api/v1/schedules/next?cron=0%203%20*%20*%201-5&from=2026-01-15T10:30:00Z&count=3");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("cron").as_string(), "0 3 * * 1-5");
  EXPECT_EQ(v.at("description").as_string(), "at 03:00 on Monday to Friday");
  // 2026-01-15 is a Thursday: Friday, then Monday and Tuesday.
  EXPECT_EQ(v.at("runs"),
            json::value(json::array{"2026-01-16T03:00:00Z", "2026-01-19T03:00:00Z", "2026-01-20T03:00:00Z"}));
  // Defaults: five runs after now.
  const auto d = get("/api/v1/schedules/next?cron=@hourly");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.json().at("runs").as_array().size(), 5u);
  EXPECT_EQ(d.json().at("description").as_string(), "at minute 0 of every hour");
}

TEST_F(ServerSchedules, an_invalid_cron_or_count_is_named) {
  const auto bad = get("/api/v1/schedules/next?cron=0%203%2032%20*%20*");
  expect_error(bad, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(bad), std::vector<std::string>{"cron"});
  const std::string message(bad.json().at("validation_errors").at(0).at("message").as_string());
  EXPECT_NE(message.find("day-of-month"), std::string::npos) << message;
  EXPECT_NE(message.find("32"), std::string::npos) << message;

  expect_error(get("/api/v1/schedules/next"), 400, "VALIDATION_FAILED");
  for (const char* count : {"0", "51", "x"}) {
    const auto r = get(std::string("/api/v1/schedules/next?cron=@daily&count=") + count);
    expect_error(r, 400, "VALIDATION_FAILED");
    EXPECT_EQ(bad_fields(r), std::vector<std::string>{"count"}) << count;
  }
  const auto from = get("/api/v1/schedules/next?cron=@daily&from=yesterday");
  EXPECT_EQ(bad_fields(from), std::vector<std::string>{"from"});
  EXPECT_EQ(get("/api/v1/schedules/next?cron=@daily&count=50").json().at("runs").as_array().size(), 50u);
}

class ServerRetention : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    const auto r = run_program(CLAUDELENS_BIN, {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(),
                                                (k_transcripts / "chiphuyen__sniffly").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  /// A completed backup; its id.
  std::string make_backup(const std::string& name) {
    const auto r = post("/api/v1/backups", json::object{{"name", name}});
    EXPECT_EQ(r.status, 202) << r.body;
    const std::string job_id(r.json().at("job_id").as_string());
    for (int i = 0; i < 600; ++i) {
      const auto j = get("/api/v1/backups/jobs/" + job_id);
      const std::string status(j.json().at("status").as_string());
      if (status != "pending" && status != "running") {
        EXPECT_EQ(status, "completed") << j.body;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::string(r.json().at("backup_id").as_string());
  }

  static std::vector<std::string> ids(const json::value& list) {
    std::vector<std::string> out;
    for (const auto& e : list.as_array()) out.emplace_back(e.at("_id").as_string());
    return out;
  }
};

TEST_F(ServerRetention, plan_overrides_apply_deletes_and_user_keys_are_limited) {
  const std::string a = make_backup("oldest");
  const std::string b = make_backup("middle");
  const std::string c = make_backup("newest");

  // No stored rules: everything is kept.
  const auto all = get("/api/v1/backups/retention/plan");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_TRUE(all.json().at("delete").as_array().empty()) << all.body;
  EXPECT_EQ(ids(all.json().at("keep")).size(), 3u);

  // The override for this call only.
  const auto plan = get("/api/v1/backups/retention/plan?max_backups=1");
  ASSERT_EQ(plan.status, 200) << plan.body;
  const auto p = plan.json();
  EXPECT_EQ(ids(p.at("delete")), (std::vector<std::string>{a, b})) << plan.body;
  EXPECT_EQ(ids(p.at("keep")), std::vector<std::string>{c});
  EXPECT_EQ(p.at("keep").at(0).at("kept_by").at(0).as_string(), "max_backups");
  std::int64_t planned = 0;
  for (const auto& d : p.at("delete").as_array()) {
    EXPECT_GT(d.at("size_bytes").as_int64(), 0);
    EXPECT_TRUE(d.as_object().contains("created_at"));
    planned += d.at("size_bytes").as_int64();
  }
  EXPECT_EQ(p.at("freed_bytes").as_int64(), planned);
  EXPECT_EQ(bad_fields(get("/api/v1/backups/retention/plan?max_backups=-1")), std::vector<std::string>{"max_backups"});
  EXPECT_EQ(bad_fields(get("/api/v1/backups/retention/plan?max_total_size_gb=x&bogus=1")),
            (std::vector<std::string>{"max_total_size_gb", "bogus"}));

  // A user key sees only its own backups (none) and may not apply.
  const std::string alice = make_user("alice");
  const auto theirs = get("/api/v1/backups/retention/plan?max_backups=1", alice);
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_TRUE(theirs.json().at("delete").as_array().empty()) << theirs.body;
  EXPECT_TRUE(theirs.json().at("keep").as_array().empty()) << theirs.body;
  EXPECT_EQ(theirs.json().at("freed_bytes").as_int64(), 0);
  expect_error(call("POST", "/api/v1/backups/retention/apply?max_backups=1", alice), 403, "FORBIDDEN");
  EXPECT_EQ(get("/api/v1/backups").json().at("summary").at("total_backups").as_int64(), 3) << "nothing deleted";

  // "retention" is not a backup id on the backup routes.
  expect_error(get("/api/v1/backups/retention"), 404, "BACKUP_NOT_FOUND");

  const auto done = call("POST", "/api/v1/backups/retention/apply?max_backups=1");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(ids(done.json().at("delete")), (std::vector<std::string>{a, b}));
  EXPECT_EQ(done.json().at("freed_bytes").as_int64(), planned);
  EXPECT_EQ(get("/api/v1/backups").json().at("summary").at("total_backups").as_int64(), 1);
  expect_error(get("/api/v1/backups/" + a), 404, "BACKUP_NOT_FOUND");
  EXPECT_EQ(get("/api/v1/backups/" + c).status, 200);
  // One audit line per deleted backup, by the admin, naming the rule and the trigger.
  const auto lines = get("/api/v1/audit?action=backup.deleted").json();
  ASSERT_EQ(lines.at("items").as_array().size(), 2u) << lines;
  for (const auto& l : lines.at("items").as_array()) {
    EXPECT_EQ(l.at("details").at("trigger"), "api") << l;
    EXPECT_EQ(l.at("details").at("reason"), "retention: no_rule_keeps_it") << l;
  }
  // Nothing left to delete.
  EXPECT_TRUE(get("/api/v1/backups/retention/plan?max_backups=1").json().at("delete").as_array().empty());
}

}  // namespace
}  // namespace claudelens::testing
