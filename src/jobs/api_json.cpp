// The JSON shapes API.md gives jobs: GET /backups/jobs/{id}, GET /restore/jobs/{id} and the WebSocket
// events. Field names are the contract: keep them exactly.
#include <boost/json.hpp>

#include <cctype>

#include "jobs/jobs.hpp"

namespace claudelens::jobs {

namespace json = boost::json;

namespace {

std::string default_code_name(Errc code) {
  std::string out(errc_name(code));
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string code_of(Errc code, std::string (*code_name)(Errc)) {
  return code_name ? code_name(code) : default_code_name(code);
}

json::value time_or_null(const std::optional<TimeMs>& t) {
  return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

json::value error_json(const Job& job, std::string (*code_name)(Errc), bool with_details) {
  if (!job.error) return nullptr;
  json::object e{{"code", code_of(job.error->code, code_name)}, {"message", job.error->message}};
  if (with_details) e["details"] = nullptr;
  return e;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

/// API.md's restore `results` from the stored report JSON (null until the job completed).
json::value restore_results(const Job& job) {
  if (job.result_json.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(job.result_json, ec);
  if (ec || !v.is_object()) return nullptr;
  auto& o = v.get_object();
  json::object out;
  for (const char* k : {"projects_restored", "sessions_restored", "messages_restored", "prompts_restored",
                        "total_documents", "skipped_duplicates", "failed_documents", "id_mappings"})
    if (const auto* f = o.if_contains(k)) out[k] = *f;
  // The rest of the report (collections, conflicts, deletions) rides along beside the contract's fields.
  out["report"] = std::move(o);
  return out;
}

std::string_view prefix(const Job& job) {
  return job.type == JobType::backup ? "backup" : "restore";
}

}  // namespace

bool is_final(EventKind k) noexcept {
  return k == EventKind::completed || k == EventKind::failed || k == EventKind::cancelled;
}

json::object backup_job_json(const Job& job, std::string (*code_name)(Errc)) {
  const JobProgress& p = job.progress;
  json::object progress{
      {"current_step", p.current_step},           {"total_steps", p.total_steps},
      {"completed_steps", p.completed_steps},     {"percentage", p.percentage},
      {"current_operation", p.current_operation}, {"documents_processed", p.documents_processed},
      {"documents_total", p.documents_total},     {"bytes_written", p.bytes_written},
      {"elapsed_seconds", p.elapsed_seconds},     {"estimated_remaining_seconds", p.estimated_remaining_seconds}};
  return json::object{{"job_id", job.id},
                      {"backup_id", job.backup_id},
                      {"status", job_status_name(job.status)},
                      {"progress", std::move(progress)},
                      {"started_at", time_or_null(job.started_at)},
                      {"updated_at", format_iso8601(job.updated_at)},
                      {"completed_at", time_or_null(job.completed_at)},
                      {"cancel_requested", job.cancel_requested},
                      {"error", error_json(job, code_name, true)}};
}

json::object restore_job_json(const Job& job, std::string (*code_name)(Errc)) {
  const JobProgress& p = job.progress;
  json::object progress{{"current_operation", p.current_operation},
                        {"collections_processed", strings(p.collections_processed)},
                        {"collections_remaining", strings(p.collections_remaining)},
                        {"documents_restored", p.documents_restored},
                        {"documents_skipped", p.documents_skipped},
                        {"documents_failed", p.documents_failed},
                        {"documents_total", p.documents_total},
                        {"percentage", p.percentage},
                        {"elapsed_seconds", p.elapsed_seconds},
                        {"estimated_remaining_seconds", p.estimated_remaining_seconds}};
  json::array errors;
  if (job.error)
    errors.push_back(json::object{{"timestamp", format_iso8601(job.completed_at.value_or(job.updated_at))},
                                  {"collection", nullptr},
                                  {"document_id", nullptr},
                                  {"error_code", code_of(job.error->code, code_name)},
                                  {"message", job.error->message},
                                  {"details", nullptr}});
  const std::string mode = job.restore ? std::string(restore::mode_name(job.restore->options.mode)) : "";
  return json::object{{"job_id", job.id},
                      {"status", job_status_name(job.status)},
                      {"mode", mode},
                      {"backup_id", job.backup_id},
                      {"progress", std::move(progress)},
                      {"started_at", time_or_null(job.started_at)},
                      {"updated_at", format_iso8601(job.updated_at)},
                      {"completed_at", time_or_null(job.completed_at)},
                      {"cancel_requested", job.cancel_requested},
                      {"results", restore_results(job)},
                      {"errors", std::move(errors)}};
}

json::object event_json(const JobEvent& event, std::string (*code_name)(Errc)) {
  const Job& job = event.job;
  EventKind kind = event.kind;
  if (kind == EventKind::state) {
    kind = job.status == JobStatus::completed   ? EventKind::completed
           : job.status == JobStatus::failed    ? EventKind::failed
           : job.status == JobStatus::cancelled ? EventKind::cancelled
                                                : EventKind::progress;
  }
  const std::string p(prefix(job));
  json::object o{{"job_id", job.id}};
  switch (kind) {
    case EventKind::state:  // mapped above
    case EventKind::progress:
      o["type"] = p + ".progress";
      if (job.type == JobType::backup) {
        o["backup_id"] = job.backup_id;
        o["progress"] = json::object{{"percentage", job.progress.percentage},
                                     {"current_operation", job.progress.current_operation},
                                     {"documents_processed", job.progress.documents_processed},
                                     {"bytes_written", job.progress.bytes_written}};
      } else {
        o["progress"] = json::object{{"percentage", job.progress.percentage},
                                     {"current_collection", job.progress.current_operation},
                                     {"documents_restored", job.progress.documents_restored},
                                     {"documents_skipped", job.progress.documents_skipped}};
      }
      break;
    case EventKind::completed:
      o["type"] = p + ".completed";
      if (job.type == JobType::backup) {
        o["backup_id"] = job.backup_id;
        o["size_bytes"] = job.result_size_bytes;
      } else {
        o["documents_restored"] = job.result_documents;
      }
      o["duration_seconds"] = job.duration_seconds;
      break;
    case EventKind::failed:
    case EventKind::cancelled: {
      o["type"] = p + ".failed";
      const Errc code = job.error ? job.error->code : Errc::cancelled;
      const std::string message = job.error ? job.error->message : std::string("cancelled");
      o["error"] = json::object{{"code", code_of(code, code_name)}, {"message", message}};
      break;
    }
  }
  o["timestamp"] = format_iso8601(event.at);
  return o;
}

}  // namespace claudelens::jobs
