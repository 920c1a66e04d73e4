// The audit lines of jobs (store/audit.hpp): a backup accepted, a restore started (run) and ended. The job
// service records them, so the CLI, the server and schedules record the same lines with the job's
// owner as the user. Restore dry runs change nothing and are not recorded. Thread-safe as the Store is.
#pragma once

#include <string_view>

#include "core/time.hpp"
#include "jobs/jobs.hpp"
#include "store/store.hpp"

namespace claudelens::jobs {

/// Records `action` ("backup.created", "restore.started"; for a final restore job, pass
/// restore_end_action(job)) for `job`; a completed restore of an incremental backup names its `chain`
/// (the backup ids read, root first). Failures are logged, never returned: the job goes on.
void record_job_audit(store::Store& store, const Job& job, std::string_view action, TimeMs now);

/// "restore.completed" for a completed job, "restore.failed" for a failed or cancelled one.
std::string_view restore_end_action(const Job& job) noexcept;

}  // namespace claudelens::jobs
