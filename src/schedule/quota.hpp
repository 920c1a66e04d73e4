// The storage quota (API.md `storage.filesystem.max_size_gb`): what the backup directory occupies, the
// quota the stored settings set, and the admission check that refuses a backup whose estimate would
// take the directory over it (Errc::no_space: HTTP 507 INSUFFICIENT_STORAGE, CLI exit 1) before it
// starts. The job service asks it through jobs::ServiceOptions::admit_backup, so the API, the CLI and
// the scheduler are all held to it. Thread-safe as the Store is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "backup/planner.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::schedule {

/// Bytes of the regular files under `dir`, recursively (backups, partial files, lock files): what the
/// backup directory occupies. 0 when it does not exist.
std::int64_t directory_usage_bytes(const std::filesystem::path& dir);

/// storage.filesystem.max_size_gb of the stored settings in bytes (GiB, 2^30); nullopt when unset.
Result<std::optional<std::int64_t>> stored_quota_bytes(store::Reader& reader);

/// Errc::no_space when the directory's usage plus `estimated_bytes` exceeds the stored quota, saying
/// by how much; ok when there is no quota.
Status check_quota(store::Store& store, const std::filesystem::path& backup_dir, std::int64_t estimated_bytes);

/// check_quota with a plan's estimated_compressed_bytes, for jobs::ServiceOptions::admit_backup. `store`
/// must outlive the returned function.
std::function<Status(const backup::Plan&)> quota_admission(store::Store& store, std::filesystem::path backup_dir);

}  // namespace claudelens::schedule
