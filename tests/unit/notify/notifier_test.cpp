// Notifications end to end inside one process: real backup jobs on a real SQLite store, the notifier's
// outbox, and loopback webhook and SMTP listeners (tests/support/loopback_listeners.hpp).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/json.hpp>

#include "jobs/jobs.hpp"
#include "notify/message.hpp"
#include "notify/notifier.hpp"
#include "notify/transport.hpp"
#include "unit/notify/notify_test_support.hpp"

namespace claudelens::notify::testing {
namespace {

using claudelens::testing::closed_loopback_port;
using claudelens::testing::HttpRecorder;
using claudelens::testing::SmtpRecorder;
using namespace std::chrono_literals;

constexpr TimeMs k_t0 = 1'790'000'000'000;  // 2026-09-21

json::object webhook_settings(std::uint16_t port, json::array notify_on = {"backup.completed", "backup.failed"}) {
  return json::object{{"enabled", true},
                      {"webhook_url", fmt::format("http://127.0.0.1:{}/hooks/claudelens", port)},
                      {"webhook_secret", "s3cret-key"},
                      {"notify_on", std::move(notify_on)}};
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_store = open_db(m_dir / "db.sqlite");
    backup::testing::seed(*m_store);
  }

  /// A notifier on the test's store and clock with quick polling; retries as `o` says.
  std::unique_ptr<Notifier> make_notifier(NotifierOptions o = {}, store::Store* st = nullptr) {
    o.clock = &m_clock;
    o.poll_interval = 20ms;
    o.limits.connect_timeout = 2000ms;
    o.limits.total_timeout = 5000ms;
    o.mail_from = "claudelens@test.invalid";
    return std::make_unique<Notifier>(st ? *st : *m_store, o);
  }

  /// A job service whose finished jobs go to `notifier`.
  std::unique_ptr<jobs::JobService> make_jobs(Notifier& notifier) {
    jobs::ServiceOptions o;
    o.backup_dir = m_dir / "backups";
    o.poll_interval = 50ms;
    o.clock = &m_clock;
    o.on_final = [&notifier](const jobs::JobEvent& e) { notifier.on_job_final(e); };
    auto s = jobs::JobService::open(*m_store, o);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return std::move(s).value();
  }

  jobs::Job run_backup(jobs::JobService& service, const std::string& name, const std::atomic<bool>* cancel = nullptr) {
    backup::BackupRequest r;
    r.name = name;
    r.created_by = "alice";
    jobs::RunHooks hooks;
    hooks.cancel = cancel;
    auto job = service.run_backup_now(r, hooks);
    EXPECT_TRUE(job) << (job ? "" : job.error().message);
    return std::move(job).value();
  }

  TempDir m_dir;
  ManualClock m_clock{k_t0};
  std::unique_ptr<store::Store> m_store;
};

TEST(Hmac, matches_rfc4231_and_an_independent_implementation) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(reference_hmac_sha256("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string long_key(100, 'k');  // longer than a block: hashed first
  EXPECT_EQ(hmac_sha256_hex(long_key, R"({"type":"backup.completed"})"),
            reference_hmac_sha256(long_key, R"({"type":"backup.completed"})"));
}

TEST_F(NotifierTest, webhook_receives_a_correctly_signed_event_after_a_backup_job_completes) {
  HttpRecorder hook;
  ASSERT_NE(hook.port(), 0);
  store_notifications(*m_store, webhook_settings(hook.port()));
  auto notifier = make_notifier();
  notifier->start();
  auto service = make_jobs(*notifier);
  const jobs::Job job = run_backup(*service, "nightly");
  ASSERT_EQ(job.status, jobs::JobStatus::completed);

  ASSERT_TRUE(hook.wait_for(1, 10s));
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hooks/claudelens");
  EXPECT_EQ(req.headers.at("content-type"), "application/json");
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "backup.completed");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("s3cret-key", req.body));
  EXPECT_FALSE(req.headers.at("x-claudelens-delivery").empty());
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type"), "backup.completed");
  EXPECT_EQ(body.at("job_id"), json::string(job.id));
  EXPECT_EQ(body.at("backup_id"), json::string(job.backup_id));
  EXPECT_EQ(body.at("backup_name"), "nightly");
  EXPECT_EQ(body.at("size_bytes").as_int64(), job.result_size_bytes);
  EXPECT_GT(job.result_size_bytes, 0);
  EXPECT_TRUE(body.contains("duration_seconds"));
  EXPECT_EQ(body.at("timestamp"), json::string(format_iso8601(k_t0)));

