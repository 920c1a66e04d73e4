// POST /api/v1/settings/backup/notifications/test on the real server (docs/notifications.md "Test
// notifications", an addition to API.md) and its CLI twin `claudelens notify test`: a signed `test` event
// reaches a loopback webhook receiver (HMAC checked independently) and a mail the loopback SMTP server;
// unsaved overrides are used and not stored; an unreachable webhook is ok:false in a 200; a user key is
// refused; bad bodies name the dotted field; nothing enters the outbox; the audit line holds names only.
// Every answer is checked against openapi.json by the test client.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"
#include "store/store.hpp"
#include "support/hmac_reference.hpp"
#include "support/loopback_listeners.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* k_path = "/api/v1/settings/backup/notifications/test";

class NotifyTestRoute : public ServerTest {
 protected:
  std::string db_url() const { return "sqlite:" + (dir().path() / "db.sqlite").string(); }

  void configure(json::object notifications) {
    const auto r = put("/api/v1/settings/backup", json::object{{"notifications", std::move(notifications)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  /// The rows of the store's notification outbox, read straight from the database file.
  std::size_t outbox_rows() {
    auto st = store::open_store(db_url());
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    if (!st) return 0;
    std::size_t n = 0;
    EXPECT_TRUE((*st)->for_each_outbox({}, [&](const store::OutboxRow&) {
      ++n;
      return true;
    }));
    return n;
  }

  /// The validation_errors' fields of a 400 VALIDATION_FAILED answer.
  static std::vector<std::string> refused_fields(const HttpReply& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    std::vector<std::string> out;
    if (r.status != 400) return out;
    EXPECT_EQ(r.json().at("error").at("code"), "VALIDATION_FAILED") << r.body;
    const auto doc = r.json();
    for (const auto& e : doc.at("validation_errors").as_array()) out.emplace_back(e.at("field").as_string());
    return out;
  }

  std::string user_key() {
    const auto made = post("/api/v1/keys", json::object{{"name", "viewer"}, {"role", "user"}});
    EXPECT_EQ(made.status, 201) << made.body;
    return std::string(made.json().at("key").as_string());
  }
};

TEST_F(NotifyTestRoute, sends_a_signed_test_event_to_the_webhook_and_a_mail_and_queues_nothing) {
  HttpRecorder hook;
  SmtpRecorder smtp;
  ASSERT_NE(hook.port(), 0);
  ASSERT_NE(smtp.port(), 0);
  configure({{"enabled", false},  // a test is sent even while notifications are off
             {"webhook_url", fmt::format("http://127.0.0.1:{}/hooks/cl", hook.port())},
             {"webhook_secret", "route-secret"},
             {"smtp_url", fmt::format("smtp://mailer:pa55word@127.0.0.1:{}", smtp.port())},
             {"email_recipients", json::array{"ops@example.com", "oncall@example.org"}}});

  const auto r = call("POST", k_path);  // no body: every configured channel
  ASSERT_EQ(r.status, 200) << r.body;
  const auto doc = r.json();
  const auto& results = doc.at("results").as_array();
  ASSERT_EQ(results.size(), 2u) << r.body;
  EXPECT_EQ(results[0].at("channel"), "webhook");
  EXPECT_EQ(results[0].at("ok"), true) << r.body;
  EXPECT_EQ(results[0].at("status"), 200);
  EXPECT_TRUE(results[0].at("error").is_null());
  EXPECT_EQ(results[1].at("channel"), "email");
  EXPECT_EQ(results[1].at("ok"), true) << r.body;
  EXPECT_EQ(r.json().at("message"), "the test notification was delivered on every channel");

  // Synchronous: both arrived before the answer.
  ASSERT_EQ(hook.requests().size(), 1u);
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.target, "/hooks/cl");
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "test");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("route-secret", req.body));
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type"), "test");
  EXPECT_EQ(body.at("requested_by"), "admin");
  ASSERT_EQ(smtp.mails().size(), 1u);
  const auto mail = smtp.mails().at(0);
  EXPECT_EQ(mail.rcpt, (std::vector<std::string>{"ops@example.com", "oncall@example.org"}));
  EXPECT_NE(mail.data.find("Subject: ClaudeLens: test notification\r\n"), std::string::npos) << mail.data;

  // Not through the outbox: nothing was queued, and nothing arrives later.
  EXPECT_EQ(outbox_rows(), 0u);
  std::this_thread::sleep_for(1500ms);  // the delivery thread polls every second
  EXPECT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(smtp.mails().size(), 1u);

  // Audited with names only; no secret in the log or the audit line.
  const auto audit = get("/api/v1/audit?action=notifications.tested");
  ASSERT_EQ(audit.status, 200) << audit.body;
  const auto audit_doc = audit.json();
  const auto& items = audit_doc.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(json::serialize(items[0].at("details")),
            R"({"channels":["webhook","email"],"failed":[],"overridden_fields":[]})");
  EXPECT_EQ(items[0].at("target_type"), "settings");
  EXPECT_EQ(server().log().find("route-secret"), std::string::npos);
  EXPECT_EQ(server().log().find("pa55word"), std::string::npos);
}

TEST_F(NotifyTestRoute, unsaved_overrides_are_used_for_the_test_and_not_stored) {
  HttpRecorder hook;
  const std::uint16_t closed = closed_loopback_port();
  const std::string stored_url = fmt::format("http://127.0.0.1:{}/old", closed);
  configure({{"webhook_url", stored_url}, {"webhook_secret", "stored-secret"}});
  const std::string new_url = fmt::format("http://127.0.0.1:{}/new", hook.port());

  // "***" keeps the stored secret, as in PUT.
  auto r =
      post(k_path, json::object{{"channels", json::array{"webhook"}},
                                {"notifications", json::object{{"webhook_url", new_url}, {"webhook_secret", "***"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("results").at(0).at("ok"), true) << r.body;
  ASSERT_EQ(hook.requests().size(), 1u);
  auto req = hook.requests().at(0);
  EXPECT_EQ(req.target, "/new");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("stored-secret", req.body));

  // A typed secret signs this test only.
  r = post(k_path,
           json::object{{"notifications", json::object{{"webhook_url", new_url}, {"webhook_secret", "typed"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(hook.requests().size(), 2u);
  req = hook.requests().at(1);
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("typed", req.body));
  // null clears the secret for the test: unsigned.
  r = post(k_path,
           json::object{{"notifications", json::object{{"webhook_url", new_url}, {"webhook_secret", nullptr}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(hook.requests().size(), 3u);
  EXPECT_FALSE(hook.requests().at(2).headers.contains("x-claudelens-signature"));

  // Nothing was stored.
  const auto settings = get("/api/v1/settings/backup");
  ASSERT_EQ(settings.status, 200);
  EXPECT_EQ(settings.json().at("notifications").at("webhook_url"), json::value(stored_url));
  EXPECT_EQ(settings.json().at("notifications").at("webhook_secret"), "***");
  const auto audit = get("/api/v1/audit?action=notifications.tested");
  EXPECT_EQ(json::serialize(audit.json().at("items").at(0).at("details").at("overridden_fields")),
            R"(["notifications.webhook_url","notifications.webhook_secret"])");
  EXPECT_EQ(audit.body.find("typed"), std::string::npos);
  EXPECT_EQ(get("/api/v1/audit?action=settings.updated").json().at("items").as_array().size(), 1u);
}

TEST_F(NotifyTestRoute, an_unreachable_webhook_is_reported_not_delivered_in_a_200) {
  const std::uint16_t closed = closed_loopback_port();
  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/down", closed)}});
  const auto r = call("POST", k_path, k_admin_key, R"({"channels":["webhook"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto doc = r.json();
  const auto& result = doc.at("results").at(0);
  EXPECT_EQ(result.at("ok"), false);
  EXPECT_TRUE(result.at("status").is_null());
  const std::string error(result.at("error").as_string());
  EXPECT_NE(error.find(fmt::format("http://127.0.0.1:{}/down", closed)), std::string::npos) << error;
  EXPECT_NE(error.find("onnect"), std::string::npos) << error;
  EXPECT_EQ(r.json().at("message"), "the test notification was not delivered on webhook");
  EXPECT_EQ(outbox_rows(), 0u);  // not queued for a retry either
  const auto audit = get("/api/v1/audit?action=notifications.tested");
  EXPECT_EQ(json::serialize(audit.json().at("items").at(0).at("details").at("failed")), R"(["webhook"])");

  // A receiver answering 500: its status is reported.
  HttpRecorder refusing(500);
  const auto r500 = post(
      k_path, json::object{{"notifications",
                            json::object{{"webhook_url", fmt::format("http://127.0.0.1:{}/x", refusing.port())}}}});
  ASSERT_EQ(r500.status, 200) << r500.body;
  EXPECT_EQ(r500.json().at("results").at(0).at("ok"), false);
  EXPECT_EQ(r500.json().at("results").at(0).at("status"), 500);
}

TEST_F(NotifyTestRoute, a_user_key_is_refused_and_nothing_is_sent) {
  HttpRecorder hook;
  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/h", hook.port())}});
  const auto r = call("POST", k_path, user_key());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), "FORBIDDEN");
  const auto none = call("POST", k_path, "");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(none.json().at("error").at("code"), "UNAUTHORIZED");
  EXPECT_TRUE(hook.requests().empty());
}

TEST_F(NotifyTestRoute, bad_bodies_are_refused_by_dotted_field_and_send_nothing) {
  HttpRecorder hook;
  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/h", hook.port())}});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"channels":"webhook"})")),
            std::vector<std::string>{"channels"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"channels":["webhook",7]})")),
            std::vector<std::string>{"channels[1]"});
  const auto sms = call("POST", k_path, k_admin_key, R"({"channels":["webhook","sms"]})");
  EXPECT_EQ(refused_fields(sms), std::vector<std::string>{"channels[1]"});
  EXPECT_EQ(sms.json().at("validation_errors").at(0).at("code"), "enum");
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"channels":[]})")),
            std::vector<std::string>{"channels"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"channel":["webhook"]})")),
            std::vector<std::string>{"channel"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"notifications":"on"})")),
            std::vector<std::string>{"notifications"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"notifications":{"webhook_url":"ftp://x.example"}})")),
            std::vector<std::string>{"notifications.webhook_url"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"notifications":{"webhook_url":7}})")),
            std::vector<std::string>{"notifications.webhook_url"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key,
                                R"({"notifications":{"email_recipients":["ops@example.com","nope"]}})")),
            std::vector<std::string>{"notifications.email_recipients[1]"});
  EXPECT_EQ(refused_fields(call("POST", k_path, k_admin_key, R"({"notifications":{"colour":"red"}})")),
            std::vector<std::string>{"notifications.colour"});
  for (const char* body : {"not json", "[1]", "\"webhook\""}) {
    const auto r = call("POST", k_path, k_admin_key, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.json().at("error").at("code"), "INVALID_REQUEST") << body;
  }
  EXPECT_TRUE(hook.requests().empty());
  EXPECT_TRUE(get("/api/v1/audit?action=notifications.tested").json().at("items").as_array().empty());
}

