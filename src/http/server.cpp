// The Beast/Asio server (server.hpp). One I/O thread runs every connection as a coroutine; handlers,
// authentication and sinks run on a worker pool so the I/O thread never blocks on the store. All
// connection bookkeeping (connections, stopping) lives on the I/O thread and needs no lock.
// GCC 12 miscompiles some temporaries inside co_await expressions (destroyed twice): values that cross a
// co_await are named locals, and results come back from the pool through the awaiting frame.
#include "http/server.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <exception>
#include <list>
#include <optional>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "core/ids.hpp"
#include "http/auth.hpp"
#include "http/errors.hpp"
#include "http/range.hpp"
#include "http/rate_limiter.hpp"
#include "jobs/jobs.hpp"

namespace claudelens::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t k_chunk = 64 * 1024;              ///< upload and download piece size
constexpr std::size_t k_drain_limit = 4 * 1024 * 1024;  ///< bytes read and dropped after refusing a body
constexpr auto k_ws_poll = std::chrono::milliseconds(250);

Method method_of(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::del;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Disconnects, timeouts and cancellation end a connection quietly; anything else is worth a log line.
bool is_disconnect(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::operation_aborted || ec == beast::error::timeout ||
         ec == net::error::not_connected || ec == websocket::error::closed || ec == bhttp::error::partial_message;
}

struct Connection {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;  ///< waiting for the next request: safe to close at shutdown
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  const Router& router;
  Services& services;
  std::shared_ptr<spdlog::logger> access_log;
  // Declared before the io_context: coroutine frames still queued when it is destroyed unregister
  // themselves from this list.
  std::list<Connection> connections;  // I/O thread only
  bool stopping = false;              // I/O thread only
  RequestPacer pacer;                 // I/O thread only
  net::io_context ioc{1};
  net::thread_pool pool;
  tcp::acceptor acceptor{ioc};
  net::signal_set signals{ioc};

  Impl(ServerOptions o, const Router& r, Services& s)
      : options(std::move(o)),
        router(r),
        services(s),
        pacer(options.pacing),
        pool(static_cast<std::size_t>(std::max(1, options.worker_threads))) {
    access_log = spdlog::get("access");
    if (!access_log) {
      access_log = std::make_shared<spdlog::logger>("access", spdlog::default_logger()->sinks().begin(),
                                                    spdlog::default_logger()->sinks().end());
      access_log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
      spdlog::register_logger(access_log);
    }
    access_log->set_level(spdlog::level::info);
  }

  /// Runs `f` (which stores its result in the caller's frame) on the worker pool, then resumes on the
  /// I/O thread. Results do not travel through co_await: with GCC 12, a non-trivial value returned from
  /// a coroutine here was freed twice (the server aborted in free()).
  template <class F>
  net::awaitable<void> on_pool(F&& f) {
    co_await net::co_spawn(
        pool,
        [&f]() -> net::awaitable<void> {
          f();
          co_return;
        },
        net::use_awaitable);
  }

  // ---- accepting and shutting down ----------------------------------------------------------------

  net::awaitable<void> accept_loop() {
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) {
        if (stopping || ec == net::error::operation_aborted) break;
        spdlog::warn("accept failed: {}", ec.message());
        if (ec == net::error::no_descriptors) {  // out of file descriptors: wait for some to free up
          net::steady_timer t(ioc, std::chrono::milliseconds(100));
          co_await t.async_wait(use_tuple);
        }
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      net::co_spawn(ioc, serve_connection(beast::tcp_stream(std::move(socket))), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("connection ended by an exception: {}", ex.what());
        }
      });
    }
  }

  void begin_shutdown() {
    if (stopping) return;
    stopping = true;
    spdlog::info("shutting down: no new connections; {} open", connections.size());
    error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    for (auto& c : connections)
      if (c.idle) c.stream->socket().close(ec);
    net::co_spawn(ioc, finish_shutdown(), net::detached);
  }

  net::awaitable<void> finish_shutdown() {
    const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    net::steady_timer timer(ioc);
    while (!connections.empty() && std::chrono::steady_clock::now() < deadline) {
      error_code ec;
      for (auto& c : connections)
        if (c.idle) c.stream->socket().close(ec);
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(use_tuple);
    }
    if (!connections.empty()) spdlog::warn("{} connections still busy after the grace period", connections.size());
    ioc.stop();
  }

  // ---- one connection -------------------------------------------------------------------------------

  net::awaitable<void> serve_connection(beast::tcp_stream stream) {
    connections.push_back(Connection{&stream, true});
    const auto self = std::prev(connections.end());
    struct Unregister {
      std::list<Connection>& list;
      std::list<Connection>::iterator it;
      ~Unregister() { list.erase(it); }
    } unregister{connections, self};

    error_code ec;
    const auto ep = stream.socket().remote_endpoint(ec);
    const std::string remote = ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping || first) {
      bhttp::request_parser<bhttp::empty_body> parser;
      parser.header_limit(options.max_header_bytes);
      parser.body_limit(boost::none);  // each route applies its own limit when it reads the body
      stream.expires_after(first ? options.io_timeout : options.idle_timeout);
      self->idle = true;
      auto [rec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      self->idle = false;
      first = false;
      if (rec) {
        if (is_disconnect(rec)) break;
        // A malformed request or a header block over the limit: say so, then close.
        const std::string why = rec == bhttp::error::header_limit
                                    ? fmt::format("the request header is over {} bytes", options.max_header_bytes)
                                    : fmt::format("malformed HTTP request: {}", rec.message());
        const std::string rid = new_id();
        std::string envelope = render_envelope(invalid_request(why), "", rid, services.clock->now_ms());
        const std::vector<std::pair<std::string, std::string>> no_headers;
        co_await write_string(stream, 400, "application/json", std::move(envelope), rid, no_headers, false);
        access_log->info("{} \"- -\" 400 - rid={} ({})", remote, rid, why);
        co_await linger_close(stream);
        co_return;
      }
      bool consumed = false;  // a WebSocket took the stream over
      const bool keep = co_await handle_request(stream, buffer, parser, remote, consumed);
      if (consumed) co_return;
      if (!keep) {
        co_await linger_close(stream);
        co_return;
      }
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
  }

  /// Closes after refusing a request whose body was not read: stop sending, read and drop what the client
  /// is still sending for a moment (so that it sees our answer instead of a reset), then close.
  net::awaitable<void> linger_close(beast::tcp_stream& stream) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16 * 1024> sink;
    std::size_t dropped = 0;
    stream.expires_after(std::chrono::seconds(2));
    while (dropped < k_drain_limit) {
      auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
      if (rec) break;
      dropped += n;
    }
    stream.socket().close(ec);
  }

  Request make_request(const bhttp::request<bhttp::empty_body>& h, const std::string& remote) {
    Request req;
    req.method = method_of(h.method());
    req.target = std::string(h.target());
    const auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
    for (const auto& field : h) {
      auto name = lower(field.name_string());
      auto [it, inserted] = req.headers.try_emplace(std::move(name), field.value());
      if (!inserted) {
        it->second += ", ";
        it->second += field.value();
      }
    }
    const auto rid = req.header("x-request-id");
    req.request_id = !rid.empty() && rid.size() <= 128 && is_url_safe_token(rid) ? std::string(rid) : new_id();
    req.remote_address = remote;
    return req;
  }

  /// Serves one request whose header is read. Returns whether the connection may serve another.
  net::awaitable<bool> handle_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                      bhttp::request_parser<bhttp::empty_body>& parser, const std::string& remote,
                                      bool& consumed) {
    const auto started = std::chrono::steady_clock::now();
    // While a backup or restore runs here, requests take turns (request_pacer.hpp): a flood of them
    // waits rather than taking the job's CPU. The wait is part of the request's logged time.
    const bool busy = services.jobs != nullptr && services.jobs->running_here() > 0;
    if (const auto wait = pacer.admit(started, busy); wait > std::chrono::steady_clock::duration::zero()) {
      net::steady_timer timer(stream.get_executor());
      timer.expires_after(wait);
      co_await timer.async_wait(use_tuple);
    }
    Request req = make_request(parser.get(), remote);
    const bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
    const bool keep_alive = parser.get().keep_alive();
    Exchange ex{stream, req, started, keep_alive && !stopping};

    const RouteMatch match = router.match(req.method, req.path);
    if (match.bad_path) {
      ApiError e = *match.bad_path;
      co_return co_await refuse(ex, e, has_body);
    }
    if (!match.route) {
      ApiError e = not_found("NOT_FOUND", fmt::format("no such endpoint: {}", req.path));
      if (match.other_method) {
        std::vector<Method> allowed = match.allowed;
        std::sort(allowed.begin(), allowed.end());
        std::string allow;
        boost::json::array names;
        for (const Method m : allowed) {
          allow += fmt::format("{}{}", allow.empty() ? "" : ", ", method_name(m));
          names.emplace_back(method_name(m));
        }
        e = ApiError{405,
                     "METHOD_NOT_ALLOWED",
                     fmt::format("{} is not allowed on {}; allowed: {}", method_name(req.method), req.path, allow),
                     boost::json::object{{"allowed_methods", std::move(names)}},
                     {},
                     {}};
        e.headers.emplace_back("Allow", allow);
      }
      co_return co_await refuse(ex, e, has_body);
    }
    const Route& route = *match.route;
    req.params = match.params;

    std::string protocol;
    const std::string key(route.options.auth ? request_key(req, &protocol) : std::string_view{});
    if (route.options.auth && !has_body && !route.is_websocket() && !route.streamed()) {
      // Nothing to read first: the key, the checks and the handler in one trip to the pool (each trip
      // is two thread switches, which cost as much as a cached answer).
      std::optional<ApiError> refusal;
      Response res;
      co_await on_pool([&] {
        refusal = admit(route, req, ex, key);
        if (!refusal) res = call_handler(route.handler, req);
      });
      if (refusal) co_return co_await refuse(ex, *refusal, has_body);
      co_return co_await respond(ex, res);
    }
    if (route.options.auth) {
      std::optional<ApiError> refusal;
      co_await on_pool([&] { refusal = admit(route, req, ex, key); });
      if (refusal) co_return co_await refuse(ex, *refusal, has_body);
    }

    if (route.is_websocket()) co_return co_await serve_websocket(ex, route, parser, protocol, consumed);
    if (route.streamed()) co_return co_await serve_streamed(ex, route, buffer, parser);

    // A small body: refuse an announced oversize body without reading it; cap a chunked one.
    const std::size_t limit = route.options.max_body_bytes;
    if (parser.content_length() && *parser.content_length() > limit) co_return co_await refuse_too_large(ex, limit);
    if (has_body) {
      co_await continue_if_expected(stream, req);
      bhttp::request_parser<bhttp::string_body> body_parser(std::move(parser));
      body_parser.body_limit(limit);
      stream.expires_after(options.io_timeout);
      auto [rec, n] = co_await bhttp::async_read(stream, buffer, body_parser, use_tuple);
      if (rec == bhttp::error::body_limit) co_return co_await refuse_too_large(ex, limit);
      if (rec) {
        log_line(ex, 0, 0, "body not received: " + rec.message());
        co_return false;
      }
      req.body = std::move(body_parser.get().body());
    }
    Response res;
    co_await on_pool([&] { res = call_handler(route.handler, req); });
    co_return co_await respond(ex, res);
  }

  /// What one request's answer needs to know.
  struct Exchange {
    beast::tcp_stream& stream;
    Request& req;
    std::chrono::steady_clock::time_point started;
    bool keep_alive;
    std::string key_id = "-";
  };

  /// The checks before a route's handler, in their order: the key (401), the rate limit (429, counted
  /// only when the key is good), admin-only (403). Sets the request's caller and the exchange's key id.
  /// Runs on the pool (the key may be looked up in the store).
  std::optional<ApiError> admit(const Route& route, Request& req, Exchange& ex, const std::string& key) {
    auto who = services.keys->authenticate(*services.store, key);
    if (auto* e = std::get_if<ApiError>(&who)) return std::move(*e);
    req.caller = std::get<Caller>(std::move(who));
    ex.key_id = req.caller->key_id;
    if (services.rate_limiter) {
      if (const auto retry = services.rate_limiter->admit(req.caller->key_id, route.options.rate)) {
        ApiError e{429,
                   "RATE_LIMIT_EXCEEDED",
                   fmt::format("rate limit reached; retry in {} s", *retry),
                   boost::json::object{{"retry_after_seconds", *retry}},
                   {},
                   {}};
        e.headers.emplace_back("Retry-After", std::to_string(*retry));
        return e;
      }
    }
    if (route.options.admin_only && !req.caller->is_admin()) return forbidden("this call needs an admin key");
    return std::nullopt;
  }

  static ApiError too_large(std::uint64_t limit) {
    return ApiError{413,
                    "FILE_TOO_LARGE",
                    fmt::format("the request body is over the limit of {} bytes", limit),
                    boost::json::object{{"max_bytes", limit}},
                    {},
                    {}};
  }

  static Response call_handler(const Handler& handler, Request& req) {
    try {
      return handler(req);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} threw: {}", method_name(req.method), req.path, e.what());
      return internal_error("the server failed to handle the request");
    }
  }

  net::awaitable<void> continue_if_expected(beast::tcp_stream& stream, const Request& req) {
    if (lower(req.header("expect")) != "100-continue") co_return;
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
    co_await bhttp::async_write(stream, cont, use_tuple);
  }

  /// Answers with an error before the body was read; a body left unread means the connection closes.
  /// (Arguments of the coroutines below are named lvalues: see the note at the top of the file.)
  net::awaitable<bool> refuse(Exchange& ex, ApiError& error, bool body_unread) {
    if (body_unread) ex.keep_alive = false;
    Response res(std::move(error));
    co_return co_await respond(ex, res);
  }

  /// 413 for a body over `limit`, which stays unread.
  net::awaitable<bool> refuse_too_large(Exchange& ex, std::uint64_t limit) {
    ApiError e = too_large(limit);
    co_return co_await refuse(ex, e, true);
  }

  void log_line(const Exchange& ex, int status, std::uint64_t bytes, std::string_view note = {}) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - ex.started).count() /
        1000.0;
    access_log->info("{} \"{} {}\" {} {} {:.1f}ms rid={} key={}{}{}", ex.req.remote_address, method_name(ex.req.method),
                     ex.req.target, status, bytes, ms, ex.req.request_id, ex.key_id, note.empty() ? "" : " ", note);
  }

  template <class Message>
  void common_headers(Message& m, Exchange& ex, const std::vector<std::pair<std::string, std::string>>& extra) {
    if (stopping) ex.keep_alive = false;  // shutting down: this is the connection's last answer
    m.set(bhttp::field::server, "claudelens");
    m.set("X-Request-Id", ex.req.request_id);
    for (const auto& [name, value] : extra) m.set(name, value);
    m.keep_alive(ex.keep_alive);
  }

  /// Writes a response (JSON, envelope or file). Returns whether the connection may go on.
  net::awaitable<bool> respond(Exchange& ex, Response& res) {
    if (res.error) {
      res.status = res.error->status;
      res.content_type = "application/json";
      res.body = render_envelope(*res.error, ex.req.path, ex.req.request_id, services.clock->now_ms());
      for (auto& h : res.error->headers) res.headers.push_back(std::move(h));
    }
    if (res.file) co_return co_await send_file(ex, res);
    bhttp::response<bhttp::string_body> msg{static_cast<bhttp::status>(res.status), 11};
    common_headers(msg, ex, res.headers);
    msg.set(bhttp::field::content_type, res.content_type);
    msg.set(bhttp::field::cache_control, "no-store");
    const std::uint64_t bytes = res.body.size();
    msg.body() = std::move(res.body);
    msg.prepare_payload();
    ex.stream.expires_after(options.io_timeout);
    error_code ec;
    if (ex.req.method == Method::head) {  // a HEAD answer is the header alone (RFC 9110 §9.3.2)
      bhttp::response_serializer<bhttp::string_body> sr{msg};
      auto [hec, hn] = co_await bhttp::async_write_header(ex.stream, sr, use_tuple);
      ec = hec;
    } else {
      auto [wec, wn] = co_await bhttp::async_write(ex.stream, msg, use_tuple);
      ec = wec;
    }
    log_line(ex, res.status, bytes, res.error ? res.error->code : std::string_view{});
    co_return !ec && ex.keep_alive;
  }

  net::awaitable<bool> write_string(beast::tcp_stream& stream, int status, std::string_view type, std::string&& body,
                                    const std::string& rid,
                                    const std::vector<std::pair<std::string, std::string>>& extra, bool keep_alive) {
    bhttp::response<bhttp::string_body> msg{static_cast<bhttp::status>(status), 11};
    msg.set(bhttp::field::server, "claudelens");
    msg.set("X-Request-Id", rid);
    for (const auto& [name, value] : extra) msg.set(name, value);
    msg.set(bhttp::field::content_type, type);
    msg.keep_alive(keep_alive);
    msg.body() = std::move(body);
    msg.prepare_payload();
    stream.expires_after(options.io_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, msg, use_tuple);
    co_return !ec && keep_alive;
  }

  // ---- downloads --------------------------------------------------------------------------------------

  net::awaitable<bool> send_file(Exchange& ex, Response& res) {
    const int fd = ::open(res.file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Response gone(ApiError{410, "BACKUP_FILE_MISSING", "the file is gone from the backup folder", nullptr, {}, {}});
      co_return co_await respond(ex, gone);
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    const std::uint64_t size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
    std::uint64_t first = 0, length = size;
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers = res.headers;
    headers.emplace_back("Accept-Ranges", "bytes");
    const ByteRange range = parse_range(ex.req.header("range"), size);
    if (range.kind == ByteRange::Kind::unsatisfiable) {
      ApiError e{416, "INVALID_REQUEST", fmt::format("the range is outside the file's {} bytes", size), nullptr, {},
                 {}};
      e.headers.emplace_back("Content-Range", content_range(range, size));
      Response res(std::move(e));
      co_return co_await respond(ex, res);
    }
    if (range.kind == ByteRange::Kind::partial) {
      status = 206;
      first = range.first;
      length = range.length();
      headers.emplace_back("Content-Range", content_range(range, size));
    }
    bhttp::response<bhttp::buffer_body> msg{static_cast<bhttp::status>(status), 11};
    common_headers(msg, ex, headers);
    msg.set(bhttp::field::content_type, res.content_type);
    msg.content_length(length);
    msg.body().data = nullptr;
    msg.body().more = true;
    bhttp::response_serializer<bhttp::buffer_body> sr{msg};
    ex.stream.expires_after(options.io_timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(ex.stream, sr, use_tuple);
    if (hec) {
      log_line(ex, status, 0, "client gone");
      co_return false;
    }
    std::vector<char> chunk(k_chunk);
    std::uint64_t sent = 0;
    while (sent < length) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk, length - sent));
      const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(first + sent));
      if (got <= 0) {  // the file shrank under us: the answer cannot be completed
        log_line(ex, status, sent, "file read failed");
        co_return false;
      }
      msg.body().data = chunk.data();
      msg.body().size = static_cast<std::size_t>(got);
      msg.body().more = sent + static_cast<std::uint64_t>(got) < length;
      ex.stream.expires_after(options.io_timeout);
      auto [ec, n] = co_await bhttp::async_write(ex.stream, sr, use_tuple);
      if (ec && ec != bhttp::error::need_buffer) {
        log_line(ex, status, sent, "client gone");
        co_return false;
      }
      sent += static_cast<std::uint64_t>(got);
    }
    if (!sr.is_done()) {
      msg.body().data = nullptr;
      msg.body().size = 0;
      msg.body().more = false;
      auto [ec, n] = co_await bhttp::async_write(ex.stream, sr, use_tuple);
      if (ec) co_return false;
    }
    log_line(ex, status, sent);
    co_return ex.keep_alive;
  }

  // ---- uploads ----------------------------------------------------------------------------------------

  net::awaitable<bool> serve_streamed(Exchange& ex, const Route& route, beast::flat_buffer& buffer,
                                      bhttp::request_parser<bhttp::empty_body>& parser) {
    const std::uint64_t limit = services.max_upload_bytes;
    const bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
    if (parser.content_length() && *parser.content_length() > limit) co_return co_await refuse_too_large(ex, limit);
    StreamStart start;
    co_await on_pool([&] {
      try {
        start = route.stream(ex.req);
      } catch (const std::exception& e) {
        spdlog::error("upload handler for {} threw: {}", ex.req.path, e.what());
        start = StreamStart{nullptr, Response(internal_error("the server failed to start the upload"))};
      }
    });
    if (!start.sink) {
      Response answer = start.answer ? std::move(*start.answer) : Response(internal_error("no upload sink"));
      if (has_body) ex.keep_alive = false;
      co_return co_await respond(ex, answer);
    }
    std::shared_ptr<BodySink> sink(std::move(start.sink));
    if (has_body) {
      co_await continue_if_expected(ex.stream, ex.req);
      bhttp::request_parser<bhttp::buffer_body> body_parser(std::move(parser));
      body_parser.body_limit(limit);
      std::vector<char> chunk(k_chunk);
      while (!body_parser.is_done()) {
        body_parser.get().body().data = chunk.data();
        body_parser.get().body().size = chunk.size();
        ex.stream.expires_after(options.io_timeout);
        auto [ec, n] = co_await bhttp::async_read(ex.stream, buffer, body_parser, use_tuple);
        if (ec == bhttp::error::body_limit) {
          co_await on_pool([&] { sink.reset(); });  // cleaned up before the client hears of it
          co_return co_await refuse_too_large(ex, limit);
        }
        if (ec && ec != bhttp::error::need_buffer) {
          log_line(ex, 0, 0, "upload abandoned: " + ec.message());
          co_return false;  // the sink is destroyed without finish(): it removes what it wrote
        }
        const std::size_t got = chunk.size() - body_parser.get().body().size;
        if (got == 0) continue;
        std::optional<ApiError> failed;
        co_await on_pool([&] {
          try {
            failed = sink->write(std::string_view(chunk.data(), got));
          } catch (const std::exception& e) {
            spdlog::error("upload sink threw: {}", e.what());
            failed = internal_error("the server failed to store the upload");
          }
        });
        if (failed) {
          co_await on_pool([&] { sink.reset(); });
          co_return co_await refuse(ex, *failed, !body_parser.is_done());
        }
      }
    }
    Response res;
    co_await on_pool([&] {
      try {
        res = sink->finish();
      } catch (const std::exception& e) {
        spdlog::error("upload sink threw at the end: {}", e.what());
        res = Response(internal_error("the server failed to finish the upload"));
      }
      sink.reset();  // a refused upload's file is gone before the answer goes out
    });
    co_return co_await respond(ex, res);
  }

  // ---- WebSockets -------------------------------------------------------------------------------------

  net::awaitable<bool> serve_websocket(Exchange& ex, const Route& route,
                                       bhttp::request_parser<bhttp::empty_body>& parser, const std::string& protocol,
                                       bool& consumed) {
    if (!websocket::is_upgrade(parser.get())) {
      ApiError e = invalid_request("this path needs a WebSocket upgrade");
      co_return co_await refuse(ex, e, false);
    }
    WsStart start;
    co_await on_pool([&] {
      try {
        start = route.websocket(ex.req);
      } catch (const std::exception& e) {
        spdlog::error("websocket handler for {} threw: {}", ex.req.path, e.what());
        start = WsStart{nullptr, internal_error("the server failed to open the feed")};
      }
    });
    if (!start.feed) {
      ex.keep_alive = false;
      // A local, not a temporary in the co_await: GCC 12 destroyed that temporary twice (a crash).
      Response refusal(start.refuse ? std::move(*start.refuse) : internal_error("no feed"));
      co_return co_await respond(ex, refusal);
    }
    std::shared_ptr<WsFeed> feed(std::move(start.feed));
    consumed = true;
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(ex.stream));
    beast::get_lowest_layer(*ws).expires_never();
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    const std::string rid = ex.req.request_id;
    ws->set_option(websocket::stream_base::decorator([protocol, rid](websocket::response_type& r) {
      r.set(bhttp::field::server, "claudelens");
      r.set("X-Request-Id", rid);
      if (!protocol.empty()) r.set(bhttp::field::sec_websocket_protocol, protocol);
    }));
    auto [aec] = co_await ws->async_accept(parser.get(), use_tuple);
    if (aec) {
      log_line(ex, 400, 0, "websocket handshake failed: " + aec.message());
      co_return false;
    }
    log_line(ex, 101, 0);
    // Read (and drop) what the client sends so that pings and its close are handled.
    auto peer_gone = std::make_shared<bool>(false);
    net::co_spawn(
        ioc,
        [ws, peer_gone]() -> net::awaitable<void> {
          beast::flat_buffer in;
          for (;;) {
            in.clear();
            auto [ec, n] = co_await ws->async_read(in, use_tuple);
            if (ec) break;
          }
          *peer_gone = true;
        },
        net::detached);
    net::steady_timer timer(ioc);
    while (!*peer_gone) {
      WsFeed::Batch batch;
      co_await on_pool([&] { batch = feed->poll(); });
      for (const auto& m : batch.messages) {
        ws->text(true);
        auto [ec, n] = co_await ws->async_write(net::buffer(m), use_tuple);
        if (ec) co_return false;
      }
      if (batch.done || stopping) {
        co_await ws->async_close(websocket::close_code::normal, use_tuple);  // a failed close changes nothing
        co_return false;
      }
      timer.expires_after(k_ws_poll);
      co_await timer.async_wait(use_tuple);
    }
    co_return false;
  }
};

