// The audit log in SQLite (audit_log.hpp). The table `audit_log` (migration 3) keeps each line with an
// increasing `seq` (the append order, which breaks ties between lines of the same millisecond) and is
// indexed by (at, seq) and (action, at, seq), so that every filter of GET /audit is an index range.
#include "store/sqlite/audit_log.hpp"

#include <string>

namespace claudelens::store::sqlite {
namespace {

constexpr const char* k_cols = "id, at, user_id, action, target_type, target_id, details";

void read_event(const Stmt& s, AuditEvent& e) {
  e.id = s.text(0);
  e.at = s.i64(1);
  e.user_id = s.text(2);
  e.action = s.text(3);
  e.target_type = s.text(4);
  e.target_id = s.text(5);
  e.details = s.text(6);
}

/// " WHERE …" for the query's filters (bound in this order: action, from, to), or "".
std::string where(const AuditQuery& q) {
  std::string w;
  auto add = [&](const char* cond) { w += w.empty() ? std::string(" WHERE ") + cond : std::string(" AND ") + cond; };
  if (q.action) add("action = ?");
  if (q.from) add("at >= ?");
  if (q.to) add("at < ?");
  return w;
}

void bind_filters(Stmt& st, const AuditQuery& q) {
  if (q.action) st.bind(*q.action);
  if (q.from) st.bind(*q.from);
  if (q.to) st.bind(*q.to);
}

Status step_error(Connection& conn, Stmt& st, int rc, std::string_view what) {
  Error e = sqlite_error(conn.db(), rc, what);
  st.reset();
  return fail(std::move(e));
}

}  // namespace

Result<AuditPage> query_audit(Connection& conn, const AuditQuery& query) {
  AuditPage page;
  const std::string filter = where(query);
  {
    CL_TRY(st, conn.prepare_text("SELECT COUNT(*) FROM audit_log" + filter));
    if (!st) return fail(Errc::internal, "audit count: statement in use");
    bind_filters(*st, query);
    const int rc = st->step();
    if (rc != SQLITE_ROW) return fail(step_error(conn, *st, rc, "count audit lines").error());
    page.total = st->i64(0);
    st->reset();
  }
  CL_TRY(st, conn.prepare_text(std::string("SELECT ") + k_cols + " FROM audit_log" + filter +
                               " ORDER BY at DESC, seq DESC LIMIT ? OFFSET ?"));
  if (!st) return fail(Errc::internal, "audit query: statement in use");
  bind_filters(*st, query);
  st->bind(query.limit).bind(query.offset);
  for (;;) {
    const int rc = st->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return fail(step_error(conn, *st, rc, "list audit lines").error());
    read_event(*st, page.items.emplace_back());
  }
  st->reset();
  return page;
}

Status for_each_audit(Connection& conn, const Visit<AuditEvent>& visit) {
  CL_TRY(st, conn.prepare("SELECT id, at, user_id, action, target_type, target_id, details FROM audit_log "
                          "ORDER BY at, seq"));
  AuditEvent e;
  for (;;) {
    const int rc = st->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return step_error(conn, *st, rc, "list audit lines");
    read_event(*st, e);
    if (!visit(e)) break;
  }
  st->reset();
  return {};
}

Result<bool> append_audit(Connection& conn, const AuditEvent& e) {
  if (e.id.empty() || e.action.empty()) return fail(Errc::invalid_argument, "an audit line needs an id and an action");
  CL_TRY(st, conn.prepare("INSERT INTO audit_log(id, at, user_id, action, target_type, target_id, details) "
                          "VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING"));
  st->bind(e.id).bind(e.at).bind(e.user_id).bind(e.action).bind(e.target_type).bind(e.target_id).bind(e.details);
  CL_CHECK(conn.run(*st, "append audit line"));
  return sqlite3_changes(conn.db()) > 0;
}

}  // namespace claudelens::store::sqlite
