#include "store/sqlite/db.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace claudelens::store::sqlite {

namespace {

/// The WAL is checkpointed (by the commit that makes it this large) at this size. Default: 16 MiB
/// (SQLite's 1,000 pages of the 16 KiB pages stores had before they got 64 KiB ones)
constexpr std::int64_t k_wal_checkpoint_bytes = 16 << 20;

Errc errc_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::corrupted;
    case SQLITE_FULL:
      return Errc::no_space;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Errc::io;
    case SQLITE_CONSTRAINT:
      return Errc::conflict;
    default:
      return Errc::database;
  }
}

/// What a person can do about the error, "" when there is nothing to add.
std::string_view hint_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ": another process is writing to it; try again when it has finished";
    case SQLITE_FULL:
      return ": free space on the file system that holds it (the store is unchanged)";
    case SQLITE_NOTADB:
      return ": give --db the path of a ClaudeLens store, or of a file that does not exist yet";
    case SQLITE_CORRUPT:
      return ": restore it from a backup";
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return ": check that the file and its folder exist and are writable";
    default:
      return "";
  }
}

/// The database file's path, for messages ("" when unknown or in memory).
std::string_view db_path(sqlite3* db) {
  const char* name = db ? sqlite3_db_filename(db, "main") : nullptr;
  return name && *name ? std::string_view(name) : std::string_view("(in memory)");
}

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error(errc_for(rc),
               fmt::format("database {}: {}: {}{}", db_path(db), what, msg ? msg : "unknown error", hint_for(rc)));
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
    Error e = sqlite_error(m_db, rc, "cannot open");
    if (!m_db) e.message = fmt::format("database {}: cannot open: {}{}", path, sqlite3_errstr(rc), hint_for(rc));
    return fail(std::move(e));
  }
  sqlite3_extended_result_codes(m_db, 1);
  sqlite3_busy_timeout(m_db, busy_timeout_ms);
  // Only settings of this connection: nothing here writes to the file (the store's journal mode and
  // page size are set once, when the store is created, after it is known to be ours: open() in
  // sqlite_store.cpp). NORMAL sync in WAL mode: a commit is durable once the WAL is checkpointed,
  // and never corrupt. 8 MiB page cache per connection (size_cache) and no mmap keep the memory
  // bounded: a mapped database counts in the process's resident memory as it is read.
  if (auto st = exec("PRAGMA synchronous=NORMAL;"
                     "PRAGMA foreign_keys=ON;"
                     "PRAGMA temp_store=FILE;"
                     "PRAGMA mmap_size=0;"
                     "PRAGMA journal_size_limit=67108864;");
      !st)
    return fail(sqlite_error(m_db, sqlite3_extended_errcode(m_db), "cannot open"));  // not a database, say
  return size_cache();
}

Status Connection::size_cache() {
  // SQLite turns a size in KiB into a page count with the page size of that moment, and keeps that
  // count when the page size changes (a new store: 4 KiB at open, 64 KiB once created), which made
  // this cache 32 MiB, not 8.
  CL_CHECK(exec("PRAGMA cache_size=-8192"));
  // The WAL is checkpointed when it holds k_wal_checkpoint_bytes, whatever the page size (SQLite
  // counts 1,000 pages: 16 MiB of 16 KiB pages, 64 MiB of 64 KiB ones).
  CL_TRY(st, prepare("PRAGMA page_size"));
  const int rc = st->step();
  const std::int64_t page = rc == SQLITE_ROW ? st->i64(0) : 0;
  st->reset();
  if (page <= 0) return {};
  return exec(fmt::format("PRAGMA wal_autocheckpoint={}", std::max<std::int64_t>(1, k_wal_checkpoint_bytes / page)));
}

Status Connection::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string owned(sql);
  const int rc = sqlite3_exec(m_db, owned.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = sqlite_error(m_db, rc, "exec");
    e.message = fmt::format("database {}: {} (in: {:.60}){}", db_path(m_db), msg, owned, hint_for(rc));
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
