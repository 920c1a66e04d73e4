// What every CLI command shares: the global settings (flag > environment > default, SPEC §3), the
// store opened on first use, and how output goes out (--json, terminal or pipe). Single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/fwd.hpp>

#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::cli {

struct Settings {
  std::string db_url = "sqlite:./var/claudelens.db";  ///< --db, CLAUDELENS_DB
  std::string backup_dir = "./var/backups";           ///< --backup-dir, CLAUDELENS_BACKUP_DIR
  std::string listen = "127.0.0.1:8080";              ///< --listen, CLAUDELENS_LISTEN
  std::string api_key;                                ///< --api-key, CLAUDELENS_API_KEY
  int max_upload_mb = 10240;                          ///< --max-upload-mb, CLAUDELENS_MAX_UPLOAD_MB
  std::string log_level = "warn";                     ///< --log-level, CLAUDELENS_LOG_LEVEL
};

class Context {
 public:
  Settings settings;
  bool json = false;  ///< --json: one JSON document on stdout

  /// The store, opened (and migrated) on first call.
  Result<store::Store*> store();
  /// True when stderr is a terminal (progress bars are drawn only then).
  bool interactive() const;
  /// The owner id for `--owner NAME` (empty: the admin user), creating the admin user when missing.
  Result<std::string> resolve_owner(const std::string& owner_name);

  /// The command's body, set by the subcommand that CLI11 selected; returns the exit code.
  std::function<int()> action;

 private:
  std::unique_ptr<store::Store> m_store;
};

/// Prints `v` as one line of JSON on stdout, its strings made valid UTF-8 first (make_valid_utf8), so
/// that the output is valid JSON whatever the store holds.
void print_json(boost::json::value v);

/// Prints an error as SPEC §3 wants (first line says what and where) and returns its exit code.
int report(const Error& error);

/// A time flag's value: nullopt when empty, else an ISO 8601 time (invalid_argument naming the flag).
Result<std::optional<TimeMs>> parse_time_flag(const std::string& flag, const std::string& value);

/// Each command file adds its subcommand(s) to the app. The action runs after parsing.
void add_ingest_command(CLI::App& app, Context& ctx);
void add_query_commands(CLI::App& app, Context& ctx);  ///< stats, projects, sessions, export
void add_keys_command(CLI::App& app, Context& ctx);
void add_demo_data_command(CLI::App& app, Context& ctx);
void add_backup_command(CLI::App& app, Context& ctx);
void add_restore_command(CLI::App& app, Context& ctx);

/// The whole CLI: parses argv, runs the chosen command, returns the process exit code.
int run(int argc, char** argv);

}  // namespace claudelens::cli
