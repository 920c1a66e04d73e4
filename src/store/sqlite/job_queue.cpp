#include "store/sqlite/job_queue.hpp"

#include <fmt/format.h>

namespace claudelens::store::sqlite {
namespace {

constexpr const char* k_cols = "id, owner_id, kind, status, created_at, updated_at, json, claimed_by";

void read_row(const Stmt& s, JobRow& r) {
  r.record.id = s.text(0);
  r.record.owner_id = s.text(1);
  r.record.kind = s.text(2);
  r.record.status = s.text(3);
  r.record.created_at = s.i64(4);
  r.record.updated_at = s.i64(5);
  r.record.json = s.text(6);
  r.claimed_by = s.text(7);
}

/// "?,?,?" for n values (n >= 1).
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  return out;
}

/// A statement for SQL composed at run time: the connection's cached one, or (when that one is in use
/// by an enclosing scan) a private one.
class QueryStmt {
 public:
  Status prepare(Connection& conn, const std::string& sql) {
    CL_TRY(cached, conn.prepare_text(sql));
    if (cached) {
      m_stmt = cached;
      return {};
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(conn.db(), sql.c_str(), -1, &raw, nullptr);
    if (rc != SQLITE_OK) return fail(sqlite_error(conn.db(), rc, "prepare job query"));
    m_owned = Stmt(raw);
    m_stmt = &m_owned;
    return {};
  }
  ~QueryStmt() {
    if (m_owned.get()) sqlite3_finalize(m_owned.get());
  }
  Stmt& operator*() { return *m_stmt; }
  Stmt* operator->() { return m_stmt; }

 private:
  Stmt* m_stmt = nullptr;
  Stmt m_owned;
};

/// Steps a statement that returns at most one job row.
Result<std::optional<JobRow>> one_row(Connection& conn, Stmt& st, std::string_view what) {
  std::optional<JobRow> out;
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    out.emplace();
    read_row(st, *out);
  } else if (rc != SQLITE_DONE) {
    Error e = sqlite_error(conn.db(), rc, what);
    st.reset();
    return fail(std::move(e));
  }
  st.reset();
  return out;
}

}  // namespace

Result<bool> insert_job(Connection& conn, const JobRow& row, const std::vector<std::string>& exclusive) {
  std::string sql = fmt::format("INSERT INTO jobs({}) SELECT ?,?,?,?,?,?,?,?", k_cols);
  if (!exclusive.empty())
    sql += fmt::format(" WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = ? AND status IN ({}))",
                       placeholders(exclusive.size()));
  QueryStmt st;
  CL_CHECK(st.prepare(conn, sql));
  const SystemRecord& r = row.record;
  st->bind(r.id).bind(r.owner_id).bind(r.kind).bind(r.status).bind(r.created_at).bind(r.updated_at).bind(r.json);
  st->bind(row.claimed_by);
  if (!exclusive.empty()) {
    st->bind(r.kind);
    for (const auto& s : exclusive) st->bind(s);
  }
  CL_CHECK(conn.run(*st, "insert job"));
  return sqlite3_changes(conn.db()) == 1;
}

Result<std::optional<JobRow>> claim_job(Connection& conn, const JobClaim& claim) {
  if (claim.claimant.empty()) return fail(Errc::invalid_argument, "claim_job needs a claimant");
  std::string inner = "SELECT id FROM jobs WHERE status = ?";
  if (!claim.kinds.empty()) inner += fmt::format(" AND kind IN ({})", placeholders(claim.kinds.size()));
  inner += " ORDER BY created_at, id LIMIT 1";
  // One statement: the sub-select and the update run under the same write lock, and the outer
  // status test keeps the claim exact even if a future engine evaluated them apart.
  const std::string sql = fmt::format(
      "UPDATE jobs SET status = ?, claimed_by = ?, updated_at = ? WHERE id = ({}) AND status = ? RETURNING {}", inner,
      k_cols);
  QueryStmt st;
  CL_CHECK(st.prepare(conn, sql));
  st->bind(claim.to_status).bind(claim.claimant).bind(claim.now).bind(claim.from_status);
  for (const auto& k : claim.kinds) st->bind(k);
  st->bind(claim.from_status);
  return one_row(conn, *st, "claim job");
}

