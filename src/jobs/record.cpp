#include "jobs/record.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace claudelens::jobs {

namespace json = boost::json;

namespace {

constexpr std::string_view k_type_names[] = {"backup", "restore"};
constexpr std::string_view k_status_names[] = {"pending", "running", "completed", "failed", "cancelled"};

json::value opt_time(const std::optional<TimeMs>& t) {
  return t ? json::value(*t) : json::value(nullptr);
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

/// Field readers that tolerate absent fields (older records) and report wrong types.
class Fields {
 public:
  explicit Fields(const json::object& o) : m_o(o) {}
  std::string str(std::string_view k) const {
    const auto* v = m_o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  }
  std::int64_t i64(std::string_view k) const {
    const auto* v = m_o.if_contains(k);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return 0;
  }
  double f64(std::string_view k) const {
    const auto* v = m_o.if_contains(k);
    if (!v) return 0;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    return 0;
  }
  bool boolean(std::string_view k, bool otherwise) const {
    const auto* v = m_o.if_contains(k);
    return v && v->is_bool() ? v->get_bool() : otherwise;
  }
  std::optional<TimeMs> time(std::string_view k) const {
    const auto* v = m_o.if_contains(k);
    if (!v || v->is_null()) return std::nullopt;
    return i64(k);
  }
  std::vector<std::string> list(std::string_view k) const {
    std::vector<std::string> out;
    const auto* v = m_o.if_contains(k);
    if (v && v->is_array())
      for (const auto& e : v->get_array())
        if (e.is_string()) out.emplace_back(e.get_string());
    return out;
  }
  const json::value* value(std::string_view k) const { return m_o.if_contains(k); }

 private:
  const json::object& m_o;
};

json::object progress_to_json(const JobProgress& p) {
  return json::object{{"current_operation", p.current_operation},
                      {"current_step", p.current_step},
                      {"total_steps", p.total_steps},
                      {"completed_steps", p.completed_steps},
                      {"percentage", p.percentage},
                      {"documents_processed", p.documents_processed},
                      {"documents_total", p.documents_total},
                      {"bytes_written", p.bytes_written},
                      {"documents_restored", p.documents_restored},
                      {"documents_skipped", p.documents_skipped},
                      {"documents_failed", p.documents_failed},
                      {"collections_processed", strings(p.collections_processed)},
                      {"collections_remaining", strings(p.collections_remaining)},
                      {"elapsed_seconds", p.elapsed_seconds},
                      {"estimated_remaining_seconds", p.estimated_remaining_seconds}};
}

JobProgress progress_from_json(const json::object& o) {
  const Fields f(o);
  JobProgress p;
  p.current_operation = f.str("current_operation");
  p.current_step = static_cast<int>(f.i64("current_step"));
  p.total_steps = static_cast<int>(f.i64("total_steps"));
  p.completed_steps = static_cast<int>(f.i64("completed_steps"));
  p.percentage = f.f64("percentage");
  p.documents_processed = f.i64("documents_processed");
  p.documents_total = f.i64("documents_total");
  p.bytes_written = f.i64("bytes_written");
  p.documents_restored = f.i64("documents_restored");
  p.documents_skipped = f.i64("documents_skipped");
  p.documents_failed = f.i64("documents_failed");
  p.collections_processed = f.list("collections_processed");
  p.collections_remaining = f.list("collections_remaining");
  p.elapsed_seconds = f.f64("elapsed_seconds");
  p.estimated_remaining_seconds = f.f64("estimated_remaining_seconds");
  return p;
}

Errc parse_errc(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i)
    if (errc_name(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  return Errc::internal;
}

}  // namespace

std::string_view job_type_name(JobType t) noexcept {
  return k_type_names[static_cast<int>(t)];
}
std::optional<JobType> parse_job_type(std::string_view s) noexcept {
  for (int i = 0; i < 2; ++i)
    if (k_type_names[i] == s) return static_cast<JobType>(i);
  return std::nullopt;
}
std::string_view job_status_name(JobStatus s) noexcept {
  return k_status_names[static_cast<int>(s)];
}
std::optional<JobStatus> parse_job_status(std::string_view s) noexcept {
  for (int i = 0; i < 5; ++i)
    if (k_status_names[i] == s) return static_cast<JobStatus>(i);
  return std::nullopt;
}
bool is_final(JobStatus s) noexcept {
  return s == JobStatus::completed || s == JobStatus::failed || s == JobStatus::cancelled;
}

std::string store_status(const Job& job) {
  if (job.status == JobStatus::running && job.cancel_requested) return std::string(k_cancelling);
  return std::string(job_status_name(job.status));
}

json::object backup_request_to_json(const backup::BackupRequest& r) {
  return json::object{
      {"name", r.name},
      {"description", r.description},
      {"type", backup::backup_type_name(r.type)},
      {"filters", backup::filters_to_json(r.filters)},
      {"compression_level", r.compression_level},
      {"created_by", r.created_by},
      {"owner_scope", r.owner_scope ? json::value(*r.owner_scope) : json::value(nullptr)},
      {"parent_backup_id", r.parent_backup_id ? json::value(*r.parent_backup_id) : json::value(nullptr)}};
}

Result<backup::BackupRequest> backup_request_from_json(const json::value& v) {
  if (!v.is_object()) return fail(Errc::corrupted, "job record: the backup request is not an object");
  const auto& o = v.get_object();
  const Fields f(o);
  backup::BackupRequest r;
  r.name = f.str("name");
  r.description = f.str("description");
  const auto type = backup::parse_backup_type(f.str("type"));
  if (!type) return fail(Errc::corrupted, "job record: unknown backup type");
  r.type = *type;
  if (const auto* filters = f.value("filters")) {
    std::vector<backup::FieldError> errors;
    auto parsed = backup::filters_from_json(*filters, errors);
    if (!parsed || !errors.empty()) return fail(Errc::corrupted, "job record: unreadable backup filters");
    r.filters = std::move(*parsed);
  }
  r.compression_level = static_cast<int>(f.i64("compression_level"));
  r.created_by = f.str("created_by");
  if (const auto* scope = f.value("owner_scope"); scope && scope->is_string())
    r.owner_scope = std::string(scope->get_string());
  if (const auto* parent = f.value("parent_backup_id"); parent && parent->is_string())
    r.parent_backup_id = std::string(parent->get_string());
  return r;
}

json::object restore_request_to_json(const RestoreRequest& r) {
  const restore::RestoreOptions& o = r.options;
  const restore::Selections& s = o.selections;
  json::object sel{{"projects", strings(s.projects)},
                   {"sessions", strings(s.sessions)},
                   {"messages", strings(s.messages)},
                   {"prompts", strings(s.prompts)},
                   {"exclude_projects", strings(s.exclude_projects)},
                   {"exclude_sessions", strings(s.exclude_sessions)},
                   {"from", opt_time(s.from)},
                   {"to", opt_time(s.to)}};
  json::object opts{{"mode", restore::mode_name(o.mode)},
                    {"on_conflict", restore::strategy_name(o.on_conflict)},
                    {"selections", std::move(sel)},
                    {"dry_run", o.dry_run},
                    {"validate_before_restore", o.validate_before_restore},
                    {"maintain_ids", o.maintain_ids},
                    {"target_project_id", o.target_project_id},
                    {"target_project_name", o.target_project_name},
                    {"name_suffix", o.name_suffix},
                    {"allow_delete", o.allow_delete},
                    {"restored_by", o.restored_by},
                    {"backup_id", o.backup_id},
                    {"archive_backup_id", o.archive_backup_id},
                    {"expected_sha256", o.expected_sha256},
                    {"bulk_write", o.bulk_write}};
  return json::object{{"backup_id", r.backup_id}, {"file", r.file.string()}, {"options", std::move(opts)}};
}

Result<RestoreRequest> restore_request_from_json(const json::value& v) {
  if (!v.is_object()) return fail(Errc::corrupted, "job record: the restore request is not an object");
  const Fields f(v.get_object());
  RestoreRequest r;
  r.backup_id = f.str("backup_id");
  r.file = f.str("file");
  const auto* ov = f.value("options");
  if (!ov || !ov->is_object()) return fail(Errc::corrupted, "job record: the restore options are missing");
  const Fields o(ov->get_object());
  restore::RestoreOptions& opt = r.options;
  const auto mode = restore::parse_mode(o.str("mode"));
  const auto strategy = restore::parse_strategy(o.str("on_conflict"));
  if (!mode || !strategy) return fail(Errc::corrupted, "job record: unknown restore mode or strategy");
  opt.mode = *mode;
  opt.on_conflict = *strategy;
  if (const auto* sv = o.value("selections"); sv && sv->is_object()) {
    const Fields s(sv->get_object());
    opt.selections.projects = s.list("projects");
    opt.selections.sessions = s.list("sessions");
    opt.selections.messages = s.list("messages");
    opt.selections.prompts = s.list("prompts");
    opt.selections.exclude_projects = s.list("exclude_projects");
    opt.selections.exclude_sessions = s.list("exclude_sessions");
    opt.selections.from = s.time("from");
    opt.selections.to = s.time("to");
  }
  opt.dry_run = o.boolean("dry_run", false);
  opt.validate_before_restore = o.boolean("validate_before_restore", true);
  opt.maintain_ids = o.boolean("maintain_ids", false);
  opt.target_project_id = o.str("target_project_id");
  opt.target_project_name = o.str("target_project_name");
  opt.name_suffix = o.str("name_suffix");
  opt.allow_delete = o.boolean("allow_delete", false);
  opt.restored_by = o.str("restored_by");
  opt.backup_id = o.str("backup_id");
  opt.archive_backup_id = o.str("archive_backup_id");
  opt.expected_sha256 = o.str("expected_sha256");
  opt.bulk_write = o.boolean("bulk_write", true);
  return r;
}

store::JobRow to_row(const Job& job) {
  json::object o{{"_id", job.id},
                 {"type", job_type_name(job.type)},
                 {"owner_id", job.owner_id},
                 {"status", job_status_name(job.status)},
                 {"cancel_requested", job.cancel_requested},
                 {"backup_id", job.backup_id},
                 {"encrypt", job.encrypt},
                 {"progress", progress_to_json(job.progress)},
                 {"created_at", job.created_at},
                 {"updated_at", job.updated_at},
                 {"started_at", opt_time(job.started_at)},
                 {"completed_at", opt_time(job.completed_at)},
                 {"cancelled_at", opt_time(job.cancelled_at)},
                 {"claimed_by", job.claimed_by},
                 {"submitted_by", job.submitted_by},
                 {"result_size_bytes", job.result_size_bytes},
                 {"result_documents", job.result_documents},
                 {"duration_seconds", job.duration_seconds},
                 {"result_json", job.result_json},
                 {"restore_history_id", job.restore_history_id}};
  o["error"] = job.error
                   ? json::value(json::object{{"code", errc_name(job.error->code)}, {"message", job.error->message}})
                   : json::value(nullptr);
  if (job.backup) o["request"] = backup_request_to_json(*job.backup);
  if (job.restore) o["request"] = restore_request_to_json(*job.restore);
  store::JobRow row;
  row.record = store::SystemRecord{
      job.id,         job.owner_id,      std::string(job_type_name(job.type)), store_status(job), job.created_at,
      job.updated_at, json::serialize(o)};
  row.claimed_by = job.claimed_by;
  return row;
}

Result<Job> from_row(const store::JobRow& row) {
  boost::system::error_code ec;
  const json::value v = json::parse(row.record.json, ec);
  if (ec || !v.is_object()) return fail(Errc::corrupted, fmt::format("job {}: the record is not JSON", row.record.id));
  const auto& o = v.get_object();
  const Fields f(o);
  Job job;
  job.id = row.record.id;
  const auto type = parse_job_type(row.record.kind);
  if (!type) return fail(Errc::corrupted, fmt::format("job {}: unknown type '{}'", job.id, row.record.kind));
  job.type = *type;
  job.owner_id = row.record.owner_id;
  if (row.record.status == k_cancelling) {
    job.status = JobStatus::running;
    job.cancel_requested = true;
  } else {
    const auto status = parse_job_status(row.record.status);
    if (!status) return fail(Errc::corrupted, fmt::format("job {}: unknown status '{}'", job.id, row.record.status));
    job.status = *status;
    job.cancel_requested = f.boolean("cancel_requested", false) && !is_final(job.status);
  }
  job.backup_id = f.str("backup_id");
  job.encrypt = f.boolean("encrypt", false);
  if (const auto* p = f.value("progress"); p && p->is_object()) job.progress = progress_from_json(p->get_object());
  job.created_at = row.record.created_at;
  job.updated_at = row.record.updated_at;
  job.started_at = f.time("started_at");
  job.completed_at = f.time("completed_at");
  job.cancelled_at = f.time("cancelled_at");
  job.claimed_by = row.claimed_by;
  job.submitted_by = f.str("submitted_by");
  job.result_size_bytes = f.i64("result_size_bytes");
  job.result_documents = f.i64("result_documents");
  job.duration_seconds = f.f64("duration_seconds");
  job.result_json = f.str("result_json");
  job.restore_history_id = f.str("restore_history_id");
  if (const auto* e = f.value("error"); e && e->is_object()) {
    const Fields ef(e->get_object());
    job.error = JobError{parse_errc(ef.str("code")), ef.str("message")};
  }
  if (const auto* req = f.value("request")) {
    if (job.type == JobType::backup) {
      CL_TRY(r, backup_request_from_json(*req));
      job.backup = std::move(r);
    } else {
      CL_TRY(r, restore_request_from_json(*req));
      job.restore = std::move(r);
    }
  }
  return job;
}

}  // namespace claudelens::jobs
