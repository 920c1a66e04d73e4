#include "http/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "http/errors.hpp"

namespace claudelens::http {

namespace json = boost::json;

ApiError reject(std::vector<FieldError> errors) {
  auto has = [&](std::string_view code) {
    return std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.code == code; });
  };
  const std::string code = has(k_invalid_backup_type)  ? std::string(k_invalid_backup_type)
                           : has(k_invalid_date_range) ? std::string(k_invalid_date_range)
                                                       : std::string("VALIDATION_FAILED");
  std::string fields;
  for (const auto& e : errors) {
    if (!fields.empty()) fields += "; ";
    fields += e.field.empty() ? e.message : e.field + ": " + e.message;
  }
  ApiError out = validation_failed(std::move(errors));
  out.code = code;
  out.message = out.validation_errors.size() == 1
                    ? fields
                    : fmt::format("{} fields are invalid: {}", out.validation_errors.size(), fields);
  return out;
}

namespace {

/// Removes null members, recursively through objects: an optional field sent as null is absent.
void drop_nulls(json::object& o) {
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null()) {
      it = o.erase(it);
      continue;
    }
    if (auto* inner = it->value().if_object()) drop_nulls(*inner);
    ++it;
  }
}

}  // namespace

Checked<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return {std::nullopt, invalid_request(fmt::format("the body is not JSON: {}", ec.message()))};
  if (!v.is_object()) return {std::nullopt, invalid_request("the body must be a JSON object")};
  drop_nulls(v.as_object());
  return {std::move(v.as_object()), {}};
}

json::value value_at(const json::value& root, std::string_view path) {
  const json::value* v = &root;
  while (!path.empty() && v) {
    if (path.front() == '.') path.remove_prefix(1);
    if (!path.empty() && path.front() == '[') {
      const std::size_t close = path.find(']');
      if (close == std::string_view::npos) return nullptr;
      std::size_t i = 0;
      std::from_chars(path.data() + 1, path.data() + close, i);
      const auto* a = v->if_array();
      v = a && i < a->size() ? &(*a)[i] : nullptr;
      path.remove_prefix(close + 1);
      continue;
    }
    const std::size_t end = std::min(path.find('.'), path.find('['));
    const auto* o = v->if_object();
    v = o ? o->if_contains(path.substr(0, end)) : nullptr;
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return v ? *v : json::value(nullptr);
}

void add_field_errors(const std::vector<backup::FieldError>& from, const json::value& root,
                      std::vector<FieldError>& to) {
  for (const auto& e : from) to.push_back(FieldError{e.field, e.message, e.code, value_at(root, e.field)});
}

// ---- Query ------------------------------------------------------------------------------------------

Query::Query(const std::map<std::string, std::string>& params, std::vector<FieldError>& errors)
    : m_params(params), m_errors(errors) {}

void Query::error(std::string_view key, std::string_view code, std::string message) {
  const auto it = m_params.find(std::string(key));
  m_errors.push_back(FieldError{std::string(key), std::move(message), std::string(code),
                                it == m_params.end() ? json::value(nullptr) : json::value(it->second)});
}

const std::string* Query::find(std::string_view key) {
  m_known.emplace_back(key);
  const auto it = m_params.find(std::string(key));
  return it == m_params.end() ? nullptr : &it->second;
}

std::optional<std::string> Query::string(std::string_view key) {
  const auto* v = find(key);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

std::optional<std::int64_t> Query::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size()) {
    error(key, "type", "must be an integer");
    return std::nullopt;
  }
  if (n < min || n > max) {
    error(key, "range", fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Query::boolean(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  error(key, "type", "must be true or false");
  return std::nullopt;
}

std::optional<TimeMs> Query::time(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  const auto t = parse_iso8601(*v);
  if (!t) error(key, "format", "must be an ISO 8601 time such as 2026-01-15T10:30:00Z");
  return t;
}

void Query::reject_unknown() {
  for (const auto& [k, v] : m_params)
    if (std::find(m_known.begin(), m_known.end(), k) == m_known.end())
      m_errors.push_back(FieldError{k, "is not a known parameter", "unknown", json::value(v)});
}

}  // namespace claudelens::http
