// `claudelens schedule next|add|list|show|pause|resume|delete` (SPEC §3, docs/schedule.md): cron
// previews and the stored backup schedules. The scheduler that runs them lives in `claudelens serve`.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <iostream>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "core/time.hpp"
#include "schedule/cron.hpp"
#include "schedule/schedules.hpp"
#include "store/audit.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;
using schedule::Schedule;

struct NextArgs {
  std::string cron, from;
  int count = 5;
};

struct AddArgs {
  std::string name, cron, type;
  FilterFlags filters;
  int level = 3;
};

int next(Context& ctx, const NextArgs& a) {
  auto from = parse_time_flag("--from", a.from);
  if (!from) return report(from.error());
  auto doc = schedule::next_runs_json(a.cron, from->value_or(system_clock().now_ms()), a.count);
  if (!doc) {
    const std::string& m = doc.error().message;
    return report(Error(Errc::invalid_argument, m.rfind("count: ", 0) == 0 ? "--" + m : m));
  }
  if (ctx.json) {
    print_json(doc->at("runs"));
    return k_exit_ok;
  }
  std::cout << std::string_view(doc->at("description").as_string()) << " (UTC)\n";
  for (const auto& t : doc->at("runs").as_array()) std::cout << std::string_view(t.as_string()) << '\n';
  return k_exit_ok;
}

void print_schedule(Context& ctx, const Schedule& s) {
  if (ctx.json) {
    print_json(schedule::schedule_to_json(s));
    return;
  }
  const auto cron = schedule::parse_cron(s.cron);
  std::cout << fmt::format(
      "id          {}\nname        {}\nschedule    {} ({})\ntype        {}\nstatus      {}\nlast run    {}\n"
      "next run    {}\n",
      s.id, s.name, s.cron, cron ? schedule::describe_cron(*cron) : "invalid", backup::backup_type_name(s.type),
      s.enabled ? "enabled" : "paused", s.last_run ? format_iso8601(*s.last_run) : "never",
      s.next_run ? format_iso8601(*s.next_run) : "-");
}

/// The audit line of a schedule change made here (API.md GET /audit: a settings change, as through PUT
/// /settings/backup): the field's name and the schedule, never more.
void audit_schedule_change(store::Store& st, std::string_view change, const std::string& id) {
  (void)store::record_cli_audit(
      st, "settings.updated", "settings", "backup",
      {{"updated_fields", boost::json::array{"scheduling.schedules"}}, {"schedule_id", id}, {"change", change}},
      system_clock().now_ms());
}

int add(Context& ctx, const AddArgs& a) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  const TimeMs now = system_clock().now_ms();
  schedule::ScheduleRequest r;
  r.name = a.name;
  r.cron = a.cron;
  r.compression_level = a.level;
  auto filters = filters_from_flags(a.filters, now);
  if (!filters) return report(filters.error());
  r.filters = std::move(filters).value();
  if (!a.type.empty()) {
    r.type = backup::parse_backup_type(a.type);
    if (!r.type)
      return report(Error(Errc::invalid_argument,
                          fmt::format("--type must be full, selective or incremental, not '{}'", a.type)));
  }
  auto owner = ctx.resolve_owner("");
  if (!owner) return report(owner.error());
  r.created_by = *owner;
  auto s = schedule::make_schedule(r, now);
  if (!s) return report(s.error());
  auto writer = (*st)->write();
  if (!writer) return report(writer.error());
  if (auto ok = schedule::save_schedule(**writer, *s); !ok) return report(ok.error());
  if (auto ok = (*writer)->commit(); !ok) return report(ok.error());
  audit_schedule_change(**st, "added", s->id);
  print_schedule(ctx, *s);
  return k_exit_ok;
}

int list(Context& ctx) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto reader = (*st)->read();
  if (!reader) return report(reader.error());
  const TimeMs now = system_clock().now_ms();
  std::vector<Schedule> all;
  if (auto ok = schedule::for_each_schedule(**reader,
                                            [&](const Schedule& s) {
                                              all.push_back(schedule::with_next_run(s, now));
                                              return true;
                                            });
      !ok)
    return report(ok.error());
  if (ctx.json) {
    json::array out;
    for (const auto& s : all) out.push_back(schedule::schedule_to_json(s));
    print_json(out);
    return k_exit_ok;
  }
  std::cout << fmt::format("{:<24}  {:<20}  {:<16}  {:<9}  {:<8}  {}\n", "ID", "NAME", "SCHEDULE", "TYPE", "STATUS",
                           "NEXT RUN");
  for (const auto& s : all)
    std::cout << fmt::format("{:<24}  {:<20.20}  {:<16}  {:<9}  {:<8}  {}\n", s.id, s.name, s.cron,
                             backup::backup_type_name(s.type), s.enabled ? "enabled" : "paused",
                             s.next_run ? format_iso8601(*s.next_run) : "-");
  return k_exit_ok;
}

