// The notifications section of PUT /settings/backup (backup_settings.hpp): enabling is accepted, URLs and
// addresses are checked by dotted field, and secrets (webhook_secret, smtp_password, the password in
// smtp_url) are write-only: GET shows "***", and "***" sent back keeps what is stored.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/backup_settings.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

const std::filesystem::path k_dir = "/tmp/backups";

json::object with_notifications(json::object n) {
  return json::object{{"notifications", std::move(n)}};
}

/// The merged document, or the dotted fields refused.
SettingsUpdate merge(const json::object& current, const json::object& patch, std::vector<std::string>* bad = nullptr) {
  std::vector<FieldError> errors;
  auto update = merge_backup_settings(current, patch, k_dir, errors);
  if (bad)
    for (const auto& e : errors) bad->push_back(e.field);
  else
    EXPECT_TRUE(errors.empty()) << errors.at(0).field << ": " << errors.at(0).message;
  return update;
}

const json::object& notifications(const json::object& settings) {
  return settings.at("notifications").as_object();
}

TEST(SettingsNotifications, enabling_with_a_channel_is_accepted_and_stored) {
  const auto update = merge({}, with_notifications({{"enabled", true},
                                                    {"webhook_url", "https://hooks.example.com/x?team=a"},
                                                    {"notify_on", json::array{"backup.failed", "storage.low"}}}));
  EXPECT_EQ(notifications(update.settings).at("enabled"), true);
  EXPECT_TRUE(update.warnings.empty());
  // Enabled without a complete channel: stored, with a warning that nothing will be sent.
  const auto lonely = merge({}, with_notifications({{"enabled", true}, {"email_recipients", json::array{"a@b.co"}}}));
  EXPECT_EQ(notifications(lonely.settings).at("enabled"), true);
  ASSERT_EQ(lonely.warnings.size(), 2u);
  EXPECT_NE(lonely.warnings[0].find("nothing will be sent"), std::string::npos);
  EXPECT_NE(lonely.warnings[1].find("smtp_url"), std::string::npos);
}

TEST(SettingsNotifications, bad_urls_and_addresses_are_refused_by_dotted_field) {
  const std::vector<std::pair<json::object, std::string>> cases = {
      {{{"webhook_url", "ftp://hooks.example.com/x"}}, "notifications.webhook_url"},
      {{{"webhook_url", "hooks.example.com/x"}}, "notifications.webhook_url"},
      {{{"webhook_url", "http://"}}, "notifications.webhook_url"},
      {{{"webhook_url", "https://hooks.example.com/a b"}}, "notifications.webhook_url"},
      {{{"smtp_url", "http://mail.example.com"}}, "notifications.smtp_url"},
      {{{"smtp_url", "smtp://"}}, "notifications.smtp_url"},
      {{{"smtp_url", 25}}, "notifications.smtp_url"},
      {{{"email_recipients", json::array{"ops@example.com", "ops"}}}, "notifications.email_recipients[1]"},
      {{{"email_recipients", json::array{"a@b@example.com"}}}, "notifications.email_recipients[0]"},
      {{{"email_recipients", json::array{"Ops <ops@example.com>"}}}, "notifications.email_recipients[0]"},
      {{{"notify_on", json::array{"backup.started"}}}, "notifications.notify_on[0]"},
      {{{"enabled", "yes"}}, "notifications.enabled"},
      {{{"smtp_pasword", "typo"}}, "notifications.smtp_pasword"},
  };
  for (const auto& [patch, field] : cases) {
    std::vector<std::string> bad;
    merge({}, with_notifications(patch), &bad);
    EXPECT_EQ(bad, std::vector<std::string>{field}) << json::serialize(patch);
  }
  for (const char* good : {"smtp://mail.example.com", "smtps://u:p%40ss@mail.example.com:465", "SMTP://mail:25"}) {
    std::vector<std::string> bad;
    merge({}, with_notifications({{"smtp_url", good}}), &bad);
    EXPECT_TRUE(bad.empty()) << good;
  }
}

TEST(SettingsNotifications, secrets_are_shown_masked_and_kept_when_sent_back_masked) {
  const json::object base{{"storage", json::object{{"filesystem", json::object{}}}}};
  const auto stored = merge(base, with_notifications({{"webhook_url", "https://hooks.example.com/x"},
                                                      {"webhook_secret", "hook-secret"},
                                                      {"smtp_url", "smtp://mailer:url%2Fpass@mail.example.com:587"},
                                                      {"smtp_username", "mailer"},
                                                      {"smtp_password", "side-pass"}}))
                          .settings;
  // GET shows the secrets masked (and nothing of them).
  const auto shown = present_backup_settings(stored, 0);
  const auto& n = notifications(shown);
  EXPECT_EQ(n.at("webhook_secret"), "***");
  EXPECT_EQ(n.at("smtp_password"), "***");
  EXPECT_EQ(n.at("smtp_url"), "smtp://mailer:***@mail.example.com:587");
  EXPECT_EQ(n.at("smtp_username"), "mailer");
  const std::string text = json::serialize(shown);
  for (const char* secret : {"hook-secret", "url%2Fpass", "side-pass"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;

  // The whole section sent back as shown: nothing changes.
  const auto echoed = merge(stored, with_notifications(n));
  EXPECT_TRUE(echoed.updated_fields.empty()) << json::serialize(json::value_from(echoed.updated_fields));
  EXPECT_EQ(notifications(echoed.settings).at("webhook_secret"), "hook-secret");
  EXPECT_EQ(notifications(echoed.settings).at("smtp_password"), "side-pass");

  // Another host with the masked password keeps the stored password.
  const auto moved = merge(stored, with_notifications({{"smtp_url", "smtps://mailer:***@mail2.example.com:465"}}));
  EXPECT_EQ(notifications(moved.settings).at("smtp_url"), "smtps://mailer:url%2Fpass@mail2.example.com:465");
  EXPECT_EQ(moved.updated_fields, std::vector<std::string>{"notifications.smtp_url"});

  // New values replace; null clears.
  const auto changed = merge(stored, with_notifications({{"webhook_secret", "new"}, {"smtp_password", nullptr}}));
  EXPECT_EQ(notifications(changed.settings).at("webhook_secret"), "new");
  EXPECT_TRUE(notifications(changed.settings).at("smtp_password").is_null());
  EXPECT_TRUE(notifications(present_backup_settings(changed.settings, 0)).at("smtp_password").is_null());
}

}  // namespace
}  // namespace claudelens::http
