// SQLite Store: a pool of connections; each Reader is a deferred read transaction pinned to a snapshot,
// each Writer a BEGIN IMMEDIATE transaction. All SQL of the store lives in this file and migrations.cpp.
#include "store/sqlite/sqlite_store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "store/sqlite/audit_log.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/job_queue.hpp"
#include "store/sqlite/outbox.hpp"

namespace claudelens::store::sqlite {

/// Checks that the file is a ClaudeLens store (or empty) before writing to it, then sets WAL mode and
/// migrates it to the current schema (migrations.cpp).
Status open_schema(Connection& conn, std::string_view path);

namespace {

using ConnPtr = std::unique_ptr<Connection>;

/// Most (project, cwd) counts a writer buffers before it writes them to project_cwds. Default: 1024
/// (about 150 KB; a restore of 5,000 projects held 1 MB of them until its commit)
constexpr std::size_t k_cwd_deltas_held = 1024;

class SqliteStore;

/// A statement prepared for one dynamic query (not cached), finalized on destruction.
class OwnedStmt {
 public:
  OwnedStmt() = default;
  ~OwnedStmt() {
    if (m_stmt.get()) sqlite3_finalize(m_stmt.get());
  }
  OwnedStmt(const OwnedStmt&) = delete;
  OwnedStmt& operator=(const OwnedStmt&) = delete;
  Status prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
    if (rc != SQLITE_OK) return fail(sqlite_error(db, rc, "prepare query"));
    m_stmt = Stmt(raw);
    return {};
  }
  Stmt& operator*() { return m_stmt; }
  Stmt* operator->() { return &m_stmt; }

 private:
  Stmt m_stmt;
};

constexpr const char* k_project_cols =
    "id, owner_id, name, path, description, created_at, updated_at, sessions_count, messages_count, records_count";
constexpr const char* k_session_cols =
    "id, project_id, owner_id, started_at, ended_at, message_count, records_count, summary, input_tokens, "
    "output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, created_at, updated_at, bytes";

void read_project(const Stmt& s, Project& p) {
  p.id = s.text(0);
  p.owner_id = s.text(1);
  p.name = s.text(2);
  p.path = s.text(3);
  p.description = s.text(4);
  p.created_at = s.i64(5);
  p.updated_at = s.i64(6);
  p.sessions_count = s.i64(7);
  p.messages_count = s.i64(8);
  p.records_count = s.i64(9);
}

void read_session(const Stmt& s, Session& x, int c = 0) {
  x.id = s.text(c + 0);
  x.project_id = s.text(c + 1);
  x.owner_id = s.text(c + 2);
  x.started_at = s.opt_i64(c + 3);
  x.ended_at = s.opt_i64(c + 4);
  x.message_count = s.i64(c + 5);
  x.records_count = s.i64(c + 6);
  x.summary = s.text(c + 7);
  x.usage.input_tokens = s.i64(c + 8);
  x.usage.output_tokens = s.i64(c + 9);
  x.usage.cache_creation_tokens = s.i64(c + 10);
  x.usage.cache_read_tokens = s.i64(c + 11);
  x.usage.cost_usd = s.f64(c + 12);
  x.created_at = s.i64(c + 13);
  x.updated_at = s.i64(c + 14);
  x.bytes = s.i64(c + 15);
}

#define CL_ENTRY_COLS                                                                                            \
  "e.seq, e.session_id, e.key, e.has_uuid, e.type, e.ts, e.cwd, e.message_id, e.input_tokens, e.output_tokens, " \
  "e.cache_creation_tokens, e.cache_read_tokens, e.cost_usd, e.json"
constexpr const char* k_entry_cols = CL_ENTRY_COLS ", s.owner_id, s.project_id";
constexpr const char* k_entry_cols_only = CL_ENTRY_COLS;
/// What for_each_entry_line reads (read_entry_line).
constexpr const char* k_entry_line_cols = "e.key, e.has_uuid, e.ts, e.json";
#undef CL_ENTRY_COLS

void read_entry(const Stmt& s, Entry& e) {
  e.seq = s.i64(0);
  e.session_id = s.text(1);
  e.key = s.text(2);
  e.has_uuid = s.i64(3) != 0;
  e.type = s.text(4);
  e.timestamp = s.opt_i64(5);
  e.cwd = s.text(6);
  e.message_id = s.text(7);
  e.usage.input_tokens = s.i64(8);
  e.usage.output_tokens = s.i64(9);
  e.usage.cache_creation_tokens = s.i64(10);
  e.usage.cache_read_tokens = s.i64(11);
  e.usage.cost_usd = s.f64(12);
  e.json = s.text(13);
  e.owner_id = s.text(14);
  e.project_id = s.text(15);
}

/// The views point into the statement's row: valid until its next step.
void read_entry_line(const Stmt& s, EntryLine& e) {
  e.key = s.text(0);
  e.has_uuid = s.i64(1) != 0;
  e.timestamp = s.opt_i64(2);
  e.json = s.text(3);
}

void read_user(const Stmt& s, User& u) {
  u.id = s.text(0);
  u.name = s.text(1);
  u.role = parse_role(s.text(2)).value_or(Role::user);
  u.created_at = s.i64(3);
}

void read_key(const Stmt& s, ApiKey& k) {
  k.id = s.text(0);
  k.user_id = s.text(1);
  k.name = s.text(2);
  k.key_hash = s.text(3);
  k.prefix = s.text(4);
  k.created_at = s.i64(5);
  k.revoked_at = s.opt_i64(6);
  k.last_used_at = s.opt_i64(7);
}

void read_document(const Stmt& s, Document& d) {
  d.id = s.text(0);
  d.owner_id = s.text(1);
  d.name = s.text(2);
  d.created_at = s.i64(3);
  d.updated_at = s.i64(4);
  d.json = s.text(5);
}

void read_system(const Stmt& s, SystemRecord& r) {
  r.id = s.text(0);
  r.owner_id = s.text(1);
  r.kind = s.text(2);
  r.status = s.text(3);
  r.created_at = s.i64(4);
  r.updated_at = s.i64(5);
  r.json = s.text(6);
}

// Table names come from a closed enum, so composing SQL with them is safe; the statements are cached
// per (table, operation) through these static strings.
struct SystemSql {
  std::string get, scan, put, del;
};
const SystemSql& system_sql(SystemTable t) {
  static const std::array<SystemSql, 5> k_sql = [] {
    std::array<SystemSql, 5> out;
    for (int i = 0; i < 5; ++i) {
      const auto name = system_table_name(static_cast<SystemTable>(i));
      out[i].get =
          fmt::format("SELECT id, owner_id, kind, status, created_at, updated_at, json FROM {} WHERE id = ?", name);
      out[i].scan = fmt::format(
          "SELECT id, owner_id, kind, status, created_at, updated_at, json FROM {} ORDER BY created_at, id", name);
      out[i].put = fmt::format(
          "INSERT OR REPLACE INTO {}(id, owner_id, kind, status, created_at, updated_at, json) VALUES(?,?,?,?,?,?,?)",
          name);
      out[i].del = fmt::format("DELETE FROM {} WHERE id = ?", name);
    }
    return out;
  }();
  return k_sql[static_cast<std::size_t>(t)];
}

struct DocumentSql {
  std::string get, scan_all, scan_owner, put, del, count_all, count_owner, changed_all, changed_owner;
};
const DocumentSql& document_sql(Collection c) {
  static const std::array<DocumentSql, 3> k_sql = [] {
    std::array<DocumentSql, 3> out;
    for (int i = 0; i < 3; ++i) {
      const auto name = collection_name(static_cast<Collection>(i));
      constexpr const char* cols = "id, owner_id, name, created_at, updated_at, json";
      out[i].get = fmt::format("SELECT {} FROM {} WHERE id = ?", cols, name);
      out[i].scan_all = fmt::format("SELECT {} FROM {} ORDER BY created_at, id", cols, name);
      out[i].scan_owner = fmt::format("SELECT {} FROM {} WHERE owner_id = ? ORDER BY created_at, id", cols, name);
      out[i].put = fmt::format("INSERT OR REPLACE INTO {}({}, cseq) VALUES(?,?,?,?,?,?,?)", name, cols);
      // What changed: a range of the cseq index, then a sort of those rows only (the (created_at, id)
      // index of migration 7 would have the planner walk every row of the table instead).
      out[i].changed_all =
          fmt::format("SELECT {} FROM {} INDEXED BY {}_cseq WHERE cseq > ? ORDER BY created_at, id", cols, name, name);
      out[i].changed_owner =
          fmt::format("SELECT {} FROM {} INDEXED BY {}_cseq WHERE cseq > ? AND owner_id = ? ORDER BY created_at, id",
                      cols, name, name);
      out[i].del = fmt::format("DELETE FROM {} WHERE id = ?", name);
      out[i].count_all = fmt::format("SELECT COUNT(*) FROM {}", name);
      out[i].count_owner = fmt::format("SELECT COUNT(*) FROM {} WHERE owner_id = ?", name);
    }
    return out;
  }();
  return k_sql[static_cast<std::size_t>(c)];
}

// ---- Reader ----------------------------------------------------------------------------------------

class SqliteReader : public virtual Reader {
 public:
  SqliteReader(SqliteStore& store, ConnPtr conn) : m_store(store), m_conn(std::move(conn)) {}
  ~SqliteReader() override;

