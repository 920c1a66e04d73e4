// The /api/v1/restore endpoints of API.md except the upload (restore_upload.cpp): create (a job, after
// a preview that fills `validation_results`), preview, job status, history and cancel.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>

#include "http/backup_requests.hpp"
#include "http/errors.hpp"
#include "http/handlers/backup_access.hpp"
#include "http/json_body.hpp"
#include "http/routes.hpp"
#include "http/validation.hpp"
#include "jobs/jobs.hpp"
#include "restore/preview.hpp"

namespace claudelens::http {

namespace {

namespace json = boost::json;

/// Conflicts listed in a POST /restore answer (the preview has them all).
constexpr std::size_t k_listed_conflicts = 100;

/// An archive that cannot be read as an answer.
ApiError archive_error(const Error& e) {
  if (e.code == Errc::not_found) return ApiError{410, "BACKUP_FILE_MISSING", e.message, nullptr, {}, {}};
  return api_error(e);
}

std::int64_t number_at(const json::value& root, std::string_view path) {
  const json::value v = value_at(root, path);
  return v.is_number() ? v.to_number<std::int64_t>() : 0;
}

std::int64_t count_at(const json::value& root, std::string_view path) {
  const json::value v = value_at(root, path);
  return v.is_array() ? static_cast<std::int64_t>(v.get_array().size()) : 0;
}

/// A project the caller may see, for `target.project_id`.
std::optional<ApiError> check_target(const Services& s, const Caller& caller, const restore::RestoreOptions& o) {
  if (o.target_project_id.empty()) return std::nullopt;
  auto reader = s.store->read();
  if (!reader) return api_error(reader.error());
  auto project = (*reader)->get_project(o.target_project_id);
  if (!project) return api_error(project.error());
  if (!*project || !caller.may_see((*project)->owner_id))
    return reject({FieldError{"target.project_id", "no such project", "not_found", json::value(o.target_project_id)}});
  return std::nullopt;
}

Response create_restore(Services& s, Request& req) {
  auto parsed = parse_restore_create(req.body);
  if (!parsed) return parsed.error;
  RestoreCreate& r = *parsed.value;
  const Caller& caller = req.who();
  auto found = find_backup(s, caller, r.backup_id);
  auto* m = value_of(found);
  if (!m) return std::get<ApiError>(found);
  auto file = backup_file(s, *m);
  auto* path = value_of(file);
  if (!path) return std::get<ApiError>(file);
  if (m->status == backup::BackupStatus::corrupted)
    return ApiError{400,
                    "INVALID_BACKUP_FILE",
                    fmt::format("backup {} failed its last verification; it cannot be restored", m->id),
                    nullptr,
                    {},
                    {}};
  if (auto bad = check_target(s, caller, r.options)) return *bad;

  restore::PreviewOptions po;
  po.check_conflicts = true;
  // Projects and sessions only: counting message conflicts reads the entry frames of every session
  // that exists already, which a 202 answer should not wait for (the restore's report counts them).
  po.check_message_conflicts = false;
  po.on_conflict = r.options.on_conflict;
  po.backup_id = m->id;
  po.passphrase = s.passphrase;
  auto preview = restore::preview_restore(*s.store, *path, po);
  if (!preview) return archive_error(preview.error());
  const json::value pv = std::move(*preview);

  restore::RestoreOptions options = r.options;
  options.restored_by = caller.user_id;
  options.backup_id = m->id;
  options.archive_backup_id = backup::archive_id_of(*m);
  options.expected_sha256 = m->checksum;
  auto job = s.jobs->submit_restore(jobs::RestoreRequest{m->id, {}, options}, caller.user_id);
  if (!job) {
    if (job.error().code == Errc::conflict) return conflict("RESTORE_IN_PROGRESS", job.error().message);
    return api_error(job.error(), "BACKUP_NOT_FOUND");
  }
  json::array conflicts;
  const json::value all = value_at(pv, "restore_analysis.conflicts");
  if (const auto* a = all.if_array())
    for (std::size_t i = 0; i < a->size() && i < k_listed_conflicts; ++i) conflicts.push_back((*a)[i]);
  json::array warnings;
  const json::value recommendations = value_at(pv, "restore_analysis.recommendations");
  if (const auto* recs = recommendations.if_array())
    for (const auto& w : *recs) warnings.push_back(w);
  const std::int64_t documents = number_at(pv, "contents.sessions_summary.total") +
                                 number_at(pv, "contents.messages_summary.total") +
                                 number_at(pv, "contents.messages_summary.records_without_uuid") +
                                 count_at(pv, "contents.projects") + count_at(pv, "contents.prompts");
  return Response::json(
      202, json::object{{"job_id", job->id},
                        {"status", jobs::job_status_name(job->status)},
                        {"mode", restore::mode_name(options.mode)},
                        {"backup_id", m->id},
                        {"estimated_documents", documents},
                        {"estimated_duration_seconds", value_at(pv, "restore_analysis.estimated_time_seconds")},
                        {"validation_results",
                         json::object{{"is_valid", true},
                                      {"warnings", std::move(warnings)},
                                      {"errors", json::array()},
                                      {"conflicts_count", value_at(pv, "restore_analysis.conflicts_count")},
                                      {"conflicts", std::move(conflicts)}}}});
}

Response preview(Services& s, Request& req) {
  std::vector<FieldError> errors;
  Query query(req.query, errors);
  restore::PreviewOptions po;
  po.detailed = query.boolean("detailed").value_or(false);
  po.check_conflicts = query.boolean("check_conflicts").value_or(true);
  query.reject_unknown();
  if (!errors.empty()) return reject(std::move(errors));
  auto found = find_backup(s, req.who(), req.param("backup_id"));
  auto* m = value_of(found);
  if (!m) return std::get<ApiError>(found);
  auto file = backup_file(s, *m);
  auto* path = value_of(file);
  if (!path) return std::get<ApiError>(file);
  po.backup_id = m->id;
  po.check_message_conflicts = po.check_conflicts;
  po.passphrase = s.passphrase;
  auto out = restore::preview_restore(*s.store, *path, po);
  if (!out) return archive_error(out.error());
  return Response::json(200, *out);
}

Response restore_job(Services& s, Request& req) {
  auto found = find_job(s, req.who(), req.param("job_id"), jobs::JobType::restore);
  auto* job = value_of(found);
  if (!job) return std::get<ApiError>(found);
  return Response::json(200, jobs::restore_job_json(*job, api_code));
}

Response restore_jobs(Services& s, Request& req) {
  std::vector<FieldError> errors;
  Query query(req.query, errors);
  Paging paging;
  if (auto page = query.integer("page", 1, 1'000'000'000)) paging.page = *page;
  if (auto size = query.integer("size", 1, 100)) paging.size = *size;
  jobs::JobFilter filter{.type = jobs::JobType::restore, .owner_id = req.who().owner_filter(), .statuses = {}};
  query.reject_unknown();
  if (!errors.empty()) return reject(std::move(errors));
  auto list = s.jobs->list(filter);  // newest first
  if (!list) return api_error(list.error());
  json::array items;
  const auto total = static_cast<std::int64_t>(list->size());
  for (std::int64_t i = paging.offset(); i < std::min(total, paging.offset() + paging.size); ++i)
    items.push_back(jobs::restore_job_json((*list)[static_cast<std::size_t>(i)], api_code));
  return Response::json(200, json::object{{"items", std::move(items)}, {"pagination", pagination_json(total, paging)}});
}

Response cancel_restore_job(Services& s, Request& req) {
  auto cancelled = cancel_job(s, req.who(), req.param("job_id"), jobs::JobType::restore);
  auto* job = value_of(cancelled);
  if (!job) return std::get<ApiError>(cancelled);
  const jobs::Job& j = *job;  // cancelled: rolled back
  return Response::json(200,
                        json::object{{"job_id", j.id},
                                     {"status", jobs::job_status_name(j.status)},
                                     {"cancelled_at", format_iso8601(j.cancelled_at.value_or(s.clock->now_ms()))},
                                     {"documents_restored", 0},
                                     {"rollback_available", false},
                                     {"message", "the restore was cancelled and rolled back: the store is as it was"}});
}

}  // namespace

void add_restore_upload_route(Router& router, Services& services);  // restore_upload.cpp

void add_restore_routes(Router& router, Services& services) {
  Services* s = &services;
  router.add(Method::post, "/api/v1/restore", [s](Request& r) { return create_restore(*s, r); },
             {.rate = RateClass::restore});
  router.add(Method::get, "/api/v1/restore/preview/{backup_id}", [s](Request& r) { return preview(*s, r); });
  router.add(Method::get, "/api/v1/restore/jobs", [s](Request& r) { return restore_jobs(*s, r); });
  router.add(Method::get, "/api/v1/restore/jobs/{job_id}", [s](Request& r) { return restore_job(*s, r); });
  router.add(Method::post, "/api/v1/restore/jobs/{job_id}/cancel",
             [s](Request& r) { return cancel_restore_job(*s, r); });
  add_restore_upload_route(router, services);
}

}  // namespace claudelens::http
