// The server process and the test clients (server_support.hpp).
#include "integration/server_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "integration/openapi_check.hpp"

extern char** environ;

namespace claudelens::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bhttp::verb verb_of(const std::string& method) {
  const auto v = bhttp::string_to_verb(method);
  return v == bhttp::verb::unknown ? bhttp::verb::get : v;
}

/// Fails the running test for each way `reply` breaks openapi.json (openapi_check.hpp).
void check_against_openapi(std::string_view method, std::string_view target, const HttpReply& reply) {
  if (reply.status == 0) return;  // no answer: nothing to check
  for (const auto& p : openapi_problems(method, target, reply.status, reply.headers, reply.body))
    ADD_FAILURE() << "openapi.json: " << method << " " << target << " -> " << reply.status << ": " << p
                  << "\n  body: " << reply.body.substr(0, 600);
}

/// The first response in `bytes` (a raw exchange's answer): status, headers, Content-Length body.
HttpReply parse_raw_reply(const std::string& bytes) {
  HttpReply r;
  const auto end = bytes.find("\r\n\r\n");
  if (!bytes.starts_with("HTTP/1.1 ") || bytes.size() < 12 || end == std::string::npos) return r;
  r.status = std::atoi(bytes.substr(9, 3).c_str());
  std::size_t line = bytes.find("\r\n") + 2;
  while (line < end) {
    const auto eol = bytes.find("\r\n", line);
    const auto colon = bytes.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      auto value = bytes.substr(colon + 1, eol - colon - 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(bytes.substr(line, colon - line))] = value;
    }
    line = eol + 2;
  }
  const auto length = r.header("content-length");
  r.body = bytes.substr(end + 4, length.empty() ? std::string::npos : std::stoull(length));
  return r;
}

template <class Body>
HttpReply to_reply(const bhttp::response<Body>& res) {
  HttpReply r;
  r.status = static_cast<int>(res.result_int());
  for (const auto& f : res) r.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  r.body = res.body();
  return r;
}

}  // namespace

boost::json::value HttpReply::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

std::string HttpReply::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

// ---- ServerProcess ------------------------------------------------------------------------------------

ServerProcess::ServerProcess(Options options) : m_options(std::move(options)) {
  std::filesystem::create_directories(m_options.dir);
  const std::string db =
      m_options.db_url.empty() ? "sqlite:" + (m_options.dir / "db.sqlite").string() : m_options.db_url;
  std::vector<std::string> args{CLAUDELENS_BIN, "--db", db,      "--backup-dir", (m_options.dir / "backups").string(),
                                "--log-level",  "info", "serve", "--listen",     "127.0.0.1:0"};
  // Global flags go before the subcommand; --api-key is one of them.
  if (!m_options.api_key.empty()) args.insert(args.begin() + 1, {"--api-key", m_options.api_key});
  args.insert(args.begin() + 1, m_options.extra_args.begin(), m_options.extra_args.end());
  args.insert(args.end(), m_options.serve_args.begin(), m_options.serve_args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& [k, v] : m_options.env) env.push_back(k + "=" + v);

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  const std::string log = (m_options.dir / "server.log").string();
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&m_pid, CLAUDELENS_BIN, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    m_pid = -1;
    m_startup_error = "cannot start the server";
    return;
  }
  m_out = out_pipe[0];
  // Read stdout until "Serving at http://127.0.0.1:PORT".
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{m_out, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(m_out, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    const auto at = out.find("Serving at http://");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      const auto colon = out.find(':', at + 18);
      m_port = static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
      break;
    }
  }
  const std::string key_marker = "only its hash is stored): ";
  if (const auto k = out.find(key_marker); k != std::string::npos)
    m_printed_key = out.substr(k + key_marker.size(), out.find('\n', k) - k - key_marker.size());
  if (m_port == 0) m_startup_error = "the server did not start; stdout: " + out + " log: " + this->log();
}

ServerProcess::~ServerProcess() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  if (m_out >= 0) ::close(m_out);
}

bool ServerProcess::running() {
  if (m_pid <= 0) return false;
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    m_pid = -1;
    return false;
  }
  return true;
}

