// The backup settings of API.md (`GET|PUT /settings/backup`): defaults, the stored document (system table
// `settings`, id "backup"), validation of a PUT (one FieldError per bad field, by dotted path) and the
// field-by-field merge. Options the server cannot honour yet (S3 storage, encryption without a key file,
// uncompressed backups) are refused with code "unsupported" rather than stored and
// ignored. The schedules are not kept in the settings record: `scheduling.schedules` is the stored
// schedules (SystemTable::schedules, the list the CLI and the scheduler use), read and replaced here.
// Thread-safe (pure functions over a transaction).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "http/message.hpp"
#include "http/rate_limiter.hpp"
#include "store/store.hpp"

namespace claudelens::http {

/// The settings as stored, over the defaults (secrets in clear). `backup_dir` is --backup-dir.
Result<boost::json::object> load_backup_settings(store::Reader& reader, const std::filesystem::path& backup_dir);

/// The `rate_limits` of a settings document.
RateLimits rate_limits_of(const boost::json::object& settings);

/// The default compression level for new backups (`compression.level`, 1–9; default 3).
int default_compression_level(const boost::json::object& settings);

/// `encryption.enabled`: new backups that do not say `options.encrypt` are encrypted (default false).
bool encryption_enabled(const boost::json::object& settings);

struct SettingsUpdate {
  boost::json::object settings;             ///< the merged document to store
  std::vector<std::string> updated_fields;  ///< dotted paths of the values that changed
  std::vector<std::string> warnings;        ///< e.g. read-only fields that were sent and ignored
};

/// Validates `patch` against API.md's rules and merges it over `current`. Fills `errors` (one per bad
/// field) and returns nothing useful when there are any. `backup_dir` is --backup-dir. `has_key`: the
/// server was started with a key file; without one `encryption.enabled: true` is refused.
SettingsUpdate merge_backup_settings(const boost::json::object& current, const boost::json::object& patch,
                                     const std::filesystem::path& backup_dir, std::vector<FieldError>& errors,
                                     bool has_key = false);

/// The document as GET shows it: `webhook_secret`, `smtp_password` and a password in `smtp_url` shown as "***",
/// `current_usage_gb` filled in from `usage_bytes`.
boost::json::object present_backup_settings(boost::json::object settings, std::int64_t usage_bytes);

/// Fills settings.scheduling.schedules with the stored schedules, each with next_run for `now` (null while
/// it is paused or scheduling.enabled is false) and last_run as the scheduler recorded it.
Status attach_schedules(store::Reader& reader, boost::json::object& settings, TimeMs now);

/// After a merge without errors, when `patch` sends scheduling.schedules: checks each merged schedule
/// (schedule::schedule_from_api; one FieldError per bad field, "scheduling.schedules[i].<field>") and,
/// when all pass, replaces the stored schedules with them in `writer`'s transaction. New ones belong to
/// `caller_id`; an edited one's updated_at moves to `now` (its past slots are not owed), its last_* stay.
Status store_schedules(store::Writer& writer, const boost::json::object& patch, const boost::json::object& settings,
                       const std::string& caller_id, TimeMs now, std::vector<FieldError>& errors);

/// Stores the document (without its schedules, which live in their own table). Errors: the store's.
Status save_backup_settings(store::Writer& writer, const boost::json::object& settings, TimeMs now);

}  // namespace claudelens::http