  // The outbox says delivered, after one attempt; nothing else was sent.
  ASSERT_TRUE(wait_for_status(*m_store, "delivered", 1, 5s));
  notifier->stop();
  const auto rows = outbox(*m_store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "delivered");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].id, req.headers.at("x-claudelens-delivery"));
  EXPECT_EQ(hook.requests().size(), 1u);
}

TEST_F(NotifierTest, a_tampered_body_does_not_match_the_signature) {
  // The receiving side's check, done as a receiver would: the signature covers the exact bytes.
  HttpRecorder hook;
  store_notifications(*m_store, webhook_settings(hook.port()));
  auto notifier = make_notifier();
  ASSERT_EQ(notifier->notify("backup.completed", json::object{{"backup_name", "x"}}).value(), 1);
  ASSERT_EQ(notifier->deliver_due().value(), 1);
  ASSERT_TRUE(hook.wait_for(1, 5s));
  const auto req = hook.requests().at(0);
  std::string tampered = req.body;
  tampered.replace(tampered.find("\"x\""), 3, "\"y\"");
  EXPECT_NE(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("s3cret-key", tampered));
  EXPECT_NE(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("other-key", req.body));
}

TEST_F(NotifierTest, mail_goes_to_every_recipient_through_smtp_url) {
  SmtpRecorder smtp;
  ASSERT_NE(smtp.port(), 0);
  store_notifications(*m_store, json::object{{"enabled", true},
                                             {"smtp_url", fmt::format("smtp://127.0.0.1:{}", smtp.port())},
                                             {"email_recipients", json::array{"ops@example.com", "me@example.org"}},
                                             {"notify_on", json::array{"backup.completed"}}});
  auto notifier = make_notifier();
  notifier->start();
  auto service = make_jobs(*notifier);
  const jobs::Job job = run_backup(*service, "weekly full");
  ASSERT_EQ(job.status, jobs::JobStatus::completed);

  ASSERT_TRUE(smtp.wait_for(1, 10s));
  const auto mail = smtp.mails().at(0);
  EXPECT_EQ(mail.from, "claudelens@test.invalid");
  EXPECT_EQ(mail.rcpt, (std::vector<std::string>{"ops@example.com", "me@example.org"}));
  EXPECT_NE(mail.data.find("From: ClaudeLens <claudelens@test.invalid>\r\n"), std::string::npos) << mail.data;
  EXPECT_NE(mail.data.find("To: ops@example.com, me@example.org\r\n"), std::string::npos) << mail.data;
  EXPECT_NE(mail.data.find("Subject: ClaudeLens: backup \"weekly full\" completed\r\n"), std::string::npos)
      << mail.data;
  EXPECT_NE(mail.data.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(mail.data.find("backup_id: " + job.backup_id + "\r\n"), std::string::npos) << mail.data;
  EXPECT_NE(mail.data.find(fmt::format("size_bytes: {}\r\n", job.result_size_bytes)), std::string::npos);
  ASSERT_TRUE(wait_for_status(*m_store, "delivered", 1, 5s));
  notifier->stop();
  const auto rows = outbox(*m_store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].channel, "email");
  EXPECT_EQ(rows[0].status, "delivered");
}

