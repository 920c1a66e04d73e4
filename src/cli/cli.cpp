#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/time.hpp"
#include "core/version.hpp"

namespace claudelens::cli {

Result<store::Store*> Context::store() {
  if (!m_store) {
    CL_TRY(opened, store::open_store(settings.db_url));
    m_store = std::move(opened);
  }
  return m_store.get();
}

bool Context::interactive() const {
  return ::isatty(STDERR_FILENO) == 1;
}

Result<std::string> Context::resolve_owner(const std::string& owner_name) {
  CL_TRY(st, store());
  const std::string name = owner_name.empty() ? "admin" : owner_name;
  {
    CL_TRY(reader, st->read());
    CL_TRY(found, reader->find_user_by_name(name));
    if (found) return found->id;
  }
  if (!owner_name.empty() && owner_name != "admin")
    return fail(Errc::not_found, fmt::format("no user named '{}' (create one with `claudelens keys create`)", name));
  CL_TRY(writer, st->write());
  CL_TRY(again, writer->find_user_by_name(name));  // another process may have made it meanwhile
  if (again) return again->id;
  store::User admin{new_id(), name, store::Role::admin, system_clock().now_ms()};
  CL_CHECK(writer->put_user(admin));
  CL_CHECK(writer->commit());
  return admin.id;
}

Result<std::optional<TimeMs>> parse_time_flag(const std::string& flag, const std::string& value) {
  if (value.empty()) return std::optional<TimeMs>{};
  const auto t = parse_iso8601(value);
  if (!t) return fail(Errc::invalid_argument, fmt::format("{} '{}' is not an ISO 8601 time", flag, value));
  return std::optional<TimeMs>{*t};
}

void print_json(boost::json::value v) {
  std::cout << boost::json::serialize(make_valid_utf8(v)) << "\n";
}

int report(const Error& error) {
  std::fprintf(stderr, "claudelens: %s\n", error.message.c_str());
  return exit_code_for(error.code);
}

namespace {

void env_default(std::string& value, const char* name) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') value = v;
}

/// Levenshtein distance (insert, delete, substitute), for suggesting the command a typo meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// After a failed parse: when a word where a command was expected names none ("claudelens bakup",
/// "claudelens backup lst"), says so and suggests the nearest command, as git does. Returns false when
/// the error was something else (CLI11's own message applies then).
bool report_unknown_command(const CLI::App& app) {
  const CLI::App* level = &app;  // the deepest command given: the unknown word was meant below it
  for (auto chosen = level->get_subcommands(); !chosen.empty(); chosen = level->get_subcommands())
    level = chosen.front();
  const auto commands = level->get_subcommands([](const CLI::App*) { return true; });
  if (commands.empty()) return false;
  std::string unknown;
  for (const auto& word : app.remaining(true))
    if (!word.starts_with("-")) {
      unknown = word;
      break;
    }
  if (unknown.empty()) return false;
  const std::string where = level == &app ? "claudelens" : "claudelens " + level->get_name();
  std::string message = level == &app ? fmt::format("{}: '{}' is not a command.", where, unknown)
                                      : fmt::format("{}: '{}' is not a {} command.", where, unknown, level->get_name());
  std::string nearest;
  std::size_t best = std::string::npos;
  for (const CLI::App* c : commands) {
    const std::size_t d = edit_distance(unknown, c->get_name());
    if (d < best) {
      best = d;
      nearest = c->get_name();
    }
  }
  // As git: suggest only what is plausibly a typo (at most half the word differs, or it is a prefix).
  if (!nearest.empty() && (best <= std::max<std::size_t>(2, unknown.size() / 2) || nearest.starts_with(unknown)))
    message += fmt::format(" The most similar command is {}", nearest);
  std::fprintf(stderr, "%s\nSee '%s --help'.\n", message.c_str(), where.c_str());
  return true;
}

}  // namespace

int run(int argc, char** argv) {
  Context ctx;
  Settings& s = ctx.settings;
  env_default(s.db_url, "CLAUDELENS_DB");
  env_default(s.backup_dir, "CLAUDELENS_BACKUP_DIR");
  env_default(s.listen, "CLAUDELENS_LISTEN");
  env_default(s.api_key, "CLAUDELENS_API_KEY");
  env_default(s.log_level, "CLAUDELENS_LOG_LEVEL");
  if (const char* v = std::getenv("CLAUDELENS_MAX_UPLOAD_MB")) s.max_upload_mb = std::atoi(v);

  CLI::App app{"ClaudeLens: archive, back up and restore Claude Code conversations", "claudelens"};
  app.set_version_flag("--version", std::string(k_version));
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--db", s.db_url, "Store URL (sqlite:PATH)")->capture_default_str();
  app.add_option("--backup-dir", s.backup_dir, "Where backups are written")->capture_default_str();
  app.add_option("--listen", s.listen, "HOST:PORT the server listens on")->capture_default_str();
  app.add_option("--api-key", s.api_key, "An admin API key to accept");
  app.add_option("--max-upload-mb", s.max_upload_mb, "Largest accepted upload")->capture_default_str();
  app.add_option("--log-level", s.log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  app.add_flag("--json", ctx.json, "Print one JSON document on stdout");

  add_ingest_command(app, ctx);
  add_query_commands(app, ctx);
  add_keys_command(app, ctx);
  add_demo_data_command(app, ctx);
  add_backup_command(app, ctx);
  add_restore_command(app, ctx);
  add_serve_command(app, ctx);
  add_schedule_command(app, ctx);
  add_retention_command(app, ctx);
  add_notify_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && report_unknown_command(app)) return k_exit_usage;
    const int rc = app.exit(e);
    return rc == 0 ? k_exit_ok : k_exit_usage;
  }
  init_logging(s.log_level);
  if (!ctx.action) return k_exit_usage;
  return ctx.action();
}

}  // namespace claudelens::cli
