// What a backup selects (SPEC §6, API.md `filters`), how a request is validated, and the JSON form of
// both. Filters combine with AND. Project, session, pattern and message-count filters select whole
// sessions with their records without a uuid; a date range selects the entries whose timestamp falls
// in [start, end), and a session's entries without a timestamp go with it when any of its entries does.
// Plain values and pure functions; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace claudelens::backup {

enum class BackupType { full, selective, incremental };
std::string_view backup_type_name(BackupType t) noexcept;
std::optional<BackupType> parse_backup_type(std::string_view s) noexcept;

struct DateRange {
  TimeMs start = 0;  ///< inclusive
  TimeMs end = 0;    ///< exclusive
};

struct Filters {
  std::vector<std::string> projects;  ///< project ids, paths or folder names
  std::vector<std::string> sessions;  ///< Claude session ids
  std::optional<DateRange> date_range;
  std::vector<std::string> include_patterns;      ///< globs on project path and name: one must match
  std::vector<std::string> exclude_patterns;      ///< globs on project path and name: none may match
  std::optional<std::int64_t> min_message_count;  ///< 1–10000, per session
  std::optional<std::int64_t> max_message_count;  ///< 1–10000, per session

  bool empty() const noexcept;
};

/// One broken rule, in API.md's `validation_errors` shape.
struct FieldError {
  std::string field;    ///< "filters.date_range.start"
  std::string message;  ///< for a person
  std::string code;     ///< "INVALID_DATE_RANGE", "VALIDATION_FAILED", ...
};

/// The rules of SPEC §6 for `filters` given `type`: selective needs at least one filter, full takes
/// none; date range start < end and end not after `now`; message counts 1–10000 and min <= max;
/// patterns non-empty. Empty when all hold.
std::vector<FieldError> validate_filters(const Filters& f, BackupType type, TimeMs now);

/// A backup name: 3–100 characters of letters, digits, spaces, '-' and '_' (API.md).
std::optional<FieldError> validate_backup_name(std::string_view name);

/// Joins field errors into one Error (Errc::invalid_argument), "field: message; ...".
Error to_error(const std::vector<FieldError>& errors);

/// True when `glob` (fnmatch syntax: *, ?, [..]; '*' also matches '/') matches `text`.
bool glob_match(std::string_view glob, std::string_view text);
/// True when the project passes the include/exclude patterns of `f`.
bool project_passes_patterns(const Filters& f, std::string_view path, std::string_view name);

boost::json::value filters_to_json(const Filters& f);
/// Reads API.md's `filters` object; wrong types are FieldErrors (field names prefixed with "filters.").
Result<Filters> filters_from_json(const boost::json::value& v, std::vector<FieldError>& errors);

}  // namespace claudelens::backup
