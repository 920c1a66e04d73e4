// Retention (SPEC §6, docs/schedule.md): which backups to keep and which to delete. plan_retention is a
// pure function over the backups, the rules and the time; apply_retention loads them from the store,
// plans, and deletes through backup::delete_backup. Rules combine as restic's `forget` does: a backup
// is kept when any rule keeps it; max_total_size_gb then deletes the oldest kept ones until the total
// fits. Never deleted: the newest completed backup, a backup being restored, a parent that a kept
// incremental needs. Thread-safe as the Store is.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/metadata.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::schedule {

/// API.md's `retention` rules. An absent (or 0) rule is off. With no count or age rule at all every
/// completed backup is kept ("keep_all"), and max_total_size_gb alone still trims.
struct RetentionRules {
  std::optional<std::int64_t> max_backups;   ///< keep the newest N completed backups
  std::optional<std::int64_t> max_age_days;  ///< keep those created within the last N days
  std::optional<double> max_total_size_gb;   ///< then trim to this many GiB (2^30 bytes) of files
  std::optional<std::int64_t> keep_daily;    ///< the newest of each of the last N UTC days that have one
  std::optional<std::int64_t> keep_weekly;   ///< the same for ISO weeks (Monday-Sunday, UTC)
  std::optional<std::int64_t> keep_monthly;  ///< the same for calendar months (UTC)

  /// True when no count or age rule is on.
  bool keeps_all() const noexcept;
};

/// `over` overrides `base` field by field (a command's flags over the stored settings).
RetentionRules merge_rules(const RetentionRules& base, const RetentionRules& over);
/// Reads the rule fields of API.md's `retention` object (other fields are ignored). Negative numbers
/// and wrong types are refused (invalid_argument naming "retention.<field>").
Result<RetentionRules> rules_from_json(const boost::json::value& v);
boost::json::object rules_to_json(const RetentionRules& r);

/// Why a backup is deleted.
inline constexpr std::string_view k_reason_no_rule = "no_rule_keeps_it";
inline constexpr std::string_view k_reason_size = "max_total_size_gb";
inline constexpr std::string_view k_reason_failed = "failed";

struct Deletion {
  std::string id;
  std::string name;
  TimeMs created_at = 0;
  std::int64_t size_bytes = 0;  ///< the bytes its file occupies (what deleting it frees)
  std::string reason;           ///< one of the k_reason_* values
};

struct Kept {
  std::string id;
  std::string name;
  /// Rules and protections that keep it, in this order: max_backups, max_age_days, keep_daily,
  /// keep_weekly, keep_monthly, keep_all, newest_completed, being_restored, needed_parent.
  std::vector<std::string> kept_by;
};

struct RetentionPlan {
  std::vector<Deletion> del;  ///< oldest first
  std::vector<Kept> keep;     ///< newest first; completed backups only
  std::int64_t freed_bytes = 0;
};

/// The plan for `backups` (any order, any status) at `now`. Only completed backups count for the rules;
/// failed ones older than a day are deleted; pending, in-progress, deleting, corrupted ones and failed
/// ones younger than a day are left alone and listed nowhere. `being_restored`: ids no plan deletes.
RetentionPlan plan_retention(const std::vector<backup::BackupMetadata>& backups, const RetentionRules& rules,
                             TimeMs now, const std::set<std::string>& being_restored = {});

/// API.md's `{delete[{_id,name,created_at,size_bytes,reason}], keep[{_id,name,kept_by[]}], freed_bytes}`.
boost::json::object plan_to_json(const RetentionPlan& plan);

/// Ids of backups a restore is working on: restore records (SystemTable::restores) and restore jobs
/// (SystemTable::jobs whose kind contains "restore") that are pending, in_progress, running or
/// cancelling, by their `backup_id` field.
Result<std::set<std::string>> backups_being_restored(store::Reader& reader);

/// Every backup record with the ids being restored, from one snapshot, and the plan over them.
Result<RetentionPlan> plan_from_store(store::Store& store, const RetentionRules& rules, TimeMs now);

/// Plans as plan_from_store, then deletes each planned backup (file and record) through
/// backup::delete_backup. The result's freed_bytes are the bytes the deletions actually freed; a backup
/// that another process deleted meanwhile is dropped from `del`. Stops at the first other error.
Result<RetentionPlan> apply_retention(store::Store& store, const std::filesystem::path& backup_dir,
                                      const RetentionRules& rules, TimeMs now);

/// Records one audit line "backup.deleted" per deletion of `done` (details: name, reason, trigger,
/// freed_bytes), each in a short transaction of its own (store/audit.hpp record_audit: a failure is
/// logged, the deletions stand). `user_id` "" when no user did it (a scheduled cleanup).
void audit_retention(store::Store& store, const std::string& user_id, const RetentionPlan& done,
                     std::string_view trigger, TimeMs now);

}  // namespace claudelens::schedule
