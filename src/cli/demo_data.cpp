// `claudelens demo-data --messages N [--seed S] [--owner USER]`: fills the store with realistic
// synthetic data (demo/demo_data.hpp). --json prints the summary; a progress bar goes to stderr on a terminal.
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "demo/demo_data.hpp"

namespace claudelens::cli {

namespace {

struct DemoArgs {
  std::string messages;  // parsed by hand: CLI11 would accept "1e3" or reject "-5" with a less clear message
  std::uint64_t seed = 1;
  std::string owner;
};

void draw_bar(const demo::DemoProgress& p) {
  const double done = p.target > 0 ? static_cast<double>(p.messages) / static_cast<double>(p.target) : 1.0;
  const int width = 30, filled = static_cast<int>(done * width);
  std::fprintf(stderr, "\r[%s%s] %3d%%  %lld/%lld messages  %.1f MB", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), static_cast<int>(done * 100),
               static_cast<long long>(p.messages), static_cast<long long>(p.target),
               static_cast<double>(p.bytes) / 1e6);
  std::fflush(stderr);
}

int run_demo_data(Context& ctx, const DemoArgs& args) {
  demo::DemoOptions options;
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(args.messages, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != args.messages.size() || used == 0 || n <= 0) {
    std::fprintf(stderr,
                 "claudelens: demo-data: --messages must be a positive whole number (got '%s')\n"
                 "usage: claudelens demo-data --messages N [--seed S]\n",
                 args.messages.c_str());
    return k_exit_usage;
  }
  options.messages = n;
  options.seed = args.seed;

  auto store = ctx.store();
  if (!store) return report(store.error());
  auto owner = ctx.resolve_owner(args.owner);
  if (!owner) return report(owner.error());
  const bool bar = ctx.interactive();
  if (bar) options.on_progress = draw_bar;
  auto summary = demo::generate(**store, *owner, options);
  if (bar) std::fprintf(stderr, "\n");
  if (!summary) return report(summary.error());

  const demo::DemoSummary& s = *summary;
  if (ctx.json) {
    boost::json::object o{
        {"projects", s.projects},       {"sessions", s.sessions}, {"messages", s.messages},
        {"records", s.records},         {"prompts", s.prompts},   {"prompt_folders", s.prompt_folders},
        {"ai_settings", s.ai_settings}, {"bytes", s.bytes},       {"seconds", s.seconds}};
    std::printf("%s\n", boost::json::serialize(o).c_str());
  } else {
    std::printf("%s", fmt::format("demo data: {} projects, {} sessions, {} messages ({} records), {} prompts, "
                                  "{} prompt folders, {} AI settings, {:.1f} MB in {:.1f} s ({:.1f} MB/s)\n",
                                  s.projects, s.sessions, s.messages, s.records, s.prompts, s.prompt_folders,
                                  s.ai_settings, static_cast<double>(s.bytes) / 1e6, s.seconds,
                                  s.seconds > 0 ? static_cast<double>(s.bytes) / 1e6 / s.seconds : 0.0)
                          .c_str());
  }
  return k_exit_ok;
}

}  // namespace

void add_demo_data_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd =
      app.add_subcommand("demo-data", "Generate realistic synthetic data into the store (same seed, same data)");
  cmd->add_option("--messages", args->messages, "Messages (transcript lines with a uuid) to generate")->required();
  cmd->add_option("--seed", args->seed, "Seed: the same seed and --messages give the same data")->capture_default_str();
  cmd->add_option("--owner", args->owner, "Owner user name (default: the admin user)");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_demo_data(ctx, *args); }; });
}

}  // namespace claudelens::cli
