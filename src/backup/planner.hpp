// The backup planner: turns a request (type, filters, owner scope) into the set of projects and
// sessions to write, with an estimate of size and duration, by reading the store only. Stateless
// functions; as thread-safe as the Reader given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/filters.hpp"
#include "backup/metadata.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

struct BackupRequest {
  std::string name;
  std::string description;
  BackupType type = BackupType::full;  ///< Default: full.
  Filters filters;
  int compression_level = 3;  ///< 1–9, mapped to zstd levels. Default: 3.
  std::string created_by;     ///< the requesting user's id
  /// Whose data: a user's backup covers only what they own; nullopt (an admin) covers every owner.
  std::optional<std::string> owner_scope;
  /// Incremental backups: the backup to build on. Default: the newest completed backup of the same
  /// owner scope and filters (SPEC §6); with none, the request is refused.
  std::optional<std::string> parent_backup_id;
};

struct Plan {
  /// The sessions to read, as a store filter (projects resolved from ids, paths, names and patterns).
  store::SessionFilter sessions;
  /// True when the filters matched no project at all (then nothing is selected).
  bool nothing_selected = false;
  bool include_documents = false;  ///< prompts, prompt folders and ai_settings (full backups)
  std::int64_t session_count = 0;
  std::int64_t entry_count = 0;                 ///< an upper bound when a date range applies
  std::int64_t entry_bytes = 0;                 ///< idem
  std::int64_t estimated_size_bytes = 0;        ///< uncompressed NDJSON
  std::int64_t estimated_compressed_bytes = 0;  ///< what the file will take on disk
  double estimated_duration_seconds = 0;
  /// Incremental backups: the parent, whose filters the backup takes, and what changed after it
  /// (`sessions.changed_after` = the parent's change sequence).
  std::optional<BackupMetadata> parent;
  Filters filters;  ///< the filters the backup applies (an incremental's are its parent's)
};

/// Validates the request (name, level, filters: Errc::invalid_argument naming the fields), resolves the
/// project and session filters (Errc::not_found naming a value that matches nothing) and estimates.
Result<Plan> make_plan(store::Reader& reader, const BackupRequest& request, TimeMs now);

/// The parent an incremental backup builds on: `request.parent_backup_id`, else the newest completed
/// backup with the same owner scope and filters. Errc::not_found for an unknown id or another owner's
/// backup (a user never learns it exists); invalid_argument naming options.parent_backup_id for a
/// parent that is not completed, has no change sequence (an upload, a record from before change
/// tracking), another scope or other filters, and when there is no parent to choose.
Result<BackupMetadata> choose_parent(store::Reader& reader, const BackupRequest& request);

/// Validation alone, in API.md's validation_errors shape (empty when the request is valid).
std::vector<FieldError> validate_request(const BackupRequest& request, TimeMs now);

}  // namespace claudelens::backup