  Status begin_read() {
    CL_CHECK(m_conn->exec("BEGIN"));
    m_open = true;
    // The snapshot starts at the first read: take it now so that the Reader sees the store as of read().
    return m_conn->exec("SELECT 1 FROM meta LIMIT 1");
  }

  Result<Counts> counts(const std::optional<std::string>& owner_id) override {
    Counts c;
    auto count = [&](const char* all_sql, const char* owner_sql) -> Result<std::int64_t> {
      CL_TRY(st, m_conn->prepare(owner_id ? owner_sql : all_sql));
      if (owner_id) st->bind(*owner_id);
      std::int64_t n = 0;
      if (st->step() == SQLITE_ROW) n = st->i64(0);
      st->reset();
      return n;
    };
    CL_TRY(users, count("SELECT COUNT(*) FROM users", "SELECT COUNT(*) FROM users WHERE id = ?"));
    CL_TRY(keys, count("SELECT COUNT(*) FROM api_keys", "SELECT COUNT(*) FROM api_keys WHERE user_id = ?"));
    CL_TRY(projects, count("SELECT COUNT(*) FROM projects", "SELECT COUNT(*) FROM projects WHERE owner_id = ?"));
    c.users = users;
    c.api_keys = keys;
    c.projects = projects;
    {
      // From the sessions' statistics (refresh_session_stats), not a scan of every entry's JSON.
      CL_TRY(st,
             m_conn->prepare(owner_id ? "SELECT COUNT(*), SUM(message_count), SUM(records_count), "
                                        "MIN(started_at), MAX(ended_at), SUM(bytes) FROM sessions WHERE owner_id = ?"
                                      : "SELECT COUNT(*), SUM(message_count), SUM(records_count), "
                                        "MIN(started_at), MAX(ended_at), SUM(bytes) FROM sessions"));
      if (owner_id) st->bind(*owner_id);
      if (st->step() == SQLITE_ROW) {
        c.sessions = st->i64(0);
        c.messages = st->i64(1);
        c.records = st->i64(2);
        c.earliest = st->opt_i64(3);
        c.latest = st->opt_i64(4);
        c.entry_bytes = st->i64(5);
      }
      st->reset();
    }
    std::int64_t* doc_counts[] = {&c.prompts, &c.prompt_folders, &c.ai_settings};
    for (int i = 0; i < 3; ++i) {
      const auto& sql = document_sql(static_cast<Collection>(i));
      CL_TRY(n, count(sql.count_all.c_str(), sql.count_owner.c_str()));
      *doc_counts[i] = n;
    }
    return c;
  }

  Result<std::optional<User>> get_user(const std::string& id) override {
    CL_TRY(st, m_conn->prepare("SELECT id, name, role, created_at FROM users WHERE id = ?"));
    st->bind(id);
    return one<User>(db(), *st, read_user, "get user");
  }
  Result<std::optional<User>> find_user_by_name(const std::string& name) override {
    CL_TRY(st, m_conn->prepare("SELECT id, name, role, created_at FROM users WHERE name = ?"));
    st->bind(name);
    return one<User>(db(), *st, read_user, "find user");
  }
  Status for_each_user(const Visit<User>& visit) override {
    CL_TRY(st, m_conn->prepare("SELECT id, name, role, created_at FROM users ORDER BY created_at, id"));
    return scan<User>(db(), *st, read_user, visit, "list users");
  }
  Result<std::optional<ApiKey>> find_api_key(const std::string& key_hash) override {
    CL_TRY(st, m_conn->prepare("SELECT id, user_id, name, key_hash, prefix, created_at, revoked_at, last_used_at "
                               "FROM api_keys WHERE key_hash = ?"));
    st->bind(key_hash);
    return one<ApiKey>(db(), *st, read_key, "find api key");
  }
  Status for_each_api_key(const Visit<ApiKey>& visit) override {
    CL_TRY(st, m_conn->prepare("SELECT id, user_id, name, key_hash, prefix, created_at, revoked_at, last_used_at "
                               "FROM api_keys ORDER BY created_at, id"));
    return scan<ApiKey>(db(), *st, read_key, visit, "list api keys");
  }