TEST_F(NotifierTest, a_failed_restore_notifies_restore_failed_with_the_backups_name_and_error) {
  HttpRecorder hook;
  store_notifications(*m_store, webhook_settings(hook.port(), {"restore.failed"}));
  auto notifier = make_notifier();
  auto service = make_jobs(*notifier);
  const jobs::Job backup = run_backup(*service, "to be damaged");
  ASSERT_EQ(backup.status, jobs::JobStatus::completed);
  EXPECT_EQ(outbox(*m_store).size(), 0u) << "backup.completed is not in notify_on";
  // Damage the archive: the restore fails on its checksum.
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(m_dir / "backups"))
    if (e.path().extension() == ".claudelens") file = e.path();
  ASSERT_FALSE(file.empty());
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  jobs::RestoreRequest request;
  request.backup_id = backup.backup_id;
  auto restored = service->run_restore_now(request, "alice", {});
  ASSERT_TRUE(restored) << restored.error().message;
  ASSERT_EQ(restored->status, jobs::JobStatus::failed);

  ASSERT_EQ(notifier->deliver_due().value(), 1);
  ASSERT_TRUE(hook.wait_for(1, 5s));
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "restore.failed");
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type"), "restore.failed");
  EXPECT_EQ(body.at("job_id"), json::string(restored->id));
  EXPECT_EQ(body.at("backup_name"), "to be damaged");
  std::string code(errc_name(restored->error->code));  // event_json's default mapping: the name in capitals
  for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(body.at("error").at("code"), json::string(code));
  EXPECT_FALSE(body.at("error").at("message").as_string().empty());
}

TEST_F(NotifierTest, events_are_filtered_by_enabled_and_notify_on) {
  HttpRecorder hook;
  auto notifier = make_notifier();
  // Nothing stored at all: nothing wanted.
  EXPECT_EQ(notifier->notify("backup.completed", {}).value(), 0);
  // Configured but disabled.
  auto settings = webhook_settings(hook.port());
  settings["enabled"] = false;
  store_notifications(*m_store, settings);
  EXPECT_EQ(notifier->notify("backup.completed", {}).value(), 0);
  // Enabled, but the type is not in notify_on.
  store_notifications(*m_store, webhook_settings(hook.port(), {"backup.failed"}));
  EXPECT_EQ(notifier->notify("backup.completed", {}).value(), 0);
  EXPECT_EQ(notifier->notify("backup.failed", {}).value(), 1);
  // Both channels: one row each.
  auto both = webhook_settings(hook.port(), {"restore.completed"});
  both["smtp_url"] = "smtp://127.0.0.1:1";
  both["email_recipients"] = json::array{"a@example.com"};
  store_notifications(*m_store, both);
  EXPECT_EQ(notifier->notify("restore.completed", {}).value(), 2);
  // A type API.md does not know is refused and queues nothing.
  const auto unknown = notifier->notify("backup.exploded", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::invalid_argument);
  EXPECT_EQ(outbox(*m_store).size(), 3u);
}

TEST_F(NotifierTest, the_emitter_has_the_schedulers_callback_shape_and_queues_storage_low) {
  HttpRecorder hook;
  store_notifications(*m_store, webhook_settings(hook.port(), {"storage.low", "retention.deleted"}));
  auto notifier = make_notifier();
  const std::function<void(std::string_view, const json::object&)> emit = notifier->emitter();
  emit("storage.low", json::object{{"used_bytes", 950}, {"max_bytes", 1000}, {"percentage", 95.0}});
  emit("retention.deleted",
       json::object{{"deleted", json::array{json::object{{"_id", "b1"}, {"name", "old"}}}}, {"freed_bytes", 123}});
  emit("backup.completed", {});  // not in notify_on: dropped
  ASSERT_EQ(notifier->deliver_due().value(), 2);
  ASSERT_TRUE(hook.wait_for(2, 5s));
  const auto reqs = hook.requests();
  const auto low = json::parse(reqs[0].body).as_object();
  EXPECT_EQ(reqs[0].headers.at("x-claudelens-event"), "storage.low");
  EXPECT_EQ(low.at("type"), "storage.low");
  EXPECT_EQ(low.at("used_bytes").as_int64(), 950);
  EXPECT_EQ(low.at("timestamp"), json::string(format_iso8601(k_t0)));
  EXPECT_EQ(reqs[1].headers.at("x-claudelens-event"), "retention.deleted");
  EXPECT_EQ(json::parse(reqs[1].body).at("freed_bytes").as_int64(), 123);
}

