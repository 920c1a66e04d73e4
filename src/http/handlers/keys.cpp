// POST /keys (admin) → 201 a new user and its key, shown this once; GET /keys (admins: all; users: their
// own; never the key itself); DELETE /keys/{id} (admins: any; users: their own; others' ids → 404).
#include <boost/json.hpp>

#include "http/handlers/audit.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "store/keys.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;
using handlers::missing;
using handlers::PageCollector;
using handlers::time_or_null;

Response create_key(Services& s, Request& req) {
  auto body = parse_json_object(req);
  if (auto* e = std::get_if<ApiError>(&body)) return std::move(*e);
  std::vector<FieldError> errors;
  Fields f(std::get<json::object>(body), "", errors);
  f.reject_unknown({"name", "role"});
  const auto name = f.string("name", true, 1, 100);
  const auto role = f.one_of("role", {"admin", "user"});
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  auto made = store::create_user_key(**writer, *name, *store::parse_role(role.value_or("user")), s.clock->now_ms());
  if (!made) {
    if (made.error().code == Errc::conflict || made.error().code == Errc::invalid_argument)
      return validation_failed({FieldError{made.error().code == Errc::conflict ? "role" : "name", made.error().message,
                                           "conflict", json::string(*name)}});
    return api_error(made.error());
  }
  if (auto e = handlers::audit_in(
          **writer, s, req, "key.created", "api_key", made->key.id,
          {{"name", made->key.name}, {"role", store::role_name(made->user.role)}, {"user_id", made->user.id}}))
    return *e;
  if (auto c = (*writer)->commit(); !c) return api_error(c.error());
  return Response::json(201, json::object{{"_id", made->key.id},
                                          {"name", made->key.name},
                                          {"role", store::role_name(made->user.role)},
                                          {"user_id", made->user.id},
                                          {"key", made->plaintext},
                                          {"created_at", format_iso8601(made->key.created_at)}});
}

Response list_keys(Services& s, Request& req) {
  std::vector<FieldError> errors;
  const Paging paging = parse_paging(req, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto& r = **reader;
  PageCollector page(paging);
  std::optional<Error> failure;
  const Status scan = r.for_each_api_key([&](const store::ApiKey& k) {
    if (!req.who().may_see(k.user_id)) return true;
    if (!page.take()) return true;
    auto user = r.get_user(k.user_id);
    if (!user) {
      failure = user.error();
      return false;
    }
    page.push(json::object{{"_id", k.id},
                           {"name", k.name},
                           {"prefix", k.prefix},
                           {"user_id", k.user_id},
                           {"role", *user ? json::value(store::role_name((*user)->role)) : json::value(nullptr)},
                           {"created_at", format_iso8601(k.created_at)},
                           {"revoked", k.revoked_at.has_value()},
                           {"revoked_at", time_or_null(k.revoked_at)},
                           {"last_used_at", time_or_null(k.last_used_at)}});
    return true;
  });
  if (!scan) return api_error(scan.error());
  if (failure) return api_error(*failure);
  return Response::json(200, page.result());
}

Response delete_key(Services& s, Request& req) {
  const std::string& id = req.param("id");
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  std::optional<store::ApiKey> key;
  const Status scan = (*writer)->for_each_api_key([&](const store::ApiKey& k) {
    if (k.id != id) return true;
    key = k;
    return false;
  });
  if (!scan) return api_error(scan.error());
  if (!key || !req.who().may_see(key->user_id)) return missing("API key", id);
  const TimeMs now = s.clock->now_ms();
  if (!key->revoked_at) {
    if (auto r = (*writer)->revoke_api_key(id, now); !r) return api_error(r.error());
    if (auto e = handlers::audit_in(**writer, s, req, "key.revoked", "api_key", id,
                                    {{"name", key->name}, {"user_id", key->user_id}}))
      return *e;
    if (auto c = (*writer)->commit(); !c) return api_error(c.error());
  }
  return Response::json(200, json::object{{"_id", id},
                                          {"revoked_at", format_iso8601(key->revoked_at.value_or(now))},
                                          {"message", "the key no longer opens the API"}});
}

}  // namespace

void add_key_routes(Router& router, Services& services) {
  RouteOptions admin;
  admin.admin_only = true;
  router.add(Method::post, "/api/v1/keys", handlers::bind(services, create_key), admin);
  router.add(Method::get, "/api/v1/keys", handlers::bind(services, list_keys));
  router.add(Method::del, "/api/v1/keys/{id}", handlers::bind(services, delete_key));
}

}  // namespace claudelens::http