  Result<std::optional<Project>> get_project(const std::string& id) override {
    static const std::string sql = fmt::format("SELECT {} FROM projects WHERE id = ?", k_project_cols);
    CL_TRY(st, m_conn->prepare(sql.c_str()));
    st->bind(id);
    return one<Project>(db(), *st, read_project, "get project");
  }
  Result<std::optional<Project>> find_project_by_name(const std::string& owner_id, const std::string& name) override {
    static const std::string sql =
        fmt::format("SELECT {} FROM projects WHERE owner_id = ? AND name = ?", k_project_cols);
    CL_TRY(st, m_conn->prepare(sql.c_str()));
    st->bind(owner_id).bind(name);
    return one<Project>(db(), *st, read_project, "find project");
  }
  Result<std::optional<Project>> find_project_by_path(const std::string& owner_id, const std::string& path) override {
    static const std::string sql =
        fmt::format("SELECT {} FROM projects WHERE owner_id = ? AND path = ? ORDER BY name LIMIT 1", k_project_cols);
    CL_TRY(st, m_conn->prepare(sql.c_str()));
    st->bind(owner_id).bind(path);
    return one<Project>(db(), *st, read_project, "find project");
  }
  Status for_each_project(const ProjectFilter& f, const Visit<Project>& visit) override {
    std::string sql = fmt::format("SELECT {} FROM projects WHERE 1", k_project_cols);
    if (f.owner_id) sql += " AND owner_id = ?";
    if (!f.ids.empty()) sql += " AND id IN (SELECT value FROM json_each(?))";
    if (f.changed_after) sql += " AND cseq > ?";
    sql += " ORDER BY name, id";
    OwnedStmt st;
    CL_CHECK(st.prepare(db(), sql));
    if (f.owner_id) st->bind(*f.owner_id);
    if (!f.ids.empty()) st->bind(json_array(f.ids));
    if (f.changed_after) st->bind(*f.changed_after);
    return scan<Project>(db(), *st, read_project, visit, "list projects");
  }

  Result<std::optional<Session>> get_session(const std::string& id) override {
    static const std::string sql = fmt::format("SELECT {} FROM sessions WHERE id = ?", k_session_cols);
    CL_TRY(st, m_conn->prepare(sql.c_str()));
    st->bind(id);
    return one<Session>(
        db(), *st, [](const Stmt& s, Session& x) { read_session(s, x); }, "get session");
  }
  Status for_each_session(const SessionFilter& f, const Visit<Session>& visit) override {
    std::string sql = fmt::format("SELECT {} FROM sessions WHERE 1", k_session_cols);
    if (f.owner_id) sql += " AND owner_id = ?";
    if (!f.project_ids.empty()) sql += " AND project_id IN (SELECT value FROM json_each(?))";
    if (!f.session_ids.empty()) sql += " AND id IN (SELECT value FROM json_each(?))";
    if (f.min_messages) sql += " AND message_count >= ?";
    if (f.max_messages) sql += " AND message_count <= ?";
    if (f.changed_after) sql += " AND cseq > ?";
    sql += " ORDER BY project_id, started_at, id";
    OwnedStmt st;
    CL_CHECK(st.prepare(db(), sql));
    if (f.owner_id) st->bind(*f.owner_id);
    if (!f.project_ids.empty()) st->bind(json_array(f.project_ids));
    if (!f.session_ids.empty()) st->bind(json_array(f.session_ids));
    if (f.min_messages) st->bind(*f.min_messages);
    if (f.max_messages) st->bind(*f.max_messages);
    if (f.changed_after) st->bind(*f.changed_after);
    return scan<Session>(
        db(), *st, [](const Stmt& s, Session& x) { read_session(s, x); }, visit, "list sessions");
  }

  /// The statement of a scan of the entries `f` selects, bound: `session_cols` for one session (its
  /// owner and project are looked up once into `session`, and the scan reads the entries table alone
  /// through (session_id, seq)), else `joined_cols` (entries e JOIN sessions s). Null when the filter's
  /// session does not exist or is not the filter's owner's (no rows). `owned` holds the statement when
  /// the cached one is in use by a scan under way.
  Result<Stmt*> prepare_entry_scan(const EntryFilter& f, std::string_view session_cols, std::string_view joined_cols,
                                   std::optional<Session>& session, OwnedStmt& owned) {
    if (f.session_id) {
      CL_TRY(found, get_session(*f.session_id));
      if (!found || (f.owner_id && found->owner_id != *f.owner_id)) return nullptr;
      session = std::move(found);
    }
    std::string sql =
        session ? fmt::format("SELECT {}, '', '' FROM entries e WHERE e.session_id = ?", session_cols)
                : fmt::format("SELECT {} FROM entries e JOIN sessions s ON s.id = e.session_id WHERE 1", joined_cols);
    if (!session && f.owner_id) sql += " AND s.owner_id = ?";
    if (f.from) sql += " AND (e.ts IS NULL OR e.ts >= ?)";
    if (f.to) sql += " AND (e.ts IS NULL OR e.ts < ?)";
    if (f.after_seq) sql += " AND e.seq > ?";
    if (f.changed_after) sql += " AND e.cseq > ?";
    sql += session ? " ORDER BY e.seq" : " ORDER BY e.session_id, e.seq";
    CL_TRY(cached, m_conn->prepare_text(sql));
    Stmt* st = cached;
    if (st == nullptr) {
      CL_CHECK(owned.prepare(db(), sql));
      st = &*owned;
    }
    if (session) st->bind(*f.session_id);
    if (!session && f.owner_id) st->bind(*f.owner_id);
    if (f.from) st->bind(*f.from);
    if (f.to) st->bind(*f.to);
    if (f.after_seq) st->bind(*f.after_seq);
    if (f.changed_after) st->bind(*f.changed_after);
    return st;
  }

  Result<std::optional<Entry>> get_entry(const std::string& session_id, const std::string& key) override {
    static const std::string sql = fmt::format(
        "SELECT {} FROM entries e JOIN sessions s ON s.id = e.session_id WHERE e.session_id = ? AND e.key = ?",
        k_entry_cols);
    CL_TRY(st, m_conn->prepare(sql.c_str()));
    st->bind(session_id).bind(key);
    return one<Entry>(db(), *st, read_entry, "get entry");
  }
  Status for_each_entry(const EntryFilter& f, const Visit<Entry>& visit) override {
    std::optional<Session> session;
    OwnedStmt owned;
    CL_TRY(st, prepare_entry_scan(f, k_entry_cols_only, k_entry_cols, session, owned));
    if (st == nullptr) return {};
    if (!session) return scan<Entry>(db(), *st, read_entry, visit, "list entries");
    return scan<Entry>(
        db(), *st,
        [&](const Stmt& s, Entry& e) {
          read_entry(s, e);
          e.owner_id = session->owner_id;
          e.project_id = session->project_id;
        },
        visit, "list entries");
  }
  Status for_each_entry_line(const EntryFilter& f, const Visit<EntryLine>& visit) override {
    std::optional<Session> session;
    OwnedStmt owned;
    CL_TRY(st, prepare_entry_scan(f, k_entry_line_cols, k_entry_line_cols, session, owned));
    if (st == nullptr) return {};
    return scan<EntryLine>(db(), *st, read_entry_line, visit, "list entries");
  }

