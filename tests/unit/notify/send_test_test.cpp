// The test notification (notify/send.hpp): sent at once on loopback webhook and SMTP listeners, signed
// like a real notification (checked with an independent HMAC), one result per channel with the HTTP
// status and the error in words, bounded by its short timeout, and refused by field when a channel is
// not configured. Nothing here touches a store: a test never enters the outbox.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <thread>

#include "notify/send.hpp"
#include "support/hmac_reference.hpp"
#include "support/loopback_listeners.hpp"

namespace claudelens::notify {
namespace {

namespace json = boost::json;
using claudelens::testing::closed_loopback_port;
using claudelens::testing::HttpRecorder;
using claudelens::testing::LoopbackListener;
using claudelens::testing::reference_hmac_sha256;
using claudelens::testing::SmtpRecorder;
using namespace std::chrono_literals;

class FixedClock final : public Clock {
 public:
  TimeMs now_ms() const override { return 1'790'000'000'000; }  // 2026-09-21T14:13:20Z
};
const FixedClock k_clock;

TestOptions options(std::vector<std::string> channels = {}) {
  TestOptions o;
  o.channels = std::move(channels);
  o.requested_by = "admin";
  o.mail_from = "claudelens@test.invalid";
  o.clock = &k_clock;
  return o;
}

NotificationSettings webhook_at(std::uint16_t port, std::string secret = "t3st-secret") {
  NotificationSettings s;
  s.webhook_url = fmt::format("http://127.0.0.1:{}/hooks/test", port);
  s.webhook_secret = std::move(secret);
  return s;
}

std::vector<std::string> fields(const std::vector<SettingsProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.field);
  return out;
}

TEST(SendTest, the_webhook_gets_a_signed_test_event_and_the_result_has_its_status) {
  HttpRecorder hook;
  ASSERT_NE(hook.port(), 0);
  NotificationSettings s = webhook_at(hook.port());
  s.enabled = false;  // a test is sent whether or not notifications are on
  const auto results = send_test(s, options());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].channel, "webhook");
  EXPECT_TRUE(results[0].ok) << results[0].error;
  EXPECT_EQ(results[0].http_status, 200);
  EXPECT_EQ(results[0].error, "");
  EXPECT_GE(results[0].duration_ms, 0);

  ASSERT_EQ(hook.requests().size(), 1u);
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hooks/test");
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "test");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("t3st-secret", req.body));
  EXPECT_FALSE(req.headers.at("x-claudelens-delivery").empty());
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type"), "test");
  EXPECT_EQ(body.at("requested_by"), "admin");
  EXPECT_EQ(body.at("timestamp"), "2026-09-21T14:13:20Z");
  EXPECT_NE(std::string(body.at("message").as_string()).find("test notification"), std::string::npos);
}

TEST(SendTest, without_a_secret_the_test_is_not_signed) {
  HttpRecorder hook;
  const auto results = send_test(webhook_at(hook.port(), ""), options());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(hook.requests().at(0).headers.contains("x-claudelens-signature"));
}

TEST(SendTest, the_mail_reaches_every_recipient_and_both_channels_are_reported_in_order) {
  HttpRecorder hook;
  SmtpRecorder smtp;
  ASSERT_NE(smtp.port(), 0);
  NotificationSettings s = webhook_at(hook.port());
  s.smtp_url = fmt::format("smtp://127.0.0.1:{}", smtp.port());
  s.email_recipients = {"ops@example.com", "oncall@example.org"};
  const auto results = send_test(s, options());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].channel, "webhook");
  EXPECT_EQ(results[1].channel, "email");
  EXPECT_TRUE(results[1].ok) << results[1].error;
  EXPECT_EQ(results[1].http_status, 0);
  ASSERT_EQ(smtp.mails().size(), 1u);
  const auto mail = smtp.mails().at(0);
  EXPECT_EQ(mail.from, "claudelens@test.invalid");
  EXPECT_EQ(mail.rcpt, (std::vector<std::string>{"ops@example.com", "oncall@example.org"}));
  EXPECT_NE(mail.data.find("Subject: ClaudeLens: test notification\r\n"), std::string::npos) << mail.data;
  EXPECT_NE(mail.data.find("type: test\r\n"), std::string::npos);
  EXPECT_NE(mail.data.find("requested_by: admin\r\n"), std::string::npos);

  // Only the channel asked for.
  const auto only_mail = send_test(s, options({"email"}));
  ASSERT_EQ(only_mail.size(), 1u);
  EXPECT_EQ(only_mail[0].channel, "email");
  EXPECT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(smtp.mails().size(), 2u);
}

