// GET /api/v1/health and GET /api/v1/openapi.json: the two calls that need no key and count against no
// limit. Health answers 503 SERVICE_UNAVAILABLE when the store cannot be read.
#include <boost/json.hpp>

#include "core/version.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"

namespace claudelens::http {

std::string_view openapi_document() noexcept;  // generated from openapi.json (openapi_json.cpp.in)

namespace {

namespace json = boost::json;

Response health(Services& s, Request&) {
  auto reader = s.store->read();
  if (!reader)
    return ApiError{503, "SERVICE_UNAVAILABLE", "the store cannot be read: " + reader.error().message, nullptr, {}, {}};
  return Response::json(
      200,
      json::object{{"status", "ok"}, {"version", std::string(k_version)}, {"time", format_iso8601(s.clock->now_ms())}});
}

Response openapi(Services&, Request&) {
  Response r;
  r.body = std::string(openapi_document());
  return r;
}

}  // namespace

void add_meta_routes(Router& router, Services& services) {
  RouteOptions open;
  open.auth = false;
  open.rate = RateClass::none;
  router.add(Method::get, "/api/v1/health", handlers::bind(services, health), open);
  router.add(Method::get, "/api/v1/openapi.json", handlers::bind(services, openapi), open);
}

}  // namespace claudelens::http