  Result<std::optional<Document>> get_document(Collection c, const std::string& id) override {
    CL_TRY(st, m_conn->prepare(document_sql(c).get.c_str()));
    st->bind(id);
    return one<Document>(db(), *st, read_document, "get document");
  }
  Status for_each_document(Collection c, const std::optional<std::string>& owner_id,
                           const Visit<Document>& visit) override {
    CL_TRY(st, m_conn->prepare(owner_id ? document_sql(c).scan_owner.c_str() : document_sql(c).scan_all.c_str()));
    if (owner_id) st->bind(*owner_id);
    return scan<Document>(db(), *st, read_document, visit, "list documents");
  }

  Result<std::optional<SystemRecord>> get_system(SystemTable t, const std::string& id) override {
    CL_TRY(st, m_conn->prepare(system_sql(t).get.c_str()));
    st->bind(id);
    return one<SystemRecord>(db(), *st, read_system, "get record");
  }
  Status for_each_system(SystemTable t, const Visit<SystemRecord>& visit) override {
    CL_TRY(st, m_conn->prepare(system_sql(t).scan.c_str()));
    return scan<SystemRecord>(db(), *st, read_system, visit, "list records");
  }

  Result<AuditPage> query_audit(const AuditQuery& query) override { return sqlite::query_audit(*m_conn, query); }
  Status for_each_audit(const Visit<AuditEvent>& visit) override { return sqlite::for_each_audit(*m_conn, visit); }

  Result<std::int64_t> max_entry_seq() override {
    CL_TRY(st, m_conn->prepare("SELECT COALESCE(MAX(seq), 0) FROM entries"));
    std::int64_t n = 0;
    if (st->step() == SQLITE_ROW) n = st->i64(0);
    st->reset();
    return n;
  }

  Result<std::int64_t> change_seq() override {
    CL_TRY(st, m_conn->prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'change_seq'"));
    std::int64_t n = 0;
    if (st->step() == SQLITE_ROW) n = st->i64(0);
    st->reset();
    return n;
  }
  Status for_each_changed_document(Collection c, const std::optional<std::string>& owner_id, std::int64_t after,
                                   const Visit<Document>& visit) override {
    const auto& sql = document_sql(c);
    CL_TRY(st, m_conn->prepare(owner_id ? sql.changed_owner.c_str() : sql.changed_all.c_str()));
    st->bind(after);
    if (owner_id) st->bind(*owner_id);
    return scan<Document>(db(), *st, read_document, visit, "list changed documents");
  }
  Status for_each_tombstone(std::int64_t after, const std::optional<std::string>& owner_id,
                            const Visit<Tombstone>& visit) override {
    CL_TRY(st, m_conn->prepare(owner_id ? "SELECT cseq, kind, id, session_id, project_id, owner_id, at FROM tombstones "
                                          "WHERE cseq > ? AND owner_id = ? ORDER BY cseq, rowid"
                                        : "SELECT cseq, kind, id, session_id, project_id, owner_id, at FROM tombstones "
                                          "WHERE cseq > ? ORDER BY cseq, rowid"));
    st->bind(after);
    if (owner_id) st->bind(*owner_id);
    return scan<Tombstone>(
        db(), *st,
        [](const Stmt& s, Tombstone& t) {
          t.change_seq = s.i64(0);
          t.kind = s.text(1);
          t.id = s.text(2);
          t.session_id = s.text(3);
          t.project_id = s.text(4);
          t.owner_id = s.text(5);
          t.at = s.i64(6);
        },
        visit, "list tombstones");
  }

 protected:
  sqlite3* db() const { return m_conn->db(); }
  Connection& conn() { return *m_conn; }
  static std::string json_array(const std::vector<std::string>& values);

  SqliteStore& m_store;
  ConnPtr m_conn;
  bool m_open = false;  ///< a transaction is open on m_conn
};

std::string SqliteReader::json_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : values[i]) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out += ch;
      }
    }
    out += '"';
  }
  return out + "]";
}

// ---- Writer ----------------------------------------------------------------------------------------

class SqliteWriter final : public SqliteReader, public Writer {
 public:
  using SqliteReader::SqliteReader;

  Status begin_write(WriteMode /*mode*/) {
    // A bulk transaction is an ordinary one: it stays in the WAL, so that readers go on beside it
    // (the server depends on it). It used to leave the WAL (pages written once, not twice), which made
    // every reader, and every opener, wait for the restore to end. A larger page cache for it was
    // measured (8 to 128 MiB, 216 MB restored) and gave nothing but memory: the restore waits on the disk.
    CL_CHECK(m_conn->exec("BEGIN IMMEDIATE"));
    m_open = true;
    return {};
  }

  ~SqliteWriter() override {
    if (m_open) {
      (void)m_conn->exec("ROLLBACK");
      m_open = false;
    }
  }

  Status commit() override {
    if (!m_open) return fail(Errc::internal, "commit without an open transaction");
    CL_CHECK(flush_cwds());
    if (m_change_used) {  // the sequence is spent only by a transaction that stamped something
      CL_TRY(st, m_conn->prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('change_seq', ?)"));
      st->bind(std::to_string(m_change));
      CL_CHECK(conn().run(*st, "record the change sequence"));
    }
    CL_CHECK(m_conn->exec("COMMIT"));
    m_open = false;
    return {};
  }

  /// This transaction's change sequence: the one after the last committed. Writers are serialised
  /// (BEGIN IMMEDIATE), so sequences follow commit order. It is recorded in meta at commit, and only
  /// when a statement stamped a row with it (stamped()): a transaction that changes nothing (a second
  /// ingest of the same files) leaves the database as it was.
  Result<std::int64_t> change() {
    if (m_change != 0) return m_change;
    CL_TRY(last, change_seq());
    m_change = last + 1;
    return m_change;
  }

  /// Runs a statement that stamps the rows it writes with change(); notes whether it wrote any.
  Status stamped(Stmt& st, std::string_view what) {
    CL_CHECK(conn().run(st, what));
    if (sqlite3_changes(db()) > 0) m_change_used = true;
    return {};
  }

  Status tombstone(std::string_view kind, const std::string& id, const std::string& session_id,
                   const std::string& project_id, const std::string& owner_id) {
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare("INSERT INTO tombstones(cseq, kind, id, session_id, project_id, owner_id, at) "
                               "VALUES(?,?,?,?,?,?,?)"));
    st->bind(seq).bind(kind).bind(id).bind(session_id).bind(project_id).bind(owner_id).bind(system_clock().now_ms());
    return stamped(*st, "record a deletion");
  }

