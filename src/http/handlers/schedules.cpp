// The schedule library over HTTP (API.md, docs/http.md): GET /schedules/next (a cron expression's next
// runs and its description, for a UI's live preview), GET /backups/retention/plan (what the retention
// rules would delete; query fields override the stored `retention` settings for this call; a user key
// sees its own backups of the server-wide plan) and POST /backups/retention/apply (admin: carries it out).
// Handlers run on the server's worker threads, concurrently.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "http/errors.hpp"
#include "http/handlers/backup_access.hpp"
#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "http/validation.hpp"
#include "schedule/cron.hpp"
#include "schedule/retention.hpp"
#include "schedule/settings.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

/// `count` of GET /schedules/next: 1–50, default 5.
constexpr std::int64_t k_default_runs = 5;
constexpr std::int64_t k_max_runs = 50;

Response next_runs(Services& s, Request& req) {
  std::vector<FieldError> errors;
  Query query(req.query, errors);
  const auto text = query.string("cron");
  const auto from = query.time("from");
  const auto count = query.integer("count", 1, k_max_runs);
  query.reject_unknown();
  std::optional<schedule::CronExpr> expr;
  if (!text) {
    query.error("cron", "required", "is required: a 5-field cron expression such as \"0 3 * * 1-5\"");
  } else if (auto parsed = schedule::parse_cron(*text); !parsed) {
    query.error("cron", "format", parsed.error().message);
  } else {
    expr = std::move(*parsed);
  }
  if (!errors.empty()) return reject(std::move(errors));
  const TimeMs after = from.value_or(s.clock->now_ms());
  json::array runs;
  for (TimeMs t : schedule::cron_next_runs(*expr, after, static_cast<int>(count.value_or(k_default_runs))))
    runs.emplace_back(format_iso8601(t));
  return Response::json(
      200,
      json::object{{"cron", expr->text}, {"runs", std::move(runs)}, {"description", schedule::describe_cron(*expr)}});
}

/// The retention rules of this call: the stored ones, overridden by the query's rule fields.
Checked<schedule::RetentionRules> call_rules(Services& s, const Request& req) {
  std::vector<FieldError> errors;
  Query query(req.query, errors);
  constexpr std::int64_t k_max_count = 1'000'000;
  schedule::RetentionRules over;
  over.max_backups = query.integer("max_backups", 0, k_max_count);
  over.max_age_days = query.integer("max_age_days", 0, k_max_count);
  over.keep_daily = query.integer("keep_daily", 0, k_max_count);
  over.keep_weekly = query.integer("keep_weekly", 0, k_max_count);
  over.keep_monthly = query.integer("keep_monthly", 0, k_max_count);
  if (const auto gb = query.string("max_total_size_gb")) {
    double v = 0;
    const auto [end, ec] = std::from_chars(gb->data(), gb->data() + gb->size(), v);
    if (gb->empty() || ec != std::errc() || end != gb->data() + gb->size() || !(v >= 0))
      query.error("max_total_size_gb", "range", "must be a number of GiB, 0 or more");
    else
      over.max_total_size_gb = v;
  }
  query.reject_unknown();
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  auto reader = s.store->read();
  if (!reader) return {std::nullopt, api_error(reader.error())};
  auto stored = schedule::stored_retention_rules(**reader);
  if (!stored) return {std::nullopt, api_error(stored.error())};
  return {schedule::merge_rules(*stored, over), {}};
}

/// A user key sees its own backups of the (server-wide) plan; freed_bytes counts only those.
std::optional<ApiError> restrict_to_caller(const Services& s, const Caller& caller, schedule::RetentionPlan& plan) {
  if (caller.is_admin()) return std::nullopt;
  auto visible = visible_backups(s, caller);
  auto* own = value_of(visible);
  if (!own) return std::get<ApiError>(visible);
  std::set<std::string> ids;
  for (const auto& m : *own) ids.insert(m.id);
  std::erase_if(plan.del, [&](const schedule::Deletion& d) { return !ids.contains(d.id); });
  std::erase_if(plan.keep, [&](const schedule::Kept& k) { return !ids.contains(k.id); });
  plan.freed_bytes = 0;
  for (const auto& d : plan.del) plan.freed_bytes += d.size_bytes;
  return std::nullopt;
}

Response retention_plan(Services& s, Request& req) {
  auto rules = call_rules(s, req);
  if (!rules) return rules.error;
  auto plan = schedule::plan_from_store(*s.store, *rules.value, s.clock->now_ms());
  if (!plan) return api_error(plan.error());
  if (auto e = restrict_to_caller(s, req.who(), *plan)) return *e;
  return Response::json(200, schedule::plan_to_json(*plan));
}

Response retention_apply(Services& s, Request& req) {
  auto rules = call_rules(s, req);
  if (!rules) return rules.error;
  auto done = schedule::apply_retention(*s.store, s.backup_dir, *rules.value, s.clock->now_ms());
  if (!done) return api_error(done.error());
  schedule::audit_retention(*s.store, req.who().user_id, *done, "api", s.clock->now_ms());
  return Response::json(200, schedule::plan_to_json(*done));
}

}  // namespace

void add_schedule_routes(Router& router, Services& services) {
  RouteOptions admin;
  admin.admin_only = true;
  router.add(Method::get, "/api/v1/schedules/next", handlers::bind(services, next_runs));
  // More literal segments than /backups/{id}/download, so "retention" is never taken as a backup id.
  router.add(Method::get, "/api/v1/backups/retention/plan", handlers::bind(services, retention_plan));
  router.add(Method::post, "/api/v1/backups/retention/apply", handlers::bind(services, retention_apply), admin);
}

}  // namespace claudelens::http
