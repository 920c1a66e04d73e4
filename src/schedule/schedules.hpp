// Backup schedules (API.md `scheduling.schedules[]`): a name, a cron expression, the backup's type,
// filters and options, enabled or paused, last_run and next_run. Each is one record in
// SystemTable::schedules (kind = backup type, status = "enabled" | "paused"). next_run is derived, never
// trusted from storage: the first cron slot strictly after `now` (null while paused). The scheduler that
// runs them (inside `claudelens serve`) sets last_run. Thread-safe as the Store is.
#pragma once

#include <boost/json/fwd.hpp>

#include <functional>
#include <optional>
#include <string>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "schedule/cron.hpp"
#include "store/store.hpp"

namespace claudelens::schedule {

struct Schedule {
  std::string id;
  std::string name;  ///< API.md's backup-name rule (3–100 letters, digits, spaces, '-', '_')
  std::string cron;  ///< as given (parse_cron accepts it)
  bool enabled = true;
  backup::BackupType type = backup::BackupType::full;
  backup::Filters filters;
  int compression_level = 3;  ///< options.compression_level, 1–9. Default: 3.
  std::optional<TimeMs> last_run;
  std::optional<TimeMs> next_run;  ///< filled by with_next_run()
  std::string created_by;
  TimeMs created_at = 0;
  /// When its definition last changed (created, edited, paused or resumed). The scheduler owes no slot
  /// at or before it: a schedule resumed after a week does not run the week's slots.
  TimeMs updated_at = 0;
  // What the scheduler did at the latest slot it handled (scheduler.hpp); edits keep these.
  std::optional<TimeMs> last_slot;  ///< that slot
  std::string last_outcome;         ///< "queued" | "skipped" | "refused"; "" before the first slot
  std::string last_message;         ///< why it was skipped or refused ("" when queued)
  std::string last_job_id;          ///< the backup job of the latest run (last_run)
};

/// What a new schedule needs; everything else is derived.
struct ScheduleRequest {
  std::string name;
  std::string cron;
  std::optional<backup::BackupType> type;  ///< Default: selective with a filter, else full.
  backup::Filters filters;
  int compression_level = 3;  ///< Default: 3.
  std::string created_by;
};

/// Checks the name, the cron expression, the filters for the type and the level; invalid_argument
/// naming the field ("schedule: ...", "filters.date_range: ...", "options.compression_level: ...").
Result<Schedule> make_schedule(const ScheduleRequest& request, TimeMs now);

/// `s` with next_run = the first slot after `now` when enabled, none when paused.
Schedule with_next_run(Schedule s, TimeMs now);

/// API.md's schedule object: _id, name, enabled, schedule, type, filters,
/// options{compress,compression_level}, last_run, next_run, description, created_at, updated_at.
boost::json::object schedule_to_json(const Schedule& s);
Result<Schedule> schedule_from_json(std::string_view json_text);

/// A schedule as API.md's PUT /settings/backup sends it (an existing one's stored fields merged under
/// the sent ones): checks the name rule, `schedule` (cron), `type`, `filters` for the type and
/// `options.compression_level` (1–9), appending one FieldError per bad field (field names without a
/// prefix: "name", "filters.date_range"); nullopt when there is any. Keeps _id, created_*, updated_at and
/// the scheduler's last_* fields as given.
std::optional<Schedule> schedule_from_api(const boost::json::object& o, TimeMs now,
                                          std::vector<backup::FieldError>& errors);

/// True when two schedules differ in what they run or when (name, cron, enabled, type, filters, level).
bool definition_differs(const Schedule& a, const Schedule& b);

/// How many runs a preview may ask for (API.md: `count` 1–50).
inline constexpr int k_max_preview_runs = 50;
/// `GET /schedules/next`'s answer `{cron, runs[TIME…], description}`: the `count` runs strictly after
/// `from`. invalid_argument starting "cron: " (what is wrong in the expression) or "count: ".
Result<boost::json::object> next_runs_json(std::string_view cron, TimeMs from, int count);

Status save_schedule(store::Writer& writer, const Schedule& s);
Result<std::optional<Schedule>> load_schedule(store::Reader& reader, const std::string& id);
/// Oldest first.
Status for_each_schedule(store::Reader& reader, const std::function<bool(const Schedule&)>& visit);

/// Pauses or resumes schedule `id` (not_found when unknown); returns it with next_run for `now`.
Result<Schedule> set_schedule_enabled(store::Store& store, const std::string& id, bool enabled, TimeMs now);
/// Deletes schedule `id` (not_found when unknown).
Status delete_schedule(store::Store& store, const std::string& id);

}  // namespace claudelens::schedule
