// What every CLI command shares: the global settings (flag > environment > default, SPEC §3), the
// store opened on first use, and how output goes out (--json, terminal or pipe). Single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/fwd.hpp>

#include <functional>
#include <memory>
#include <string>

#include "backup/filters.hpp"
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

/// The filter flags of `backup create`, shared with `schedule add`.
struct FilterFlags {
  std::vector<std::string> projects, sessions, include, exclude;
  std::string from, to;
  std::optional<std::int64_t> min_messages, max_messages;
};
/// Adds --project, --session, --from, --to, --include, --exclude, --min-messages, --max-messages.
void add_filter_flags(CLI::App& cmd, FilterFlags& flags);
/// The filters the flags name; --to defaults to `now` when only --from is given.
Result<backup::Filters> filters_from_flags(const FilterFlags& flags, TimeMs now);

/// Each command file adds its subcommand(s) to the app. The action runs after parsing.
void add_ingest_command(CLI::App& app, Context& ctx);
void add_query_commands(CLI::App& app, Context& ctx);  ///< stats, projects, sessions, export
void add_keys_command(CLI::App& app, Context& ctx);
void add_demo_data_command(CLI::App& app, Context& ctx);
void add_backup_command(CLI::App& app, Context& ctx);
void add_restore_command(CLI::App& app, Context& ctx);
void add_serve_command(CLI::App& app, Context& ctx);
void add_schedule_command(CLI::App& app, Context& ctx);   ///< schedule next|add|list|show|pause|resume|delete
void add_retention_command(CLI::App& app, Context& ctx);  ///< retention plan|apply
void add_notify_command(CLI::App& app, Context& ctx);     ///< notify test

/// The whole CLI: parses argv, runs the chosen command, returns the process exit code.
int run(int argc, char** argv);

}  // namespace claudelens::cli
