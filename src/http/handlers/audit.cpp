// GET /api/v1/audit (admin): the audit log, newest first, filtered by `action` and the time range
// [`from`, `to`), paged like /backups; and the recording helpers of audit.hpp.
#include "http/handlers/audit.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "http/validation.hpp"
#include "store/audit.hpp"

namespace claudelens::http {

namespace handlers {

void audit(Services& s, const Request& req, std::string_view action, std::string target_type, std::string target_id,
           const boost::json::object& details) {
  (void)store::record_audit(
      *s.store, store::audit_event(req.who().user_id, action, std::move(target_type), std::move(target_id), details),
      s.clock->now_ms());
}

std::optional<ApiError> audit_in(store::Writer& w, Services& s, const Request& req, std::string_view action,
                                 std::string target_type, std::string target_id, const boost::json::object& details) {
  auto st = store::append_audit(
      w, store::audit_event(req.who().user_id, action, std::move(target_type), std::move(target_id), details),
      s.clock->now_ms());
  if (st) return std::nullopt;
  return api_error(st.error());
}

}  // namespace handlers

namespace {

namespace json = boost::json;

std::string action_list() {
  std::string out;
  for (std::size_t i = 0; i < store::k_audit_actions.size(); ++i)
    out += fmt::format("{}{}", i ? ", " : "", store::k_audit_actions[i]);
  return out;
}

json::object event_json(const store::AuditEvent& e) {
  boost::system::error_code ec;
  json::value details = json::parse(e.details, ec);
  if (ec || !details.is_object()) details = json::object();
  return json::object{{"_id", e.id},
                      {"at", format_iso8601_ms(e.at)},
                      {"user_id", e.user_id.empty() ? json::value(nullptr) : json::value(e.user_id)},
                      {"action", e.action},
                      {"target_type", e.target_type},
                      {"target_id", e.target_id},
                      {"details", std::move(details)}};
}

Response list_audit(Services& s, Request& req) {
  std::vector<FieldError> errors;
  Query q(req.query, errors);
  Paging paging;
  if (auto v = q.integer("page", 1, 1'000'000'000)) paging.page = *v;
  if (auto v = q.integer("size", 1, 100)) paging.size = *v;
  store::AuditQuery query;
  if (auto action = q.string("action")) {
    if (store::is_audit_action(*action))
      query.action = std::move(*action);
    else
      q.error("action", "enum", fmt::format("must be one of {}", action_list()));
  }
  query.from = q.time("from");
  query.to = q.time("to");
  if (query.from && query.to && *query.from >= *query.to) q.error("to", "range", "must be after from");
  q.reject_unknown();
  if (!errors.empty()) return validation_failed(std::move(errors));
  query.offset = paging.offset();
  query.limit = paging.size;
  auto page = [&]() -> Result<store::AuditPage> {
    CL_TRY(reader, s.store->read());
    return reader->query_audit(query);
  }();
  if (!page) return api_error(page.error());
  json::array items;
  for (const auto& e : page->items) items.push_back(event_json(e));
  return Response::json(
      200, json::object{{"items", std::move(items)}, {"pagination", pagination_json(page->total, paging)}});
}

}  // namespace

void add_audit_routes(Router& router, Services& services) {
  RouteOptions admin;
  admin.admin_only = true;
  router.add(Method::get, "/api/v1/audit", handlers::bind(services, list_audit), admin);
}

}  // namespace claudelens::http