TEST_F(NotifierTest, an_unreachable_webhook_does_not_fail_the_backup_and_is_retried_with_backoff) {
  const std::uint16_t port = closed_loopback_port();
  store_notifications(*m_store, webhook_settings(port));
  NotifierOptions o;
  o.first_retry = 30s;
  auto notifier = make_notifier(o);
  auto service = make_jobs(*notifier);
  const auto started = std::chrono::steady_clock::now();
  const jobs::Job job = run_backup(*service, "offline hook");
  EXPECT_EQ(job.status, jobs::JobStatus::completed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);

  // First attempt at once: refused connection, retried 30 s later.
  EXPECT_EQ(notifier->deliver_due().value(), 1);
  auto rows = outbox(*m_store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "pending");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].next_attempt_at, k_t0 + 30'000);
  EXPECT_NE(rows[0].last_error.find(fmt::format("127.0.0.1:{}", port)), std::string::npos) << rows[0].last_error;
  // Not due yet.
  m_clock.advance(29s);
  EXPECT_EQ(notifier->deliver_due().value(), 0);
  // Due: fails again, the delay doubles.
  m_clock.advance(1s);
  EXPECT_EQ(notifier->deliver_due().value(), 1);
  rows = outbox(*m_store);
  EXPECT_EQ(rows[0].attempts, 2);
  EXPECT_EQ(rows[0].next_attempt_at, k_t0 + 30'000 + 60'000);

  // The receiver comes up on that port: the next attempt delivers, signed like the first would have been.
  HttpRecorder hook(200, port);
  ASSERT_EQ(hook.port(), port);
  m_clock.advance(60s);
  EXPECT_EQ(notifier->deliver_due().value(), 1);
  ASSERT_TRUE(hook.wait_for(1, 5s));
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("s3cret-key", req.body));
  EXPECT_EQ(json::parse(req.body).at("job_id"), json::string(job.id));
  rows = outbox(*m_store);
  EXPECT_EQ(rows[0].status, "delivered");
  EXPECT_EQ(rows[0].attempts, 3);
  EXPECT_EQ(rows[0].last_error, "");
}

