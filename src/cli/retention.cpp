// `claudelens retention plan|apply` (SPEC §3 and §6, docs/schedule.md): which backups the retention
// rules keep (and why) and which they delete; apply deletes them. Flags override the stored
// `retention` settings for this command only.
#include <fmt/format.h>
#include <boost/json.hpp>

#include <iostream>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/progress_bar.hpp"
#include "core/time.hpp"
#include "schedule/retention.hpp"
#include "schedule/settings.hpp"
#include "store/audit.hpp"

namespace claudelens::cli {
namespace {

using schedule::RetentionRules;

Status check_flags(const RetentionRules& r) {
  const std::pair<const char*, const std::optional<std::int64_t>*> counts[] = {{"--max-backups", &r.max_backups},
                                                                               {"--max-age-days", &r.max_age_days},
                                                                               {"--keep-daily", &r.keep_daily},
                                                                               {"--keep-weekly", &r.keep_weekly},
                                                                               {"--keep-monthly", &r.keep_monthly}};
  for (const auto& [flag, v] : counts)
    if (*v && **v < 0) return fail(Errc::invalid_argument, fmt::format("{} must be 0 or more, not {}", flag, **v));
  if (r.max_total_size_gb && !(*r.max_total_size_gb >= 0))
    return fail(Errc::invalid_argument, "--max-total-size-gb must be 0 or more");
  return {};
}

int run(Context& ctx, const RetentionRules& flags, bool apply) {
  if (auto ok = check_flags(flags); !ok) return report(ok.error());
  auto st = ctx.store();
  if (!st) return report(st.error());
  RetentionRules stored;
  {
    auto reader = (*st)->read();
    if (!reader) return report(reader.error());
    auto rules = schedule::stored_retention_rules(**reader);
    if (!rules) return report(rules.error());
    stored = *rules;
  }
  const RetentionRules rules = schedule::merge_rules(stored, flags);
  const TimeMs now = system_clock().now_ms();
  auto plan = apply ? schedule::apply_retention(**st, ctx.settings.backup_dir, rules, now)
                    : schedule::plan_from_store(**st, rules, now);
  if (!plan) return report(plan.error());
  if (apply && !plan->del.empty()) {
    auto user = [&]() -> Result<std::string> {
      CL_TRY(reader, (*st)->read());
      return store::cli_audit_user(*reader);
    }();
    if (user) schedule::audit_retention(**st, *user, *plan, "cli", now);
  }
  if (ctx.json) {
    print_json(schedule::plan_to_json(*plan));
    return k_exit_ok;
  }
  for (const auto& k : plan->keep) {
    std::string by;
    for (const auto& r : k.kept_by) by += (by.empty() ? "" : ", ") + r;
    std::cout << fmt::format("keep    {}  {:<20.20}  {}\n", k.id, k.name, by);
  }
  for (const auto& d : plan->del)
    std::cout << fmt::format("{}  {}  {:<20.20}  {}  {:>10}  {}\n", apply ? "deleted" : "delete ", d.id, d.name,
                             format_iso8601(d.created_at), human_bytes(d.size_bytes), d.reason);
  std::cout << fmt::format("{} kept, {} {}, {} {}\n", plan->keep.size(), plan->del.size(),
                           apply ? "deleted" : "to delete", human_bytes(plan->freed_bytes),
                           apply ? "freed" : "to free");
  return k_exit_ok;
}

}  // namespace

void add_retention_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("retention", "Which backups the retention rules keep or delete (SPEC §6)");
  cmd->require_subcommand(1);
  auto rules = std::make_shared<RetentionRules>();
  for (const bool apply : {false, true}) {
    auto* sub = cmd->add_subcommand(
        apply ? "apply" : "plan", apply ? "Delete what the rules do not keep" : "Show what the rules keep and delete");
    sub->add_option("--max-backups", rules->max_backups, "Keep the newest N completed backups");
    sub->add_option("--max-age-days", rules->max_age_days, "Keep backups younger than N days");
    sub->add_option("--max-total-size-gb", rules->max_total_size_gb,
                    "Then delete the oldest kept ones until their files fit in X GiB");
    sub->add_option("--keep-daily", rules->keep_daily, "Keep the newest backup of each of the last N days");
    sub->add_option("--keep-weekly", rules->keep_weekly, "Keep the newest backup of each of the last N ISO weeks");
    sub->add_option("--keep-monthly", rules->keep_monthly, "Keep the newest backup of each of the last N months");
    sub->callback([&ctx, rules, apply] { ctx.action = [&ctx, rules, apply] { return run(ctx, *rules, apply); }; });
  }
}

}  // namespace claudelens::cli
