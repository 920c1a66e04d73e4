// The HTTP/1.1 + WebSocket server: Boost.Beast on one I/O thread with C++20 coroutines, handlers on a
// worker pool. Keep-alive, per-step timeouts, header and body limits, request ids, one access-log line
// per request, authentication and rate limits before any handler runs, file downloads with Range, and a
// two-phase shutdown (stop accepting and close idle connections; let requests in flight finish for up to
// `shutdown_grace`; then stop). Beast and Asio stay inside server.cpp (pimpl).
//
// Thread-safety: listen() and run() from one thread; stop() from any thread or a signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/request_pacer.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace claudelens::http {

struct ServerOptions {
  /// HOST:PORT to listen on; port 0 picks a free one (see listen()). Default: 127.0.0.1:8080.
  std::string listen = "127.0.0.1:8080";
  /// Largest request header block; larger gets 400 INVALID_REQUEST and the connection closes. Default: 64 KiB.
  std::uint32_t max_header_bytes = 64 * 1024;
  /// How long a kept-alive connection may wait for its next request. Default: 60 s.
  std::chrono::seconds idle_timeout{60};
  /// How long one read or write step of a request may take. Default: 60 s.
  std::chrono::seconds io_timeout{60};
  /// Threads that run handlers (they may block on the store and disk). Default: 8.
  int worker_threads = 8;
  /// Phase two of shutdown: how long requests in flight may take to finish. Default: 10 s.
  std::chrono::seconds shutdown_grace{10};
  /// Handle SIGINT/SIGTERM by shutting down. Default: true.
  bool handle_signals = true;
  /// While a job runs in this process (Services::jobs), requests take turns at this rate (RequestPacer;
  /// `serve --requests-during-jobs`). Default: PacerOptions{} (1,000 a second, bursts of 100).
  PacerOptions pacing;
};

class Server {
 public:
  /// `router` and `services` must outlive the server.
  Server(ServerOptions options, const Router& router, Services& services);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens. Returns the port (the chosen one when the options said 0).
  /// Errors: invalid_argument for a bad HOST:PORT, io when the address cannot be bound.
  Result<std::uint16_t> listen();
  /// Serves until stop() or a signal; returns after the two-phase shutdown.
  void run();
  /// Starts the shutdown. Thread-safe; idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace claudelens::http
