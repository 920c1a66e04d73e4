#include "http/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

namespace claudelens::http {

namespace json = boost::json;

Rejection reject(std::vector<ValidationError> errors) {
  Rejection r;
  auto has = [&](std::string_view code) {
    return std::any_of(errors.begin(), errors.end(), [&](const ValidationError& e) { return e.code == code; });
  };
  r.code = has("INVALID_BACKUP_TYPE")  ? "INVALID_BACKUP_TYPE"
           : has("INVALID_DATE_RANGE") ? "INVALID_DATE_RANGE"
                                       : "VALIDATION_FAILED";
  std::string fields;
  for (const auto& e : errors) {
    if (!fields.empty()) fields += "; ";
    fields += e.field.empty() ? e.message : e.field + ": " + e.message;
  }
  r.message = errors.size() == 1 ? fields : fmt::format("{} fields are invalid: {}", errors.size(), fields);
  r.errors = std::move(errors);
  return r;
}

Rejection reject_body(std::string message) {
  return Rejection{"INVALID_REQUEST", std::move(message), {}};
}

json::value value_at(const json::value& root, std::string_view path) {
  const json::value* v = &root;
  while (!path.empty() && v) {
    if (path.front() == '.') path.remove_prefix(1);
    if (path.front() == '[') {
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
    const std::string_view key = path.substr(0, end);
    const auto* o = v->if_object();
    v = o ? o->if_contains(key) : nullptr;
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return v ? *v : json::value(nullptr);
}

void add_field_errors(const std::vector<backup::FieldError>& from, const json::value& root,
                      std::vector<ValidationError>& to) {
  for (const auto& e : from) to.push_back({e.field, e.message, e.code, value_at(root, e.field)});
}

std::optional<json::object> parse_object(std::string_view body, std::string& message) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    message = fmt::format("the body is not JSON: {}", ec.message());
    return std::nullopt;
  }
  if (!v.is_object()) {
    message = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

// ---- Fields ----------------------------------------------------------------------------------------

Fields::Fields(const json::object& object, std::string prefix, std::vector<ValidationError>& errors)
    : m_object(object), m_prefix(std::move(prefix)), m_errors(errors) {}

std::string Fields::path(std::string_view key) const {
  return m_prefix.empty() ? std::string(key) : fmt::format("{}.{}", m_prefix, key);
}

void Fields::error(std::string_view key, std::string message, std::string_view code) {
  const auto* v = m_object.if_contains(key);
  m_errors.push_back({path(key), std::move(message), std::string(code), v ? *v : json::value(nullptr)});
}

const json::value* Fields::find(std::string_view key) {
  m_known.emplace_back(key);
  const auto* v = m_object.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

const json::value* Fields::raw(std::string_view key) {
  return find(key);
}

std::optional<std::string> Fields::string(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(key, "must be a string");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<bool> Fields::boolean(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(key, "must be true or false");
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<std::int64_t> Fields::integer(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(*u);
  error(key, "must be an integer");
  return std::nullopt;
}

const json::object* Fields::object(std::string_view key) {
  const auto* v = find(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    error(key, "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

std::optional<std::vector<std::string>> Fields::strings(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  const auto* a = v->if_array();
  if (!a) {
    error(key, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto* s = (*a)[i].if_string();
    if (!s || s->empty() || s->size() > 4096) {
      m_errors.push_back(
          {fmt::format("{}[{}]", path(key), i), "must be a string of 1 to 4096 characters", "VALIDATION_FAILED", (*a)[i]});
      ok = false;
      continue;
    }
    out.emplace_back(*s);
  }
  if (!ok) return std::nullopt;
  return out;
}

void Fields::reject_unknown() {
  for (const auto& member : m_object) {
    const std::string_view key = member.key();
    if (std::find(m_known.begin(), m_known.end(), key) == m_known.end())
      m_errors.push_back({path(key), "is not a known field", "VALIDATION_FAILED", member.value()});
  }
}

// ---- Query ------------------------------------------------------------------------------------------

Query::Query(const QueryParams& params, std::vector<ValidationError>& errors) : m_params(params), m_errors(errors) {}

void Query::error(std::string_view key, std::string message, std::string_view code) {
  const std::string* v = nullptr;
  for (const auto& [k, value] : m_params)
    if (k == key) v = &value;
  m_errors.push_back({std::string(key), std::move(message), std::string(code), v ? json::value(*v) : nullptr});
}

const std::string* Query::find(std::string_view key) {
  m_known.emplace_back(key);
  const std::string* found = nullptr;
  for (const auto& [k, v] : m_params) {
    if (k != key) continue;
    if (found) {
      error(key, "is given more than once");
      return nullptr;
    }
    found = &v;
  }
  return found;
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
    error(key, "must be an integer");
    return std::nullopt;
  }
  if (n < min || n > max) {
    error(key, fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Query::boolean(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  error(key, "must be true or false");
  return std::nullopt;
}

std::optional<TimeMs> Query::time(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  const auto t = parse_iso8601(*v);
  if (!t) error(key, "must be an ISO 8601 time");
  return t;
}

void Query::reject_unknown() {
  for (const auto& [k, v] : m_params)
    if (std::find(m_known.begin(), m_known.end(), k) == m_known.end())
      m_errors.push_back({k, "is not a known parameter", "VALIDATION_FAILED", json::value(v)});
}

}  // namespace claudelens::http