int ServerProcess::stop(int signal, std::chrono::milliseconds wait) {
  if (m_pid <= 0) return -1;
  ::kill(m_pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(m_options.dir / "server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- HTTP -----------------------------------------------------------------------------------------------

struct HttpConnection::Impl {
  net::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  bool ok = false;
};

HttpConnection::HttpConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : m_impl(std::make_unique<Impl>()) {
  boost::system::error_code ec;
  m_impl->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  m_impl->ok = !ec;
  if (m_impl->ok) set_timeouts(m_impl->socket.native_handle(), timeout);
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const {
  return m_impl->ok;
}

HttpReply HttpConnection::request(const std::string& method, const std::string& target, const std::string& body,
                                  const HeaderList& headers) {
  HttpReply reply;
  if (!m_impl->ok) {
    reply.error = "not connected";
    return reply;
  }
  bhttp::request<bhttp::string_body> req{verb_of(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = body;
    if (req.find(bhttp::field::content_type) == req.end()) req.set(bhttp::field::content_type, "application/json");
  }
  req.prepare_payload();
  boost::system::error_code ec;
  bhttp::write(m_impl->socket, req, ec);
  if (ec) {
    m_impl->ok = false;
    reply.error = "write: " + ec.message();
    return reply;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);
  if (method == "HEAD") parser.skip(true);  // a HEAD answer has headers only
  bhttp::read(m_impl->socket, m_impl->buffer, parser, ec);
  if (ec) {
    m_impl->ok = false;
    reply.error = "read: " + ec.message();
    return reply;
  }
  reply = to_reply(parser.get());
  if (!parser.get().keep_alive()) m_impl->ok = false;
  check_against_openapi(method, target, reply);
  return reply;
}

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const HeaderList& headers) {
  HttpConnection c(port);
  return c.request(method, target, body, headers);
}

int open_idle_connection(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout,
                         std::size_t* sent) {
  const int fd = open_idle_connection(port);
  if (fd < 0) return {};
  set_timeouts(fd, timeout);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (sent) *sent = done;
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // The request line says which operation answered (none for bytes that are not HTTP).
  const auto eol = bytes.find("\r\n");
  const std::string line = bytes.substr(0, eol);
  const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  const bool http = sp1 != std::string::npos && sp2 > sp1 && line.ends_with("HTTP/1.1");
  check_against_openapi(http ? line.substr(0, sp1) : "-", http ? line.substr(sp1 + 1, sp2 - sp1 - 1) : "",
                        parse_raw_reply(out));
  return out;
}

// ---- WebSocket ----------------------------------------------------------------------------------------

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  websocket::response_type response;
  bool open = false;
};

WsClient::WsClient(std::uint16_t port, const std::string& target, const HeaderList& headers,
                   const std::string& subprotocol)
    : m_impl(std::make_unique<Impl>()) {
  boost::system::error_code ec;
  auto& sock = beast::get_lowest_layer(m_impl->ws);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  set_timeouts(sock.native_handle(), std::chrono::seconds(15));
  m_impl->ws.set_option(websocket::stream_base::decorator([headers, subprotocol](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!subprotocol.empty()) req.set(bhttp::field::sec_websocket_protocol, subprotocol);
  }));
  m_impl->ws.handshake(m_impl->response, "127.0.0.1", target, ec);
  m_impl->open = !ec;
  if (!m_impl->open && m_impl->response.result_int() != 0)  // a refused upgrade is a plain HTTP answer
    check_against_openapi("GET", target, to_reply(m_impl->response));
}

WsClient::~WsClient() {
  if (m_impl->open) {
    boost::system::error_code ec;
    m_impl->ws.close(websocket::close_code::normal, ec);
  }
}

bool WsClient::open() const {
  return m_impl->open;
}

int WsClient::refused_status() const {
  return static_cast<int>(m_impl->response.result_int());
}

std::string WsClient::accepted_protocol() const {
  return std::string(m_impl->response[bhttp::field::sec_websocket_protocol]);
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (!m_impl->open) return std::nullopt;
  set_timeouts(beast::get_lowest_layer(m_impl->ws).native_handle(), timeout);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  m_impl->ws.read(buffer, ec);
  if (ec) {
    m_impl->open = false;
    return std::nullopt;
  }
  return beast::buffers_to_string(buffer.data());
}

}  // namespace claudelens::testing
