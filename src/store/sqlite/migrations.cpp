// The schema, as an ordered list of migrations. Never edit a released migration: append a new one.
// meta.schema_version records how many have run; a database with a higher number than this build knows
// was written by a newer ClaudeLens and is refused (Errc::incompatible_version), and a non-empty
// database without one belongs to another application and is refused before anything is written.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace claudelens::store::sqlite {
namespace {

// Migration 1: every collection of SPEC §4 and the backup system's tables.
// Entries (transcript lines) keep their JSON verbatim beside indexed copies of the fields queries use.
constexpr const char* k_v1 = R"sql(
CREATE TABLE users(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL CHECK(role IN ('admin','user')),
  created_at INTEGER NOT NULL);
CREATE TABLE api_keys(
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_at INTEGER NOT NULL,
  revoked_at INTEGER, last_used_at INTEGER);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE projects(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  sessions_count INTEGER NOT NULL DEFAULT 0, messages_count INTEGER NOT NULL DEFAULT 0,
  records_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE(owner_id, name));
CREATE INDEX projects_owner_path ON projects(owner_id, path);
-- How many entries of a project carry each cwd: the project's path is the most frequent one.
CREATE TABLE project_cwds(
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, cwd TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(project_id, cwd)) WITHOUT ROWID;

CREATE TABLE sessions(
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL, started_at INTEGER, ended_at INTEGER,
  message_count INTEGER NOT NULL DEFAULT 0, records_count INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0, summary TEXT NOT NULL DEFAULT '',
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_creation_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX sessions_project ON sessions(project_id, started_at);
CREATE INDEX sessions_owner ON sessions(owner_id);

CREATE TABLE entries(
  seq INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  key TEXT NOT NULL, has_uuid INTEGER NOT NULL, type TEXT NOT NULL, ts INTEGER,
  cwd TEXT NOT NULL, message_id TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
  cache_creation_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
  json TEXT NOT NULL);
CREATE UNIQUE INDEX entries_key ON entries(session_id, key);
CREATE INDEX entries_session_seq ON entries(session_id, seq);

CREATE TABLE prompts(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX prompts_owner ON prompts(owner_id);
CREATE TABLE prompt_folders(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX prompt_folders_owner ON prompt_folders(owner_id);
CREATE TABLE ai_settings(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX ai_settings_owner ON ai_settings(owner_id);

CREATE TABLE backups(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX backups_created ON backups(created_at, id);
CREATE INDEX backups_status ON backups(status);
CREATE TABLE jobs(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX jobs_created ON jobs(created_at, id);
CREATE INDEX jobs_status ON jobs(status);
CREATE TABLE restores(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX restores_created ON restores(created_at, id);
CREATE TABLE settings(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX settings_created ON settings(created_at, id);
CREATE TABLE schedules(
  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX schedules_created ON schedules(created_at, id);
)sql";

// Migration 2: the job queue (store.hpp insert_job / claim_job / update_job_if): who claimed a job, and
// an index that finds the oldest job of a status without a sort.
constexpr const char* k_v2_jobs = R"sql(
ALTER TABLE jobs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_status_created ON jobs(status, created_at, id);
)sql";

// Migration 3: the audit log (store.hpp AuditEvent): append-only, `seq` keeps the append order; indexed
// by time and by action then time (GET /audit filters). PostgreSQL: seq BIGSERIAL, the same indexes.
constexpr const char* k_v3_audit = R"sql(
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, user_id TEXT NOT NULL,
  action TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX audit_log_at ON audit_log(at, seq);
CREATE INDEX audit_log_action_at ON audit_log(action, at, seq);
)sql";

// Migration 4: the scheduler's slot claims (store.hpp claim_slot): one row per schedule, its latest
// claimed slot. The claim is one upsert whose WHERE keeps slots increasing, so a slot runs once.
constexpr const char* k_v4_slots = R"sql(
CREATE TABLE schedule_slots(
  schedule_id TEXT PRIMARY KEY, slot INTEGER NOT NULL, claimed_by TEXT NOT NULL, claimed_at INTEGER NOT NULL)
  WITHOUT ROWID;
)sql";

// Migration 5: change tracking for incremental backups (docs/backup.md "Change tracking"). `cseq` on
// every row a backup holds is the change sequence of the transaction that last wrote it (0: before
// this migration, i.e. in every backup taken since); meta.change_seq is the last one handed out;
// tombstones keep what was deleted. The indexes make "changed since P" a range scan: per session for
// entries (a changed session's new lines), per table for the rest.
constexpr const char* k_v5_changes = R"sql(
ALTER TABLE projects ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE prompts ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE prompt_folders ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ai_settings ADD COLUMN cseq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX projects_cseq ON projects(cseq);
CREATE INDEX sessions_cseq ON sessions(cseq);
CREATE INDEX entries_session_cseq ON entries(session_id, cseq);
CREATE INDEX prompts_cseq ON prompts(cseq);
CREATE INDEX prompt_folders_cseq ON prompt_folders(cseq);
CREATE INDEX ai_settings_cseq ON ai_settings(cseq);
CREATE TABLE tombstones(
  cseq INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT NOT NULL DEFAULT '',
  project_id TEXT NOT NULL DEFAULT '', owner_id TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL);
CREATE INDEX tombstones_cseq ON tombstones(cseq);
INSERT OR REPLACE INTO meta(key, value) VALUES('change_seq', '0');
)sql";

// Migration 6: the notification outbox (store.hpp insert_outbox / claim_outbox / update_outbox_if): one
// row per event and channel until it is delivered or given up; the index finds the row due first (rows
// due at the same time in the order they were queued: the index ends in the rowid).
constexpr const char* k_v6_outbox = R"sql(
CREATE TABLE notification_outbox(
  id TEXT PRIMARY KEY, event_type TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL,
  payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '', claimed_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX notification_outbox_due ON notification_outbox(status, next_attempt_at);
)sql";

// Migration 7: the document collections in the order a backup writes them (`ORDER BY created_at, id`,
// sqlite_store.cpp), so that a backup walks an index instead of sorting every document in SQLite's
// sorter, whose memory grew with the collections up to the page cache's 8 MiB (a backup's peak RSS,
// SPEC §5 item 1: 1.2 GB → 9 GB of demo data took 6 MiB more, 8.4 MB of it that sort).
constexpr const char* k_v7_document_order = R"sql(
CREATE INDEX prompts_created ON prompts(created_at, id);
CREATE INDEX prompt_folders_created ON prompt_folders(created_at, id);
CREATE INDEX ai_settings_created ON ai_settings(created_at, id);
)sql";

constexpr std::array<const char*, 7> k_migrations = {k_v1,         k_v2_jobs,   k_v3_audit,         k_v4_slots,
                                                     k_v5_changes, k_v6_outbox, k_v7_document_order};

}  // namespace

int current_schema_version() noexcept {
  return static_cast<int>(k_migrations.size());
}

namespace {

/// What a database file holds, read without writing anything to it.
struct Contents {
  std::vector<std::string> tables;    ///< every table, by name
  std::optional<int> schema_version;  ///< meta.schema_version, when the file has one
};

Result<Contents> inspect(Connection& conn) {
  Contents out;
  CL_TRY(tables, conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"));
  for (int rc = tables->step();; rc = tables->step()) {
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Error e = sqlite_error(conn.db(), rc, "read its tables");
      tables->reset();
      return fail(std::move(e));
    }
    out.tables.emplace_back(tables->text(0));
  }
  tables->reset();
  if (std::find(out.tables.begin(), out.tables.end(), "meta") == out.tables.end()) return out;
  // Prepared at run time: a cached statement on a table that may not exist would fail to prepare.
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(conn.db(), "SELECT value FROM meta WHERE key = 'schema_version'", -1, &raw, nullptr);
  if (rc != SQLITE_OK) return out;  // a `meta` table of another shape: not ours
  if (sqlite3_step(raw) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    int version = 0;
    const std::string_view v = text ? std::string_view(text) : std::string_view();
    if (std::from_chars(v.data(), v.data() + v.size(), version).ec == std::errc() && version > 0)
      out.schema_version = version;
  }
  sqlite3_finalize(raw);
  return out;
}

/// A store from before (or during) its first migration holds nothing but an empty `meta` table.
bool is_empty(const Contents& c) {
  return c.tables.empty() || (c.tables.size() == 1 && c.tables[0] == "meta" && !c.schema_version);
}

/// A ClaudeLens store: a schema version, and the tables every version has. (Another application's
/// `meta(key, value)` with a `schema_version` is not enough.)
bool is_store(const Contents& c) {
  const auto has = [&](std::string_view t) { return std::find(c.tables.begin(), c.tables.end(), t) != c.tables.end(); };
  return c.schema_version && has("projects") && has("sessions") && has("entries");
}

Failure newer_schema(std::string_view path, int version) {
  return fail(Errc::incompatible_version,
              fmt::format("database {}: schema version {} is newer than this build knows ({}): upgrade claudelens, "
                          "or give --db another store",
                          path, version, current_schema_version()));
}

Status use_wal(Connection& conn, std::string_view path) {
  CL_TRY(mode, conn.prepare("PRAGMA journal_mode"));
  const bool wal = mode->step() == SQLITE_ROW && (mode->text(0) == "wal" || mode->text(0) == "memory");
  mode->reset();
  if (wal) return {};
  CL_TRY(set, conn.prepare("PRAGMA journal_mode=WAL"));
  const int rc = set->step();
  const bool switched = rc == SQLITE_ROW && set->text(0) == "wal";
  set->reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(sqlite_error(conn.db(), rc, "switch to WAL mode"));
  if (!switched)
    return fail(Errc::busy, fmt::format("database {}: cannot switch it to WAL mode while another process has it "
                                        "open; try again when that process has finished",
                                        path));
  return {};
}

/// Brings the database to the current schema, each migration in its own transaction.
Status migrate(Connection& conn, std::string_view path) {
  for (;;) {
    CL_CHECK(conn.exec("BEGIN IMMEDIATE"));
    CL_CHECK(conn.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
    CL_TRY(stmt, conn.prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
    int version = 0;
    if (stmt->step() == SQLITE_ROW) version = std::stoi(std::string(stmt->text(0)));
    stmt->reset();
    if (version > current_schema_version()) {
      (void)conn.exec("ROLLBACK");
      return newer_schema(path, version);
    }
    if (version == current_schema_version()) return conn.exec("COMMIT");
    if (auto st = conn.exec(k_migrations[static_cast<std::size_t>(version)]); !st) {
      (void)conn.exec("ROLLBACK");
      return st;
    }
    CL_TRY(set, conn.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)"));
    set->bind(std::to_string(version + 1));
    CL_CHECK(conn.run(*set, "set schema version"));
    CL_CHECK(conn.exec("COMMIT"));
  }
}

}  // namespace

Status open_schema(Connection& conn, std::string_view path) {
  // Look before writing anything: a database of another application is refused untouched (no meta
  // table, no switch to WAL), and a current store is opened without a write transaction, so that
  // opening never waits for a writer (a long restore) to finish.
  CL_TRY(found, inspect(conn));
  const bool empty = is_empty(found);
  if (!empty && !is_store(found)) {
    std::string names;
    for (std::size_t i = 0; i < found.tables.size() && i < 5; ++i)
      names += fmt::format("{}{}", i ? ", " : "", found.tables[i]);
    if (found.tables.size() > 5) names += ", …";
    return fail(Errc::invalid_argument,
                fmt::format("database {} is not a ClaudeLens store (it holds other tables: {}); it was left "
                            "untouched: give --db the path of a ClaudeLens store, or of a file that does not exist yet",
                            path, names));
  }
  if (found.schema_version && *found.schema_version > current_schema_version())
    return newer_schema(path, *found.schema_version);
  // 64 KiB pages (SQLite's largest): transcript lines fit in one page instead of an overflow chain
  // (backups read faster, restores write fewer pages), and a transaction's WAL index, which holds
  // 8 bytes per page written and is mapped for the whole of a restore's one transaction, is a quarter
  // of what 16 KiB pages made it (5.6 MiB for an 11.8 GB restore; docs/performance.md "Memory against
  // size"). Takes effect only before the first table is written: existing stores keep theirs.
  if (empty) {
    CL_CHECK(conn.exec("PRAGMA page_size=65536"));
    CL_CHECK(conn.size_cache());  // in pages of the new size (db.cpp)
  }
  // WAL: readers never block the writer, nor the writer readers.
  CL_CHECK(use_wal(conn, path));
  if (found.schema_version == current_schema_version()) return {};
  return migrate(conn, path);
}

}  // namespace claudelens::store::sqlite
