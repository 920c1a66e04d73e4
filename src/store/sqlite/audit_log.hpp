// The audit log's SQL (store.hpp: query_audit, for_each_audit, append_audit) for SQLite, private to
// store/sqlite/. Each function runs inside the Reader's or Writer's transaction on its connection.
// Not thread-safe: one connection per call.
#pragma once

#include "store/sqlite/db.hpp"
#include "store/store.hpp"

namespace claudelens::store::sqlite {

Result<AuditPage> query_audit(Connection& conn, const AuditQuery& query);
Status for_each_audit(Connection& conn, const Visit<AuditEvent>& visit);
Result<bool> append_audit(Connection& conn, const AuditEvent& event);

}  // namespace claudelens::store::sqlite
