// `claudelens schedule …`: cron previews from fixed times and from the (faked) system clock, refusals
// of invalid expressions, and the stored schedules' add/list/show/pause/resume/delete.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <map>

#include "integration/run_cli.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class ScheduleCli : public ::testing::Test {
 protected:
  fs::path dir = fs::path(CLAUDELENS_TEST_TMP) / ("integration_schedule-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::vector<std::string> db() const { return {"--db", "sqlite:" + (dir / "db.sqlite").string()}; }
  CliResult cli(const std::vector<std::string>& args) const {
    auto all = db();
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all);
  }
  CliResult cli_at(const std::string& when, const std::vector<std::string>& args) const {
    auto all = db();
    all.insert(all.end(), args.begin(), args.end());
    return run_cli_at(when, all);
  }
  static json::value parse(const CliResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
};

TEST_F(ScheduleCli, next_from_a_fixed_time) {
  EXPECT_EQ(parse(cli({"schedule", "next", "0 3 * * 1-5", "--from", "2026-11-27T12:00:00Z", "--count", "3", "--json"})),
            json::parse(R"(["2026-11-30T03:00:00Z","2026-12-01T03:00:00Z","2026-12-02T03:00:00Z"])"));
  EXPECT_EQ(parse(cli({"schedule", "next", "*/15 * * * *", "--from", "2026-11-27T12:07:30.5Z", "--json"})),
            json::parse(R"(["2026-11-27T12:15:00Z","2026-11-27T12:30:00Z","2026-11-27T12:45:00Z",
                            "2026-11-27T13:00:00Z","2026-11-27T13:15:00Z"])"));
  EXPECT_EQ(parse(cli({"schedule", "next", "0 0 29 2 *", "--from", "2026-01-01T00:00:00Z", "--count", "2", "--json"})),
            json::parse(R"(["2028-02-29T00:00:00Z","2032-02-29T00:00:00Z"])"));
  // Strictly after: a run exactly at --from is not listed.
  EXPECT_EQ(parse(cli({"schedule", "next", "@daily", "--from", "2026-11-28T00:00:00Z", "--count", "1", "--json"})),
            json::parse(R"(["2026-11-29T00:00:00Z"])"));
  const auto words = cli({"schedule", "next", "0 3 * * 1-5", "--from", "2026-11-27T12:00:00Z", "--count", "1"});
  EXPECT_EQ(words.exit_code, 0);
  EXPECT_EQ(words.out, "at 03:00 on Monday to Friday (UTC)\n2026-11-30T03:00:00Z\n");
}

TEST_F(ScheduleCli, next_without_from_uses_the_system_clock) {
  ASSERT_TRUE(fs::exists(k_libfaketime)) << "install Debian's faketime (scripts/bootstrap does)";
  EXPECT_EQ(parse(cli_at("2026-11-27 12:00:00", {"schedule", "next", "@weekly", "--count", "2", "--json"})),
            json::parse(R"(["2026-11-29T00:00:00Z","2026-12-06T00:00:00Z"])"));
}