Result<bool> update_job_if(Connection& conn, const JobRow& row, const JobExpect& expect) {
  CL_TRY(st, conn.prepare("UPDATE jobs SET owner_id = ?, kind = ?, status = ?, updated_at = ?, json = ?, "
                          "claimed_by = ? WHERE id = ? AND status = ? AND claimed_by = ?"));
  const SystemRecord& r = row.record;
  st->bind(r.owner_id).bind(r.kind).bind(r.status).bind(r.updated_at).bind(r.json).bind(row.claimed_by);
  st->bind(r.id).bind(expect.status).bind(expect.claimed_by);
  CL_CHECK(conn.run(*st, "update job"));
  return sqlite3_changes(conn.db()) == 1;
}

Result<std::optional<JobRow>> get_job(Connection& conn, const std::string& id) {
  CL_TRY(st, conn.prepare("SELECT id, owner_id, kind, status, created_at, updated_at, json, claimed_by FROM jobs "
                          "WHERE id = ?"));
  st->bind(id);
  return one_row(conn, *st, "get job");
}

Status for_each_job(Connection& conn, const JobQuery& query, const Visit<JobRow>& visit) {
  std::string sql = fmt::format("SELECT {} FROM jobs WHERE 1", k_cols);
  if (!query.statuses.empty()) sql += fmt::format(" AND status IN ({})", placeholders(query.statuses.size()));
  if (!query.kinds.empty()) sql += fmt::format(" AND kind IN ({})", placeholders(query.kinds.size()));
  sql += " ORDER BY created_at, id";
  QueryStmt st;
  CL_CHECK(st.prepare(conn, sql));
  for (const auto& s : query.statuses) st->bind(s);
  for (const auto& k : query.kinds) st->bind(k);
  JobRow row;
  for (;;) {
    const int rc = st->step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Error e = sqlite_error(conn.db(), rc, "list jobs");
      st->reset();
      return fail(std::move(e));
    }
    read_row(*st, row);
    if (!visit(row)) break;
  }
  st->reset();
  return {};
}

Result<bool> claim_slot(Connection& conn, const SlotClaim& claim) {
  if (claim.claimed_by.empty()) return fail(Errc::invalid_argument, "claim_slot needs a claimant");
  // One statement: a first claim inserts; a later slot replaces an earlier one; an equal or earlier slot
  // changes nothing (the WHERE of the upsert), so two claimants of one slot cannot both win.
  CL_TRY(st, conn.prepare("INSERT INTO schedule_slots(schedule_id, slot, claimed_by, claimed_at) VALUES(?,?,?,?) "
                          "ON CONFLICT(schedule_id) DO UPDATE SET slot = excluded.slot, claimed_by = "
                          "excluded.claimed_by, claimed_at = excluded.claimed_at WHERE schedule_slots.slot < "
                          "excluded.slot"));
  st->bind(claim.schedule_id).bind(claim.slot).bind(claim.claimed_by).bind(claim.claimed_at);
  CL_CHECK(conn.run(*st, "claim schedule slot"));
  return sqlite3_changes(conn.db()) == 1;
}

Result<std::optional<SlotClaim>> last_slot_claim(Connection& conn, const std::string& schedule_id) {
  CL_TRY(st,
         conn.prepare("SELECT schedule_id, slot, claimed_by, claimed_at FROM schedule_slots WHERE schedule_id = ?"));
  st->bind(schedule_id);
  std::optional<SlotClaim> out;
  const int rc = st->step();
  if (rc == SQLITE_ROW) {
    out = SlotClaim{std::string(st->text(0)), st->i64(1), std::string(st->text(2)), st->i64(3)};
  } else if (rc != SQLITE_DONE) {
    Error e = sqlite_error(conn.db(), rc, "read schedule slot");
    st->reset();
    return fail(std::move(e));
  }
  st->reset();
  return out;
}

}  // namespace claudelens::store::sqlite
