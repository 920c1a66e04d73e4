// The /api/v1/backups endpoints of API.md: create (a job), list, statistics, detail, download, delete,
// job status and cancel. Validation in backup_requests / backup_list / backup_statistics; the work in
// the backup engine and the job service. Handlers run on the server's worker threads, concurrently.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/statvfs.h>

#include <boost/json.hpp>
#include <chrono>

#include "backup/catalog.hpp"
#include "backup/planner.hpp"
#include "http/backup_list.hpp"
#include "http/backup_requests.hpp"
#include "http/backup_settings.hpp"
#include "http/backup_statistics.hpp"
#include "http/errors.hpp"
#include "http/handlers/audit.hpp"
#include "http/handlers/backup_access.hpp"
#include "http/routes.hpp"
#include "jobs/jobs.hpp"

namespace claudelens::http {

namespace {

namespace json = boost::json;

/// A planning or submission error as an answer: a filter value that matches nothing is a bad field.
ApiError submit_error(const Error& e, const Request& req) {
  if (e.code == Errc::not_found) {
    std::vector<FieldError> fields{FieldError{"filters", e.message, "not_found", nullptr}};
    if (auto body = parse_object(req.body)) fields[0].value = value_at(*body.value, "filters");
    return reject(std::move(fields));
  }
  return api_error(e);
}

Response create_backup(Services& s, Request& req) {
  const TimeMs now = s.clock->now_ms();
  auto parsed = parse_backup_create(req.body, now, s.passphrase != nullptr);
  if (!parsed) return parsed.error;
  backup::BackupRequest request = std::move(*parsed.value);
  // A request that names no level gets the stored default (PUT /settings/backup compression.level), one
  // that does not say `options.encrypt` the stored encryption.enabled.
  bool encrypt = false;
  if (auto body = parse_object(req.body); body) {
    const json::value level = value_at(*body.value, "options.compression_level");
    const json::value asked = value_at(*body.value, "options.encrypt");
    if (asked.is_bool()) encrypt = asked.as_bool();
    if (level.is_null() || !asked.is_bool()) {
      auto reader = s.store->read();
      if (!reader) return api_error(reader.error());
      auto settings = load_backup_settings(**reader, s.backup_dir);
      if (!settings) return api_error(settings.error());
      if (level.is_null()) request.compression_level = default_compression_level(*settings);
      if (!asked.is_bool()) encrypt = encryption_enabled(*settings);
    }
  }
  if (encrypt && !s.passphrase)  // encryption.enabled was set by a server that had a key
    return reject({FieldError{"options.encrypt",
                              "encryption.enabled is set but the server has no key file: start it with --key-file",
                              "unsupported", json::value(true)}});
  const Caller& caller = req.who();
  request.created_by = caller.user_id;
  request.owner_scope = caller.owner_filter();
  if (request.parent_backup_id) {  // an unknown parent, or another user's, is 404 like any backup id
    auto parent = find_backup(s, caller, *request.parent_backup_id);
    if (std::holds_alternative<ApiError>(parent)) return std::get<ApiError>(parent);
  }
  auto plan = [&]() -> Result<backup::Plan> {
    CL_TRY(reader, s.store->read());
    return backup::make_plan(*reader, request, now);
  }();
  if (!plan) return submit_error(plan.error(), req);
  if (auto full = require_free_space(s.backup_dir, plan->estimated_compressed_bytes)) return *full;
  auto submitted = s.jobs->submit_backup(request, encrypt);
  if (!submitted) return submit_error(submitted.error(), req);
  const jobs::Job& job = submitted->job;
  return Response::json(202,
                        json::object{{"job_id", job.id},
                                     {"backup_id", job.backup_id},
                                     {"status", jobs::job_status_name(job.status)},
                                     {"created_at", format_iso8601(job.created_at)},
                                     {"estimated_size_bytes", submitted->estimated_size_bytes},
                                     {"estimated_duration_seconds", submitted->estimated_duration_seconds},
                                     {"message", fmt::format("backup '{}' queued; follow it at /api/v1/backups/jobs/{}",
                                                             request.name, job.id)}});
}

Response list_backups_route(Services& s, Request& req) {
  auto query = parse_list_query(req.query);
  if (!query) return query.error;
  auto snapshot = registry(s);
  auto* reg = value_of(snapshot);
  if (!reg) return std::get<ApiError>(snapshot);
  auto visible = visible_registered(**reg, req.who());
  auto* backups = value_of(visible);
  if (!backups) return std::get<ApiError>(visible);
  // The items' JSON was serialized when the registry was read: the answer is assembled from it.
  std::vector<const backup::BackupMetadata*> metas;
  std::vector<const std::string*> items;
  metas.reserve(backups->size());
  items.reserve(backups->size());
  for (const auto* b : *backups) {
    metas.push_back(&b->meta);
    items.push_back(&b->json);
  }
  Response r;
  r.body = list_backups_text(metas, items, *query.value);
  return r;
}

/// Each restore attempt the caller may see, as the history records it.
std::variant<std::vector<json::object>, ApiError> restore_history(const Services& s, const Caller& caller) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  std::vector<json::object> out;
  auto st = (*reader)->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord& rec) {
    if (!caller.may_see(rec.owner_id)) return true;
    boost::system::error_code ec;
    json::value v = json::parse(rec.json, ec);
    if (!ec && v.is_object()) out.push_back(std::move(v.get_object()));
    return true;
  });
  if (!st) return api_error(st.error());
  return out;
}

