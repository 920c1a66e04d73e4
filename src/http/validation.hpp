// Strict reading of request JSON and query strings for the backup and restore endpoints, with every
// problem collected as API.md's `validation_errors` entries (field by dotted path, message, code,
// the value sent). Wrong types and unknown fields are errors, never defaults; null counts as absent.
// Plain values; not thread-safe (one Fields per request).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/filters.hpp"

namespace claudelens::http {

/// One `validation_errors` entry.
struct ValidationError {
  std::string field;    ///< dotted path: "filters.date_range.start", "selections.projects[2]"
  std::string message;  ///< for a person
  std::string code;     ///< VALIDATION_FAILED, INVALID_DATE_RANGE, INVALID_BACKUP_TYPE, INVALID_REQUEST
  boost::json::value value;  ///< what was sent (null when absent)
};

/// Why a request was refused: the error envelope's code and message, and the fields.
struct Rejection {
  std::string code;  ///< INVALID_REQUEST when the body is not a JSON object, else by precedence:
                     ///< INVALID_BACKUP_TYPE, INVALID_DATE_RANGE, VALIDATION_FAILED
  std::string message;
  std::vector<ValidationError> errors;
};

/// A parsed request, or why it was refused.
template <class T>
struct Checked {
  std::optional<T> value;
  Rejection rejection;
  explicit operator bool() const noexcept { return value.has_value(); }
};

/// The envelope code for these field errors (precedence above), and a message naming the fields.
Rejection reject(std::vector<ValidationError> errors);
/// A body that is not JSON or not an object.
Rejection reject_body(std::string message);

/// The value at a dotted path ("a.b[2].c") in `root`, or null.
boost::json::value value_at(const boost::json::value& root, std::string_view path);

/// Converts the engine's field errors, looking each value up in `root`.
void add_field_errors(const std::vector<backup::FieldError>& from, const boost::json::value& root,
                      std::vector<ValidationError>& to);

/// Parses `body` as one JSON object; nullopt (and `message`) when it is not one.
std::optional<boost::json::object> parse_object(std::string_view body, std::string& message);

/// Typed, strict access to one JSON object's members; remembers which were read so that the others
/// can be reported as unknown. `prefix` ("filters") starts each field's path.
class Fields {
 public:
  Fields(const boost::json::object& object, std::string prefix, std::vector<ValidationError>& errors);

  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  /// A nested object (nullptr when absent or null; an error when another type).
  const boost::json::object* object(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  /// Marks `key` as known without reading it (another function reads it).
  const boost::json::value* raw(std::string_view key);
  /// An error for each member not read through this object.
  void reject_unknown();

  std::string path(std::string_view key) const;
  void error(std::string_view key, std::string message, std::string_view code = "VALIDATION_FAILED");

 private:
  const boost::json::value* find(std::string_view key);
  const boost::json::object& m_object;
  std::string m_prefix;
  std::vector<ValidationError>& m_errors;
  std::vector<std::string> m_known;
};

/// A query string's parameters, decoded, in order.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// Typed, strict access to query parameters (a parameter given twice is an error; unknown ones too).
class Query {
 public:
  Query(const QueryParams& params, std::vector<ValidationError>& errors);

  std::optional<std::string> string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<TimeMs> time(std::string_view key);
  void reject_unknown();
  void error(std::string_view key, std::string message, std::string_view code = "VALIDATION_FAILED");

 private:
  const std::string* find(std::string_view key);
  const QueryParams& m_params;
  std::vector<ValidationError>& m_errors;
  std::vector<std::string> m_known;
};

}  // namespace claudelens::http
