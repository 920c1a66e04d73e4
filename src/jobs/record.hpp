// How a Job is kept in the store: a row of the `jobs` table (store.hpp JobRow) whose JSON holds the
// whole job (request, progress, timestamps, error, result); the row's status and claimed_by columns are
// authoritative over the JSON's copies (claim_job changes only the columns). Also the store-side
// status names: "cancelling" is a running job whose cancel was asked for (Job::cancel_requested).
// Private to src/jobs/. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "jobs/jobs.hpp"

namespace claudelens::jobs {

/// Store status names; besides job_status_name's: a running job asked to stop.
inline constexpr std::string_view k_cancelling = "cancelling";

/// The store status of `job` ("cancelling" for a running job with cancel_requested).
std::string store_status(const Job& job);

store::JobRow to_row(const Job& job);
/// corrupted when the JSON is not a job document.
Result<Job> from_row(const store::JobRow& row);

boost::json::object backup_request_to_json(const backup::BackupRequest& r);
Result<backup::BackupRequest> backup_request_from_json(const boost::json::value& v);
boost::json::object restore_request_to_json(const RestoreRequest& r);
Result<RestoreRequest> restore_request_from_json(const boost::json::value& v);

}  // namespace claudelens::jobs
