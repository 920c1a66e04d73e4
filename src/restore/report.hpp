// What a restore did (or, for a dry run, would do): per-collection counts, the conflicts and how they
// were resolved, the id mappings, bytes read and duration; its JSON forms (API.md's restore `results`
// plus extra fields) and the restore-history record (API.md's RestoreAttempt) kept in the store's
// `restores` table. Plain values and pure functions; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

/// Counts for one collection.
struct Tally {
  std::int64_t restored = 0;  ///< written: inserted, overwritten, merged or renamed copies
  std::int64_t updated = 0;   ///< of `restored`, those that replaced or merged into a stored document
  std::int64_t skipped = 0;   ///< archived documents left out because the stored one was kept
  std::int64_t failed = 0;    ///< always 0 on success: a failure rolls the whole restore back
  std::int64_t deleted = 0;   ///< stored documents removed (full mode)
};

/// One conflict on a natural key and how it was resolved. Message conflicts are aggregated per
/// session (`count` messages), so that the list stays small.
struct Conflict {
  std::string type;  ///< project | session | message | record | prompt | prompt_folder | ai_setting
  std::string existing_id;
  std::string backup_id;
  std::string existing_name;
  std::string backup_name;
  std::string resolution;  ///< skipped | overwritten | renamed | merged
  std::int64_t count = 1;
};

inline constexpr std::size_t k_max_listed_conflicts = 1000;

struct RestoreReport {
  std::string id;  ///< the history record's id
  std::string backup_id;
  std::string backup_file;
  Mode mode = Mode::merge;
  Strategy on_conflict = Strategy::skip;
  bool dry_run = false;
  std::string status = "success";  ///< success | failed (restores are atomic: never partial)
  std::string error_message;
  TimeMs started_at = 0;
  double duration_seconds = 0;
  /// Per collection: users, projects, sessions, messages, records, prompts, prompt_folders, ai_settings,
  /// audit_log (full restores of full backups; neither it nor users counts in total()).
  std::map<std::string, Tally> collections;
  std::vector<Conflict> conflicts;                 ///< at most k_max_listed_conflicts listed
  std::int64_t conflicts_count = 0;                ///< all of them (messages counted one by one)
  std::map<std::string, std::string> id_mappings;  ///< old id → new id (renames, moved projects, owners)
  std::vector<std::string> deleted_sessions;       ///< full mode: sessions removed (first 1000)
  std::vector<std::string> deleted_projects;       ///< full mode: projects removed (first 1000)
  std::uint64_t bytes_read = 0;                    ///< archive bytes read by the restore itself
  std::uint64_t bytes_verified = 0;                ///< archive bytes read by validation (the whole file)
  std::uint64_t archive_size = 0;
  /// An incremental backup's chain, root first (archive backup ids); empty for a full or selective one.
  std::vector<std::string> chain;
  std::int64_t entry_bytes = 0;  ///< bytes of transcript lines written

  Tally& tally(const std::string& collection) { return collections[collection]; }
  std::int64_t total(std::int64_t Tally::*field) const;
  void add_conflict(Conflict c);
};

/// API.md's `results` plus the extra fields (collections, conflicts, deleted, bytes, duration).
boost::json::object report_to_json(const RestoreReport& r);

/// The history record (API.md RestoreAttempt: _id, restored_at, restored_by, status,
/// documents_restored, error_message, plus backup_id, mode and results).
store::SystemRecord history_record(const RestoreReport& r, const std::string& restored_by);

}  // namespace claudelens::restore
