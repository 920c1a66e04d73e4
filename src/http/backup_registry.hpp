// The backups registry as the server answers from it: every registered backup's metadata parsed once,
// its API JSON serialized once, and the restore history's attempts, all read in one snapshot. GET
// /backups and GET /backups/{id} used to parse every record on every request; BackupRegistry keeps the
// last snapshot while the store's data_version (store.hpp) says that nothing was committed since it was
// read, by this process or any other on the same database, so an answer from it is the one a fresh read
// would give. Thread-safe: current() may be called from every worker thread; a snapshot never changes
// once made (callers keep the shared_ptr as long as they use it).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backup/metadata.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::http {

/// One record of the backups table.
struct RegisteredBackup {
  std::string id;               ///< the record's id
  backup::BackupMetadata meta;  ///< parsed (empty when `broken`)
  std::string json;             ///< backup_json(meta), serialized: one item of GET /backups as it is sent
  std::optional<Error> broken;  ///< the record could not be read (metadata_from_json's error)
};

/// One restore attempt as GET /backups/{id} lists it in `restore_history`.
struct RestoreAttempt {
  std::string owner_id;   ///< the restore record's owner (who may see it)
  std::string backup_id;  ///< the backup it restored ("" when the record names none)
  /// {_id, restored_at, restored_by, status, documents_restored, error_message}, serialized.
  std::string json;
};

/// What one read of the store found. Immutable.
struct RegistrySnapshot {
  /// The store's data_version read just before the snapshot's transaction; nullopt: never reused.
  std::optional<std::int64_t> version;
  std::vector<RegisteredBackup> backups;  ///< oldest first (created_at, id), as the store lists them
  std::vector<RestoreAttempt> restores;   ///< the restore history in the store's order; unreadable records left out
  std::unordered_map<std::string, std::size_t> by_id;  ///< record id → index in `backups`

  const RegisteredBackup* find(const std::string& id) const;
  /// The first record that could not be read, in store order (what a scan of every record stops at).
  const RegisteredBackup* first_broken() const;
};

/// Reads the registry from `store` (no cache); `version` is recorded in the snapshot as it is.
Result<std::shared_ptr<const RegistrySnapshot>> read_registry(store::Store& store, std::optional<std::int64_t> version);

class BackupRegistry {
 public:
  /// The registry as `store` holds it now: the cached snapshot when the store's data_version is still
  /// the one it was read at, else a new read, which replaces the cache. Always one data_version call.
  Result<std::shared_ptr<const RegistrySnapshot>> current(store::Store& store);

  /// How many times current() read the store rather than answering from the cache (for tests).
  std::uint64_t reads() const noexcept { return m_reads.load(); }

 private:
  mutable std::mutex m_mutex;                          ///< guards m_snapshot (not the reads)
  std::shared_ptr<const RegistrySnapshot> m_snapshot;  ///< the last snapshot read with a version
  std::atomic<std::uint64_t> m_reads{0};
};

}  // namespace claudelens::http