  Status put_user(const User& u) override {
    CL_TRY(st, m_conn->prepare("INSERT OR REPLACE INTO users(id, name, role, created_at) VALUES(?,?,?,?)"));
    st->bind(u.id).bind(u.name).bind(role_name(u.role)).bind(u.created_at);
    return conn().run(*st, "put user");
  }
  Status put_api_key(const ApiKey& k) override {
    CL_TRY(st, m_conn->prepare("INSERT OR REPLACE INTO api_keys(id, user_id, name, key_hash, prefix, created_at, "
                               "revoked_at, last_used_at) VALUES(?,?,?,?,?,?,?,?)"));
    st->bind(k.id)
        .bind(k.user_id)
        .bind(k.name)
        .bind(k.key_hash)
        .bind(k.prefix)
        .bind(k.created_at)
        .bind(k.revoked_at)
        .bind(k.last_used_at);
    return conn().run(*st, "put api key");
  }
  Status revoke_api_key(const std::string& id, TimeMs when) override {
    CL_TRY(st, m_conn->prepare("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"));
    st->bind(when).bind(id);
    CL_CHECK(conn().run(*st, "revoke api key"));
    if (sqlite3_changes(db()) == 0) return fail(Errc::not_found, fmt::format("no API key with id '{}'", id));
    return {};
  }
  Status touch_api_key(const std::string& id, TimeMs when) override {
    CL_TRY(st, m_conn->prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?"));
    st->bind(when).bind(id);
    return conn().run(*st, "touch api key");
  }

  Result<std::string> ensure_project(const std::string& owner_id, const std::string& name, TimeMs now) override {
    CL_TRY(found, find_project_by_name(owner_id, name));
    if (found) return found->id;
    Project p;
    p.id = new_id();
    p.owner_id = owner_id;
    p.name = name;
    p.created_at = p.updated_at = now;
    CL_CHECK(put_project(p));
    return p.id;
  }
  Status put_project(const Project& p) override {
    // An upsert, not INSERT OR REPLACE: replacing would delete the row and cascade to its sessions.
    CL_TRY(st,
           m_conn->prepare(
               "INSERT INTO projects(id, owner_id, name, path, description, created_at, updated_at, sessions_count, "
               "messages_count, records_count, cseq) VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
               "owner_id = excluded.owner_id, name = excluded.name, path = excluded.path, "
               "description = excluded.description, created_at = excluded.created_at, "
               "updated_at = excluded.updated_at, sessions_count = excluded.sessions_count, "
               "messages_count = excluded.messages_count, records_count = excluded.records_count, "
               "cseq = excluded.cseq"));
    CL_TRY(seq, change());
    st->bind(p.id)
        .bind(p.owner_id)
        .bind(p.name)
        .bind(p.path)
        .bind(p.description)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(p.sessions_count)
        .bind(p.messages_count)
        .bind(p.records_count)
        .bind(seq);
    return stamped(*st, "put project");
  }
  Status delete_project(const std::string& id) override {
    CL_TRY(old, get_project(id));
    if (!old) return {};
    CL_CHECK(tombstone("project", id, "", id, old->owner_id));
    CL_CHECK(flush_cwds());
    m_session_project.clear();
    CL_TRY(st, m_conn->prepare("DELETE FROM projects WHERE id = ?"));
    st->bind(id);
    return conn().run(*st, "delete project");  // cascades to sessions, entries, project_cwds
  }

  Status ensure_session(const std::string& id, const std::string& project_id, const std::string& owner_id,
                        TimeMs now) override {
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare("INSERT INTO sessions(id, project_id, owner_id, created_at, updated_at, cseq) "
                               "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING"));
    st->bind(id).bind(project_id).bind(owner_id).bind(now).bind(now).bind(seq);
    return stamped(*st, "ensure session");
  }
  Status put_session(const Session& x) override {
    CL_TRY(old, get_session(x.id));
    if (old && old->project_id != x.project_id) {
      // The session moves: its entries' cwds now count for the new project.
      CL_CHECK(shift_session_cwds(x.id, old->project_id, -1));
    }
    CL_TRY(
        st,
        m_conn->prepare(
            "INSERT INTO sessions(id, project_id, owner_id, started_at, ended_at, message_count, records_count, "
            "summary, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, "
            "created_at, updated_at, bytes, cseq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE "
            "SET project_id = excluded.project_id, owner_id = excluded.owner_id, started_at = excluded.started_at, "
            "ended_at = excluded.ended_at, message_count = excluded.message_count, "
            "records_count = excluded.records_count, summary = excluded.summary, "
            "input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, "
            "cache_creation_tokens = excluded.cache_creation_tokens, "
            "cache_read_tokens = excluded.cache_read_tokens, cost_usd = excluded.cost_usd, "
            "created_at = excluded.created_at, updated_at = excluded.updated_at, bytes = excluded.bytes, "
            "cseq = excluded.cseq"));
    CL_TRY(seq, change());
    st->bind(x.id)
        .bind(x.project_id)
        .bind(x.owner_id)
        .bind(x.started_at)
        .bind(x.ended_at)
        .bind(x.message_count)
        .bind(x.records_count)
        .bind(x.summary)
        .bind(x.usage.input_tokens)
        .bind(x.usage.output_tokens)
        .bind(x.usage.cache_creation_tokens)
        .bind(x.usage.cache_read_tokens)
        .bind(x.usage.cost_usd)
        .bind(x.created_at)
        .bind(x.updated_at)
        .bind(x.bytes)
        .bind(seq);
    CL_CHECK(stamped(*st, "put session"));
    if (old && old->project_id != x.project_id) CL_CHECK(shift_session_cwds(x.id, x.project_id, +1));
    return {};
  }
  Status set_session_summary(const std::string& id, const std::string& summary) override {
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare("UPDATE sessions SET cseq = ?2, summary = ?1 WHERE id = ?3 AND summary IS NOT ?1"));
    st->bind(summary).bind(seq).bind(id);
    CL_CHECK(stamped(*st, "set session summary"));
    if (sqlite3_changes(db()) > 0) return {};
    CL_TRY(found, get_session(id));  // nothing changed: the same summary, or no such session
    if (!found) return fail(Errc::not_found, fmt::format("no session '{}'", id));
    return {};
  }
  Status delete_session(const std::string& id) override {
    CL_TRY(old, get_session(id));
    if (!old) return {};
    CL_CHECK(tombstone("session", id, id, old->project_id, old->owner_id));
    CL_CHECK(shift_session_cwds(id, old->project_id, -1));
    CL_TRY(st, m_conn->prepare("DELETE FROM sessions WHERE id = ?"));
    st->bind(id);
    return conn().run(*st, "delete session");  // cascades to entries
  }

  Result<bool> insert_entry(const Entry& e, OnExisting on_existing) override {
    CL_TRY(project_id, project_of_session(e.session_id));
    if (on_existing == OnExisting::keep) {
      // The common path (ingest, demo data, merge restores): one statement, no prior lookup.
      CL_TRY(seq, change());
      CL_TRY(ins, m_conn->prepare("INSERT INTO entries(session_id, key, has_uuid, type, ts, cwd, message_id, "
                                  "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, "
                                  "json, cseq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                                  "ON CONFLICT(session_id, key) DO NOTHING"));
      ins->bind_static(e.session_id).bind_static(e.key);
      bind_entry_fields(*ins, e).bind(seq);
      CL_CHECK(stamped(*ins, "insert entry"));
      if (sqlite3_changes(db()) == 0) return false;
      CL_CHECK(add_cwd(project_id, e.cwd, +1));
      return true;
    }
    CL_TRY(seq_now, change());
    CL_TRY(find, m_conn->prepare("SELECT seq, cwd FROM entries WHERE session_id = ? AND key = ?"));
    find->bind_static(e.session_id).bind_static(e.key);
    const int rc = find->step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      Error err = sqlite_error(db(), rc, "find entry");
      find->reset();
      return fail(std::move(err));
    }
    const bool exists = rc == SQLITE_ROW;
    const std::int64_t seq = exists ? find->i64(0) : 0;
    const std::string old_cwd(exists ? find->text(1) : std::string_view());
    find->reset();
    if (exists) {
      CL_TRY(up,
             m_conn->prepare("UPDATE entries SET has_uuid = ?, type = ?, ts = ?, cwd = ?, message_id = ?, "
                             "input_tokens = ?, output_tokens = ?, cache_creation_tokens = ?, cache_read_tokens = ?, "
                             "cost_usd = ?, json = ?, cseq = ? WHERE seq = ? AND json IS NOT ?"));
      bind_entry_fields(*up, e).bind(seq_now).bind(seq).bind_static(e.json);
      CL_CHECK(stamped(*up, "replace entry"));
      CL_CHECK(add_cwd(project_id, old_cwd, -1));
      CL_CHECK(add_cwd(project_id, e.cwd, +1));
      return false;
    }
    CL_TRY(ins,
           m_conn->prepare("INSERT INTO entries(session_id, key, has_uuid, type, ts, cwd, message_id, "
                           "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, json, "
                           "cseq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    ins->bind_static(e.session_id).bind_static(e.key);
    bind_entry_fields(*ins, e).bind(seq_now);
    CL_CHECK(stamped(*ins, "insert entry"));
    CL_CHECK(add_cwd(project_id, e.cwd, +1));
    return true;
  }
  Status delete_entry(const std::string& session_id, const std::string& key) override {
    CL_TRY(old, get_entry(session_id, key));
    if (!old) return {};
    CL_CHECK(tombstone("entry", key, session_id, old->project_id, old->owner_id));
    CL_CHECK(add_cwd(old->project_id, old->cwd, -1));
    CL_TRY(st, m_conn->prepare("DELETE FROM entries WHERE session_id = ? AND key = ?"));
    st->bind(session_id).bind(key);
    return conn().run(*st, "delete entry");
  }

  Status refresh_session_stats(const std::string& session_id) override {
    // Usage is repeated on every line of one API response (with partial output tokens on early lines):
    // take each message id's largest figures once.
    // One pass over the session's entries for the counts and times, one grouped pass for the usage.
    // Only a row whose figures change is written (and stamped with the change sequence).
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare(
                   "UPDATE sessions SET started_at = a.first, ended_at = a.last, message_count = a.messages, "
                   "records_count = a.records, bytes = a.bytes, input_tokens = a.i, output_tokens = a.o, "
                   "cache_creation_tokens = a.cc, cache_read_tokens = a.cr, cost_usd = a.c, "
                   "updated_at = MAX(updated_at, COALESCE(a.last, 0)), cseq = ?2 "
                   "FROM (SELECT * FROM (SELECT MIN(ts) AS first, MAX(ts) AS last, "
                   "COALESCE(SUM(has_uuid), 0) AS messages, COUNT(*) AS records, "
                   "COALESCE(SUM(LENGTH(CAST(json AS BLOB))), 0) AS bytes FROM entries WHERE session_id = ?1), "
                   "(SELECT COALESCE(SUM(i), 0) AS i, COALESCE(SUM(o), 0) AS o, COALESCE(SUM(cc), 0) AS cc, "
                   "COALESCE(SUM(cr), 0) AS cr, COALESCE(SUM(c), 0) AS c FROM (SELECT MAX(input_tokens) i, "
                   "MAX(output_tokens) o, MAX(cache_creation_tokens) cc, MAX(cache_read_tokens) cr, MAX(cost_usd) c "
                   "FROM entries WHERE session_id = ?1 AND message_id <> '' GROUP BY message_id))) AS a "
                   "WHERE id = ?1 AND (started_at IS NOT a.first OR ended_at IS NOT a.last OR "
                   "message_count <> a.messages OR records_count <> a.records OR sessions.bytes <> a.bytes OR "
                   "input_tokens <> a.i OR output_tokens <> a.o OR cache_creation_tokens <> a.cc OR "
                   "cache_read_tokens <> a.cr OR cost_usd <> a.c OR updated_at < COALESCE(a.last, 0))"));
    st->bind(session_id).bind(seq);
    return stamped(*st, "refresh session");
  }
  Status refresh_project_stats(const std::string& project_id) override {
    CL_CHECK(flush_cwds());
    // Only a row whose figures change is written (and stamped with the change sequence).
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare(
                   "UPDATE projects SET sessions_count = n.sc, messages_count = n.mc, records_count = n.rc, "
                   "path = COALESCE(n.cwd, path), updated_at = MAX(updated_at, n.last), cseq = ?2 FROM (SELECT "
                   "(SELECT COUNT(*) FROM sessions WHERE project_id = ?1) AS sc, "
                   "(SELECT COALESCE(SUM(message_count), 0) FROM sessions WHERE project_id = ?1) AS mc, "
                   "(SELECT COALESCE(SUM(records_count), 0) FROM sessions WHERE project_id = ?1) AS rc, "
                   "(SELECT cwd FROM project_cwds WHERE project_id = ?1 AND cwd <> '' AND n > 0 "
                   "ORDER BY n DESC, cwd LIMIT 1) AS cwd, "
                   "COALESCE((SELECT MAX(ended_at) FROM sessions WHERE project_id = ?1), 0) AS last) AS n "
                   "WHERE id = ?1 AND (sessions_count <> n.sc OR messages_count <> n.mc OR records_count <> n.rc OR "
                   "path <> COALESCE(n.cwd, path) OR updated_at < n.last)"));
    st->bind(project_id).bind(seq);
    return stamped(*st, "refresh project");
  }

  Status put_document(Collection c, const Document& d) override {
    CL_TRY(seq, change());
    CL_TRY(st, m_conn->prepare(document_sql(c).put.c_str()));
    st->bind(d.id).bind(d.owner_id).bind(d.name).bind(d.created_at).bind(d.updated_at).bind(d.json).bind(seq);
    return stamped(*st, "put document");
  }
  Status delete_document(Collection c, const std::string& id) override {
    CL_TRY(old, get_document(c, id));
    if (!old) return {};
    CL_CHECK(tombstone(collection_name(c), id, "", "", old->owner_id));
    CL_TRY(st, m_conn->prepare(document_sql(c).del.c_str()));
    st->bind(id);
    return conn().run(*st, "delete document");
  }

  Result<std::int64_t> prune_tombstones(std::int64_t up_to, TimeMs before) override {
    CL_TRY(st, m_conn->prepare("DELETE FROM tombstones WHERE cseq <= ? AND at < ?"));
    st->bind(up_to).bind(before);
    CL_CHECK(conn().run(*st, "prune tombstones"));
    return static_cast<std::int64_t>(sqlite3_changes(db()));
  }

  Status put_system(SystemTable t, const SystemRecord& r) override {
    CL_TRY(st, m_conn->prepare(system_sql(t).put.c_str()));
    st->bind(r.id).bind(r.owner_id).bind(r.kind).bind(r.status).bind(r.created_at).bind(r.updated_at).bind(r.json);
    return conn().run(*st, "put record");
  }
  Status delete_system(SystemTable t, const std::string& id) override {
    CL_TRY(st, m_conn->prepare(system_sql(t).del.c_str()));
    st->bind(id);
    return conn().run(*st, "delete record");
  }

  Result<bool> append_audit(const AuditEvent& event) override { return sqlite::append_audit(*m_conn, event); }

 private:
  std::int64_t m_change = 0;   ///< this transaction's change sequence, 0 until first asked for
  bool m_change_used = false;  ///< a row was stamped with it: commit records it
  /// cwd counts not yet written to project_cwds, keyed by project id and cwd (add_cwd): at most
  /// k_cwd_deltas_held of them (a restore's or ingest's memory does not follow its number of projects).
  std::unordered_map<std::string, std::int64_t> m_cwd_deltas;
  std::string m_cwd_key;
  std::unordered_map<std::string, std::string> m_session_project;

  static Stmt& bind_entry_fields(Stmt& st, const Entry& e) {
    return st.bind(e.has_uuid)
        .bind(e.type)
        .bind(e.timestamp)
        .bind(e.cwd)
        .bind(e.message_id)
        .bind(e.usage.input_tokens)
        .bind(e.usage.output_tokens)
        .bind(e.usage.cache_creation_tokens)
        .bind(e.usage.cache_read_tokens)
        .bind(e.usage.cost_usd)
        .bind_static(e.json);
  }

  /// Counts a cwd for a project. Buffered (one upsert per distinct project and cwd, not per entry),
  /// flushed when k_cwd_deltas_held are held, at commit, and before anything reads project_cwds.
  Status add_cwd(const std::string& project_id, std::string_view cwd, std::int64_t delta) {
    if (cwd.empty()) return {};
    std::string& key = m_cwd_key;  // "<length>:<project id><cwd>", its buffer reused entry after entry
    key.assign(std::to_string(project_id.size())).append(1, ':').append(project_id).append(cwd);
    auto it = m_cwd_deltas.find(key);
    if (it == m_cwd_deltas.end()) {
      if (m_cwd_deltas.size() >= k_cwd_deltas_held) CL_CHECK(flush_cwds());
      it = m_cwd_deltas.emplace(key, 0).first;
    }
    it->second += delta;
    return {};
  }

  Status flush_cwds() {
    for (const auto& [key, delta] : m_cwd_deltas) {
      if (delta == 0) continue;
      const std::size_t colon = key.find(':');
      const std::string_view project_id = std::string_view(key).substr(colon + 1, std::stoul(key.substr(0, colon)));
      CL_TRY(st, m_conn->prepare("INSERT INTO project_cwds(project_id, cwd, n) VALUES(?,?,?) "
                                 "ON CONFLICT(project_id, cwd) DO UPDATE SET n = n + excluded.n"));
      st->bind(project_id).bind(std::string_view(key).substr(colon + 1 + project_id.size())).bind(delta);
      CL_CHECK(conn().run(*st, "count cwd"));
    }
    m_cwd_deltas.clear();
    return {};
  }

  /// The project of a session, cached for the transaction (sessions do not move between entries).
  Result<std::string> project_of_session(const std::string& session_id) {
    if (auto it = m_session_project.find(session_id); it != m_session_project.end()) return it->second;
    CL_TRY(st, m_conn->prepare("SELECT project_id FROM sessions WHERE id = ?"));
    st->bind(session_id);
    const int rc = st->step();
    if (rc != SQLITE_ROW) {
      Error err = rc == SQLITE_DONE ? Error(Errc::not_found, fmt::format("no session '{}' for entry", session_id))
                                    : sqlite_error(db(), rc, "find session");
      st->reset();
      return fail(std::move(err));
    }
    std::string project_id(st->text(0));
    st->reset();
    if (m_session_project.size() > 4096) m_session_project.clear();
    m_session_project.emplace(session_id, project_id);
    return project_id;
  }

  /// Adds (sign +1) or removes (sign -1) a session's entries' cwds to/from a project's counts.
  Status shift_session_cwds(const std::string& session_id, const std::string& project_id, int sign) {
    CL_CHECK(flush_cwds());
    m_session_project.erase(session_id);
    CL_TRY(st, m_conn->prepare("INSERT INTO project_cwds(project_id, cwd, n) SELECT ?, cwd, ? * COUNT(*) FROM entries "
                               "WHERE session_id = ? AND cwd <> '' GROUP BY cwd ORDER BY cwd "
                               "ON CONFLICT(project_id, cwd) DO UPDATE SET n = n + excluded.n"));
    st->bind(project_id).bind(sign).bind(session_id);
    return conn().run(*st, "shift cwds");
  }
};

}  // namespace

