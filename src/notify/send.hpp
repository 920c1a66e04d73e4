// Sending one event on one channel with given settings: the one place that turns notification settings
// and an event body into a signed webhook POST or a mail. The outbox's delivery thread (notifier.cpp)
// and the test notification (`send_test`: POST /settings/backup/notifications/test, `claudelens notify
// test`) both go through `send_event`, so a test is signed and written exactly like a real notification.
// A test is sent at once, on the caller's thread(s), never through the outbox and never retried.
// Thread-safe: pure functions over their arguments (each transfer has its own curl handle).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "core/time.hpp"
#include "notify/settings.hpp"
#include "notify/transport.hpp"

namespace claudelens::notify {

/// The channels, in the order they are sent and reported.
inline constexpr std::string_view k_channels[] = {"webhook", "email"};
bool is_channel(std::string_view channel) noexcept;
/// The channel's settings are complete: webhook_url; or smtp_url with email_recipients.
bool channel_configured(const NotificationSettings& settings, std::string_view channel);

/// The type of the test event (X-ClaudeLens-Event: test). Not one of notify_on's types.
inline constexpr std::string_view k_test_event = "test";

/// "claudelens@<host name>" ("claudelens@localhost" when the host has no name): the mail's sender.
std::string default_mail_from();

struct OutgoingEvent {
  std::string channel;      ///< "webhook" or "email"
  std::string event_type;   ///< X-ClaudeLens-Event; the mail's subject is written from the body
  std::string delivery_id;  ///< X-ClaudeLens-Delivery and the mail's Message-ID
  std::string body;         ///< the event's JSON text: the webhook body (signed as is), the mail's fields
};

/// Sends `event` with `settings` (its webhook_url and webhook_secret; or its SMTP URL, credentials and
/// recipients), from `mail_from`, the mail dated `now`. Errors: Errc::invalid_argument for an unknown
/// channel; Errc::corrupted when a mail's body is not a JSON object (no retry can help either); the
/// transport's otherwise (post_webhook, send_mail). `http_status`, when given, receives the webhook's
/// answer status (0 when there was none, and for mail).
Status send_event(const NotificationSettings& settings, const OutgoingEvent& event, const std::string& mail_from,
                  TimeMs now, const TransferLimits& limits, long* http_status = nullptr);

/// A field of the settings that keeps a channel from being tested: its dotted name
/// ("notifications.webhook_url") and what is wrong, in words.
struct SettingsProblem {
  std::string field;
  std::string message;
  std::string code;  ///< "required" (not set) or "format" (not a valid URL or address)
};

/// Why the channels `channels` (empty: every configured one) cannot be tested with `settings`; empty when
/// they can. Channels must be known (is_channel). With `channels` empty and nothing configured, names
/// the fields of both channels that are missing.
std::vector<SettingsProblem> test_problems(const NotificationSettings& settings,
                                           const std::vector<std::string>& channels);

struct TestOptions {
  /// The channels to send on, in k_channels order whatever order is given; each must be configured
  /// (test_problems is empty). Default: empty = every configured channel.
  std::vector<std::string> channels;
  /// Who asked (a user name), shown in the event as `requested_by`. Default: "" (not shown).
  std::string requested_by;
  /// The mail's sender. Default: "" = default_mail_from().
  std::string mail_from;
  /// The bounds of each channel's transfer (the channels are sent at the same time, so the whole test
  /// takes about the longest). Default: 10 s to connect, 10 s in all.
  TransferLimits limits{std::chrono::milliseconds(10'000), std::chrono::milliseconds(10'000), nullptr};
  const Clock* clock = nullptr;  ///< the event's timestamp and the mail's Date. Default: the system clock.
};

struct ChannelResult {
  std::string channel;   ///< "webhook" or "email"
  bool ok = false;       ///< delivered (a 2xx answer; the SMTP server took the mail)
  long http_status = 0;  ///< the webhook's answer status; 0 when none (no answer, or mail)
  std::string error;     ///< why not, in words ("" when ok); never a secret
  std::int64_t duration_ms = 0;
};

/// The body of the test event: `type` "test", a sentence saying it is a test, `requested_by` when
/// known, `timestamp`.
std::string test_event_body(const std::string& requested_by, TimeMs now);

/// The answer of a test (the HTTP answer and `claudelens --json notify test`): `message` (a sentence:
/// delivered everywhere, or where not) and `results[{channel, ok, status (the webhook's HTTP status, null
/// when none), error (null when ok), duration_ms}]`.
boost::json::object test_report_json(const std::vector<ChannelResult>& results);

/// The audit line's details of a test (`notifications.tested`): `channels` tested, those that `failed`,
/// and the names of the settings fields the caller overrode for it (`overridden_fields`) — never a value.
boost::json::object test_audit_details(const std::vector<ChannelResult>& results,
                                       const std::vector<std::string>& overridden_fields);

/// Sends one test event on each channel of `options` at once (one thread per channel), with its own
/// delivery id each, and waits for all; one result per channel in k_channels order. Nothing is queued
/// and nothing is retried. A channel that is not configured gets ok = false with what is missing.
std::vector<ChannelResult> send_test(const NotificationSettings& settings, const TestOptions& options);

}  // namespace claudelens::notify
