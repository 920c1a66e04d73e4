#include "http/multipart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace claudelens::http {

namespace {

constexpr std::string_view k_crlf = "\r\n";
/// Spaces or tabs allowed after a boundary (RFC 2046 transport padding) before its CRLF.
constexpr std::size_t k_max_padding = 64;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_boundary_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool is_token_char(char c) {
  return c > 32 && c < 127 && std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

/// Parameters of a header value: `type; a=b; c="d"`. Calls `param(name, value)` for each; returns the
/// leading value (the type), or nullopt when the syntax is broken.
template <class F>
std::optional<std::string_view> parse_params(std::string_view value, F&& param) {
  const std::size_t semi = value.find(';');
  const std::string_view type = trim(value.substr(0, semi));
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
  while (true) {
    rest = trim(rest);
    if (rest.empty()) break;
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = trim(rest.substr(0, eq));
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) return std::nullopt;
    rest = trim(rest.substr(eq + 1));
    std::string v;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        const char c = rest[i];
        if (c == '\\' && i + 1 < rest.size()) {
          v += rest[++i];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          v += c;
        }
      }
      if (!closed) return std::nullopt;
      rest.remove_prefix(i + 1);
    } else {
      std::size_t i = 0;
      while (i < rest.size() && rest[i] != ';') ++i;
      const std::string_view token = trim(rest.substr(0, i));
      if (token.empty() || !std::all_of(token.begin(), token.end(), is_token_char)) return std::nullopt;
      v = std::string(token);
      rest.remove_prefix(i);
    }
    param(name, std::move(v));
    rest = trim(rest);
    if (rest.empty()) break;
    if (rest.front() != ';') return std::nullopt;
    rest.remove_prefix(1);
  }
  return type;
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  std::optional<std::string> boundary;
  bool duplicate = false;
  const auto type = parse_params(content_type, [&](std::string_view name, std::string value) {
    if (!iequals(name, "boundary")) return;
    if (boundary) duplicate = true;
    boundary = std::move(value);
  });
  if (!type) return fail(Errc::invalid_argument, "Content-Type: cannot parse its parameters");
  if (!iequals(*type, "multipart/form-data"))
    return fail(Errc::invalid_argument, fmt::format("Content-Type must be multipart/form-data, not '{}'", *type));
  if (!boundary || duplicate) return fail(Errc::invalid_argument, "Content-Type: needs exactly one boundary parameter");
  if (boundary->empty() || boundary->size() > 70 || boundary->back() == ' ' ||
      !std::all_of(boundary->begin(), boundary->end(), is_boundary_char))
    return fail(Errc::invalid_argument, "Content-Type: the boundary must be 1 to 70 characters of RFC 2046");
  return std::move(*boundary);
}

Result<PartInfo> parse_part_headers(std::string_view block) {
  PartInfo info;
  bool disposition = false;
  while (!block.empty()) {
    const std::size_t end = block.find(k_crlf);
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
    if (std::any_of(line.begin(), line.end(),
                    [](char c) { return (static_cast<unsigned char>(c) < 32 && c != '\t') || c == 127; }))
      return fail(Errc::malformed_input, "a part header holds a control character");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(Errc::malformed_input, "a part header line is not 'Name: value'");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char))
      return fail(Errc::malformed_input, "a part header name holds a character that is not allowed");
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Disposition")) {
      if (disposition) return fail(Errc::malformed_input, "a part has two Content-Disposition headers");
      disposition = true;
      bool has_name = false, bad = false;
      const auto type = parse_params(value, [&](std::string_view p, std::string v) {
        if (iequals(p, "name")) {
          bad |= has_name;
          has_name = true;
          info.name = std::move(v);
        } else if (iequals(p, "filename")) {
          bad |= info.has_filename;
          info.has_filename = true;
          info.filename = std::move(v);
        }
      });
      if (!type || bad) return fail(Errc::malformed_input, "a part's Content-Disposition cannot be parsed");
      if (!iequals(*type, "form-data"))
        return fail(Errc::malformed_input, fmt::format("a part's Content-Disposition is '{}', not form-data", *type));
      if (info.name.empty()) return fail(Errc::malformed_input, "a part's Content-Disposition has no name");
    } else if (iequals(name, "Content-Type")) {
      info.content_type = std::string(value);
    }
  }
  if (!disposition) return fail(Errc::malformed_input, "a part has no Content-Disposition header");
  return info;
}

MultipartParser::MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits)
    : m_delimiter("\r\n--" + boundary), m_handler(handler), m_limits(limits) {
  // A virtual CRLF before the body lets the first delimiter (at the very start) match like the others.
  m_buffer = k_crlf;
}