/// When each backup the caller may see was deleted (the store's deletion records).
std::variant<std::vector<TimeMs>, ApiError> deletion_times(const Services& s, const Caller& caller) {
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  std::vector<TimeMs> out;
  auto st = backup::for_each_deletion(**reader, [&](const backup::Deletion& d) {
    if (caller.may_see(d.owner_id)) out.push_back(d.deleted_at);
    return true;
  });
  if (!st) return api_error(st.error());
  return out;
}

Response statistics(Services& s, Request& req) {
  const TimeMs now = s.clock->now_ms();
  auto query = parse_statistics_query(req.query, now);
  if (!query) return query.error;
  auto all = visible_backups(s, req.who());
  auto* backups = value_of(all);
  if (!backups) return std::get<ApiError>(all);
  auto history = restore_history(s, req.who());
  auto* records = value_of(history);
  if (!records) return std::get<ApiError>(history);
  std::vector<RestoreFact> restores;
  for (const auto& r : *records) {
    RestoreFact f;
    if (const auto* at = r.if_contains("restored_at"); at && at->is_string())
      f.restored_at = parse_iso8601(at->get_string()).value_or(0);
    if (const auto* st = r.if_contains("status"); st && st->is_string()) f.status = std::string(st->get_string());
    if (const auto* d = r.if_contains("duration_seconds"); d && d->is_number())
      f.duration_seconds = d->to_number<double>();
    restores.push_back(std::move(f));
  }
  StorageFacts storage;
  for (const auto& m : *backups)
    if (m.status == backup::BackupStatus::completed || m.status == backup::BackupStatus::corrupted)
      storage.used_bytes += m.compressed_size_bytes;
  struct statvfs vfs {};
  if (::statvfs(s.backup_dir.c_str(), &vfs) == 0)
    storage.available_bytes = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  auto deleted = deletion_times(s, req.who());
  auto* deletions = value_of(deleted);
  if (!deletions) return std::get<ApiError>(deleted);
  return Response::json(200, backup_statistics(*backups, restores, *deletions, storage, *query.value, now));
}

Response show_backup(Services& s, Request& req) {
  auto snapshot = registry(s);
  auto* reg = value_of(snapshot);
  if (!reg) return std::get<ApiError>(snapshot);
  auto found = find_registered(**reg, req.who(), req.param("id"));
  auto* b = value_of(found);
  if (!b) return std::get<ApiError>(found);
  // backup_json(m) plus storage_location and restore_history, appended in that order as before: the
  // item's serialized JSON without its closing brace, then the two members.
  const std::string& item = (*b)->json;
  Response r;
  r.body.reserve(item.size() + 256);
  r.body.append(item, 0, item.size() - 1);
  r.body += ",\"storage_location\":";
  r.body += json::serialize(json::value((s.backup_dir / (*b)->meta.filepath).string()));
  r.body += ",\"restore_history\":[";
  bool first = true;
  for (const auto& attempt : (*reg)->restores) {
    if (attempt.backup_id != (*b)->meta.id || !req.who().may_see(attempt.owner_id)) continue;
    if (!first) r.body += ',';
    first = false;
    r.body += attempt.json;
  }
  r.body += "]}";
  return r;
}

Response download(Services& s, Request& req) {
  auto found = find_backup(s, req.who(), req.param("id"));
  auto* m = value_of(found);
  if (!m) return std::get<ApiError>(found);
  auto file = backup_file(s, *m);
  auto* path = value_of(file);
  if (!path) return std::get<ApiError>(file);
  std::error_code ec;
  const auto size = std::filesystem::file_size(*path, ec);
  if (ec)
    return ApiError{410, "BACKUP_FILE_MISSING", fmt::format("backup {}: its file is gone", m->id), nullptr, {}, {}};
  std::string stamp = format_iso8601(m->created_at);
  std::erase(stamp, '-');
  std::erase(stamp, ':');
  Response r = Response::stream_file(FileBody{path->string(), size}, "application/octet-stream");
  r.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"backup-{}.claudelens\"", stamp));
  r.headers.emplace_back("X-Checksum", m->checksum);
  handlers::audit(s, req, "backup.downloaded", "backup", m->id,
                  {{"name", m->name}, {"size_bytes", size}, {"range", std::string(req.header("range"))}});
  return r;
}

