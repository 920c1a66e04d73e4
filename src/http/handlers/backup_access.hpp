// What the backup and restore handlers share: finding a backup or a job the caller may see (another
// user's ids answer 404, as unknown ones do), the JSON of a backup, and the API code of an Errc for
// job documents. Functions are as thread-safe as the Store and JobService they use.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backup/metadata.hpp"
#include "http/message.hpp"
#include "http/services.hpp"
#include "jobs/jobs.hpp"

namespace claudelens::http {

/// The backups registry as the store holds it now (services.registry: cached while nothing changed).
std::variant<std::shared_ptr<const RegistrySnapshot>, ApiError> registry(const Services& services);

/// The backup `id` of `registry` when it exists and the caller may see it; else 404 BACKUP_NOT_FOUND
/// (500 when its record cannot be read). Points into `registry`.
std::variant<const RegisteredBackup*, ApiError> find_registered(const RegistrySnapshot& registry, const Caller& caller,
                                                                const std::string& id);

/// Every backup of `registry` the caller may see, oldest first (500 when a record cannot be read, as a
/// scan of every record would stop there). Points into `registry`.
std::variant<std::vector<const RegisteredBackup*>, ApiError> visible_registered(const RegistrySnapshot& registry,
                                                                                const Caller& caller);

/// The backup `id` when it exists and the caller may see it; else 404 BACKUP_NOT_FOUND (or 500).
std::variant<backup::BackupMetadata, ApiError> find_backup(const Services& services, const Caller& caller,
                                                           const std::string& id);

/// Every backup the caller may see, oldest first.
std::variant<std::vector<backup::BackupMetadata>, ApiError> visible_backups(const Services& services,
                                                                            const Caller& caller);

/// The job `id` of `type` when it exists and the caller may see it; else 404 JOB_NOT_FOUND (or 500).
std::variant<jobs::Job, ApiError> find_job(const Services& services, const Caller& caller, const std::string& id,
                                           jobs::JobType type);

/// Asks the job service to cancel the caller's job `id` of `type` and waits up to 10 s for it to stop:
/// the job, now `cancelled` (API.md's answer). 404 JOB_NOT_FOUND as find_job; 409 CONFLICT when it had
/// ended already or ended otherwise (completed, failed) before the cancel took effect; 503
/// SERVICE_UNAVAILABLE (Retry-After: 1, details.status "cancelling") when it has not stopped within the
/// wait: the cancel stays asked for, and asking again waits again.
std::variant<jobs::Job, ApiError> cancel_job(const Services& services, const Caller& caller, const std::string& id,
                                             jobs::JobType type);

/// The value of a lookup above, or nullptr when it is the error.
template <class T>
T* value_of(std::variant<T, ApiError>& v) {
  return std::get_if<T>(&v);
}

/// The backup's file, or 410 BACKUP_FILE_MISSING (409 BACKUP_IN_PROGRESS while it is being written).
std::variant<std::filesystem::path, ApiError> backup_file(const Services& services, const backup::BackupMetadata& m);

/// API.md's BackupMetadata object (`version` as a "major.minor.patch" string).
boost::json::object backup_json(const backup::BackupMetadata& m);

/// The API error code of an Errc (for job documents' `error.code`).
std::string api_code(Errc code);

}  // namespace claudelens::http

namespace claudelens::http {

/// 507 INSUFFICIENT_STORAGE when the backup directory's file system has less than `bytes` free beyond
/// the reserve (16 MiB; CLAUDELENS_MIN_FREE_BYTES overrides it, for tests). nullopt when it fits.
std::optional<ApiError> require_free_space(const std::filesystem::path& dir, std::int64_t bytes);

}  // namespace claudelens::http
