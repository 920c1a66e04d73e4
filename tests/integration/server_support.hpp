// Integration-test support for the HTTP server: starts the real `claudelens serve` on a free port of
// 127.0.0.1 (and stops it), and small blocking clients: HTTP over Beast, raw bytes over a socket, and a
// WebSocket client. Every socket has a receive timeout so a hung server fails the test instead of
// hanging it. Every HTTP answer the clients receive (HttpConnection, http_request, raw_exchange, a
// refused WebSocket upgrade) is checked against src/http/openapi.json (openapi_check.hpp): one that
// breaks it fails the running test. Compiled once (server_support.cpp); not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace claudelens::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;                              ///< 0 when the exchange failed (connection closed or timed out)
  std::map<std::string, std::string> headers;  ///< lower-cased names
  std::string body;
  std::string error;  ///< what failed, when status is 0

  boost::json::value json() const;  ///< the body parsed (null when it is not JSON)
  std::string header(const std::string& lower_name) const;
};

/// The server as a child process.
class ServerProcess {
 public:
  struct Options {
    std::filesystem::path dir;            ///< holds db.sqlite, backups/, server.log
    std::string api_key;                  ///< --api-key; empty: let the server make and print one
    std::vector<std::string> extra_args;  ///< global flags (before `serve`)
    std::vector<std::string> serve_args;  ///< flags of `serve` itself (after it), e.g. --key-file
    HeaderList env;                       ///< extra environment variables
    std::string db_url;                   ///< default: sqlite:<dir>/db.sqlite
  };
  explicit ServerProcess(Options options);
  ~ServerProcess();  ///< SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return m_port; }
  pid_t pid() const { return m_pid; }
  /// The key the server printed on first start ("" when it printed none).
  const std::string& printed_key() const { return m_printed_key; }
  bool running();
  /// Sends `signal` and waits up to `wait` for the exit; the exit status (128+signal if killed), or -1.
  int stop(int signal, std::chrono::milliseconds wait = std::chrono::seconds(20));
  std::string log() const;  ///< what the server wrote to stderr so far
  const std::string& startup_error() const { return m_startup_error; }

 private:
  Options m_options;
  pid_t m_pid = -1;
  int m_out = -1;
  std::uint16_t m_port = 0;
  std::string m_printed_key;
  std::string m_startup_error;
};

/// One keep-alive connection to the server.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    const HeaderList& headers = {});
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// One request on a fresh connection.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const HeaderList& headers = {});

/// Opens a TCP connection, sends `bytes`, then reads until the server closes or `timeout` passes.
/// `sent` receives how many bytes could be written (the server may close before taking them all).
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10), std::size_t* sent = nullptr);
/// An open, idle TCP connection (fd), for the many-idle-connections test; -1 on failure.
int open_idle_connection(std::uint16_t port);

/// A WebSocket client.
class WsClient {
 public:
  WsClient(std::uint16_t port, const std::string& target, const HeaderList& headers = {},
           const std::string& subprotocol = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool open() const;           ///< the upgrade succeeded
  int refused_status() const;  ///< the HTTP status when the upgrade was declined
  std::string accepted_protocol() const;
  /// The next text message, or nullopt when the socket closed or `timeout` passed.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(15));

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace claudelens::testing
