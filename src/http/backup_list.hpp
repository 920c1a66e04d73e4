// GET /backups: the query (page, size, sort, filters) read strictly, and the answer built from the
// backups the caller may see: the page of items, the pagination object, and the summary over all of
// those backups (every one the caller can see, whatever the filters and the page).
// Pure functions on loaded metadata; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/metadata.hpp"
#include "http/validation.hpp"

namespace claudelens::http {

enum class SortField { created_at, name, size_bytes };

struct ListQuery {
  std::int64_t page = 1;                   ///< ≥ 1. Default: 1
  std::int64_t size = 20;                  ///< 1–100. Default: 20
  SortField sort = SortField::created_at;  ///< Default: created_at,desc
  bool descending = true;
  std::optional<backup::BackupType> type;
  std::optional<backup::BackupStatus> status;
  std::optional<TimeMs> created_after;   ///< created_at >= this
  std::optional<TimeMs> created_before;  ///< created_at < this
  std::optional<std::int64_t> min_size;  ///< size_bytes >= this
  std::optional<std::int64_t> max_size;  ///< size_bytes <= this
  std::string search;                    ///< case-insensitive substring of name or description
};

/// Reads the query; each bad parameter is one validation error (unknown parameters too).
Checked<ListQuery> parse_list_query(const std::map<std::string, std::string>& params);

/// True when `m` passes the query's filters.
bool matches(const ListQuery& q, const backup::BackupMetadata& m);

/// Sorts a copy of the matching backups and builds {items, pagination, summary}; `visible` is every
/// backup the caller may see (any order). `item` renders one item (BackupMetadata JSON).
boost::json::object list_backups(const std::vector<backup::BackupMetadata>& visible, const ListQuery& q,
                                 const std::function<boost::json::object(const backup::BackupMetadata&)>& item);

/// The same answer as list_backups with `item` = backup_json, as JSON text, from items whose JSON is
/// serialized already (the server's registry cache): `item_json[i]` is the serialized item of
/// `visible[i]`. Byte for byte what serializing list_backups' object gives.
std::string list_backups_text(const std::vector<const backup::BackupMetadata*>& visible,
                              const std::vector<const std::string*>& item_json, const ListQuery& q);

/// {total_size_bytes, total_compressed_size_bytes, total_backups, backups_by_type, oldest_backup,
/// newest_backup} over `all`.
boost::json::object backups_summary(const std::vector<backup::BackupMetadata>& all);
boost::json::object backups_summary(const std::vector<const backup::BackupMetadata*>& all);

}  // namespace claudelens::http
