// The notification outbox's SQL (store.hpp: insert_outbox, claim_outbox, update_outbox_if,
// for_each_outbox, prune_outbox) for SQLite, private to store/sqlite/. Each function is one statement in
// autocommit mode, hence atomic against every other connection. Not thread-safe: one connection per call.
#pragma once

#include "store/sqlite/db.hpp"
#include "store/store.hpp"

namespace claudelens::store::sqlite {

Status insert_outbox(Connection& conn, const OutboxRow& row);
Result<std::optional<OutboxRow>> claim_outbox(Connection& conn, const OutboxClaim& claim);
Result<bool> update_outbox_if(Connection& conn, const OutboxRow& row);
Status for_each_outbox(Connection& conn, const std::vector<std::string>& statuses, const Visit<OutboxRow>& visit);
Result<std::int64_t> prune_outbox(Connection& conn, TimeMs before);

}  // namespace claudelens::store::sqlite
