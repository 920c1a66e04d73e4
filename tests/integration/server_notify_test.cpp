// Notifications from the real server (docs/notifications.md): a backup made through the API is announced
// to a loopback webhook listener (signature checked with an independent HMAC) and by mail to a loopback
// SMTP listener; an unreachable webhook does not fail the backup, and its notification, kept in the
// store's outbox, is delivered after a restart (the server's test clock moves past the retry delay).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <signal.h>

#include <fstream>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"
#include "support/hmac_reference.hpp"
#include "support/loopback_listeners.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";

class ServerNotify : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    const auto r = run_program(CLAUDELENS_BIN, {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(),
                                                (k_transcripts / "chiphuyen__sniffly").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  /// Starts a backup through the API and waits for its job; the job's JSON.
  json::object backup(const std::string& name) {
    const auto r = post("/api/v1/backups", json::object{{"name", name}});
    EXPECT_EQ(r.status, 202) << r.body;
    return wait_job(port(), "backups", std::string(r.json().at("job_id").as_string()));
  }
};

TEST_F(ServerNotify, a_completed_backup_is_posted_signed_to_the_webhook_and_mailed_to_each_recipient) {
  HttpRecorder hook;
  SmtpRecorder smtp;
  ASSERT_NE(hook.port(), 0);
  ASSERT_NE(smtp.port(), 0);
  const auto put_r =
      put("/api/v1/settings/backup",
          json::object{{"notifications",
                        json::object{{"enabled", true},
                                     {"webhook_url", fmt::format("http://127.0.0.1:{}/claudelens", hook.port())},
                                     {"webhook_secret", "integration-secret"},
                                     {"smtp_url", fmt::format("smtp://mailer:pa55word@127.0.0.1:{}", smtp.port())},
                                     {"email_recipients", json::array{"ops@example.com", "backup-admin@example.org"}},
                                     {"notify_on", json::array{"backup.completed", "backup.failed"}}}}});
  ASSERT_EQ(put_r.status, 200) << put_r.body;
  EXPECT_EQ(put_r.body.find("integration-secret"), std::string::npos);
  EXPECT_EQ(put_r.body.find("pa55word"), std::string::npos);

  const auto job = backup("api nightly");
  ASSERT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);

  ASSERT_TRUE(hook.wait_for(1, 20s)) << server().log();
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.target, "/claudelens");
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "backup.completed");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"),
            "sha256=" + reference_hmac_sha256("integration-secret", req.body));
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type"), "backup.completed");
  EXPECT_EQ(body.at("job_id"), job.at("job_id"));
  EXPECT_EQ(body.at("backup_id"), job.at("backup_id"));
  EXPECT_EQ(body.at("backup_name"), "api nightly");
  const auto detail = get("/api/v1/backups/" + std::string(job.at("backup_id").as_string()));
  EXPECT_EQ(body.at("size_bytes"), detail.json().at("compressed_size_bytes")) << detail.body;

  ASSERT_TRUE(smtp.wait_for(1, 20s)) << server().log();
  const auto mail = smtp.mails().at(0);
  EXPECT_EQ(mail.rcpt, (std::vector<std::string>{"ops@example.com", "backup-admin@example.org"}));
  EXPECT_NE(mail.data.find("Subject: ClaudeLens: backup \"api nightly\" completed\r\n"), std::string::npos)
      << mail.data;
  EXPECT_NE(mail.data.find("To: ops@example.com, backup-admin@example.org\r\n"), std::string::npos);
  // Secrets never reach the log.
  EXPECT_EQ(server().log().find("integration-secret"), std::string::npos);
  EXPECT_EQ(server().log().find("pa55word"), std::string::npos);
}

TEST_F(ServerNotify, a_cli_backup_is_queued_in_the_outbox_and_the_running_server_delivers_it) {
  HttpRecorder hook;
  ASSERT_NE(hook.port(), 0);
  const auto put_r = put(
      "/api/v1/settings/backup",
      json::object{{"notifications", json::object{{"enabled", true},
                                                  {"webhook_url", fmt::format("http://127.0.0.1:{}/cli", hook.port())},
                                                  {"webhook_secret", "cli-secret"},
                                                  {"notify_on", json::array{"backup.completed"}}}}});
  ASSERT_EQ(put_r.status, 200) << put_r.body;
  // The CLI delivers nothing itself: its job's event goes to the store's outbox, which this server sends.
  const auto r = run_program(CLAUDELENS_BIN, {"--db", "sqlite:" + (dir().path() / "db.sqlite").string(), "--backup-dir",
                                              (dir().path() / "backups").string(), "--json", "backup", "create",
                                              "--name", "from the terminal"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto made = json::parse(r.out).as_object();
  ASSERT_TRUE(hook.wait_for(1, 20s)) << server().log();
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "backup.completed");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("cli-secret", req.body));
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("backup_id"), made.at("_id"));
  EXPECT_EQ(body.at("backup_name"), "from the terminal");
}

TEST_F(ServerNotify, an_unreachable_webhook_does_not_fail_the_backup_and_is_delivered_after_a_restart) {
  const auto clock_file = dir().path() / "clock-offset";
  { std::ofstream(clock_file) << 0; }
  server().stop(SIGTERM);
  start({{"CLAUDELENS_TEST_CLOCK_FILE", clock_file.string()}});

  const std::uint16_t hook_port = closed_loopback_port();
  const auto put_r =
      put("/api/v1/settings/backup",
          json::object{{"notifications", json::object{{"enabled", true},
                                                      {"webhook_url", fmt::format("http://127.0.0.1:{}/h", hook_port)},
                                                      {"webhook_secret", "k"},
                                                      {"notify_on", json::array{"backup.completed"}}}}});
  ASSERT_EQ(put_r.status, 200) << put_r.body;
  const auto started = std::chrono::steady_clock::now();
  const auto job = backup("hook is down");
  EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  // The first attempt fails (nobody listens) and is logged; the server stops with the row pending.
  for (int i = 0; i < 100 && server().log().find("attempt 1 failed") == std::string::npos; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(server().log().find("attempt 1 failed"), std::string::npos) << server().log();
  server().stop(SIGTERM);

  // The receiver is up now; the restarted server's clock is past the 30 s retry delay.
  HttpRecorder hook(200, hook_port);
  ASSERT_EQ(hook.port(), hook_port);
  { std::ofstream(clock_file) << 60'000; }
  start({{"CLAUDELENS_TEST_CLOCK_FILE", clock_file.string()}});
  ASSERT_TRUE(hook.wait_for(1, 20s)) << server().log();
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("k", req.body));
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("job_id"), job.at("job_id"));
  EXPECT_EQ(body.at("backup_name"), "hook is down");
  EXPECT_EQ(hook.requests().size(), 1u);
}

}  // namespace
}  // namespace claudelens::testing