// ---- Store -----------------------------------------------------------------------------------------

namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string url, std::string path, StoreOptions options)
      : m_url(std::move(url)), m_path(std::move(path)), m_options(options) {}

  Status init() {
    CL_TRY(conn, make_connection());
    std::error_code ec;
    const auto shown = m_path == ":memory:" ? m_path : std::filesystem::absolute(m_path, ec).string();
    CL_CHECK(open_schema(*conn, shown));
    release(std::move(conn));
    return {};
  }

  Result<std::unique_ptr<Reader>> read() override {
    CL_TRY(conn, acquire());
    auto reader = std::make_unique<SqliteReader>(*this, std::move(conn));
    CL_CHECK(reader->begin_read());
    return std::unique_ptr<Reader>(std::move(reader));
  }

  Result<std::unique_ptr<Writer>> write(WriteMode mode) override {
    CL_TRY(conn, acquire());
    auto writer = std::make_unique<SqliteWriter>(*this, std::move(conn));
    CL_CHECK(writer->begin_write(mode));
    return std::unique_ptr<Writer>(std::move(writer));
  }

  const std::string& url() const override { return m_url; }

  // The job queue (job_queue.cpp): one autocommit statement each on a pooled connection.
  Result<bool> insert_job(const JobRow& row, const std::vector<std::string>& exclusive) override {
    return with_connection([&](Connection& c) { return sqlite::insert_job(c, row, exclusive); });
  }
  Result<std::optional<JobRow>> claim_job(const JobClaim& claim) override {
    return with_connection([&](Connection& c) { return sqlite::claim_job(c, claim); });
  }
  Result<bool> update_job_if(const JobRow& row, const JobExpect& expect) override {
    return with_connection([&](Connection& c) { return sqlite::update_job_if(c, row, expect); });
  }
  Result<std::optional<JobRow>> get_job(const std::string& id) override {
    return with_connection([&](Connection& c) { return sqlite::get_job(c, id); });
  }
  Status for_each_job(const JobQuery& query, const Visit<JobRow>& visit) override {
    return with_connection([&](Connection& c) { return sqlite::for_each_job(c, query, visit); });
  }
  Result<bool> claim_slot(const SlotClaim& claim) override {
    return with_connection([&](Connection& c) { return sqlite::claim_slot(c, claim); });
  }
  Result<std::optional<SlotClaim>> last_slot_claim(const std::string& schedule_id) override {
    return with_connection([&](Connection& c) { return sqlite::last_slot_claim(c, schedule_id); });
  }

  // The notification outbox (outbox.cpp): one autocommit statement each, like the job queue.
  Status insert_outbox(const OutboxRow& row) override {
    return with_connection([&](Connection& c) { return sqlite::insert_outbox(c, row); });
  }
  Result<std::optional<OutboxRow>> claim_outbox(const OutboxClaim& claim) override {
    return with_connection([&](Connection& c) { return sqlite::claim_outbox(c, claim); });
  }
  Result<bool> update_outbox_if(const OutboxRow& row) override {
    return with_connection([&](Connection& c) { return sqlite::update_outbox_if(c, row); });
  }
  Status for_each_outbox(const std::vector<std::string>& statuses, const Visit<OutboxRow>& visit) override {
    return with_connection([&](Connection& c) { return sqlite::for_each_outbox(c, statuses, visit); });
  }
  Result<std::int64_t> prune_outbox(TimeMs before) override {
    return with_connection([&](Connection& c) { return sqlite::prune_outbox(c, before); });
  }

  Result<std::int64_t> size_on_disk() override {
    std::int64_t total = 0;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st {};
      if (::stat((m_path + suffix).c_str(), &st) == 0) total += st.st_size;
    }
    return total;
  }

  Result<std::optional<std::int64_t>> data_version() override {
    // Each :memory: connection is a database of its own: no other connection's commits to see.
    if (m_path == ":memory:") return std::optional<std::int64_t>();
    std::lock_guard lock(m_version_mutex);
    if (!m_version_conn) {
      CL_TRY(conn, make_connection());
      m_version_conn = std::move(conn);
    }
    CL_TRY(st, m_version_conn->prepare("PRAGMA data_version"));
    const int rc = st->step();
    if (rc != SQLITE_ROW) {
      Error e = sqlite_error(m_version_conn->db(), rc, "read the data version");
      st->reset();
      return fail(std::move(e));
    }
    const std::int64_t version = st->i64(0);
    st->reset();
    return std::optional<std::int64_t>(version);
  }

  /// Gives a connection back to the pool (at most a few are kept open).
  void release(ConnPtr conn) {
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < k_max_idle) m_idle.push_back(std::move(conn));
  }

 private:
  static constexpr std::size_t k_max_idle = 4;

  Result<ConnPtr> make_connection() {
    auto conn = std::make_unique<Connection>();
    CL_CHECK(conn->open(m_path, m_options.create, m_options.busy_timeout_ms));
    return conn;
  }

  /// Runs `fn` with a pooled connection, given back afterwards.
  template <class Fn>
  auto with_connection(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    CL_TRY(conn, acquire());
    auto out = fn(*conn);
    release(std::move(conn));
    return out;
  }

  Result<ConnPtr> acquire() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        ConnPtr conn = std::move(m_idle.back());
        m_idle.pop_back();
        return conn;
      }
    }
    return make_connection();
  }

  std::string m_url;
  std::string m_path;
  StoreOptions m_options;
  std::mutex m_mutex;  ///< guards m_idle
  std::vector<ConnPtr> m_idle;
  /// data_version()'s own connection: it never writes, so its PRAGMA data_version moves with every
  /// commit of every other connection (this process's pool and other processes alike).
  std::mutex m_version_mutex;  ///< guards m_version_conn
  ConnPtr m_version_conn;
};

SqliteReader::~SqliteReader() {
  if (m_open) (void)m_conn->exec("ROLLBACK");
  static_cast<SqliteStore&>(m_store).release(std::move(m_conn));
}

}  // namespace

Result<std::unique_ptr<Store>> open(std::string url, std::string path, const StoreOptions& options) {
  if (path != ":memory:") {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && options.create) std::filesystem::create_directories(parent, ec);
    if (!options.create && !std::filesystem::exists(path))
      return fail(Errc::not_found, fmt::format("database {} does not exist", path));
  }
  auto store = std::make_unique<SqliteStore>(std::move(url), std::move(path), options);
  CL_CHECK(store->init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace claudelens::store::sqlite
