// The schema, as an ordered list of migrations. Never edit a released migration: append a new one.
// meta.schema_version records how many have run; a database with a higher number than this build knows
// was written by a newer ClaudeLens and is refused (Errc::incompatible_version).
#include <fmt/format.h>

#include <array>
#include <string>

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

constexpr std::array<const char*, 2> k_migrations = {k_v1, k_v2_jobs};

}  // namespace

int current_schema_version() noexcept {
  return static_cast<int>(k_migrations.size());
}

/// Brings the database to the current schema, each migration in its own transaction.
Status migrate(Connection& conn) {
  CL_CHECK(conn.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
  for (;;) {
    CL_CHECK(conn.exec("BEGIN IMMEDIATE"));
    CL_TRY(stmt, conn.prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
    int version = 0;
    if (stmt->step() == SQLITE_ROW) version = std::stoi(std::string(stmt->text(0)));
    stmt->reset();
    if (version > current_schema_version()) {
      (void)conn.exec("ROLLBACK");
      return fail(Errc::incompatible_version,
                  fmt::format("database schema version {} is newer than this build knows ({}): upgrade claudelens",
                              version, current_schema_version()));
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

}  // namespace claudelens::store::sqlite
