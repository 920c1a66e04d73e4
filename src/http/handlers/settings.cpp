// GET /settings/backup (any key; secrets shown as "***") and PUT /settings/backup (admin): validated,
// merged field by field, stored; new rate limits apply at once (backup_settings.hpp has the rules). The
// schedules are the stored ones (SystemTable::schedules); current_usage_gb is what the backup directory holds.
#include <boost/json.hpp>

#include "http/backup_settings.hpp"
#include "http/handlers/audit.hpp"
#include "http/handlers/common.hpp"
#include "http/rate_limiter.hpp"
#include "http/routes.hpp"
#include "schedule/quota.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

Response get_settings(Services& s, Request&) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto settings = load_backup_settings(**reader, s.backup_dir);
  if (!settings) return api_error(settings.error());
  if (auto a = attach_schedules(**reader, *settings, s.clock->now_ms()); !a) return api_error(a.error());
  return Response::json(200,
                        present_backup_settings(std::move(*settings), schedule::directory_usage_bytes(s.backup_dir)));
}

Response put_settings(Services& s, Request& req) {
  auto body = parse_json_object(req);
  if (auto* e = std::get_if<ApiError>(&body)) return std::move(*e);
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  auto current = load_backup_settings(**writer, s.backup_dir);
  if (!current) return api_error(current.error());
  const TimeMs now = s.clock->now_ms();
  if (auto a = attach_schedules(**writer, *current, now); !a) return api_error(a.error());
  std::vector<FieldError> errors;
  const auto& patch = std::get<json::object>(body);
  SettingsUpdate update = merge_backup_settings(*current, patch, s.backup_dir, errors, s.passphrase != nullptr);
  if (!errors.empty()) return validation_failed(std::move(errors));
  if (auto st = store_schedules(**writer, patch, update.settings, req.who().user_id, now, errors); !st)
    return api_error(st.error());
  if (!errors.empty()) return validation_failed(std::move(errors));
  if (auto w = save_backup_settings(**writer, update.settings, now); !w) return api_error(w.error());
  if (!update.updated_fields.empty())  // names only, never a value: no secret reaches the log
    if (auto e = handlers::audit_in(**writer, s, req, "settings.updated", "settings", "backup",
                                    {{"updated_fields", json::value_from(update.updated_fields)}}))
      return *e;
  // What the answer shows is what is stored now (ids, owners, next runs of the new list).
  if (auto a = attach_schedules(**writer, update.settings, now); !a) return api_error(a.error());
  if (auto c = (*writer)->commit(); !c) return api_error(c.error());
  if (s.rate_limiter) s.rate_limiter->set_limits(rate_limits_of(update.settings));
  return Response::json(
      200, json::object{{"message", update.updated_fields.empty() ? "nothing changed" : "settings updated"},
                        {"updated_fields", json::value_from(update.updated_fields)},
                        {"settings", present_backup_settings(std::move(update.settings),
                                                             schedule::directory_usage_bytes(s.backup_dir))},
                        {"validation_warnings", json::value_from(update.warnings)}});
}

}  // namespace

void add_settings_routes(Router& router, Services& services) {
  RouteOptions admin;
  admin.admin_only = true;
  router.add(Method::get, "/api/v1/settings/backup", handlers::bind(services, get_settings));
  router.add(Method::put, "/api/v1/settings/backup", handlers::bind(services, put_settings), admin);
}

}  // namespace claudelens::http