TEST_F(NotifierTest, an_error_answer_is_retried_and_a_hook_that_never_works_is_given_up_after_about_an_hour) {
  HttpRecorder hook(500);
  store_notifications(*m_store, webhook_settings(hook.port()));
  auto notifier = make_notifier();  // the defaults: 30 s doubling to 15 min, give up after 1 h
  ASSERT_EQ(notifier->notify("backup.failed", {}).value(), 1);
  std::vector<TimeMs> attempts_at;
  for (int i = 0; i < 20; ++i) {
    const auto rows = outbox(*m_store);
    if (rows[0].status != "pending") break;
    m_clock.set(std::max(m_clock.now_ms(), rows[0].next_attempt_at));
    attempts_at.push_back(m_clock.now_ms() - k_t0);
    ASSERT_EQ(notifier->deliver_due().value(), 1);
  }
  const auto rows = outbox(*m_store);
  EXPECT_EQ(rows[0].status, "failed");
  EXPECT_NE(rows[0].last_error.find("HTTP 500"), std::string::npos) << rows[0].last_error;
  // 0, 30 s, 1:30, 3:30, 7:30, 15:30, 30:30, 45:30 — the next would be after the hour.
  EXPECT_EQ(attempts_at, (std::vector<TimeMs>{0, 30'000, 90'000, 210'000, 450'000, 930'000, 1'830'000, 2'730'000}));
  EXPECT_EQ(rows[0].attempts, 8);
  EXPECT_EQ(hook.requests().size(), 8u);
  // Given up means given up.
  m_clock.advance(std::chrono::hours(2));
  EXPECT_EQ(notifier->deliver_due().value(), 0);
}

TEST_F(NotifierTest, the_outbox_survives_a_restart) {
  const std::uint16_t port = closed_loopback_port();
  store_notifications(*m_store, webhook_settings(port));
  {
    auto notifier = make_notifier();
    auto service = make_jobs(*notifier);
    run_backup(*service, "before restart");
    EXPECT_EQ(notifier->deliver_due().value(), 1);  // the receiver is down
  }
  m_store.reset();  // the process ends

  HttpRecorder hook(200, port);
  ASSERT_EQ(hook.port(), port);
  m_store = open_db(m_dir / "db.sqlite");
  auto rows = outbox(*m_store);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "pending");
  m_clock.advance(31s);
  auto notifier = make_notifier();
  notifier->start();
  ASSERT_TRUE(hook.wait_for(1, 10s));
  EXPECT_EQ(json::parse(hook.requests()[0].body).at("backup_name"), "before restart");
  ASSERT_TRUE(wait_for_status(*m_store, "delivered", 1, 5s));
  notifier->stop();
  EXPECT_EQ(outbox(*m_store)[0].status, "delivered");
}

TEST_F(NotifierTest, two_notifiers_on_one_database_deliver_each_row_once) {
  HttpRecorder hook;
  store_notifications(*m_store, webhook_settings(hook.port()));
  auto other_store = open_db(m_dir / "db.sqlite");
  auto a = make_notifier();
  auto b = make_notifier({}, other_store.get());
  constexpr int k_events = 30;
  for (int i = 0; i < k_events; ++i) ASSERT_EQ(a->notify("backup.completed", json::object{{"n", i}}).value(), 1);
  int attempts_a = 0, attempts_b = 0;
  std::thread ta([&] { attempts_a = a->deliver_due().value(); });
  std::thread tb([&] { attempts_b = b->deliver_due().value(); });
  ta.join();
  tb.join();
  EXPECT_EQ(attempts_a + attempts_b, k_events);
  ASSERT_TRUE(hook.wait_for(k_events, 10s));
  std::set<std::int64_t> seen;
  for (const auto& r : hook.requests()) seen.insert(json::parse(r.body).at("n").as_int64());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(k_events));
  EXPECT_EQ(hook.requests().size(), static_cast<std::size_t>(k_events));
}

TEST_F(NotifierTest, a_row_whose_channel_was_removed_before_delivery_is_given_up_at_once) {
  HttpRecorder hook;
  store_notifications(*m_store, webhook_settings(hook.port()));
  auto notifier = make_notifier();
  ASSERT_EQ(notifier->notify("backup.completed", {}).value(), 1);
  auto settings = webhook_settings(hook.port());
  settings["webhook_url"] = nullptr;
  store_notifications(*m_store, settings);
  ASSERT_EQ(notifier->deliver_due().value(), 1);
  const auto rows = outbox(*m_store);
  EXPECT_EQ(rows[0].status, "failed");
  EXPECT_NE(rows[0].last_error.find("webhook_url was removed"), std::string::npos) << rows[0].last_error;
  EXPECT_TRUE(hook.requests().empty());
}

TEST_F(NotifierTest, stop_interrupts_a_hanging_receiver_and_leaves_the_row_due) {
  // A receiver that accepts and never answers: the transfer would wait for its 5 s timeout.
  claudelens::testing::LoopbackListener silent(0, [](int fd) {
    std::string ignored;
    claudelens::testing::read_until(fd, ignored, "never");
  });
  store_notifications(*m_store, webhook_settings(silent.port()));
  auto notifier = make_notifier();
  ASSERT_EQ(notifier->notify("backup.completed", {}).value(), 1);
  notifier->start();
  std::this_thread::sleep_for(300ms);  // the attempt is under way
  const auto started = std::chrono::steady_clock::now();
  notifier->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  const auto rows = outbox(*m_store);
  EXPECT_EQ(rows[0].status, "pending");
  EXPECT_EQ(rows[0].next_attempt_at, k_t0);
  EXPECT_NE(rows[0].last_error.find("shutdown"), std::string::npos) << rows[0].last_error;
}

}  // namespace
}  // namespace claudelens::notify::testing
