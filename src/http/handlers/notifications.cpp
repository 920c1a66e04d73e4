// POST /api/v1/settings/backup/notifications/test (admin; an addition to API.md, docs/notifications.md
// "Test notifications"): sends a `test` event at once on the configured channels — or those named in
// `channels` — with the stored notification settings, over which `notifications` in the body may lay
// unsaved values (validated and merged exactly as PUT /settings/backup does, "***" keeping a stored
// secret). The sending is notify::send_test, the same signing and sending as the outbox's deliveries,
// but nothing is queued or retried: the answer is 200 with one result per channel, whether it arrived
// or not. Audited as `notifications.tested` (channel and field names only, never a value).
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "http/backup_settings.hpp"
#include "http/handlers/audit.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "notify/send.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

struct TestRequest {
  std::vector<std::string> channels;        ///< empty: every configured channel
  const json::object* overrides = nullptr;  ///< `notifications` of the body, or none
};

/// Reads `channels` and `notifications` of the body (one FieldError per bad field).
TestRequest read_test_request(const json::object& body, std::vector<FieldError>& errors) {
  TestRequest out;
  Fields top(body, "", errors);
  top.reject_unknown({"channels", "notifications"});
  if (const auto named = top.strings("channels")) {
    if (named->empty())
      top.error("channels", "length", "must name at least one channel (webhook, email); leave it out for all");
    for (std::size_t i = 0; i < named->size(); ++i) {
      const std::string& channel = (*named)[i];
      if (!notify::is_channel(channel))
        errors.push_back(
            FieldError{fmt::format("channels[{}]", i), "must be one of webhook, email", "enum", json::string(channel)});
      else if (std::find(out.channels.begin(), out.channels.end(), channel) == out.channels.end())
        out.channels.push_back(channel);
    }
  }
  out.overrides = top.object("notifications");
  return out;
}

Response test_notifications(Services& s, Request& req) {
  json::object body;  // the body is optional: none tests every configured channel with the stored settings
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = parse_json_object(req);
    if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
    body = std::move(std::get<json::object>(parsed));
  }
  std::vector<FieldError> errors;
  const TestRequest test = read_test_request(body, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));

  json::object settings;
  {
    auto reader = s.store->read();
    if (!reader) return api_error(reader.error());
    auto stored = load_backup_settings(**reader, s.backup_dir);
    if (!stored) return api_error(stored.error());
    settings = std::move(*stored);
  }
  if (test.overrides) {
    SettingsUpdate merged = merge_backup_settings(settings, json::object{{"notifications", *test.overrides}},
                                                  s.backup_dir, errors, s.passphrase != nullptr);
    if (!errors.empty()) return validation_failed(std::move(errors));
    settings = std::move(merged.settings);
  }
  const notify::NotificationSettings notifications = notify::notification_settings_of(settings);
  // Never the value of a field here: a URL may carry a password.
  for (auto& p : notify::test_problems(notifications, test.channels))
    errors.push_back(FieldError{std::move(p.field), std::move(p.message), std::move(p.code), nullptr});
  if (!errors.empty()) return validation_failed(std::move(errors));

  notify::TestOptions options;
  options.channels = test.channels;
  options.requested_by = req.who().user_name;
  options.clock = s.clock;
  const auto results = notify::send_test(notifications, options);

  std::vector<std::string> overridden;
  if (test.overrides)
    for (const auto& kv : *test.overrides) overridden.push_back(fmt::format("notifications.{}", kv.key()));
  handlers::audit(s, req, "notifications.tested", "settings", "backup",
                  notify::test_audit_details(results, overridden));
  return Response::json(200, notify::test_report_json(results));
}

}  // namespace

void add_notify_routes(Router& router, Services& services) {
  RouteOptions admin;
  admin.admin_only = true;  // as PUT /settings/backup: it sends with the stored secrets
  router.add(Method::post, "/api/v1/settings/backup/notifications/test", handlers::bind(services, test_notifications),
             admin);
}

}  // namespace claudelens::http
