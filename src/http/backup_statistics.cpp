#include "http/backup_statistics.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <map>

namespace claudelens::http {

namespace json = boost::json;

namespace {

constexpr TimeMs k_day_ms = 86'400'000;

// Days since 1970-01-01 ↔ civil dates (H. Hinnant's algorithms, proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string day_text(TimeMs t) {
  const Civil c = civil_from_days(floor_div(t, k_day_ms));
  return fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
}

double round1(double v) {
  return std::round(v * 10) / 10;
}

bool in_window(const StatisticsQuery& q, TimeMs t) {
  return (!q.from || t >= *q.from) && (!q.to || t < *q.to);
}

}  // namespace

TimeMs bucket_start(Period p, TimeMs t) {
  const std::int64_t days = floor_div(t, k_day_ms);
  switch (p) {
    case Period::day:
      return days * k_day_ms;
    case Period::week: {
      const std::int64_t weekday = ((days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday: Monday = 0
      return (days - weekday) * k_day_ms;
    }
    case Period::month: {
      const Civil c = civil_from_days(days);
      return days_from_civil(c.y, c.m, 1) * k_day_ms;
    }
    case Period::year: {
      const Civil c = civil_from_days(days);
      return days_from_civil(c.y, 1, 1) * k_day_ms;
    }
  }
  return t;
}

TimeMs next_bucket(Period p, TimeMs start) {
  switch (p) {
    case Period::day:
      return start + k_day_ms;
    case Period::week:
      return start + 7 * k_day_ms;
    case Period::month: {
      const Civil c = civil_from_days(floor_div(start, k_day_ms));
      return days_from_civil(c.m == 12 ? c.y + 1 : c.y, c.m == 12 ? 1 : c.m + 1, 1) * k_day_ms;
    }
    case Period::year: {
      const Civil c = civil_from_days(floor_div(start, k_day_ms));
      return days_from_civil(c.y + 1, 1, 1) * k_day_ms;
    }
  }
  return start + k_day_ms;
}

namespace {

std::int64_t count_buckets(Period p, TimeMs from, TimeMs to) {
  switch (p) {
    case Period::day:
      return (to - from) / k_day_ms + 1;
    case Period::week:
      return (to - from) / (7 * k_day_ms) + 2;
    case Period::month:
      return (to - from) / (28 * k_day_ms) + 2;
    case Period::year:
      return (to - from) / (365 * k_day_ms) + 2;
  }
  return 0;
}

const char* period_name(Period p) {
  switch (p) {
    case Period::day:
      return "day";
    case Period::week:
      return "week";
    case Period::month:
      return "month";
    case Period::year:
      return "year";
  }
  return "";
}

/// The default timeline window ending at `to`.
TimeMs default_from(Period p, TimeMs to) {
  switch (p) {
    case Period::day:
      return to - 29 * k_day_ms;
    case Period::week:
      return to - 11 * 7 * k_day_ms;
    case Period::month: {
      TimeMs start = bucket_start(Period::month, to);
      for (int i = 0; i < 11; ++i) start = bucket_start(Period::month, start - 1);
      return start;
    }
    case Period::year: {
      TimeMs start = bucket_start(Period::year, to);
      for (int i = 0; i < 4; ++i) start = bucket_start(Period::year, start - 1);
      return start;
    }
  }
  return to;
}

}  // namespace

Checked<StatisticsQuery> parse_statistics_query(const std::map<std::string, std::string>& params, TimeMs now) {
  std::vector<FieldError> errors;
  Query p(params, errors);
  StatisticsQuery q;
  if (auto period = p.string("period")) {
    if (*period == "day")
      q.period = Period::day;
    else if (*period == "week")
      q.period = Period::week;
    else if (*period == "month")
      q.period = Period::month;
    else if (*period == "year")
      q.period = Period::year;
    else
      p.error("period", "enum", "must be day, week, month or year");
  }
  q.from = p.time("from");
  q.to = p.time("to");
  if (q.from && q.to && *q.from >= *q.to) p.error("to", k_invalid_date_range, "must be after from");
  if (q.from && *q.from < q.to.value_or(now) && count_buckets(q.period, *q.from, q.to.value_or(now)) > k_max_buckets)
    p.error("from", "range",
            fmt::format("the timeline would have more than {} {} buckets; choose a longer period or a "
                        "shorter range",
                        k_max_buckets, period_name(q.period)));
  p.reject_unknown();
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {q, {}};
}

json::object backup_statistics(const std::vector<backup::BackupMetadata>& backups,
                               const std::vector<RestoreFact>& restores, const std::vector<TimeMs>& deletions,
                               const StorageFacts& storage, const StatisticsQuery& q, TimeMs now) {
  // Summary, by type and by status over the window.
  std::int64_t count = 0, total = 0, largest = 0, completed = 0, finished = 0;
  std::optional<TimeMs> oldest, newest;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_type{
      {"full", {0, 0}}, {"selective", {0, 0}}, {"incremental", {0, 0}}};
  json::object by_status{{"pending", 0}, {"in_progress", 0}, {"completed", 0},
                         {"failed", 0},  {"corrupted", 0},   {"deleting", 0}};
  for (const auto& m : backups) {
    if (!in_window(q, m.created_at)) continue;
    ++count;
    total += m.size_bytes;
    largest = std::max(largest, m.size_bytes);
    oldest = std::min(oldest.value_or(m.created_at), m.created_at);
    newest = std::max(newest.value_or(m.created_at), m.created_at);
    auto& t = by_type[std::string(backup::backup_type_name(m.type))];
    t.first += 1;
    t.second += m.size_bytes;
    auto& s = by_status[backup::backup_status_name(m.status)];
    s = s.as_int64() + 1;
    if (m.status == backup::BackupStatus::completed) ++completed;
    if (m.status == backup::BackupStatus::completed || m.status == backup::BackupStatus::failed ||
        m.status == backup::BackupStatus::corrupted)
      ++finished;
  }
  auto average = [](std::int64_t sum, std::int64_t n) { return n ? sum / n : 0; };
  json::object summary{{"total_backups", count},
                       {"total_size_bytes", total},
                       {"average_size_bytes", average(total, count)},
                       {"largest_backup_bytes", largest},
                       {"oldest_backup", oldest ? json::value(format_iso8601(*oldest)) : nullptr},
                       {"newest_backup", newest ? json::value(format_iso8601(*newest)) : nullptr},
                       {"success_rate", finished ? json::value(round1(100.0 * completed / finished)) : nullptr}};
  json::object types;
  for (const auto& [name, v] : by_type)
    types[name] = json::object{
        {"count", v.first}, {"total_size_bytes", v.second}, {"average_size_bytes", average(v.second, v.first)}};

  // Timeline.
  const TimeMs to = q.to.value_or(now);
  const TimeMs from = q.from.value_or(default_from(q.period, to));
  struct Bucket {
    std::int64_t created = 0, deleted = 0, size = 0, restores = 0;
  };
  std::map<TimeMs, Bucket> buckets;
  for (TimeMs b = bucket_start(q.period, from); b < to || b == bucket_start(q.period, from);
       b = next_bucket(q.period, b))
    buckets[b];
  auto bucket_of = [&](TimeMs t) -> Bucket* {
    if (t < from || t >= to) return nullptr;
    auto it = buckets.find(bucket_start(q.period, t));
    return it == buckets.end() ? nullptr : &it->second;
  };
  for (const auto& m : backups)
    if (auto* b = bucket_of(m.created_at)) {
      ++b->created;
      b->size += m.size_bytes;
    }
  for (TimeMs t : deletions)
    if (auto* b = bucket_of(t)) ++b->deleted;
  for (const auto& r : restores)
    if (auto* b = bucket_of(r.restored_at)) ++b->restores;
  json::array data;
  for (const auto& [start, b] : buckets)
    data.push_back(json::object{{"date", day_text(start)},
                                {"backups_created", b.created},
                                {"backups_deleted", b.deleted},
                                {"total_size_bytes", b.size},
                                {"restores_performed", b.restores}});

  // Restores.
  std::int64_t restores_total = 0, ok = 0, failed = 0;
  double seconds = 0;
  for (const auto& r : restores) {
    if (!in_window(q, r.restored_at)) continue;
    ++restores_total;
    if (r.status == "success") {
      ++ok;
      seconds += r.duration_seconds;
    } else if (r.status == "failed") {
      ++failed;
    }
  }
  const std::int64_t capacity = storage.quota_bytes.value_or(storage.used_bytes + storage.available_bytes);
  return json::object{
      {"summary", std::move(summary)},
      {"by_type", std::move(types)},
      {"by_status", std::move(by_status)},
      {"timeline", json::object{{"period", period_name(q.period)},
                                {"from", format_iso8601(from)},
                                {"to", format_iso8601(to)},
                                {"data", std::move(data)}}},
      {"storage_usage",
       json::object{{"used_bytes", storage.used_bytes},
                    {"available_bytes", storage.available_bytes},
                    {"quota_bytes", storage.quota_bytes ? json::value(*storage.quota_bytes) : nullptr},
                    {"percentage_used", capacity > 0 ? round1(100.0 * storage.used_bytes / capacity) : 0.0}}},
      {"restore_statistics", json::object{{"total_restores", restores_total},
                                          {"successful_restores", ok},
                                          {"failed_restores", failed},
                                          {"average_restore_time_seconds", ok ? round1(seconds / ok) : 0.0}}}};
}

}  // namespace claudelens::http
