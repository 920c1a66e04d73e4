// Loopback listeners for notification tests: an HTTP server that records every request (method, target,
// headers, body) and answers with a chosen status, and an SMTP server that records every mail (EHLO name,
// MAIL FROM, RCPT TO, the DATA text) answering 220/250/354/221. Plain POSIX sockets on 127.0.0.1, one
// thread each, one connection at a time; every read has a timeout, so a silent client cannot hang a test.
// Header-only. The accessors are thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace claudelens::testing {

/// A port of 127.0.0.1 that was free a moment ago and has no listener now (for "unreachable" URLs).
inline std::uint16_t closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// The accept loop both listeners share: a listening socket on 127.0.0.1:`port` (0 = any free one) and a
/// thread that hands each connection to `serve`.
class LoopbackListener {
 public:
  using Serve = std::function<void(int fd)>;
  LoopbackListener(std::uint16_t port, Serve serve) : m_serve(std::move(serve)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(m_fd, 16) != 0) {
      ::close(m_fd);
      m_fd = -1;
      return;
    }
    socklen_t len = sizeof a;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { loop(); });
  }
  ~LoopbackListener() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_fd >= 0) ::close(m_fd);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  std::uint16_t port() const { return m_port; }  ///< 0 when it could not listen

 private:
  void loop() {
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      m_serve(c);
      ::close(c);
    }
  }

  Serve m_serve;
  int m_fd = -1;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

inline void send_all(int fd, const std::string& s) {
  std::size_t sent = 0;
  while (sent < s.size()) {
    const ssize_t n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

/// Reads into `buffer` until it contains `marker` (true) or the peer closes / the read times out (false).
inline bool read_until(int fd, std::string& buffer, const std::string& marker) {
  char chunk[4096];
  while (buffer.find(marker) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

/// Records calls and lets a test wait for the n-th.
template <class T>
class Recorded {
 public:
  void add(T item) {
    std::lock_guard lock(m_mutex);
    m_items.push_back(std::move(item));
    m_cv.notify_all();
  }
  std::vector<T> items() const {
    std::lock_guard lock(m_mutex);
    return m_items;
  }
  /// True when at least `n` were recorded within `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_items.size() >= n; });
  }

 private:
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_cv;
  std::vector<T> m_items;
};

struct HttpRequestSeen {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
};

/// A webhook receiver: records each request, answers `status` (settable) with an empty body.
class HttpRecorder {
 public:
  explicit HttpRecorder(int status = 200, std::uint16_t port = 0)
      : m_status(status), m_listener(port, [this](int fd) { serve(fd); }) {}
  std::uint16_t port() const { return m_listener.port(); }
  void set_status(int status) { m_status = status; }
  std::vector<HttpRequestSeen> requests() const { return m_seen.items(); }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const { return m_seen.wait_for(n, timeout); }

 private:
  void serve(int fd) {
    std::string buffer;
    if (!read_until(fd, buffer, "\r\n\r\n")) return;
    const auto head_end = buffer.find("\r\n\r\n");
    HttpRequestSeen r;
    std::size_t line_end = buffer.find("\r\n");
    const std::string request_line = buffer.substr(0, line_end);
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.find(' ', sp1 + 1);
    r.method = request_line.substr(0, sp1);
    r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    for (std::size_t pos = line_end + 2; pos < head_end;) {
      const auto end = buffer.find("\r\n", pos);
      const std::string line = buffer.substr(pos, end - pos);
      const auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
      pos = end + 2;
    }
    const std::size_t length = r.headers.contains("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    r.body = buffer.substr(head_end + 4);
    char chunk[4096];
    while (r.body.size() < length) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      r.body.append(chunk, static_cast<std::size_t>(n));
    }
    // Recorded before the answer: a client that has its answer finds the request recorded.
    m_seen.add(std::move(r));
    send_all(fd,
             "HTTP/1.1 " + std::to_string(m_status.load()) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }

  std::atomic<int> m_status;
  Recorded<HttpRequestSeen> m_seen;
  LoopbackListener m_listener;  // last: its thread stops before the members above go
};

struct MailSeen {
  std::string ehlo;               ///< the name after EHLO/HELO
  std::string from;               ///< MAIL FROM's address, without <>
  std::vector<std::string> rcpt;  ///< RCPT TO's addresses, without <>
  std::string data;               ///< the message as sent (dot-stuffing undone), CRLF lines
};

/// A minimal SMTP server: 220 greeting, 250 to EHLO/HELO/MAIL/RCPT/RSET/NOOP, 354 to DATA then 250 after
/// the lone dot, 221 to QUIT, 502 to anything else (also to STARTTLS and AUTH: it offers neither).
class SmtpRecorder {
 public:
  explicit SmtpRecorder(std::uint16_t port = 0) : m_listener(port, [this](int fd) { serve(fd); }) {}
  std::uint16_t port() const { return m_listener.port(); }
  std::vector<MailSeen> mails() const { return m_seen.items(); }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const { return m_seen.wait_for(n, timeout); }

 private:
  static std::string address(const std::string& line) {
    const auto open = line.find('<');
    const auto close = line.find('>', open);
    return open == std::string::npos || close == std::string::npos ? "" : line.substr(open + 1, close - open - 1);
  }

  void serve(int fd) {
    send_all(fd, "220 localhost test SMTP\r\n");
    MailSeen mail;
    std::string buffer;
    for (;;) {
      if (!read_until(fd, buffer, "\r\n")) return;
      const auto end = buffer.find("\r\n");
      const std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      std::string verb = line.substr(0, 4);
      std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
      if (verb == "EHLO" || verb == "HELO") {
        mail.ehlo = line.size() > 5 ? line.substr(5) : "";
        send_all(fd, "250 localhost\r\n");
      } else if (verb == "MAIL") {
        mail.from = address(line);
        send_all(fd, "250 OK\r\n");
      } else if (verb == "RCPT") {
        mail.rcpt.push_back(address(line));
        send_all(fd, "250 OK\r\n");
      } else if (verb == "DATA") {
        send_all(fd, "354 go ahead\r\n");
        if (!read_until(fd, buffer, "\r\n.\r\n")) return;
        const auto stop = buffer.find("\r\n.\r\n");
        std::string data = buffer.substr(0, stop + 2);
        buffer.erase(0, stop + 5);
        // Undo dot-stuffing: a line that starts with ".." was a line that starts with ".".
        std::string undone;
        std::size_t pos = 0;
        while (pos < data.size()) {
          auto eol = data.find("\r\n", pos);
          if (eol == std::string::npos) eol = data.size();
          std::string l = data.substr(pos, eol - pos);
          if (l.starts_with("..")) l.erase(0, 1);
          undone += l + "\r\n";
          pos = eol + 2;
        }
        mail.data = undone;
        m_seen.add(mail);  // recorded before the answer, as above
        send_all(fd, "250 queued\r\n");
        mail.from.clear();
        mail.rcpt.clear();
      } else if (verb == "RSET" || verb == "NOOP") {
        send_all(fd, "250 OK\r\n");
      } else if (verb == "QUIT") {
        send_all(fd, "221 bye\r\n");
        return;
      } else {
        send_all(fd, "502 not implemented\r\n");
      }
    }
  }

  Recorded<MailSeen> m_seen;
  LoopbackListener m_listener;
};

}  // namespace claudelens::testing