Status MultipartParser::fail_with(std::string message) {
  m_state = State::failed;
  m_buffer.clear();
  return fail(Errc::malformed_input, std::move(message));
}

Status MultipartParser::feed(std::string_view chunk) {
  if (m_state == State::failed) return fail(Errc::malformed_input, "the multipart body was already rejected");
  m_fed += chunk.size();
  if (m_state == State::done) return {};  // the epilogue is ignored
  m_buffer.append(chunk);
  bool progressed = true;
  while (progressed) {
    progressed = false;
    auto st = step(progressed);
    if (!st) {
      m_state = State::failed;
      m_buffer.clear();
      return st;
    }
  }
  return {};
}

Status MultipartParser::finish() {
  if (m_state == State::failed) return fail(Errc::malformed_input, "the multipart body was already rejected");
  if (m_state != State::done) return fail_with("the multipart body ends without its closing boundary");
  return {};
}

Status MultipartParser::step(bool& progressed) {
  const std::size_t keep = m_delimiter.size() - 1;  // a delimiter may start in these last bytes
  switch (m_state) {
    case State::preamble: {
      const std::size_t pos = m_buffer.find(m_delimiter);
      const std::size_t skipped = pos == std::string::npos ? m_buffer.size() - std::min(m_buffer.size(), keep) : pos;
      m_preamble += skipped;
      if (m_preamble > m_limits.max_preamble_bytes + 2)  // + the virtual CRLF
        return fail_with("the multipart body does not start with its boundary");
      if (pos == std::string::npos) {
        m_buffer.erase(0, skipped);
        return {};
      }
      m_buffer.erase(0, pos + m_delimiter.size());
      m_state = State::after_delimiter;
      progressed = true;
      return {};
    }
    case State::after_delimiter: {
      if (m_buffer.size() < 2) return {};
      if (m_buffer.compare(0, 2, "--") == 0) {
        m_state = State::done;
        m_buffer.clear();
        return {};
      }
      std::size_t i = 0;
      while (i < m_buffer.size() && (m_buffer[i] == ' ' || m_buffer[i] == '\t')) ++i;
      if (i > k_max_padding) return fail_with("a multipart boundary line is followed by too much padding");
      if (m_buffer.size() < i + 2) return {};
      if (m_buffer.compare(i, 2, k_crlf) != 0) return fail_with("a multipart boundary line does not end with CRLF");
      m_buffer.erase(0, i + 2);
      if (++m_parts > m_limits.max_parts)
        return fail_with(fmt::format("the multipart body has more than {} parts", m_limits.max_parts));
      m_state = State::headers;
      progressed = true;
      return {};
    }
    case State::headers: {
      if (m_buffer.size() >= 2 && m_buffer.compare(0, 2, k_crlf) == 0)
        return fail_with("a part has no Content-Disposition header");
      const std::size_t end = m_buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (m_buffer.size() > m_limits.max_header_bytes + 3)
          return fail_with(fmt::format("a part's headers are longer than {} bytes", m_limits.max_header_bytes));
        return {};
      }
      if (end > m_limits.max_header_bytes)
        return fail_with(fmt::format("a part's headers are longer than {} bytes", m_limits.max_header_bytes));
      auto info = parse_part_headers(std::string_view(m_buffer).substr(0, end));
      if (!info) return fail(std::move(info).error());
      m_buffer.erase(0, end + 4);
      m_state = State::body;
      CL_CHECK(m_handler.on_part_begin(*info));
      progressed = true;
      return {};
    }
    case State::body: {
      const std::size_t pos = m_buffer.find(m_delimiter);
      if (pos == std::string::npos) {
        const std::size_t emit = m_buffer.size() - std::min(m_buffer.size(), keep);
        if (emit == 0) return {};
        CL_CHECK(m_handler.on_part_data(std::string_view(m_buffer).substr(0, emit)));
        m_buffer.erase(0, emit);
        return {};
      }
      if (pos > 0) CL_CHECK(m_handler.on_part_data(std::string_view(m_buffer).substr(0, pos)));
      CL_CHECK(m_handler.on_part_end());
      m_buffer.erase(0, pos + m_delimiter.size());
      m_state = State::after_delimiter;
      progressed = true;
      return {};
    }
    case State::done:
      m_buffer.clear();
      return {};
    case State::failed:
      return fail(Errc::malformed_input, "the multipart body was already rejected");
  }
  return {};
}

}  // namespace claudelens::http