TEST(SendTest, an_unreachable_webhook_and_a_refusing_one_fail_with_words_and_status) {
  const std::uint16_t closed = closed_loopback_port();
  auto down = send_test(webhook_at(closed), options());
  ASSERT_EQ(down.size(), 1u);
  EXPECT_FALSE(down[0].ok);
  EXPECT_EQ(down[0].http_status, 0);
  EXPECT_NE(down[0].error.find(fmt::format("http://127.0.0.1:{}/hooks/test", closed)), std::string::npos)
      << down[0].error;
  EXPECT_NE(down[0].error.find("onnect"), std::string::npos)
      << down[0].error;  // "Couldn't connect", "Failed to connect"

  HttpRecorder refusing(500);
  auto refused = send_test(webhook_at(refusing.port()), options());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_FALSE(refused[0].ok);
  EXPECT_EQ(refused[0].http_status, 500);
  EXPECT_NE(refused[0].error.find("answered HTTP 500"), std::string::npos) << refused[0].error;
  EXPECT_EQ(refused[0].error.find("t3st-secret"), std::string::npos);
}

TEST(SendTest, a_receiver_that_never_answers_is_given_up_after_the_tests_timeout) {
  // Accepts, then keeps the connection open without a word for 1.5 s.
  LoopbackListener silent(0, [](int) { std::this_thread::sleep_for(1500ms); });
  ASSERT_NE(silent.port(), 0);
  TestOptions o = options();
  o.limits.total_timeout = 400ms;
  const auto started = std::chrono::steady_clock::now();
  const auto results = send_test(webhook_at(silent.port()), o);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("imed out"), std::string::npos) << results[0].error;
  EXPECT_LT(took, 1200ms);
  EXPECT_GE(results[0].duration_ms, 350);
}

TEST(SendTest, the_default_limit_is_ten_seconds_per_channel) {
  const TestOptions o;
  EXPECT_EQ(o.limits.connect_timeout, 10'000ms);
  EXPECT_EQ(o.limits.total_timeout, 10'000ms);
  EXPECT_TRUE(o.channels.empty());
}

TEST(SendTest, problems_name_the_missing_or_bad_fields) {
  NotificationSettings none;
  EXPECT_EQ(fields(test_problems(none, {})),
            (std::vector<std::string>{"notifications.webhook_url", "notifications.smtp_url",
                                      "notifications.email_recipients"}));
  EXPECT_EQ(fields(test_problems(none, {"webhook"})), (std::vector<std::string>{"notifications.webhook_url"}));

  NotificationSettings mail_only;
  mail_only.smtp_url = "smtp://127.0.0.1:25";
  EXPECT_EQ(fields(test_problems(mail_only, {"email"})), (std::vector<std::string>{"notifications.email_recipients"}));
  mail_only.email_recipients = {"ops@example.com", "not an address"};
  const auto bad = test_problems(mail_only, {"email"});
  ASSERT_EQ(fields(bad), (std::vector<std::string>{"notifications.email_recipients[1]"}));
  EXPECT_EQ(bad[0].code, "format");
  mail_only.email_recipients = {"ops@example.com"};
  EXPECT_TRUE(test_problems(mail_only, {}).empty());  // the configured channel: mail
  EXPECT_EQ(fields(test_problems(mail_only, {"webhook", "email"})),
            (std::vector<std::string>{"notifications.webhook_url"}));

  NotificationSettings bad_url;
  bad_url.webhook_url = "ftp://example.com/x";
  const auto p = test_problems(bad_url, {});
  ASSERT_EQ(fields(p), (std::vector<std::string>{"notifications.webhook_url"}));
  EXPECT_EQ(p[0].code, "format");
}

TEST(SendTest, a_channel_that_is_not_configured_is_reported_not_sent) {
  NotificationSettings s;
  const auto results = send_test(s, options({"webhook"}));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("notifications.webhook_url"), std::string::npos) << results[0].error;
}

TEST(SendTest, the_report_and_the_audit_details_hold_no_value) {
  std::vector<ChannelResult> results{{"webhook", true, 204, "", 12}, {"email", false, 0, "mail through x: refused", 3}};
  const auto report = test_report_json(results);
  EXPECT_EQ(report.at("message"), "the test notification was not delivered on email");
  const auto& items = report.at("results").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("status"), 204);
  EXPECT_TRUE(items[0].at("error").is_null());
  EXPECT_TRUE(items[1].at("status").is_null());
  EXPECT_EQ(items[1].at("error"), "mail through x: refused");
  const auto details = test_audit_details(results, {"notifications.webhook_secret"});
  EXPECT_EQ(
      json::serialize(details),
      R"({"channels":["webhook","email"],"failed":["email"],"overridden_fields":["notifications.webhook_secret"]})");
  results[1].ok = true;
  EXPECT_EQ(test_report_json(results).at("message"), "the test notification was delivered on every channel");
}

}  // namespace
}  // namespace claudelens::notify
