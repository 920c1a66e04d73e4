// GET /backups/statistics: the query (period day|week|month|year, from, to) and the answer built from
// the backups and restore attempts the caller may see. With from/to, every figure covers backups
// created (and restores run) in [from, to); without them the summary, by_type, by_status and
// restore_statistics cover all time, and the timeline the last 30 days / 12 weeks / 12 months /
// 5 years up to now. Timeline buckets start at 00:00 UTC of a day, a Monday (ISO week), the 1st of a
// month or 1 January; `date` is that day (YYYY-MM-DD). Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/metadata.hpp"
#include "http/validation.hpp"

namespace claudelens::http {

enum class Period { day, week, month, year };

struct StatisticsQuery {
  Period period = Period::day;  ///< Default: day
  std::optional<TimeMs> from;   ///< Default: none (see above)
  std::optional<TimeMs> to;     ///< Default: none (now)
};

/// At most this many timeline buckets (a wider from/to is a validation error). Default: 1000
inline constexpr std::int64_t k_max_buckets = 1000;

/// `now` stands for a missing `to` when counting buckets.
Checked<StatisticsQuery> parse_statistics_query(const std::map<std::string, std::string>& params, TimeMs now);

/// One restore attempt, as the history records it.
struct RestoreFact {
  TimeMs restored_at = 0;
  std::string status;  ///< success | failed | partial
  double duration_seconds = 0;
};

/// The storage figures: used = the backups' files, available = free on the backup directory's file
/// system, quota = the configured maximum (nullopt when none).
struct StorageFacts {
  std::int64_t used_bytes = 0;
  std::int64_t available_bytes = 0;
  std::optional<std::int64_t> quota_bytes;
};

/// `deletions` are the times backups were deleted (for timeline.backups_deleted).
boost::json::object backup_statistics(const std::vector<backup::BackupMetadata>& backups,
                                      const std::vector<RestoreFact>& restores, const std::vector<TimeMs>& deletions,
                                      const StorageFacts& storage, const StatisticsQuery& query, TimeMs now);

/// The start of the bucket holding `t`, and of the next one.
TimeMs bucket_start(Period p, TimeMs t);
TimeMs next_bucket(Period p, TimeMs start);

}  // namespace claudelens::http
