// Route table and segment-wise matching (router.hpp).
#include "http/router.hpp"

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "http/errors.hpp"

namespace claudelens::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// A decoded segment a handler may see: not "."/"..", no '/', no control characters.
bool safe_segment(std::string_view s) {
  if (s == "." || s == "..") return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    for (auto* s : {&name, &value}) {
      for (char& c : *s)
        if (c == '+') c = ' ';
      if (auto decoded = percent_decode(*s)) *s = std::move(*decoded);
    }
    out[std::move(name)] = std::move(value);
  }
  return out;
}

void Router::add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  Route r;
  r.method = method;
  r.pattern = std::string(pattern);
  r.handler = std::move(handler);
  r.options = options;
  insert(std::move(r));
}

void Router::add_stream(Method method, std::string_view pattern, StreamHandler handler, RouteOptions options) {
  Route r;
  r.method = method;
  r.pattern = std::string(pattern);
  r.stream = std::move(handler);
  r.options = options;
  insert(std::move(r));
}

void Router::add_websocket(std::string_view pattern, WsHandler handler, RouteOptions options) {
  Route r;
  r.method = Method::get;
  r.pattern = std::string(pattern);
  r.websocket = std::move(handler);
  r.options = options;
  insert(std::move(r));
}

void Router::set_fallback(Handler handler, RouteOptions options) {
  Route r;
  r.method = Method::get;
  r.pattern = "/{*}";
  r.handler = std::move(handler);
  r.options = options;
  m_fallback = std::move(r);
}

void Router::insert(Route route) {
  for (const auto s : split_path(route.pattern)) route.segments.emplace_back(s);
  for (const auto& existing : m_routes) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      spdlog::critical("route {} {} registered twice", method_name(route.method), route.pattern);
      std::abort();
    }
  }
  m_routes.push_back(std::move(route));
}

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch result;
  const auto raw = split_path(path);
  std::vector<std::string> decoded;
  decoded.reserve(raw.size());
  for (const auto s : raw) {
    auto d = percent_decode(s);
    if (!d) {
      result.bad_path = invalid_request("malformed percent-escape in the path");
      return result;
    }
    if (*d == "." || *d == "..") {  // never resolved: a path that climbs is refused wherever it climbs
      result.bad_path = invalid_request("'.' and '..' segments are not allowed in a path");
      return result;
    }
    decoded.push_back(std::move(*d));
  }
  int best_literals = -1;
  for (const auto& route : m_routes) {
    if (route.segments.size() != decoded.size()) continue;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < decoded.size() && ok; ++i) {
      if (is_param(route.segments[i])) continue;
      // Literal segments compare with the raw text: "%62ackups" is not "backups".
      ok = route.segments[i] == raw[i];
      ++literals;
    }
    if (!ok) continue;
    if (route.method != method) {
      result.other_method = true;
      if (std::find(result.allowed.begin(), result.allowed.end(), route.method) == result.allowed.end())
        result.allowed.push_back(route.method);
      continue;
    }
    if (literals <= best_literals) continue;
    best_literals = literals;
    result.route = &route;
  }
  if (!result.route) {
    const bool api = path.starts_with("/api/") || path == "/api" || path.starts_with("/ws/") || path == "/ws";
    if (m_fallback && !result.other_method && !api) {
      if (method == Method::get) {
        result.route = &*m_fallback;
      } else {  // the web page's paths are GET only
        result.other_method = true;
        result.allowed = {Method::get};
      }
    }
    return result;
  }
  result.other_method = false;
  result.allowed.clear();
  const auto& segs = result.route->segments;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (!is_param(segs[i])) continue;
    if (!safe_segment(decoded[i]) || decoded[i].empty()) {
      result.route = nullptr;
      result.params.clear();
      result.bad_path = invalid_request("path parameter '" + segs[i].substr(1, segs[i].size() - 2) +
                                        "' holds '.', '..', '/', or a control character");
      return result;
    }
    result.params[segs[i].substr(1, segs[i].size() - 2)] = decoded[i];
  }
  return result;
}

}  // namespace claudelens::http
