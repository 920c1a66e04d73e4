#include "notify/send.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <future>

#include "core/ids.hpp"
#include "notify/message.hpp"

namespace claudelens::notify {
namespace {

namespace json = boost::json;

/// The channels of a test in k_channels order: those named, else every configured one.
std::vector<std::string> chosen_channels(const NotificationSettings& s, const std::vector<std::string>& named) {
  std::vector<std::string> out;
  for (const auto channel : k_channels) {
    const bool wanted =
        named.empty() ? channel_configured(s, channel) : std::find(named.begin(), named.end(), channel) != named.end();
    if (wanted) out.emplace_back(channel);
  }
  return out;
}

/// What keeps `channel` from being sent with `s` (nothing when it can be).
void channel_problems(const NotificationSettings& s, std::string_view channel, std::vector<SettingsProblem>& out) {
  if (channel == "webhook") {
    if (s.webhook_url.empty())
      out.push_back(
          {"notifications.webhook_url", "is not set: the webhook channel has nowhere to send to", "required"});
    else if (auto why = webhook_url_problem(s.webhook_url); !why.empty())
      out.push_back({"notifications.webhook_url", why, "format"});
    return;
  }
  if (s.smtp_url.empty())
    out.push_back({"notifications.smtp_url", "is not set: the email channel needs an SMTP server", "required"});
  else if (auto why = smtp_url_problem(s.smtp_url); !why.empty())
    out.push_back({"notifications.smtp_url", why, "format"});
  if (s.email_recipients.empty())
    out.push_back(
        {"notifications.email_recipients", "is empty: the email channel needs at least one recipient", "required"});
  for (std::size_t i = 0; i < s.email_recipients.size(); ++i)
    if (auto why = email_problem(s.email_recipients[i]); !why.empty())
      out.push_back({fmt::format("notifications.email_recipients[{}]", i), why, "format"});
}

ChannelResult send_one(const NotificationSettings& s, const std::string& channel, const std::string& body,
                       const std::string& mail_from, TimeMs now, const TransferLimits& limits) {
  ChannelResult r;
  r.channel = channel;
  std::vector<SettingsProblem> missing;
  channel_problems(s, channel, missing);
  if (!missing.empty()) {
    r.error = fmt::format("{} {}", missing.front().field, missing.front().message);
    return r;
  }
  const auto started = std::chrono::steady_clock::now();
  const Status sent = send_event(
      s, {.channel = channel, .event_type = std::string(k_test_event), .delivery_id = new_id(), .body = body},
      mail_from, now, limits, &r.http_status);
  r.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  r.ok = static_cast<bool>(sent);
  if (!sent) r.error = sent.error().message;
  return r;
}

}  // namespace

bool is_channel(std::string_view channel) noexcept {
  return std::find(std::begin(k_channels), std::end(k_channels), channel) != std::end(k_channels);
}

bool channel_configured(const NotificationSettings& settings, std::string_view channel) {
  if (channel == "webhook") return settings.has_webhook();
  if (channel == "email") return settings.has_mail();
  return false;
}

std::string default_mail_from() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "claudelens@localhost";
  return fmt::format("claudelens@{}", host);
}

Status send_event(const NotificationSettings& settings, const OutgoingEvent& event, const std::string& mail_from,
                  TimeMs now, const TransferLimits& limits, long* http_status) {
  if (http_status) *http_status = 0;
  if (event.channel == "webhook")
    return post_webhook({.url = settings.webhook_url,
                         .event_type = event.event_type,
                         .delivery_id = event.delivery_id,
                         .body = event.body,
                         .secret = settings.webhook_secret},
                        limits, http_status);
  if (event.channel != "email") return fail(Errc::invalid_argument, fmt::format("unknown channel '{}'", event.channel));
  boost::system::error_code ec;
  const json::value body = json::parse(event.body, ec);
  if (ec || !body.is_object()) return fail(Errc::corrupted, "the event is not a JSON object");
  const MailHeaders headers{mail_from, settings.email_recipients, event.delivery_id, now};
  return send_mail({.smtp_url = settings.smtp_url,
                    .username = settings.smtp_username,
                    .password = settings.smtp_password,
                    .from = mail_from,
                    .recipients = settings.email_recipients,
                    .text = mail_text(headers, body.as_object())},
                   limits);
}

std::vector<SettingsProblem> test_problems(const NotificationSettings& settings,
                                           const std::vector<std::string>& channels) {
  std::vector<SettingsProblem> out;
  const auto chosen = chosen_channels(settings, channels);
  if (chosen.empty()) {  // nothing named and nothing configured: say what each channel lacks
    for (const auto channel : k_channels) channel_problems(settings, channel, out);
    return out;
  }
  for (const auto& channel : chosen) channel_problems(settings, channel, out);
  return out;
}

std::string test_event_body(const std::string& requested_by, TimeMs now) {
  json::object payload{{"message",
                        "This is a test notification from ClaudeLens: nothing happened to your backups. "
                        "If you can read it, notifications reach you."}};
  if (!requested_by.empty()) payload["requested_by"] = requested_by;
  return json::serialize(event_body(k_test_event, payload, now));
}

json::object test_report_json(const std::vector<ChannelResult>& results) {
  std::vector<std::string> failed;
  json::array items;
  for (const auto& r : results) {
    if (!r.ok) failed.push_back(r.channel);
    items.push_back(json::object{{"channel", r.channel},
                                 {"ok", r.ok},
                                 {"status", r.http_status > 0 ? json::value(r.http_status) : json::value(nullptr)},
                                 {"error", r.ok ? json::value(nullptr) : json::value(r.error)},
                                 {"duration_ms", r.duration_ms}});
  }
  const std::string message =
      failed.empty() ? fmt::format("the test notification was delivered on {}",
                                   results.size() == 1 ? results[0].channel : "every channel")
                     : fmt::format("the test notification was not delivered on {}", fmt::join(failed, " and "));
  return json::object{{"message", message}, {"results", std::move(items)}};
}

json::object test_audit_details(const std::vector<ChannelResult>& results,
                                const std::vector<std::string>& overridden_fields) {
  json::array tested, failed;
  for (const auto& r : results) {
    tested.emplace_back(r.channel);
    if (!r.ok) failed.emplace_back(r.channel);
  }
  return json::object{{"channels", std::move(tested)},
                      {"failed", std::move(failed)},
                      {"overridden_fields", json::value_from(overridden_fields)}};
}

std::vector<ChannelResult> send_test(const NotificationSettings& settings, const TestOptions& options) {
  const TimeMs now = (options.clock ? *options.clock : system_clock()).now_ms();
  const std::string body = test_event_body(options.requested_by, now);
  const std::string mail_from = options.mail_from.empty() ? default_mail_from() : options.mail_from;
  std::vector<std::future<ChannelResult>> pending;
  for (const auto& channel : chosen_channels(settings, options.channels))
    pending.push_back(std::async(std::launch::async, [&settings, channel, &body, &mail_from, now, &options] {
      return send_one(settings, channel, body, mail_from, now, options.limits);
    }));
  std::vector<ChannelResult> results;
  for (auto& p : pending) results.push_back(p.get());
  return results;
}

}  // namespace claudelens::notify
