#include "notify/settings.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "schedule/settings.hpp"

namespace claudelens::notify {
namespace {

namespace json = boost::json;

std::vector<std::string> strings_at(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(name);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->as_array())
    if (item.is_string()) out.emplace_back(item.as_string());
  return out;
}

/// Where the password of a URL's user info is ([first, last) of the text), if it has one.
std::optional<std::pair<std::size_t, std::size_t>> password_span(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  const std::size_t start = scheme + 3;
  const auto end_of_authority = url.find_first_of("/?#", start);
  const std::string_view authority =
      url.substr(start, end_of_authority == std::string_view::npos ? std::string_view::npos : end_of_authority - start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return std::make_pair(start + colon + 1, start + at);
}

/// Parses an absolute URL with libcurl's parser; what is wrong with it ("" when nothing), and its scheme
/// and host.
std::string url_problem(std::string_view url, std::initializer_list<std::string_view> schemes) {
  const std::string wanted = fmt::format("must be a URL starting with {}", fmt::join(schemes, " or "));
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) return wanted + " (without blanks)";
  const std::string text(url);
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return wanted;
  char* scheme = nullptr;
  char* host = nullptr;
  std::string s, h;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) s = scheme;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) h = host;
  curl_free(scheme);
  curl_free(host);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // libcurl guesses a scheme for "example.com": the text itself must start with one of ours.
  std::string lower = text.substr(0, text.find("://") + 3);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(schemes.begin(), schemes.end(), s + "://") == schemes.end() || lower != s + "://") return wanted;
  if (h.empty()) return wanted + " with a host";
  return {};
}

}  // namespace

std::string string_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool is_event_type(std::string_view type) noexcept {
  return std::find(std::begin(k_event_types), std::end(k_event_types), type) != std::end(k_event_types);
}

bool NotificationSettings::wants(std::string_view type) const {
  return enabled && std::find(notify_on.begin(), notify_on.end(), type) != notify_on.end();
}

NotificationSettings notification_settings_of(const json::object& settings) {
  NotificationSettings out;
  const auto* n = settings.if_contains("notifications");
  if (!n || !n->is_object()) return out;
  const auto& o = n->as_object();
  const auto* enabled = o.if_contains("enabled");
  out.enabled = enabled && enabled->is_bool() && enabled->as_bool();
  out.notify_on = strings_at(o, "notify_on");
  out.email_recipients = strings_at(o, "email_recipients");
  out.smtp_url = string_field(o, "smtp_url");
  out.smtp_username = string_field(o, "smtp_username");
  out.smtp_password = string_field(o, "smtp_password");
  out.webhook_url = string_field(o, "webhook_url");
  out.webhook_secret = string_field(o, "webhook_secret");
  return out;
}

Result<NotificationSettings> load_notification_settings(store::Reader& reader) {
  CL_TRY(settings, schedule::load_backup_settings(reader));
  return notification_settings_of(settings);
}

std::string webhook_url_problem(std::string_view url) {
  return url_problem(url, {"http://", "https://"});
}

std::string smtp_url_problem(std::string_view url) {
  return url_problem(url, {"smtp://", "smtps://"});
}

std::string email_problem(std::string_view s) {
  const auto at = s.find('@');
  const bool ok = at != std::string_view::npos && at > 0 && s.find('@', at + 1) == std::string_view::npos &&
                  s.find('.', at) != std::string_view::npos && s.find("..") == std::string_view::npos &&
                  s.find_first_of(" \t\r\n,;<>()[]\\\"") == std::string_view::npos && s.size() <= 254 &&
                  s.back() != '.' && s[at + 1] != '.';
  return ok ? std::string() : std::string("is not an email address");
}

std::string url_password_text(std::string_view url) {
  const auto span = password_span(url);
  return span ? std::string(url.substr(span->first, span->second - span->first)) : std::string();
}

std::string with_url_password_text(std::string_view url, std::string_view password_text) {
  const auto span = password_span(url);
  if (!span) return std::string(url);
  return fmt::format("{}{}{}", url.substr(0, span->first), password_text, url.substr(span->second));
}

std::string masked_url(std::string_view url) {
  return with_url_password_text(url, k_secret_mask);
}

}  // namespace claudelens::notify
