// The notification outbox on SQLite (outbox.hpp). The claim is one UPDATE … RETURNING whose sub-select
// picks the due row, so two servers on one database never claim the same attempt.
#include "store/sqlite/outbox.hpp"

#include <boost/json.hpp>

namespace claudelens::store::sqlite {
namespace {

#define CL_OUTBOX_COLS                                                                                        \
  "id, event_type, channel, status, payload, attempts, next_attempt_at, last_error, claimed_by, created_at, " \
  "updated_at"

void read_row(const Stmt& s, OutboxRow& r) {
  r.id = s.text(0);
  r.event_type = s.text(1);
  r.channel = s.text(2);
  r.status = s.text(3);
  r.payload = s.text(4);
  r.attempts = static_cast<int>(s.i64(5));
  r.next_attempt_at = s.i64(6);
  r.last_error = s.text(7);
  r.claimed_by = s.text(8);
  r.created_at = s.i64(9);
  r.updated_at = s.i64(10);
}

}  // namespace

Status insert_outbox(Connection& conn, const OutboxRow& r) {
  CL_TRY(st, conn.prepare("INSERT INTO notification_outbox(" CL_OUTBOX_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
  st->bind(r.id).bind(r.event_type).bind(r.channel).bind(r.status).bind(r.payload).bind(r.attempts);
  st->bind(r.next_attempt_at).bind(r.last_error).bind(r.claimed_by).bind(r.created_at).bind(r.updated_at);
  return conn.run(*st, "insert notification");
}

Result<std::optional<OutboxRow>> claim_outbox(Connection& conn, const OutboxClaim& claim) {
  if (claim.claimant.empty()) return fail(Errc::invalid_argument, "claim_outbox needs a claimant");
  CL_TRY(st, conn.prepare("UPDATE notification_outbox SET attempts = attempts + 1, claimed_by = ?, "
                          "next_attempt_at = ?, updated_at = ? WHERE id = (SELECT id FROM notification_outbox "
                          "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT 1) "
                          "AND status = 'pending' RETURNING " CL_OUTBOX_COLS));
  st->bind(claim.claimant).bind(claim.lease_until).bind(claim.now).bind(claim.now);
  return one<OutboxRow>(conn.db(), *st, read_row, "claim notification");
}

Result<bool> update_outbox_if(Connection& conn, const OutboxRow& r) {
  CL_TRY(st, conn.prepare("UPDATE notification_outbox SET status = ?, next_attempt_at = ?, last_error = ?, "
                          "updated_at = ? WHERE id = ? AND claimed_by = ? AND attempts = ?"));
  st->bind(r.status).bind(r.next_attempt_at).bind(r.last_error).bind(r.updated_at);
  st->bind(r.id).bind(r.claimed_by).bind(r.attempts);
  CL_CHECK(conn.run(*st, "update notification"));
  return sqlite3_changes(conn.db()) == 1;
}

Status for_each_outbox(Connection& conn, const std::vector<std::string>& statuses, const Visit<OutboxRow>& visit) {
  // One fixed statement for any list of statuses: the list travels as a JSON array.
  CL_TRY(st, conn.prepare("SELECT " CL_OUTBOX_COLS " FROM notification_outbox WHERE ? = 0 OR status IN "
                          "(SELECT value FROM json_each(?)) ORDER BY created_at, rowid"));
  st->bind(static_cast<std::int64_t>(statuses.size())).bind(boost::json::serialize(boost::json::value_from(statuses)));
  return scan<OutboxRow>(conn.db(), *st, read_row, visit, "list notifications");
}

Result<std::int64_t> prune_outbox(Connection& conn, TimeMs before) {
  CL_TRY(st,
         conn.prepare("DELETE FROM notification_outbox WHERE status IN ('delivered', 'failed') AND updated_at < ?"));
  st->bind(before);
  CL_CHECK(conn.run(*st, "prune notifications"));
  return static_cast<std::int64_t>(sqlite3_changes(conn.db()));
}

}  // namespace claudelens::store::sqlite

#undef CL_OUTBOX_COLS
