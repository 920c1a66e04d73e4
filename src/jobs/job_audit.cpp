// Audit lines of jobs (job_audit.hpp).
#include "jobs/job_audit.hpp"

#include <boost/json.hpp>

#include "backup/metadata.hpp"
#include "store/audit.hpp"

namespace claudelens::jobs {

namespace json = boost::json;

std::string_view restore_end_action(const Job& job) noexcept {
  return job.status == JobStatus::completed ? "restore.completed" : "restore.failed";
}

void record_job_audit(store::Store& store, const Job& job, std::string_view action, TimeMs now) {
  json::object d{{"job_id", job.id}};
  std::string target_type = "backup", target_id = job.backup_id;
  if (job.backup) {
    d["name"] = job.backup->name;
    d["type"] = backup::backup_type_name(job.backup->type);
  }
  if (job.restore) {
    if (job.restore->options.dry_run) return;
    d["mode"] = restore::mode_name(job.restore->options.mode);
    if (target_id.empty()) {  // an archive file that is not a registered backup (the CLI)
      target_type = "archive";
      target_id = job.restore->file.filename().string();
    }
    if (is_final(job.status)) {
      d["status"] = job_status_name(job.status);
      d["documents_restored"] = job.result_documents;
      if (job.error) d["error"] = job.error->message;
      // An incremental backup's restore: the backups it read, root first (the report's `chain`).
      boost::system::error_code ec;
      const json::value results = job.result_json.empty() ? json::value() : json::parse(job.result_json, ec);
      if (!ec && results.is_object())
        if (const auto* chain = results.as_object().if_contains("chain");
            chain && chain->is_array() && !chain->as_array().empty())
          d["chain"] = *chain;
    }
  }
  (void)store::record_audit(
      store, store::audit_event(job.owner_id, action, std::move(target_type), std::move(target_id), d), now);
}

}  // namespace claudelens::jobs
