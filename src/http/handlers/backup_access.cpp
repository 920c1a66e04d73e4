#include "http/handlers/backup_access.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <cstdlib>

#include <boost/json.hpp>
#include <chrono>

#include "http/errors.hpp"

namespace claudelens::http {

namespace json = boost::json;

std::variant<std::shared_ptr<const RegistrySnapshot>, ApiError> registry(const Services& services) {
  auto snapshot = services.registry->current(*services.store);
  if (!snapshot) return api_error(snapshot.error());
  return std::move(*snapshot);
}

std::variant<const RegisteredBackup*, ApiError> find_registered(const RegistrySnapshot& registry, const Caller& caller,
                                                                const std::string& id) {
  const RegisteredBackup* found = registry.find(id);
  if (found && found->broken) return api_error(*found->broken);
  if (!found || !caller.may_see(found->meta.created_by))
    return not_found("BACKUP_NOT_FOUND", fmt::format("no backup with id '{}'", id));
  return found;
}

std::variant<std::vector<const RegisteredBackup*>, ApiError> visible_registered(const RegistrySnapshot& registry,
                                                                                const Caller& caller) {
  if (const auto* broken = registry.first_broken())
    return api_error(
        Error(broken->broken->code, fmt::format("backup record {}: {}", broken->id, broken->broken->message)));
  std::vector<const RegisteredBackup*> out;
  for (const auto& b : registry.backups)
    if (caller.may_see(b.meta.created_by)) out.push_back(&b);
  return out;
}

std::variant<backup::BackupMetadata, ApiError> find_backup(const Services& services, const Caller& caller,
                                                           const std::string& id) {
  auto snapshot = registry(services);
  auto* reg = value_of(snapshot);
  if (!reg) return std::get<ApiError>(snapshot);
  auto found = find_registered(**reg, caller, id);
  if (auto* e = std::get_if<ApiError>(&found)) return std::move(*e);
  return std::get<const RegisteredBackup*>(found)->meta;
}

std::variant<std::vector<backup::BackupMetadata>, ApiError> visible_backups(const Services& services,
                                                                            const Caller& caller) {
  auto snapshot = registry(services);
  auto* reg = value_of(snapshot);
  if (!reg) return std::get<ApiError>(snapshot);
  auto visible = visible_registered(**reg, caller);
  auto* list = value_of(visible);
  if (!list) return std::get<ApiError>(visible);
  std::vector<backup::BackupMetadata> out;
  out.reserve(list->size());
  for (const auto* b : *list) out.push_back(b->meta);
  return out;
}

std::variant<jobs::Job, ApiError> find_job(const Services& services, const Caller& caller, const std::string& id,
                                           jobs::JobType type) {
  auto job = services.jobs->get(id);
  if (!job) return api_error(job.error(), "JOB_NOT_FOUND");
  if (!*job || (*job)->type != type || !caller.may_see((*job)->owner_id))
    return not_found("JOB_NOT_FOUND", fmt::format("no {} job with id '{}'", jobs::job_type_name(type), id));
  return std::move(**job);
}

namespace {

/// 409 for a cancel that finds the job ended (`how`: "is cancelled already", "completed before ...").
ApiError job_ended(const std::string& id, const jobs::Job& job, std::string_view how) {
  ApiError e = conflict("CONFLICT", fmt::format("job {} {} {}", id, jobs::job_status_name(job.status), how));
  e.details = json::object{{"status", jobs::job_status_name(job.status)}};
  return e;
}

}  // namespace

std::variant<jobs::Job, ApiError> cancel_job(const Services& services, const Caller& caller, const std::string& id,
                                             jobs::JobType type) {
  auto found = find_job(services, caller, id, type);
  if (auto* e = std::get_if<ApiError>(&found)) return std::move(*e);
  // Ended already (the pool may still hold it for a moment: asking it again would answer 200 twice).
  if (const auto& job = std::get<jobs::Job>(found); jobs::is_final(job.status)) return job_ended(id, job, "already");
  auto cancelled = services.jobs->cancel(id, std::chrono::seconds(10));
  if (!cancelled) return api_error(cancelled.error(), "JOB_NOT_FOUND");
  const jobs::Job& job = *cancelled;
  if (job.status == jobs::JobStatus::cancelled) return std::move(*cancelled);
  if (jobs::is_final(job.status)) return job_ended(id, job, "before the cancel took effect");
  ApiError e{503,
             "SERVICE_UNAVAILABLE",
             fmt::format("job {} is being cancelled but has not stopped yet; ask again, or follow its status", id),
             json::object{{"status", "cancelling"}},
             {},
             {}};
  e.headers.emplace_back("Retry-After", "1");
  return e;
}

std::variant<std::filesystem::path, ApiError> backup_file(const Services& services, const backup::BackupMetadata& m) {
  using backup::BackupStatus;
  if (m.status == BackupStatus::pending || m.status == BackupStatus::in_progress)
    return conflict("BACKUP_IN_PROGRESS", fmt::format("backup {} is still being written", m.id));
  const auto path = services.backup_dir / m.filepath;
  std::error_code ec;
  if (m.status == BackupStatus::failed || m.status == BackupStatus::deleting || m.filepath.empty() ||
      !std::filesystem::is_regular_file(path, ec)) {
    ApiError e{410,
               "BACKUP_FILE_MISSING",
               fmt::format("backup {} has no file ({})", m.id,
                           m.status == BackupStatus::failed ? "the backup failed" : "the file is gone"),
               nullptr,
               {},
               {}};
    return e;
  }
  return path;
}

json::object backup_json(const backup::BackupMetadata& m) {
  json::object o = backup::metadata_to_json(m);
  if (const auto* v = o.if_contains("version"); v && v->is_int64())
    o["version"] = fmt::format("{}.0.0", v->get_int64());
  return o;
}

std::optional<ApiError> require_free_space(const std::filesystem::path& dir, std::int64_t bytes) {
  std::int64_t reserve = std::int64_t{16} << 20;
  if (const char* env = std::getenv("CLAUDELENS_MIN_FREE_BYTES")) reserve = std::strtoll(env, nullptr, 10);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return internal_error(fmt::format("cannot stat {}", dir.string()));
  const auto available = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  if (available - reserve >= bytes) return std::nullopt;
  ApiError e{507,
             "INSUFFICIENT_STORAGE",
             fmt::format("not enough free space in the backup directory: {} bytes needed, {} available (keeping {} "
                         "free)",
                         bytes, available, reserve),
             json::object{{"required_bytes", bytes}, {"available_bytes", available}},
             {},
             {}};
  return e;
}

std::string api_code(Errc code) {
  return std::string(status_for(code).code);
}

}  // namespace claudelens::http
