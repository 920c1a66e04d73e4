#include "store/sqlite/db.hpp"

#include <fmt/format.h>

namespace claudelens::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string text = fmt::format("database: {}: {}", what, msg ? msg : "unknown error");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(Errc::busy, text);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error(Errc::corrupted, text);
    case SQLITE_FULL:
      return Error(Errc::no_space, text);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Error(Errc::io, text);
    case SQLITE_CONSTRAINT:
      return Error(Errc::conflict, text);
    default:
      return Error(Errc::database, text);
  }
}

Connection::~Connection() {
  for (auto& [sql, stmt] : m_cache) sqlite3_finalize(stmt.get());
  for (auto& [sql, stmt] : m_text_cache) sqlite3_finalize(stmt.get());
  if (m_db) sqlite3_close_v2(m_db);
}

Status Connection::open(const std::string& path, bool create, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(m_db, rc, fmt::format("cannot open {}", path));
    return fail(std::move(e));
  }
  sqlite3_extended_result_codes(m_db, 1);
  sqlite3_busy_timeout(m_db, busy_timeout_ms);
  // WAL: readers never block the writer. NORMAL sync: a commit is durable once the WAL is checkpointed,
  // and never corrupt. 8 MiB page cache per connection and no mmap keep the memory bounded.
  // 16 KiB pages: most transcript lines fit in one page instead of an overflow chain (backups read
  // faster, restores write fewer pages). Takes effect only when the file is created.
  return exec(
      "PRAGMA page_size=16384;"
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "PRAGMA foreign_keys=ON;"
      "PRAGMA cache_size=-8192;"
      "PRAGMA temp_store=FILE;"
      "PRAGMA mmap_size=0;"
      "PRAGMA journal_size_limit=67108864;");
}

Status Connection::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string owned(sql);
  const int rc = sqlite3_exec(m_db, owned.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = sqlite_error(m_db, rc, "exec");
    e.message = fmt::format("database: {} (in: {:.60})", msg, owned);
    return fail(std::move(e));
  }
  return {};
}

Result<Stmt*> Connection::prepare(const char* sql) {
  auto it = m_cache.find(sql);
  if (it == m_cache.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return fail(sqlite_error(m_db, rc, fmt::format("prepare '{:.80}'", sql)));
    it = m_cache.emplace(sql, Stmt(raw)).first;
  }
  it->second.reset();
  return &it->second;
}

Result<Stmt*> Connection::prepare_text(const std::string& sql) {
  auto it = m_text_cache.find(sql);
  if (it == m_text_cache.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return fail(sqlite_error(m_db, rc, fmt::format("prepare '{:.80}'", sql)));
    it = m_text_cache.emplace(sql, Stmt(raw)).first;
  }
  if (sqlite3_stmt_busy(it->second.get())) return static_cast<Stmt*>(nullptr);
  it->second.reset();
  return &it->second;
}

Status Connection::run(Stmt& stmt, std::string_view what) {
  const int rc = stmt.step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Error e = sqlite_error(m_db, rc, what);
    stmt.reset();
    return fail(std::move(e));
  }
  stmt.reset();
  return {};
}

}  // namespace claudelens::store::sqlite
