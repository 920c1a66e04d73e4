// BackupMetadata (API.md): what is known of one backup, kept in the store's `backups` table as JSON,
// with helpers to save, load and list them. Plain values; the functions are as thread-safe as the
// Reader/Writer they are given.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

enum class BackupStatus { pending, in_progress, completed, failed, corrupted, deleting };
std::string_view backup_status_name(BackupStatus s) noexcept;
std::optional<BackupStatus> parse_backup_status(std::string_view s) noexcept;

struct Contents {
  std::int64_t users_count = 0;
  std::int64_t projects_count = 0;
  std::int64_t sessions_count = 0;
  std::int64_t messages_count = 0;
  std::int64_t records_count = 0;  ///< entries without a uuid
  std::int64_t prompts_count = 0;
  std::int64_t prompt_folders_count = 0;
  std::int64_t ai_settings_count = 0;
  std::int64_t audit_log_count = 0;  ///< audit lines (an admin's full backup holds the whole log)
  std::int64_t total_documents = 0;
  std::optional<TimeMs> earliest, latest;
};

struct Validation {
  TimeMs validated_at = 0;
  bool is_valid = false;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

/// Who is writing a backup while it is pending or in progress: recovery fails the record only when
/// this owner is gone (its run lock can be taken). Not part of API.md's object; kept in the record.
struct RunOwner {
  std::string host;        ///< gethostname() of the writing process
  std::int64_t pid = 0;    ///< its process id (for people; the lock decides)
  std::string backup_dir;  ///< the absolute backup directory it writes into
};

struct BackupMetadata {
  std::string id;
  std::string name;
  std::string description;
  std::string filename;  ///< made by the server: backup-<time>-<id>.claudelens
  std::string filepath;  ///< relative to the backup directory (= filename)
  TimeMs created_at = 0;
  std::string created_by;                  ///< user id
  std::int64_t size_bytes = 0;             ///< uncompressed (NDJSON bytes)
  std::int64_t compressed_size_bytes = 0;  ///< the file's size
  BackupType type = BackupType::full;
  BackupStatus status = BackupStatus::pending;
  Filters filters;
  Contents contents;
  std::string checksum;  ///< SHA-256 hex of the whole file
  /// The archive format version as API.md gives it: "1.1.0" for format 1 revision 1 (empty until written).
  std::string version;
  std::string error_message;
  std::optional<std::string> parent_backup_id;  ///< incremental: the backup it builds on
  std::string parent_checksum;                  ///< incremental: the parent's checksum when this was taken
  /// The store's change sequence (store::Reader::change_seq) of the snapshot this backup was taken
  /// from: an incremental on top of it holds what changed after it. nullopt for records from before
  /// change tracking (they cannot be parents) and for uploads.
  std::optional<std::int64_t> change_seq;
  /// Whose data the backup covers: one user's id, or nullopt for every owner (an admin's backup).
  std::optional<std::string> owner_scope;
  /// The backup id written inside the file, when it differs from `id`: an uploaded archive is
  /// registered under a new id, and a restore checks the file against the id it holds. Empty: `id`.
  std::string archive_backup_id;
  int compression_level = 3;
  /// Encrypted backups: the key's non-secret fingerprint (16 hex digits, the archive's key_id);
  /// nullopt for a plaintext backup.
  std::optional<std::string> encryption_key_id;
  double duration_seconds = 0;
  std::optional<TimeMs> completed_at;
  std::optional<Validation> validation;
  std::optional<RunOwner> owner;  ///< set while pending/in_progress (records since issue 7)
};

/// The backup id the archive file itself holds (what a restore checks the file against).
inline const std::string& archive_id_of(const BackupMetadata& m) {
  return m.archive_backup_id.empty() ? m.id : m.archive_backup_id;
}

/// The API's string for an archive format version: 1 → "1.0.0".
std::string format_version_string(int format_version);

/// API.md's BackupMetadata object (with compression, encryption, duration and validation_status).
boost::json::object metadata_to_json(const BackupMetadata& m);
/// Reads a record as metadata_to_json wrote it. Older records (an integer `version`, times in whole
/// seconds) are read too: the integer becomes its string form.
Result<BackupMetadata> metadata_from_json(std::string_view json_text);

Status save_metadata(store::Writer& writer, const BackupMetadata& m, TimeMs now);
Result<std::optional<BackupMetadata>> load_metadata(store::Reader& reader, const std::string& id);
/// Every backup record, oldest first.
Status for_each_metadata(store::Reader& reader, const std::function<bool(const BackupMetadata&)>& visit);

}  // namespace claudelens::backup
