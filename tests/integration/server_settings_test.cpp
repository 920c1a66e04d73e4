// GET/PUT /settings/backup over loopback: defaults, field-by-field merge, one validation error per bad
// field by dotted path, options the server cannot honour refused as "unsupported", secrets shown as "***",
// schedules (the scheduler, quota and retention: server_scheduler_test.cpp); and the rate limits they set,
// checked on the server's test clock (CLAUDELENS_TEST_CLOCK_FILE) so that a minute passes instantly.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>

#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;

using ServerSettings = ServerTest;

json::value settings_of(ServerTest& t) {
  const auto r = t.call("GET", "/api/v1/settings/backup");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

TEST_F(ServerSettings, defaults_are_complete) {
  const auto s = settings_of(*this);
  EXPECT_EQ(s.at("storage").at("backend").as_string(), "filesystem");
  EXPECT_EQ(s.at("storage").at("filesystem").at("base_directory").as_string(), (dir().path() / "backups").string());
  EXPECT_EQ(s.at("compression").at("algorithm").as_string(), "zstd");
  EXPECT_EQ(s.at("compression").at("level").as_int64(), 3);
  EXPECT_FALSE(s.at("encryption").at("enabled").as_bool());
  EXPECT_TRUE(s.at("scheduling").at("schedules").as_array().empty());
  EXPECT_EQ(s.at("rate_limits").at("requests_per_minute").as_int64(), 100);
  EXPECT_EQ(s.at("rate_limits").at("uploads_per_hour").as_int64(), 3);
  // Any key may read them; only admins may change them.
  const auto alice = make_user("alice");
  EXPECT_EQ(get("/api/v1/settings/backup", alice).status, 200);
  expect_error(put("/api/v1/settings/backup", json::object{{"retention", json::object{{"max_backups", 3}}}}, alice),
               403, "FORBIDDEN");
}

TEST_F(ServerSettings, put_merges_field_by_field_and_persists) {
  const auto r1 = put("/api/v1/settings/backup", json::object{{"retention", json::object{{"max_backups", 10}}}});
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(r1.json().at("updated_fields"), json::value(json::array{"retention.max_backups"}));
  const auto r2 = put("/api/v1/settings/backup", json::object{{"compression", json::object{{"level", 7}}},
                                                              {"retention", json::object{{"keep_daily", 7}}}});
  ASSERT_EQ(r2.status, 200) << r2.body;
  auto updated = r2.json().at("updated_fields").as_array();
  EXPECT_EQ(updated.size(), 2u);
  const auto s = settings_of(*this);
  EXPECT_EQ(s.at("retention").at("max_backups").as_int64(), 10) << "not sent, so kept";
  EXPECT_EQ(s.at("retention").at("keep_daily").as_int64(), 7);
  EXPECT_EQ(s.at("compression").at("level").as_int64(), 7);
  // Null clears a nullable value; sending the same value changes nothing.
  const auto r3 = put("/api/v1/settings/backup",
                      json::object{{"retention", json::object{{"max_backups", nullptr}, {"keep_daily", 7}}}});
  EXPECT_EQ(r3.json().at("updated_fields"), json::value(json::array{"retention.max_backups"}));
  // Persisted: a restarted server shows the same.
  server().stop(SIGTERM);
  start();
  const auto after = settings_of(*this);
  EXPECT_TRUE(after.at("retention").at("max_backups").is_null());
  EXPECT_EQ(after.at("compression").at("level").as_int64(), 7);
}

TEST_F(ServerSettings, each_bad_field_is_listed_by_its_path_and_nothing_is_stored) {
  const auto before = settings_of(*this);
  const auto r =
      put("/api/v1/settings/backup",
          json::object{
              {"retention", json::object{{"max_backups", -1}, {"keep_daily", "x"}, {"cleanup_schedule", "0 3 * *"}}},
              {"compression", json::object{{"level", 12}, {"algorithm", "gzip"}}},
              {"notifications", json::object{{"webhook_url", "ftp://x"},
                                             {"email_recipients", json::array{"ok@example.com", "nope"}},
                                             {"notify_on", json::array{"backup.completed", "backup.exploded"}}}},
              {"scheduling",
               json::object{{"schedules", json::array{json::object{{"name", "ab"}, {"schedule", "61 * * * *"}}}}}},
              {"rate_limits", json::object{{"requests_per_minute", -5}}},
              {"bogus", 1}});
  expect_error(r, 400, "VALIDATION_FAILED");
  auto fields = bad_fields(r);
  std::sort(fields.begin(), fields.end());
  const std::vector<std::string> expected{"bogus",
                                          "compression.algorithm",
                                          "compression.level",
                                          "notifications.email_recipients[1]",
                                          "notifications.notify_on[1]",
                                          "notifications.webhook_url",
                                          "rate_limits.requests_per_minute",
                                          "retention.cleanup_schedule",
                                          "retention.keep_daily",
                                          "retention.max_backups",
                                          "scheduling.schedules[0].name",
                                          "scheduling.schedules[0].schedule"};
  EXPECT_EQ(fields, expected) << r.body;
  EXPECT_EQ(settings_of(*this), before);
  expect_error(call("PUT", "/api/v1/settings/backup", k_admin_key, "{\"retention\":"), 400, "INVALID_REQUEST");
  expect_error(put("/api/v1/settings/backup", json::object{{"retention", 5}}), 400, "VALIDATION_FAILED");
}

TEST_F(ServerSettings, options_the_server_cannot_honour_are_refused_by_name) {
  const std::vector<std::pair<json::object, std::string>> cases = {
      {{{"encryption", json::object{{"enabled", true}}}}, "encryption.enabled"},
      {{{"storage", json::object{{"backend", "s3"}}}}, "storage.backend"},
      {{{"storage", json::object{{"s3", json::object{{"bucket", "b"}}}}}}, "storage.s3.bucket"},
      {{{"storage", json::object{{"filesystem", json::object{{"base_directory", "/tmp/elsewhere"}}}}}},
       "storage.filesystem.base_directory"},
      {{{"compression", json::object{{"enabled", false}}}}, "compression.enabled"},
  };
  for (const auto& [body, field] : cases) {
    const auto r = put("/api/v1/settings/backup", body);
    expect_error(r, 400, "VALIDATION_FAILED");
    ASSERT_EQ(bad_fields(r), std::vector<std::string>{field}) << r.body;
    EXPECT_EQ(r.json().at("validation_errors").at(0).at("code").as_string(), "unsupported") << r.body;
  }
  // The directory in force may be restated.
  const auto same = put(
      "/api/v1/settings/backup",
      json::object{{"storage", json::object{{"filesystem",
                                             json::object{{"base_directory", (dir().path() / "backups").string()}}}}}});
  EXPECT_EQ(same.status, 200) << same.body;
}

TEST_F(ServerSettings, secrets_are_write_only) {
  const auto r =
      put("/api/v1/settings/backup",
          json::object{{"notifications", json::object{{"webhook_url", "https://hooks.example.com/x"},
                                                      {"webhook_secret", "s3cret-value"},
                                                      {"smtp_url", "smtp://mailer:pa55word@mail.example.com:25"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("s3cret-value"), std::string::npos);
  const auto g = call("GET", "/api/v1/settings/backup");
  EXPECT_EQ(g.body.find("s3cret-value"), std::string::npos);
  EXPECT_EQ(g.body.find("pa55word"), std::string::npos);
  const auto s = g.json();
  EXPECT_EQ(s.at("notifications").at("webhook_secret").as_string(), "***");
  EXPECT_EQ(s.at("notifications").at("smtp_url").as_string(), "smtp://mailer:***@mail.example.com:25");
  // Sending back what GET showed keeps the secrets as they were.
  const auto echo = put("/api/v1/settings/backup", json::object{{"notifications", s.at("notifications")}});
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_TRUE(echo.json().at("updated_fields").as_array().empty()) << echo.body;
  const auto changed =
      put("/api/v1/settings/backup", json::object{{"notifications", json::object{{"webhook_secret", "other"}}}});
  EXPECT_EQ(changed.json().at("updated_fields"), json::value(json::array{"notifications.webhook_secret"}));
}

TEST_F(ServerSettings, schedules_get_ids_and_the_list_is_replaced) {
  const auto r = put(
      "/api/v1/settings/backup",
      json::object{
          {"scheduling",
           json::object{{"schedules",
                         json::array{json::object{{"name", "nightly"}, {"schedule", "0 3 * * 1-5"}},
                                     json::object{{"name", "weekly"}, {"schedule", "@weekly"}, {"type", "full"}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto list = r.json().at("settings").at("scheduling").at("schedules").as_array();
  ASSERT_EQ(list.size(), 2u);
  const auto id = std::string(list.at(0).at("_id").as_string());
  EXPECT_EQ(id.size(), 24u);
  EXPECT_TRUE(list.at(0).at("enabled").as_bool()) << "a schedule sent without `enabled` runs";
  // Renaming the first by its id and dropping the second.
  const auto r2 =
      put("/api/v1/settings/backup",
          json::object{{"scheduling",
                        json::object{{"schedules", json::array{json::object{{"_id", id}, {"name", "nightly-2"}}}}}}});
  ASSERT_EQ(r2.status, 200) << r2.body;
  const auto list2 = r2.json().at("settings").at("scheduling").at("schedules").as_array();
  ASSERT_EQ(list2.size(), 1u);
  EXPECT_EQ(list2.at(0).at("_id").as_string(), id);
  EXPECT_EQ(list2.at(0).at("name").as_string(), "nightly-2");
  EXPECT_EQ(list2.at(0).at("schedule").as_string(), "0 3 * * 1-5");
  const auto unknown =
      put("/api/v1/settings/backup",
          json::object{{"scheduling",
                        json::object{{"schedules", json::array{json::object{{"_id", "nope"}, {"name", "x y z"}}}}}}});
  expect_error(unknown, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(unknown), std::vector<std::string>{"scheduling.schedules[0]._id"});
}

class ServerRateLimit : public ServerTest {
 protected:
  void SetUp() override {
    m_clock = dir().path() / "clock-offset-ms";
    set_offset_ms(0);
    start({{"CLAUDELENS_TEST_CLOCK_FILE", m_clock.string()}});
  }
  void set_offset_ms(long long ms) { std::ofstream(m_clock) << ms; }
  std::filesystem::path m_clock;
};

TEST_F(ServerRateLimit, the_general_limit_answers_429_with_retry_after_and_rejections_do_not_count) {
  const auto alice = make_user("alice");  // one admin call
  int ok = 1;
  while (ok < 100) {
    ASSERT_EQ(get("/api/v1/projects").status, 200) << "call " << ok;
    ++ok;
  }
  const auto limited = get("/api/v1/projects");
  expect_error(limited, 429, "RATE_LIMIT_EXCEEDED");
  const int retry = std::stoi(limited.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  // Another key has its own allowance; calls without a key are not counted against anyone.
  EXPECT_EQ(get("/api/v1/projects", alice).status, 200);
  EXPECT_EQ(http_request(port(), "GET", "/api/v1/health").status, 200);

  set_offset_ms(30'000);  // half a minute on: still limited, and these rejections must not count
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get("/api/v1/projects").status, 429);
  set_offset_ms(61'000);  // the first window has passed: a full allowance again
  for (int i = 0; i < 100; ++i) ASSERT_EQ(get("/api/v1/projects").status, 200) << "call " << i;
  EXPECT_EQ(get("/api/v1/projects").status, 429);
}

TEST_F(ServerRateLimit, settings_change_the_limits_and_zero_means_none) {
  ASSERT_EQ(
      put("/api/v1/settings/backup", json::object{{"rate_limits", json::object{{"requests_per_minute", 3}}}}).status,
      200);
  // The PUT itself was the first call of the window.
  EXPECT_EQ(get("/api/v1/projects").status, 200);
  EXPECT_EQ(get("/api/v1/projects").status, 200);
  EXPECT_EQ(get("/api/v1/projects").status, 429);
  set_offset_ms(120'000);
  ASSERT_EQ(
      put("/api/v1/settings/backup", json::object{{"rate_limits", json::object{{"requests_per_minute", 0}}}}).status,
      200);
  for (int i = 0; i < 150; ++i) ASSERT_EQ(get("/api/v1/projects").status, 200) << "call " << i;
  EXPECT_EQ(settings_of(*this).at("rate_limits").at("requests_per_minute").as_int64(), 0);
}

}  // namespace
}  // namespace claudelens::testing
