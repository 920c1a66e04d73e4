// GET /projects, /projects/{id}, /projects/{id}/sessions, /sessions/{id}, /sessions/{id}/messages:
// what the store holds, paged like /backups. Users see their own projects; admins see all; another
// user's ids answer 404.
#include <boost/json.hpp>

#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "http/store_json.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;
using handlers::missing;
using handlers::PageCollector;
using handlers::time_or_null;

json::object session_json(const store::Session& s) {
  return json::object{{"_id", s.id},
                      {"project_id", s.project_id},
                      {"owner_id", s.owner_id},
                      {"started_at", time_or_null(s.started_at)},
                      {"ended_at", time_or_null(s.ended_at)},
                      {"message_count", s.message_count},
                      {"records_count", s.records_count},
                      {"summary", s.summary},
                      {"usage", json::object{{"input_tokens", s.usage.input_tokens},
                                             {"output_tokens", s.usage.output_tokens},
                                             {"cache_creation_tokens", s.usage.cache_creation_tokens},
                                             {"cache_read_tokens", s.usage.cache_read_tokens},
                                             {"cost_usd", s.usage.cost_usd}}},
                      {"created_at", format_iso8601_ms(s.created_at)},
                      {"updated_at", format_iso8601_ms(s.updated_at)}};
}

/// An entry as the API shows it: its own fields plus the transcript line, parsed.
json::object entry_json(const store::Entry& e) {
  boost::system::error_code ec;
  json::value record = json::parse(e.json, ec);
  if (ec) record = json::string(e.json);  // stored bytes are JSON; never fail a listing over one line
  return json::object{{"key", e.key},
                      {"session_id", e.session_id},
                      {"type", e.type},
                      {"timestamp", time_or_null(e.timestamp)},
                      {"is_message", e.has_uuid},
                      {"seq", e.seq},
                      {"record", std::move(record)}};
}

Response list_projects(Services& s, Request& req) {
  std::vector<FieldError> errors;
  const Paging paging = parse_paging(req, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  PageCollector page(paging);
  store::ProjectFilter filter;
  filter.owner_id = req.who().owner_filter();
  const Status scan = (*reader)->for_each_project(filter, [&](const store::Project& p) {
    if (page.take()) page.push(project_json(p));
    return true;
  });
  if (!scan) return api_error(scan.error());
  return Response::json(200, page.result());
}

/// The project `id` when the caller may see it.
std::variant<store::Project, ApiError> visible_project(store::Reader& reader, const Request& req,
                                                       const std::string& id) {
  auto found = reader.get_project(id);
  if (!found) return api_error(found.error());
  if (!*found || !req.who().may_see((*found)->owner_id)) return missing("project", id);
  return std::move(**found);
}

std::variant<store::Session, ApiError> visible_session(store::Reader& reader, const Request& req,
                                                       const std::string& id) {
  auto found = reader.get_session(id);
  if (!found) return api_error(found.error());
  if (!*found || !req.who().may_see((*found)->owner_id)) return missing("session", id);
  return std::move(**found);
}

Response get_project(Services& s, Request& req) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto project = visible_project(**reader, req, req.param("id"));
  if (auto* e = std::get_if<ApiError>(&project)) return std::move(*e);
  return Response::json(200, project_json(std::get<store::Project>(project)));
}

Response list_project_sessions(Services& s, Request& req) {
  std::vector<FieldError> errors;
  const Paging paging = parse_paging(req, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto project = visible_project(**reader, req, req.param("id"));
  if (auto* e = std::get_if<ApiError>(&project)) return std::move(*e);
  store::SessionFilter filter;
  filter.project_ids = {std::get<store::Project>(project).id};
  PageCollector page(paging);
  const Status scan = (*reader)->for_each_session(filter, [&](const store::Session& x) {
    if (page.take()) page.push(session_json(x));
    return true;
  });
  if (!scan) return api_error(scan.error());
  return Response::json(200, page.result());
}

Response get_session(Services& s, Request& req) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto session = visible_session(**reader, req, req.param("id"));
  if (auto* e = std::get_if<ApiError>(&session)) return std::move(*e);
  return Response::json(200, session_json(std::get<store::Session>(session)));
}

Response list_session_messages(Services& s, Request& req) {
  std::vector<FieldError> errors;
  const Paging paging = parse_paging(req, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto session = visible_session(**reader, req, req.param("id"));
  if (auto* e = std::get_if<ApiError>(&session)) return std::move(*e);
  const auto& found = std::get<store::Session>(session);
  store::EntryFilter filter;
  filter.session_id = found.id;
  PageCollector page(paging);
  const Status scan = (*reader)->for_each_entry(filter, [&](const store::Entry& e) {
    if (page.take()) page.push(entry_json(e));
    return true;
  });
  if (!scan) return api_error(scan.error());
  return Response::json(200, page.result());
}

}  // namespace

void add_data_routes(Router& router, Services& services) {
  auto bind = [&services](handlers::ServiceHandler f) { return handlers::bind(services, f); };
  router.add(Method::get, "/api/v1/projects", bind(list_projects));
  router.add(Method::get, "/api/v1/projects/{id}", bind(get_project));
  router.add(Method::get, "/api/v1/projects/{id}/sessions", bind(list_project_sessions));
  router.add(Method::get, "/api/v1/sessions/{id}", bind(get_session));
  router.add(Method::get, "/api/v1/sessions/{id}/messages", bind(list_session_messages));
}

}  // namespace claudelens::http