TEST_F(ScheduleCli, invalid_expressions_and_counts_are_refused_naming_what_is_wrong) {
  struct Case {
    std::vector<std::string> args;
    std::string must_contain;
  };
  for (const auto& c : std::vector<Case>{
           {{"schedule", "next", "0 0 30 2 *"}, "day-of-month field '30'"},
           {{"schedule", "next", "61 * * * *"}, "minute field '61': 61 is outside 0-59"},
           {{"schedule", "next", "* * * *"}, "5 fields"},
           {{"schedule", "next", "* * * * 8"}, "day-of-week field"},
           {{"schedule", "next", "@often"}, "unknown cron macro"},
           {{"schedule", "next", "* * * * *", "--count", "0"}, "--count: must be 1-50"},
           {{"schedule", "next", "* * * * *", "--count", "51"}, "--count: must be 1-50"},
           {{"schedule", "next", "* * * * *", "--from", "yesterday"}, "--from"},
       }) {
    const auto r = cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[2];
    EXPECT_NE(r.err.find(c.must_contain), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST_F(ScheduleCli, add_list_show_pause_resume_delete) {
  ASSERT_TRUE(fs::exists(k_libfaketime));
  const std::string now = "2026-11-27 12:00:00";
  auto s = parse(cli_at(now, {"schedule", "add", "--name", "nightly spotter", "--cron", "0 3 * * *", "--project",
                              "spotter", "--min-messages", "2", "--level", "5", "--json"}))
               .as_object();
  const std::string id(s.at("_id").as_string());
  EXPECT_EQ(s.at("name").as_string(), "nightly spotter");
  EXPECT_EQ(s.at("schedule").as_string(), "0 3 * * *");
  EXPECT_EQ(s.at("type").as_string(), "selective");
  EXPECT_EQ(s.at("enabled").as_bool(), true);
  EXPECT_TRUE(s.at("last_run").is_null());
  EXPECT_EQ(s.at("next_run").as_string(), "2026-11-28T03:00:00Z");
  EXPECT_EQ(s.at("description").as_string(), "at 03:00");
  EXPECT_EQ(s.at("filters").at("projects").as_array(), json::array{"spotter"});
  EXPECT_EQ(s.at("filters").at("min_message_count").as_int64(), 2);
  EXPECT_EQ(s.at("options").at("compression_level").as_int64(), 5);

  parse(cli_at(now, {"schedule", "add", "--name", "weekly full", "--cron", "@weekly", "--json"}));
  auto list = parse(cli_at("2026-11-28 04:00:00", {"schedule", "list", "--json"})).as_array();
  ASSERT_EQ(list.size(), 2u);
  std::map<std::string, json::object> by_name;
  for (const auto& v : list) by_name[std::string(v.at("name").as_string())] = v.as_object();
  // next_run follows the clock.
  EXPECT_EQ(by_name.at("nightly spotter").at("next_run").as_string(), "2026-11-29T03:00:00Z");
  EXPECT_EQ(by_name.at("weekly full").at("type").as_string(), "full");
  EXPECT_EQ(by_name.at("weekly full").at("next_run").as_string(), "2026-11-29T00:00:00Z");

  auto paused = parse(cli_at(now, {"schedule", "pause", id, "--json"})).as_object();
  EXPECT_FALSE(paused.at("enabled").as_bool());
  EXPECT_TRUE(paused.at("next_run").is_null());
  auto shown = parse(cli_at(now, {"schedule", "show", id, "--json"})).as_object();
  EXPECT_FALSE(shown.at("enabled").as_bool());
  auto resumed = parse(cli_at("2026-11-28 03:00:00", {"schedule", "resume", id, "--json"})).as_object();
  EXPECT_TRUE(resumed.at("enabled").as_bool());
  EXPECT_EQ(resumed.at("next_run").as_string(), "2026-11-29T03:00:00Z");

  parse(cli({"schedule", "delete", id, "--json"}));
  EXPECT_EQ(cli({"schedule", "show", id}).exit_code, 1);
  EXPECT_EQ(cli({"schedule", "delete", id}).exit_code, 1);
  EXPECT_EQ(cli({"schedule", "pause", id}).exit_code, 1);
  EXPECT_EQ(parse(cli({"schedule", "list", "--json"})).as_array().size(), 1u);
}

TEST_F(ScheduleCli, bad_schedules_are_refused_and_nothing_is_stored) {
  struct Case {
    std::vector<std::string> args;
    std::string must_contain;
  };
  for (const auto& c : std::vector<Case>{
           {{"--name", "bad cron", "--cron", "0 25 * * *"}, "schedule: hour field '25'"},
           {{"--name", "x", "--cron", "@daily"}, "name"},
           {{"--name", "selective without filter", "--cron", "@daily", "--type", "selective"}, "filter"},
           {{"--name", "bad type", "--cron", "@daily", "--type", "partial"}, "--type"},
           {{"--name", "bad level", "--cron", "@daily", "--level", "12"}, "compression_level"},
       }) {
    std::vector<std::string> args{"schedule", "add"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << c.args[1];
    EXPECT_NE(r.err.find(c.must_contain), std::string::npos) << r.err;
  }
  EXPECT_TRUE(parse(cli({"schedule", "list", "--json"})).as_array().empty());
}

}  // namespace
}  // namespace claudelens::testing
