// A thin RAII layer over the SQLite C API, private to store/sqlite/: a connection with a cache of
// prepared statements, and a statement with typed bind/column helpers. Not thread-safe: one
// connection is used by one Reader or Writer at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace claudelens::store::sqlite {

/// Maps a SQLite result code to an Error (busy/locked → busy, corrupt → corrupted, full → no_space).
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s = nullptr) : m_stmt(s) {}
  sqlite3_stmt* get() const { return m_stmt; }

  Stmt& reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    m_index = 0;
    return *this;
  }
  Stmt& bind(std::string_view v) {
    sqlite3_bind_text(m_stmt, ++m_index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_static(std::string_view v) {  // `v` must outlive the step()
    sqlite3_bind_text(m_stmt, ++m_index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind(const std::string& v) { return bind(std::string_view(v)); }
  Stmt& bind(const char* v) { return bind(std::string_view(v)); }
  Stmt& bind(std::int64_t v) {
    sqlite3_bind_int64(m_stmt, ++m_index, v);
    return *this;
  }
  Stmt& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
  Stmt& bind(bool v) { return bind(static_cast<std::int64_t>(v ? 1 : 0)); }
  Stmt& bind(double v) {
    sqlite3_bind_double(m_stmt, ++m_index, v);
    return *this;
  }
  Stmt& bind(const std::optional<std::int64_t>& v) {
    if (v) return bind(*v);
    sqlite3_bind_null(m_stmt, ++m_index);
    return *this;
  }
  Stmt& bind_null() {
    sqlite3_bind_null(m_stmt, ++m_index);
    return *this;
  }

  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(m_stmt); }

  std::string_view text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))) : std::string_view();
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  double f64(int col) const { return sqlite3_column_double(m_stmt, col); }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::optional<std::int64_t> opt_i64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(i64(col));
  }

 private:
  sqlite3_stmt* m_stmt;
  int m_index = 0;
};

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Opens the file and applies the per-connection pragmas.
  Status open(const std::string& path, bool create, int busy_timeout_ms);
  /// Sets the page cache to 8 MiB and the WAL's checkpoint to 16 MiB at the current page size: again
  /// after the page size changes.
  Status size_cache();
  sqlite3* db() const { return m_db; }

  /// Runs one or more statements without results.
  Status exec(std::string_view sql);
  /// A cached prepared statement for `sql` (a string literal: cached by its address), reset and unbound.
  Result<Stmt*> prepare(const char* sql);
  /// A cached prepared statement for a query composed at run time, keyed by its text. nullptr when
  /// that statement is in use already (a nested scan of the same shape): the caller prepares its own.
  Result<Stmt*> prepare_text(const std::string& sql);
  /// Steps a statement that returns no rows to completion.
  Status run(Stmt& stmt, std::string_view what);

 private:
  sqlite3* m_db = nullptr;
  std::unordered_map<const char*, Stmt> m_cache;
  std::unordered_map<std::string, Stmt> m_text_cache;
};

/// Steps `stmt` to the end, reading each row into `row` and handing it to `visit`.
template <class T, class ReadFn>
Status scan(sqlite3* db, Stmt& stmt, ReadFn read, const std::function<bool(const T&)>& visit, std::string_view what) {
  T row{};
  for (;;) {
    const int rc = stmt.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Error e = sqlite_error(db, rc, what);
      stmt.reset();
      return fail(std::move(e));
    }
    read(stmt, row);
    if (!visit(row)) break;
  }
  stmt.reset();
  return {};
}

/// Reads at most one row.
template <class T, class ReadFn>
Result<std::optional<T>> one(sqlite3* db, Stmt& stmt, ReadFn read, std::string_view what) {
  std::optional<T> out;
  CL_CHECK(scan<T>(db, stmt, read, std::function<bool(const T&)>([&](const T& row) {
                     out = row;
                     return false;
                   }),
                   what));
  return out;
}

}  // namespace claudelens::store::sqlite
