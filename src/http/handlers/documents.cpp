// Prompts and AI settings: GET (paged) and POST on /prompts and /ai-settings, GET/PUT/DELETE on
// /{collection}/{id}. A document is the JSON object the client sends (fields checked by type) plus
// `_id`, `created_at` and `updated_at`, which the server sets. PUT merges field by field. Users see their
// own documents, admins all; another user's ids answer 404.
#include <boost/json.hpp>

#include "core/ids.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;
using handlers::missing;
using handlers::PageCollector;

/// Checks the fields a client may set; fills `errors`.
void check_fields(store::Collection c, const json::object& body, bool creating, std::vector<FieldError>& errors) {
  Fields f(body, "", errors);
  f.string("name", creating, 1, 200);
  f.string("description", false, 0, 2000);
  if (c == store::Collection::prompts) {
    f.reject_unknown({"_id", "created_at", "updated_at", "name", "description", "content", "folder_id", "tags",
                      "variables", "is_starred", "use_count"});
    f.string("content", creating, 0, 1'000'000);
    if (f.has("folder_id") && !f.raw("folder_id")->is_null()) f.string("folder_id", false, 1, 100);
    f.strings("tags");
    f.strings("variables");
    f.boolean("is_starred");
    f.integer("use_count", 0, INT64_MAX);
  } else {
    f.reject_unknown({"_id", "created_at", "updated_at", "name", "description", "provider", "model", "temperature",
                      "max_tokens", "system_prompt", "is_default"});
    f.string("provider", false, 1, 100);
    f.string("model", false, 1, 200);
    f.number("temperature", 0, 2);
    f.integer("max_tokens", 1, 1'000'000);
    f.string("system_prompt", false, 0, 1'000'000);
    f.boolean("is_default");
  }
}

json::value document_json(const store::Document& d) {
  boost::system::error_code ec;
  json::value v = json::parse(d.json, ec);
  if (ec || !v.is_object()) v = json::object{};
  auto& o = v.as_object();
  o["_id"] = d.id;
  o["name"] = d.name;
  o["owner_id"] = d.owner_id;
  o["created_at"] = format_iso8601_ms(d.created_at);
  o["updated_at"] = format_iso8601_ms(d.updated_at);
  return v;
}

Response list_documents(Services& s, store::Collection c, Request& req) {
  std::vector<FieldError> errors;
  const Paging paging = parse_paging(req, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  PageCollector page(paging);
  const Status scan = (*reader)->for_each_document(c, req.who().owner_filter(), [&](const store::Document& d) {
    if (page.take()) page.push(document_json(d));
    return true;
  });
  if (!scan) return api_error(scan.error());
  return Response::json(200, page.result());
}

/// Writes `doc` with `fields` merged over it; the server's own fields win.
Response save(Services& s, store::Collection c, store::Writer& writer, store::Document doc, const json::object& fields,
              int status) {
  boost::system::error_code ec;
  json::value current = doc.json.empty() ? json::value(json::object{}) : json::parse(doc.json, ec);
  if (ec || !current.is_object()) current = json::object{};
  for (const auto& kv : fields) current.as_object()[kv.key()] = kv.value();
  auto& o = current.as_object();
  if (const auto* name = o.if_contains("name"); name && name->is_string()) doc.name = std::string(name->as_string());
  doc.updated_at = s.clock->now_ms();
  o["_id"] = doc.id;
  o["created_at"] = format_iso8601_ms(doc.created_at);
  o["updated_at"] = format_iso8601_ms(doc.updated_at);
  doc.json = json::serialize(current);
  if (auto w = writer.put_document(c, doc); !w) return api_error(w.error());
  if (auto w = writer.commit(); !w) return api_error(w.error());
  return Response::json(status, document_json(doc));
}

Response create_document(Services& s, store::Collection c, Request& req) {
  auto body = parse_json_object(req);
  if (auto* e = std::get_if<ApiError>(&body)) return std::move(*e);
  auto& fields = std::get<json::object>(body);
  std::vector<FieldError> errors;
  check_fields(c, fields, true, errors);
  if (!errors.empty()) return validation_failed(std::move(errors));
  fields.erase("_id");
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  store::Document doc;
  doc.id = new_id();
  doc.owner_id = req.who().user_id;
  doc.created_at = s.clock->now_ms();
  return save(s, c, **writer, std::move(doc), fields, 201);
}

std::variant<store::Document, ApiError> visible_document(store::Reader& reader, store::Collection c,
                                                         const Request& req) {
  const std::string& id = req.param("id");
  auto found = reader.get_document(c, id);
  if (!found) return api_error(found.error());
  if (!*found || !req.who().may_see((*found)->owner_id))
    return missing(c == store::Collection::prompts ? "prompt" : "AI setting", id);
  return std::move(**found);
}

Response get_document(Services& s, store::Collection c, Request& req) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto doc = visible_document(**reader, c, req);
  if (auto* e = std::get_if<ApiError>(&doc)) return std::move(*e);
  return Response::json(200, document_json(std::get<store::Document>(doc)));
}

Response update_document(Services& s, store::Collection c, Request& req) {
  auto body = parse_json_object(req);
  if (auto* e = std::get_if<ApiError>(&body)) return std::move(*e);
  auto& fields = std::get<json::object>(body);
  std::vector<FieldError> errors;
  check_fields(c, fields, false, errors);
  if (const auto* id = fields.if_contains("_id"); id && !(id->is_string() && id->as_string() == req.param("id")))
    errors.push_back(FieldError{"_id", "differs from the id in the path", "immutable", *id});
  if (!errors.empty()) return validation_failed(std::move(errors));
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  auto doc = visible_document(**writer, c, req);
  if (auto* e = std::get_if<ApiError>(&doc)) return std::move(*e);
  return save(s, c, **writer, std::get<store::Document>(std::move(doc)), fields, 200);
}

Response delete_document(Services& s, store::Collection c, Request& req) {
  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  auto doc = visible_document(**writer, c, req);
  if (auto* e = std::get_if<ApiError>(&doc)) return std::move(*e);
  if (auto d = (*writer)->delete_document(c, req.param("id")); !d) return api_error(d.error());
  if (auto d = (*writer)->commit(); !d) return api_error(d.error());
  return Response::json(
      200, json::object{
               {"_id", req.param("id")}, {"deleted_at", format_iso8601(s.clock->now_ms())}, {"message", "deleted"}});
}

void add_collection(Router& router, Services& s, store::Collection c, const std::string& base) {
  using Fn = Response (*)(Services&, store::Collection, Request&);
  auto bind = [&s, c](Fn f) { return [&s, c, f](Request& req) { return f(s, c, req); }; };
  router.add(Method::get, base, bind(list_documents));
  router.add(Method::post, base, bind(create_document));
  router.add(Method::get, base + "/{id}", bind(get_document));
  router.add(Method::put, base + "/{id}", bind(update_document));
  router.add(Method::del, base + "/{id}", bind(delete_document));
}

}  // namespace

void add_document_routes(Router& router, Services& services) {
  add_collection(router, services, store::Collection::prompts, "/api/v1/prompts");
  add_collection(router, services, store::Collection::ai_settings, "/api/v1/ai-settings");
}

}  // namespace claudelens::http
