// Helpers for the backup and restore endpoints' validation on top of json_body.hpp: the envelope code
// for a set of field errors (API.md's specific codes first), the engines' field errors converted with
// the values sent, and strict query-string reading (unknown parameters are errors too).
// Pure functions; Query is not thread-safe (one per request).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/filters.hpp"
#include "http/message.hpp"

namespace claudelens::http {

/// A parsed request, or the error to answer with.
template <class T>
struct Checked {
  std::optional<T> value;
  ApiError error;
  explicit operator bool() const noexcept { return value.has_value(); }
};

/// Per-field codes that name API.md's specific envelope codes.
inline constexpr std::string_view k_invalid_backup_type = "INVALID_BACKUP_TYPE";
inline constexpr std::string_view k_invalid_date_range = "INVALID_DATE_RANGE";

/// 400 with every field error; the envelope code is INVALID_BACKUP_TYPE when a field error has that
/// code, else INVALID_DATE_RANGE when one has that code, else VALIDATION_FAILED.
ApiError reject(std::vector<FieldError> errors);

/// The body as one JSON object (null members removed, recursively: an optional field sent as null is
/// absent), or 400 INVALID_REQUEST.
Checked<boost::json::object> parse_object(std::string_view body);

/// The value at a dotted path ("a.b[2].c") in `root`, or null.
boost::json::value value_at(const boost::json::value& root, std::string_view path);

/// Converts the engine's field errors, looking each value up in `root`.
void add_field_errors(const std::vector<backup::FieldError>& from, const boost::json::value& root,
                      std::vector<FieldError>& to);

/// Typed, strict access to query parameters; remembers which were read so that the others can be
/// reported as unknown.
class Query {
 public:
  Query(const std::map<std::string, std::string>& params, std::vector<FieldError>& errors);

  std::optional<std::string> string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  /// "true" or "false".
  std::optional<bool> boolean(std::string_view key);
  std::optional<TimeMs> time(std::string_view key);
  void reject_unknown();
  void error(std::string_view key, std::string_view code, std::string message);

 private:
  const std::string* find(std::string_view key);
  const std::map<std::string, std::string>& m_params;
  std::vector<FieldError>& m_errors;
  std::vector<std::string> m_known;
};

}  // namespace claudelens::http
