// The server's requests and responses as handlers see them: plain structs, no Beast or Asio types, so
// that handlers (src/http/handlers/) compile fast and can be tested without sockets. The server
// (server.cpp) builds a Request from the wire, runs the route's handler on a worker thread, and writes
// the Response (JSON text, an error envelope it renders itself, or a file it streams with Range support).
//
// Lifetime: a Request and its Response belong to one handler call on one thread. A BodySink belongs to
// the one request whose body it receives; the server destroys it when the request ends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "store/store.hpp"

namespace claudelens::http {

enum class Method { get, head, post, put, patch, del, options, other };
std::string_view method_name(Method m) noexcept;  ///< "GET", "DELETE", ...

/// Who sent the request, from its X-API-Key (absent on routes that need no key).
struct Caller {
  std::string user_id;
  store::Role role = store::Role::user;
  std::string key_id;
  std::string user_name;

  bool is_admin() const noexcept { return role == store::Role::admin; }
  /// The owner filter for store reads: nullopt for admins (they see all), else the caller's own id.
  std::optional<std::string> owner_filter() const {
    return is_admin() ? std::nullopt : std::optional<std::string>(user_id);
  }
  /// True when the caller may see a thing owned by `owner_id` (admins see all).
  bool may_see(std::string_view owner_id) const noexcept { return is_admin() || owner_id == user_id; }
};

struct Request {
  Method method = Method::get;
  std::string target;  ///< as received, e.g. "/api/v1/backups?page=2"
  std::string path;    ///< the path part, undecoded ("/api/v1/backups/abc")
  /// Query parameters, percent-decoded ('+' is a space). A repeated name keeps its last value.
  std::map<std::string, std::string> query;
  /// Header fields with lower-cased names; repeated fields are joined with ", ".
  std::map<std::string, std::string> headers;
  /// Path parameters of the matched pattern ("{id}" → params["id"]), percent-decoded. The router
  /// refuses segments that decode to "." / ".." or hold '/', NUL or other control characters.
  std::map<std::string, std::string> params;
  /// The body of a small-body route, whole. Empty for streamed routes (their BodySink gets it).
  std::string body;
  std::string request_id;        ///< the client's X-Request-Id when it is sane, else a new id
  std::optional<Caller> caller;  ///< set on every route that needs a key
  std::string remote_address;    ///< "127.0.0.1:53412"

  /// A header's value, "" when absent. `name` must be lower case.
  std::string_view header(std::string_view name) const;
  /// A query parameter, nullopt when absent.
  std::optional<std::string_view> query_param(std::string_view name) const;
  /// A path parameter; "" when the pattern has no such name (a bug in the route table).
  const std::string& param(std::string_view name) const;
  /// The caller; only for routes registered with auth (it aborts on an unauthenticated route).
  const Caller& who() const;
};

/// One field that breaks a rule: API.md's `validation_errors` entry.
struct FieldError {
  std::string field;    ///< dotted path, "filters.date_range.start", "schedules[0].schedule"
  std::string message;  ///< for a person
  std::string code;     ///< machine-readable rule: "required", "type", "range", "enum", "format", "unsupported", ...
  boost::json::value value = nullptr;  ///< the offending value as sent (null when absent)
};

/// A failed request as the error envelope of API.md carries it. The server adds timestamp, path and
/// request_id when it renders it.
struct ApiError {
  int status = 500;
  std::string code = "INTERNAL_ERROR";
  std::string message;
  boost::json::value details = nullptr;
  std::vector<FieldError> validation_errors;
  /// Extra response headers (e.g. Retry-After on 429).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A file the server streams from disk: Content-Length, and Range/206 when the client asks for part of
/// it (the server handles Range; the handler names the whole file). The file is opened when the
/// response is written; if it vanished meanwhile the client gets 410 BACKUP_FILE_MISSING.
struct FileBody {
  std::string path;
  std::uint64_t size = 0;  ///< the file's size when the handler looked (Content-Length of a 200)
};

struct Response {
  int status = 200;
  /// Extra header fields (Content-Disposition, X-Checksum, Location, ...). Content-Type, Content-Length,
  /// X-Request-Id and Connection are set by the server.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;               ///< serialized JSON (or text of content_type)
  std::optional<FileBody> file;   ///< when set, streamed instead of `body`
  std::optional<ApiError> error;  ///< when set, the server renders the envelope with error->status

  Response() = default;
  Response(ApiError e);  // NOLINT(google-explicit-constructor): `return not_found(...)` reads well

  /// A JSON response.
  static Response json(int status, const boost::json::value& value);
  /// A file download (200 or 206 decided by the server).
  static Response stream_file(FileBody file, std::string content_type = "application/octet-stream");
};

/// Receives a streamed request body chunk by chunk (multipart uploads), in order, on one thread at a
/// time (possibly different threads between calls). The server enforces the route's upload limit before
/// calling write() (413 FILE_TOO_LARGE) and never keeps more than one chunk in memory.
///
/// Destroying a sink without a successful finish() means the request was abandoned (client gone, limit
/// exceeded, server stopping, or write() failed): the destructor must remove whatever it wrote.
class BodySink {
 public:
  virtual ~BodySink() = default;
  /// The next bytes of the body. An ApiError stops the upload: the server answers with it and closes
  /// the connection without reading the rest.
  virtual std::optional<ApiError> write(std::string_view chunk) = 0;
  /// The body ended (all Content-Length bytes or the last chunk arrived). Returns the response.
  virtual Response finish() = 0;
};

/// A small-body handler: the whole body is in Request::body (capped by the route's max_body_bytes).
/// Handlers run on a worker thread and may block (store, disk); they are called concurrently.
using Handler = std::function<Response(Request&)>;

/// A streamed-body handler: looks at the request's headers (not its body) and either returns a sink for
/// the body, or a Response that answers at once (e.g. 400 on a bad Content-Type) without reading it.
struct StreamStart {
  std::unique_ptr<BodySink> sink;  ///< set: the body is fed to it
  std::optional<Response> answer;  ///< set instead: answered right away
};
using StreamHandler = std::function<StreamStart(Request&)>;

/// The outgoing side of a WebSocket (live job progress). The server polls it on a worker thread a few
/// times a second and sends what it returns; the feed decides what to send (e.g. at most one progress
/// event a second, then one final event). Incoming messages are read and ignored.
class WsFeed {
 public:
  struct Batch {
    std::vector<std::string> messages;  ///< JSON texts to send now, in order
    bool done = false;                  ///< after sending them, close the socket normally
  };
  virtual ~WsFeed() = default;
  virtual Batch poll() = 0;
};

/// A WebSocket route's handler, called with the upgrade request (authenticated as any route): a feed, or
/// an ApiError answered as plain HTTP instead of upgrading (e.g. 404 JOB_NOT_FOUND).
struct WsStart {
  std::unique_ptr<WsFeed> feed;
  std::optional<ApiError> refuse;
};
using WsHandler = std::function<WsStart(Request&)>;

}  // namespace claudelens::http