int show(Context& ctx, const std::string& id) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto reader = (*st)->read();
  if (!reader) return report(reader.error());
  auto s = schedule::load_schedule(**reader, id);
  if (!s) return report(s.error());
  if (!*s) return report(Error(Errc::not_found, fmt::format("no schedule with id '{}'", id)));
  print_schedule(ctx, schedule::with_next_run(**s, system_clock().now_ms()));
  return k_exit_ok;
}

int set_enabled(Context& ctx, const std::string& id, bool enabled) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  auto s = schedule::set_schedule_enabled(**st, id, enabled, system_clock().now_ms());
  if (!s) return report(s.error());
  audit_schedule_change(**st, enabled ? "resumed" : "paused", id);
  print_schedule(ctx, *s);
  return k_exit_ok;
}

int remove(Context& ctx, const std::string& id) {
  auto st = ctx.store();
  if (!st) return report(st.error());
  if (auto ok = schedule::delete_schedule(**st, id); !ok) return report(ok.error());
  audit_schedule_change(**st, "deleted", id);
  if (ctx.json)
    print_json(json::object{{"message", "schedule deleted"}, {"schedule_id", id}});
  else
    std::cout << fmt::format("Deleted schedule {}\n", id);
  return k_exit_ok;
}

}  // namespace

void add_schedule_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("schedule", "Cron previews and scheduled backups (run by `claudelens serve`)");
  cmd->require_subcommand(1);

  auto n = std::make_shared<NextArgs>();
  auto* next_cmd = cmd->add_subcommand("next", "The next runs of a cron expression (UTC)");
  next_cmd->add_option("EXPR", n->cron, "Five cron fields (quote them) or @hourly/@daily/@weekly/@monthly/@yearly")
      ->required();
  next_cmd->add_option("--from", n->from, "Runs strictly after this ISO 8601 time (default: now)");
  next_cmd->add_option("--count", n->count, "How many runs, 1-50")->capture_default_str();
  next_cmd->callback([&ctx, n] { ctx.action = [&ctx, n] { return next(ctx, *n); }; });

  auto a = std::make_shared<AddArgs>();
  auto* add_cmd = cmd->add_subcommand("add", "Store a new backup schedule");
  add_cmd->add_option("--name", a->name, "3–100 letters, digits, spaces, '-' or '_'")->required();
  add_cmd->add_option("--cron", a->cron, "When to run: five cron fields (UTC) or a macro")->required();
  add_cmd->add_option("--type", a->type, "full | selective | incremental (default: selective with a filter)");
  add_filter_flags(*add_cmd, a->filters);
  add_cmd->add_option("--level", a->level, "Compression level 1–9")->capture_default_str();
  add_cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return add(ctx, *a); }; });

  cmd->add_subcommand("list", "List the stored schedules")->callback([&ctx] {
    ctx.action = [&ctx] { return list(ctx); };
  });
  auto id = std::make_shared<std::string>();
  struct IdCommand {
    const char* name;
    const char* help;
    std::function<int(Context&, const std::string&)> run;
  };
  const IdCommand id_commands[] = {
      {"show", "Show one schedule", show},
      {"pause", "Stop running a schedule (it stays stored)",
       [](Context& c, const std::string& i) { return set_enabled(c, i, false); }},
      {"resume", "Run a paused schedule again",
       [](Context& c, const std::string& i) { return set_enabled(c, i, true); }},
      {"delete", "Delete a schedule", remove},
  };
  for (const auto& ic : id_commands) {
    auto* sub = cmd->add_subcommand(ic.name, ic.help);
    sub->add_option("ID", *id, "Schedule id")->required();
    sub->callback([&ctx, id, run = ic.run] { ctx.action = [&ctx, id, run] { return run(ctx, *id); }; });
  }
}

}  // namespace claudelens::cli