TEST_F(NotifyTestRoute, a_channel_that_is_not_configured_names_its_missing_fields) {
  // Nothing configured at all: every channel's missing fields.
  EXPECT_EQ(refused_fields(call("POST", k_path)),
            (std::vector<std::string>{"notifications.webhook_url", "notifications.smtp_url",
                                      "notifications.email_recipients"}));
  HttpRecorder hook;
  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/h", hook.port())}});
  const auto r = post(k_path, json::object{{"channels", json::array{"email"}}});
  EXPECT_EQ(refused_fields(r), (std::vector<std::string>{"notifications.smtp_url", "notifications.email_recipients"}));
  EXPECT_EQ(r.json().at("validation_errors").at(0).at("code"), "required");
  // An SMTP URL with a password is never echoed back in an error.
  const auto secret_url =
      post(k_path, json::object{{"channels", json::array{"email"}},
                                {"notifications", json::object{{"smtp_url", "smtp://u:hunter2@127.0.0.1:25"}}}});
  EXPECT_EQ(refused_fields(secret_url), std::vector<std::string>{"notifications.email_recipients"});
  EXPECT_EQ(secret_url.body.find("hunter2"), std::string::npos);
  EXPECT_TRUE(hook.requests().empty());
}

TEST_F(NotifyTestRoute, the_cli_sends_the_same_test_with_exit_codes_per_outcome) {
  const auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> all{"--db", db_url()};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(CLAUDELENS_BIN, all);
  };
  auto nothing = cli({"notify", "test"});
  EXPECT_EQ(nothing.exit_code, 2) << nothing.out << nothing.err;
  EXPECT_NE(nothing.err.find("notifications.webhook_url"), std::string::npos) << nothing.err;

  HttpRecorder hook;
  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/cli", hook.port())}, {"webhook_secret", "cli-key"}});
  auto ok = cli({"notify", "test"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("webhook  delivered (HTTP 200)"), std::string::npos) << ok.out;
  ASSERT_EQ(hook.requests().size(), 1u);
  const auto req = hook.requests().at(0);
  EXPECT_EQ(req.headers.at("x-claudelens-event"), "test");
  EXPECT_EQ(req.headers.at("x-claudelens-signature"), "sha256=" + reference_hmac_sha256("cli-key", req.body));

  auto json_out = cli({"--json", "notify", "test", "--channel", "webhook"});
  EXPECT_EQ(json_out.exit_code, 0) << json_out.err;
  EXPECT_EQ(json::parse(json_out.out).at("results").at(0).at("status"), 200) << json_out.out;

  auto email = cli({"notify", "test", "--channel", "email"});
  EXPECT_EQ(email.exit_code, 2) << email.err;
  EXPECT_NE(email.err.find("notifications.smtp_url"), std::string::npos) << email.err;
  EXPECT_EQ(cli({"notify", "test", "--channel", "sms"}).exit_code, 2);

  configure({{"webhook_url", fmt::format("http://127.0.0.1:{}/down", closed_loopback_port())}});
  auto down = cli({"notify", "test"});
  EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
  EXPECT_NE(down.out.find("webhook  FAILED"), std::string::npos) << down.out;
  EXPECT_EQ(outbox_rows(), 0u);
  const auto audit = get("/api/v1/audit?action=notifications.tested");
  EXPECT_EQ(audit.json().at("items").as_array().size(), 3u) << audit.body;
}

}  // namespace
}  // namespace claudelens::testing
