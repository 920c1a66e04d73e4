// `claudelens ingest [--owner USER] PATH…`: Claude Code transcripts into the store (SPEC §3, §4;
// rules in docs/ingest.md). Malformed lines are reported and skipped (exit 0); a missing or
// unreadable path, or a store failure, is exit 1.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "ingest/ingester.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;

struct IngestArgs {
  std::string owner;
  std::vector<std::string> paths;
};

json::object report_json(const ingest::IngestReport& r) {
  json::array errors;
  for (const auto& e : r.errors)
    errors.push_back(json::object{{"file", e.file}, {"line", e.line}, {"message", e.message}});
  return json::object{{"files", r.files},
                      {"records", r.records},
                      {"new_records", r.new_records},
                      {"skipped_lines", r.skipped_lines},
                      {"bytes", r.bytes},
                      {"projects", r.projects},
                      {"sessions", r.sessions},
                      {"errors", std::move(errors)},
                      {"errors_truncated", r.errors_truncated}};
}

void print_human(const ingest::IngestReport& r) {
  for (const auto& e : r.errors) std::cerr << fmt::format("{}:{}: skipped: {}\n", e.file, e.line, e.message);
  if (r.errors_truncated)
    std::cerr << fmt::format("... {} more malformed lines not listed\n",
                             r.skipped_lines - static_cast<std::int64_t>(r.errors.size()));
  std::cout << fmt::format(
      "Ingested {} files ({:.1f} MB): {} records ({} new) in {} sessions of {} projects; {} malformed lines skipped.\n",
      r.files, static_cast<double>(r.bytes) / 1e6, r.records, r.new_records, r.sessions, r.projects, r.skipped_lines);
}

/// A one-line progress bar on stderr, redrawn after each file (only on a terminal).
void draw_progress(const ingest::IngestProgress& p) {
  const double frac = p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
  const int width = 30;
  const int filled = static_cast<int>(frac * width);
  std::fprintf(stderr, "\r[%s%s] %3d%%  %lld/%lld files", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), static_cast<int>(frac * 100),
               static_cast<long long>(p.files_done), static_cast<long long>(p.files_total));
  std::fflush(stderr);
}

int run_ingest(Context& ctx, const IngestArgs& args) {
  auto owner = ctx.resolve_owner(args.owner);
  if (!owner) return report(owner.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  ingest::IngestOptions options;
  options.owner_id = *owner;
  const bool progress = ctx.interactive();
  if (progress) options.on_progress = draw_progress;
  std::vector<std::filesystem::path> paths(args.paths.begin(), args.paths.end());
  auto result = ingest::ingest_paths(**st, paths, options);
  if (progress) std::fprintf(stderr, "\r%60s\r", "");
  if (!result) return report(result.error());
  if (ctx.json) {
    print_json(report_json(*result));
  } else {
    print_human(*result);
  }
  return k_exit_ok;
}

}  // namespace

void add_ingest_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Store Claude Code transcripts: a ~/.claude/projects folder, project folders or .jsonl files");
  cmd->add_option("--owner", args->owner, "The user who owns them (default: the admin user)");
  cmd->add_option("paths", args->paths, "Folders or .jsonl files")->required();
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_ingest(ctx, *args); }; });
}

}  // namespace claudelens::cli
