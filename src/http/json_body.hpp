// Reading and validating JSON request bodies and query strings, for handlers: the body must parse
// (400 INVALID_REQUEST otherwise), and each field that breaks a rule adds one FieldError named by its
// dotted path ("filters.date_range.start"), so that one answer lists every problem (400
// VALIDATION_FAILED). Wrong types and unknown enum values are errors, never defaults.
// Not thread-safe: one Fields per request.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/time.hpp"
#include "http/message.hpp"

namespace claudelens::http {

/// The body as a JSON object, or 400 INVALID_REQUEST (not JSON, or not an object).
std::variant<boost::json::object, ApiError> parse_json_object(const Request& request);

/// Typed field access on one JSON object, recording a FieldError for each field that breaks its rule.
/// Getters return nullopt when the field is absent (no error unless `required`) or invalid (error).
class Fields {
 public:
  /// `prefix` is the dotted path of `object` itself ("" at the top, "filters" inside).
  Fields(const boost::json::object& object, std::string prefix, std::vector<FieldError>& errors);

  bool has(std::string_view name) const;
  std::optional<std::string> string(std::string_view name, bool required = false, std::size_t min_len = 0,
                                    std::size_t max_len = 1'000'000);
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max, bool required = false);
  std::optional<double> number(std::string_view name, double min, double max, bool required = false);
  std::optional<bool> boolean(std::string_view name, bool required = false);
  /// A string that must be one of `allowed`.
  std::optional<std::string> one_of(std::string_view name, std::initializer_list<std::string_view> allowed,
                                    bool required = false);
  /// An ISO 8601 time string.
  std::optional<TimeMs> time(std::string_view name, bool required = false);
  /// An array of strings (each checked).
  std::optional<std::vector<std::string>> strings(std::string_view name, bool required = false);
  /// A nested object (null pointer when absent or not an object; the latter records an error).
  const boost::json::object* object(std::string_view name, bool required = false);
  const boost::json::array* array(std::string_view name, bool required = false);
  /// Records an "unknown" error for each field not in `known`.
  void reject_unknown(std::initializer_list<std::string_view> known);

  /// The dotted path of a field of this object.
  std::string path(std::string_view name) const;
  /// Records an error for field `name` of this object (value: what was sent, null when absent).
  void error(std::string_view name, std::string_view code, std::string message);
  const boost::json::value* raw(std::string_view name) const;

 private:
  const boost::json::object& m_object;
  std::string m_prefix;
  std::vector<FieldError>& m_errors;
};

/// `page` (≥ 1, default 1) and `size` (1–100, default 20) of a paged list, API.md's /backups rules.
struct Paging {
  std::int64_t page = 1;
  std::int64_t size = 20;
  std::int64_t offset() const noexcept { return (page - 1) * size; }
};
/// Reads page/size from the query; bad values add FieldErrors named "page" / "size".
Paging parse_paging(const Request& request, std::vector<FieldError>& errors);
/// API.md's `pagination` object for `total_items` items.
boost::json::object pagination_json(std::int64_t total_items, const Paging& paging);
/// An integer query parameter within [min, max]; absent → nullopt; bad → a FieldError named `name`.
std::optional<std::int64_t> query_integer(const Request& request, std::string_view name, std::int64_t min,
                                          std::int64_t max, std::vector<FieldError>& errors);

}  // namespace claudelens::http
