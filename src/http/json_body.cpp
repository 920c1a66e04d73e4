// JSON bodies, field validation and paging (json_body.hpp).
#include "http/json_body.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "http/errors.hpp"

namespace claudelens::http {

namespace json = boost::json;

std::variant<json::object, ApiError> parse_json_object(const Request& request) {
  if (request.body.empty()) return invalid_request("the request needs a JSON object body");
  boost::system::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec) return invalid_request(fmt::format("the body is not JSON: {}", ec.message()));
  if (!v.is_object()) return invalid_request("the body must be a JSON object");
  return std::move(v.as_object());
}

Fields::Fields(const json::object& object, std::string prefix, std::vector<FieldError>& errors)
    : m_object(object), m_prefix(std::move(prefix)), m_errors(errors) {}

std::string Fields::path(std::string_view name) const {
  return m_prefix.empty() ? std::string(name) : m_prefix + "." + std::string(name);
}

const json::value* Fields::raw(std::string_view name) const {
  return m_object.if_contains(name);
}

bool Fields::has(std::string_view name) const {
  return raw(name) != nullptr;
}

void Fields::error(std::string_view name, std::string_view code, std::string message) {
  const json::value* v = raw(name);
  m_errors.push_back(FieldError{path(name), std::move(message), std::string(code), v ? *v : json::value(nullptr)});
}

namespace {

/// nullptr when absent; records "required" when it must be present.
const json::value* present(Fields& f, std::string_view name, bool required) {
  const json::value* v = f.raw(name);
  if (!v && required) f.error(name, "required", "is required");
  return v;
}

}  // namespace

std::optional<std::string> Fields::string(std::string_view name, bool required, std::size_t min_len,
                                          std::size_t max_len) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(name, "type", "must be a string");
    return std::nullopt;
  }
  std::string s(v->as_string());
  if (s.size() < min_len || s.size() > max_len) {
    error(name, "length", fmt::format("must be {} to {} characters long", min_len, max_len));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Fields::integer(std::string_view name, std::int64_t min, std::int64_t max, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) n = v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    n = static_cast<std::int64_t>(v->as_uint64());
  if (!n) {
    error(name, "type", "must be an integer");
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    error(name, "range", fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<double> Fields::number(std::string_view name, double min, double max, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(name, "type", "must be a number");
    return std::nullopt;
  }
  const double d = v->to_number<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    error(name, "range", fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> Fields::boolean(std::string_view name, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(name, "type", "must be true or false");
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::string> Fields::one_of(std::string_view name, std::initializer_list<std::string_view> allowed,
                                          bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(name, "type", "must be a string");
    return std::nullopt;
  }
  const std::string_view s = v->as_string();
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    error(name, "enum", fmt::format("must be one of {}", fmt::join(allowed, ", ")));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<TimeMs> Fields::time(std::string_view name, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(name, "type", "must be an ISO 8601 time string");
    return std::nullopt;
  }
  const auto t = parse_iso8601(v->as_string());
  if (!t) error(name, "format", "must be an ISO 8601 time such as 2026-01-15T10:30:00Z");
  return t;
}

std::optional<std::vector<std::string>> Fields::strings(std::string_view name, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    error(name, "type", "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->as_array().size(); ++i) {
    const auto& item = v->as_array()[i];
    if (!item.is_string()) {
      m_errors.push_back(FieldError{fmt::format("{}[{}]", path(name), i), "must be a string", "type", item});
      return std::nullopt;
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

const json::object* Fields::object(std::string_view name, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return nullptr;
  if (!v->is_object()) {
    error(name, "type", "must be an object");
    return nullptr;
  }
  return &v->as_object();
}

const json::array* Fields::array(std::string_view name, bool required) {
  const json::value* v = present(*this, name, required);
  if (!v) return nullptr;
  if (!v->is_array()) {
    error(name, "type", "must be an array");
    return nullptr;
  }
  return &v->as_array();
}

void Fields::reject_unknown(std::initializer_list<std::string_view> known) {
  for (const auto& kv : m_object) {
    if (std::find(known.begin(), known.end(), kv.key()) == known.end())
      m_errors.push_back(FieldError{path(kv.key()), "is not a known field", "unknown", kv.value()});
  }
}

std::optional<std::int64_t> query_integer(const Request& request, std::string_view name, std::int64_t min,
                                          std::int64_t max, std::vector<FieldError>& errors) {
  const auto text = request.query_param(name);
  if (!text) return std::nullopt;
  std::int64_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc{} || ptr != end) {
    errors.push_back(FieldError{std::string(name), "must be an integer", "type", json::string(*text)});
    return std::nullopt;
  }
  if (n < min || n > max) {
    errors.push_back(FieldError{std::string(name), fmt::format("must be between {} and {}", min, max), "range",
                                json::string(*text)});
    return std::nullopt;
  }
  return n;
}

Paging parse_paging(const Request& request, std::vector<FieldError>& errors) {
  Paging p;
  if (auto page = query_integer(request, "page", 1, 1'000'000'000, errors)) p.page = *page;
  if (auto size = query_integer(request, "size", 1, 100, errors)) p.size = *size;
  return p;
}

json::object pagination_json(std::int64_t total_items, const Paging& paging) {
  const std::int64_t total_pages = total_items == 0 ? 0 : (total_items + paging.size - 1) / paging.size;
  return json::object{{"total_items", total_items},
                      {"total_pages", total_pages},
                      {"current_page", paging.page},
                      {"page_size", paging.size},
                      {"has_next", paging.page < total_pages},
                      {"has_previous", paging.page > 1}};
}

}  // namespace claudelens::http
