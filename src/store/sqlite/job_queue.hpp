// The job queue's SQL (store.hpp: insert_job, claim_job, update_job_if, get_job, for_each_job, and the
// schedule slot claims claim_slot, last_slot_claim) for
// SQLite, private to store/sqlite/. Each function is one statement in autocommit mode, hence atomic
// against every other connection, in this process or another. Not thread-safe: one connection per call.
#pragma once

#include "store/sqlite/db.hpp"
#include "store/store.hpp"

namespace claudelens::store::sqlite {

Result<bool> insert_job(Connection& conn, const JobRow& row, const std::vector<std::string>& exclusive);
Result<std::optional<JobRow>> claim_job(Connection& conn, const JobClaim& claim);
Result<bool> update_job_if(Connection& conn, const JobRow& row, const JobExpect& expect);
Result<std::optional<JobRow>> get_job(Connection& conn, const std::string& id);
Status for_each_job(Connection& conn, const JobQuery& query, const Visit<JobRow>& visit);
Result<bool> claim_slot(Connection& conn, const SlotClaim& claim);
Result<std::optional<SlotClaim>> last_slot_claim(Connection& conn, const std::string& schedule_id);

}  // namespace claudelens::store::sqlite