Server::Server(ServerOptions options, const Router& router, Services& services)
    : m_impl(std::make_unique<Impl>(std::move(options), router, services)) {}

Server::~Server() {
  m_impl->pool.join();
}

Result<std::uint16_t> Server::listen() {
  auto& impl = *m_impl;
  const std::string& text = impl.options.listen;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return fail(Errc::invalid_argument, fmt::format("--listen '{}' is not HOST:PORT", text));
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const auto port_text = std::string_view(text).substr(colon + 1);
  const auto [p, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (pec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535)
    return fail(Errc::invalid_argument, fmt::format("--listen '{}': the port must be 0..65535", text));
  error_code ec;
  const auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return fail(Errc::invalid_argument, fmt::format("--listen '{}': '{}' is not an IP address", text, host));
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(port));
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::io, fmt::format("cannot listen on {}: {}", text, ec.message()));
  return impl.acceptor.local_endpoint().port();
}

void Server::run() {
  auto& impl = *m_impl;
  if (impl.options.handle_signals) {
    impl.signals.add(SIGINT);
    impl.signals.add(SIGTERM);
    impl.signals.async_wait([&impl](const error_code& ec, int signo) {
      if (ec) return;
      spdlog::warn("signal {} received: shutting down", signo);
      impl.begin_shutdown();
    });
  }
  net::co_spawn(impl.ioc, impl.accept_loop(), net::detached);
  impl.ioc.run();
  impl.pool.join();
}

void Server::stop() {
  net::post(m_impl->ioc, [impl = m_impl.get()] { impl->begin_shutdown(); });
}

}  // namespace claudelens::http
