// The `notifications` section of the stored backup settings (API.md "Settings and schedules"), read
// into a plain struct, and the URL checks shared by the settings validation (http/backup_settings.cpp)
// and the delivery. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::notify {

/// The event types of API.md's `notify_on`, in its order.
inline constexpr std::string_view k_event_types[] = {"backup.completed", "backup.failed",     "restore.completed",
                                                     "restore.failed",   "retention.deleted", "storage.low"};
bool is_event_type(std::string_view type) noexcept;

/// What the text shows in place of a write-only secret.
inline constexpr std::string_view k_secret_mask = "***";

struct NotificationSettings {
  bool enabled = false;                       ///< Default: false (nothing is sent)
  std::vector<std::string> notify_on;         ///< Default: empty (nothing is sent)
  std::vector<std::string> email_recipients;  ///< Default: none
  std::string smtp_url;                       ///< smtp:// or smtps://, may carry user:password; "" = no mail
  std::string smtp_username;                  ///< beside the URL (wins over the URL's); "" = the URL's
  std::string smtp_password;                  ///< beside the URL (wins over the URL's); "" = the URL's
  std::string webhook_url;                    ///< http:// or https://; "" = no webhook
  std::string webhook_secret;                 ///< HMAC key of X-ClaudeLens-Signature; "" = unsigned

  /// `enabled` and `type` is in notify_on.
  bool wants(std::string_view type) const;
  bool has_webhook() const { return !webhook_url.empty(); }
  bool has_mail() const { return !smtp_url.empty() && !email_recipients.empty(); }
};

/// The string field `name` of `o` ("" when absent or not a string).
std::string string_field(const boost::json::object& o, std::string_view name);

/// The `notifications` object of a settings document (fields of the wrong type count as absent).
NotificationSettings notification_settings_of(const boost::json::object& settings);

/// The stored settings' notifications (schedule::load_backup_settings). Errors: the store's.
Result<NotificationSettings> load_notification_settings(store::Reader& reader);

/// What is wrong with `url` as a webhook URL ("" when nothing): an absolute http:// or https:// URL with a
/// host, no blanks.
std::string webhook_url_problem(std::string_view url);
/// What is wrong with `url` as an SMTP URL ("" when nothing): smtp:// or smtps:// with a host.
std::string smtp_url_problem(std::string_view url);
/// What is wrong with `address` as a mail address ("" when nothing): local@domain.tld, no blanks or
/// brackets, at most 254 characters.
std::string email_problem(std::string_view address);

/// The password of a URL's user info as written (percent-encoded), "" when it has none.
std::string url_password_text(std::string_view url);
/// `url` with the password of its user info replaced by `password_text` (written as is); `url` unchanged
/// when it has no password.
std::string with_url_password_text(std::string_view url, std::string_view password_text);
/// `url` for logs and GET: its password replaced by "***", the rest as written.
std::string masked_url(std::string_view url);

}  // namespace claudelens::notify