Response delete_backup(Services& s, Request& req) {
  std::vector<FieldError> errors;
  Query query(req.query, errors);
  const bool force = query.boolean("force").value_or(false);
  query.reject_unknown();
  if (!errors.empty()) return reject(std::move(errors));
  auto found = find_backup(s, req.who(), req.param("id"));
  auto* m = value_of(found);
  if (!m) return std::get<ApiError>(found);
  auto result = s.jobs->delete_backup(m->id, force);
  if (!result) return api_error(result.error(), "BACKUP_NOT_FOUND");
  if (!result->deleted) {
    const jobs::DeleteCheck& why = result->refused;
    if (!why.restoring_jobs.empty()) {
      json::array ids(why.restoring_jobs.begin(), why.restoring_jobs.end());
      ApiError e = conflict("RESTORE_IN_PROGRESS",
                            fmt::format("backup {} is being restored; wait, or delete with force=true", m->id));
      e.details = json::object{{"restore_jobs", std::move(ids)}};
      return e;
    }
    if (!why.writing_job.empty()) {
      ApiError e = conflict("BACKUP_IN_PROGRESS", fmt::format("backup {} is still being written", m->id));
      e.details = json::object{{"job_id", why.writing_job}};
      return e;
    }
    json::array ids(why.dependents.begin(), why.dependents.end());
    ApiError e = conflict("BACKUP_HAS_DEPENDENTS",
                          fmt::format("backup {} is the parent of incremental backups that need it ({}); delete them "
                                      "first, or use force=true to delete them with it",
                                      m->id, fmt::join(why.dependents, ", ")));
    e.details = json::object{{"dependents", std::move(ids)}};
    return e;
  }
  const backup::DeleteOutcome& d = *result->deleted;
  handlers::audit(
      s, req, "backup.deleted", "backup", m->id,
      {{"name", m->name},
       {"force", force},
       {"freed_bytes", d.freed_bytes},
       {"dependents_deleted", json::array(result->dependents_deleted.begin(), result->dependents_deleted.end())}});
  const auto& gone = result->dependents_deleted;
  const std::string message =
      gone.empty() ? fmt::format("backup '{}' deleted", m->name)
                   : fmt::format("backup '{}' deleted, and with it the {} incremental backups that depended on it: {}",
                                 m->name, gone.size(), fmt::join(gone, ", "));
  return Response::json(200, json::object{{"message", message},
                                          {"dependents_deleted", json::array(gone.begin(), gone.end())},
                                          {"backup_id", d.backup_id},
                                          {"deleted_at", format_iso8601(d.deleted_at)},
                                          {"freed_bytes", d.freed_bytes},
                                          {"files_deleted", d.files_deleted}});
}

Response backup_job(Services& s, Request& req) {
  auto found = find_job(s, req.who(), req.param("job_id"), jobs::JobType::backup);
  auto* job = value_of(found);
  if (!job) return std::get<ApiError>(found);
  return Response::json(200, jobs::backup_job_json(*job, api_code));
}

Response cancel_backup_job(Services& s, Request& req) {
  auto cancelled = cancel_job(s, req.who(), req.param("job_id"), jobs::JobType::backup);
  auto* job = value_of(cancelled);
  if (!job) return std::get<ApiError>(cancelled);
  const jobs::Job& j = *job;  // cancelled: the partial file is gone
  return Response::json(200,
                        json::object{{"job_id", j.id},
                                     {"status", jobs::job_status_name(j.status)},
                                     {"cancelled_at", format_iso8601(j.cancelled_at.value_or(s.clock->now_ms()))}});
}

}  // namespace

void add_backup_routes(Router& router, Services& services) {
  Services* s = &services;
  router.add(Method::post, "/api/v1/backups", [s](Request& r) { return create_backup(*s, r); },
             {.rate = RateClass::backup_create});
  router.add(Method::get, "/api/v1/backups", [s](Request& r) { return list_backups_route(*s, r); });
  router.add(Method::get, "/api/v1/backups/statistics", [s](Request& r) { return statistics(*s, r); });
  router.add(Method::get, "/api/v1/backups/{id}", [s](Request& r) { return show_backup(*s, r); });
  router.add(Method::get, "/api/v1/backups/{id}/download", [s](Request& r) { return download(*s, r); },
             {.rate = RateClass::download});
  router.add(Method::del, "/api/v1/backups/{id}", [s](Request& r) { return delete_backup(*s, r); });
  router.add(Method::get, "/api/v1/backups/jobs/{job_id}", [s](Request& r) { return backup_job(*s, r); });
  router.add(Method::post, "/api/v1/backups/jobs/{job_id}/cancel",
             [s](Request& r) { return cancel_backup_job(*s, r); });
}

}  // namespace claudelens::http
