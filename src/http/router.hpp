// Route registration and matching: method + pattern ("/api/v1/backups/{id}") → handler and its options
// (auth, admin-only, rate class, body limit). Patterns are matched segment by segment on the raw path;
// each segment is percent-decoded after splitting, so an encoded '/' can never change which route
// matches. Where patterns overlap, the one with more literal segments wins ("/backups/statistics"
// before "/backups/{id}").
//
// Thread-safety: routes are added before the server starts; match() is const and thread-safe after.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace claudelens::http {

/// Which limit of API.md's rate-limit table a route counts against.
enum class RateClass {
  general,        ///< everything else: requests_per_minute (100)
  backup_create,  ///< POST /backups: backups_per_hour (10)
  restore,        ///< POST /restore: restores_per_hour (5)
  upload,         ///< POST /restore/upload: uploads_per_hour (3)
  download,       ///< GET /backups/{id}/download: downloads_per_hour (20)
  none,           ///< not limited (health, openapi)
};

struct RouteOptions {
  /// Needs a valid X-API-Key (401 UNAUTHORIZED otherwise); Request::caller is set. Default: true.
  bool auth = true;
  /// Only admin keys may call it (403 FORBIDDEN for user keys). Default: false.
  bool admin_only = false;
  /// The rate limit it counts against. Default: general.
  RateClass rate = RateClass::general;
  /// Small-body routes: the largest body read into Request::body; a larger one is refused with
  /// 413 FILE_TOO_LARGE without reading it. Streamed routes use the server's --max-upload-mb instead.
  /// Default: 1 MiB.
  std::size_t max_body_bytes = std::size_t{1} << 20;
};

struct Route {
  Method method = Method::get;
  std::string pattern;                ///< as registered, e.g. "/api/v1/backups/{id}"
  std::vector<std::string> segments;  ///< pattern split on '/'; "{name}" segments are parameters
  Handler handler;                    ///< small-body routes
  StreamHandler stream;               ///< streamed-body routes (handler is empty then)
  WsHandler websocket;                ///< WebSocket routes (GET with an upgrade)
  RouteOptions options;

  bool streamed() const noexcept { return static_cast<bool>(stream); }
  bool is_websocket() const noexcept { return static_cast<bool>(websocket); }
};

struct RouteMatch {
  const Route* route = nullptr;               ///< null: no route for this method and path
  std::map<std::string, std::string> params;  ///< decoded path parameters
  bool other_method = false;                  ///< no route, but the path exists with another method (405)
  std::vector<Method> allowed;                ///< when other_method: the path's methods (the Allow header)
  std::optional<ApiError> bad_path;           ///< the path itself is refused (400 INVALID_REQUEST)
};

class Router {
 public:
  /// Registers a small-body route. A pattern registered twice for one method is a bug (aborts).
  void add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});
  /// Registers a streamed-body route (uploads).
  void add_stream(Method method, std::string_view pattern, StreamHandler handler, RouteOptions options = {});

  /// Registers a WebSocket route (method GET).
  void add_websocket(std::string_view pattern, WsHandler handler, RouteOptions options = {});

  /// Registers the handler for GET requests that no route matches and whose path is not under /api/ or
  /// /ws/: the web page's files and its client-side routes (static_files.hpp). At most one.
  void set_fallback(Handler handler, RouteOptions options = {});

  /// The route for `method` and the raw (undecoded) `path`.
  RouteMatch match(Method method, std::string_view path) const;

  const std::vector<Route>& routes() const noexcept { return m_routes; }

 private:
  void insert(Route route);
  std::vector<Route> m_routes;
  std::optional<Route> m_fallback;
};

/// Percent-decodes `text` ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);
/// Splits a query string into decoded name/value pairs ('+' is a space); malformed escapes are kept as-is.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace claudelens::http
