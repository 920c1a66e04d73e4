// Operations on backups that already exist: find one by id or file, verify it, delete it. Shared by the
// CLI and (later) the HTTP handlers. Each function opens its own transactions on `store`; thread-safe
// as the Store is, but two deletes of the same backup race (the second gets not_found).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backup/metadata.hpp"
#include "core/result.hpp"
#include "format/reader.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

/// A backup named by its id (registered in the store) or by a file path.
struct ResolvedBackup {
  std::filesystem::path file;
  std::optional<BackupMetadata> metadata;  ///< when the id (or the file's header) is registered
};

/// An id known to the store wins; otherwise an existing file path. not_found when neither;
/// Errc::not_found with "file is gone" wording when the record exists but its file does not.
Result<ResolvedBackup> resolve_backup(store::Store& store, const std::filesystem::path& backup_dir,
                                      const std::string& id_or_file);

struct VerifyOutcome {
  format::VerifyReport report;
  std::optional<std::string> id;  ///< the registered backup it was checked against
};

/// Checks every frame, the trailer's digest and the whole-file SHA-256 (and, for a registered backup,
/// that it equals the recorded checksum). Records the outcome in the backup's validation_status (and
/// marks a damaged one "corrupted"). Damage: Errc::corrupted naming the frame and offset. An encrypted
/// backup without `passphrase` is checked without its key (structure and whole-file SHA-256, report's
/// `authenticated` false); with a wrong one, Errc::wrong_key and nothing is recorded.
Result<VerifyOutcome> verify_backup(store::Store& store, const ResolvedBackup& backup, TimeMs now,
                                    const format::VerifyProgress& progress = {},
                                    const crypto::Secret* passphrase = nullptr);

struct DeleteOutcome {
  std::string backup_id;
  TimeMs deleted_at = 0;
  std::int64_t freed_bytes = 0;
  int files_deleted = 0;
};

/// The backups that need `id` as their parent, directly or through other incrementals, deepest first
/// (the order to delete them in). Failed backups (no file) are not dependents.
Result<std::vector<BackupMetadata>> dependents_of(store::Reader& reader, const std::string& id);

/// Checks the chain links of an incremental backup (its parent registered, completed, with the
/// checksum the archive names, its file present, holding the named backup; and so on up to the root).
/// The leaf is the file given; the links are read from its clear header, so no key is needed.
/// Errors name the member: not_found (missing), corrupted (damaged or not the named parent).
/// A full or selective backup has no links: success. Returns the chain's backup ids, root first.
Result<std::vector<std::string>> verify_chain_links(store::Store& store, const std::filesystem::path& backup_dir,
                                                    const std::filesystem::path& file);

/// Removes the file (if present) and the record, and records the deletion in the same transaction
/// (see for_each_deletion). not_found for an unknown id.
Result<DeleteOutcome> delete_backup(store::Store& store, const std::filesystem::path& backup_dir, const std::string& id,
                                    TimeMs now);

/// One deleted backup, as delete_backup recorded it.
struct Deletion {
  std::string backup_id;
  std::string owner_id;  ///< the backup's created_by
  TimeMs deleted_at = 0;
};

/// Each recorded deletion, oldest first. The records live in SystemTable::settings (kind
/// k_deletion_kind, id "deleted-backup:<backup id>", json: name, type, created_at, deleted_at,
/// size_bytes, freed_bytes) beside the settings record, so that no schema migration was needed; the
/// settings code reads its record by id only and never sees them.
Status for_each_deletion(store::Reader& reader, const std::function<bool(const Deletion&)>& visit);
inline constexpr std::string_view k_deletion_kind = "backup.deleted";

}  // namespace claudelens::backup
