#include "schedule/retention.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "backup/catalog.hpp"
#include "store/audit.hpp"

namespace claudelens::schedule {
namespace {

namespace json = boost::json;
namespace chr = std::chrono;

constexpr TimeMs k_day_ms = 86'400'000;
constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;

bool on(const std::optional<std::int64_t>& rule) {
  return rule && *rule > 0;
}

/// The bucket keys of a time for keep_daily / keep_weekly / keep_monthly (UTC).
chr::sys_days day_of(TimeMs t) {
  return chr::floor<chr::days>(chr::sys_time<chr::milliseconds>(chr::milliseconds(t)));
}
std::int64_t daily_key(TimeMs t) {
  return day_of(t).time_since_epoch().count();
}
std::int64_t weekly_key(TimeMs t) {
  // ISO weeks start on Monday; 1970-01-01 was a Thursday, so shifting by 3 days aligns weeks on Mondays.
  // Numbering weeks this way gives each ISO week (ISO year + week number) exactly one key.
  const std::int64_t days = daily_key(t) + 3;
  return days >= 0 ? days / 7 : (days - 6) / 7;
}
std::int64_t monthly_key(TimeMs t) {
  const chr::year_month_day ymd(day_of(t));
  return static_cast<std::int64_t>(static_cast<int>(ymd.year())) * 12 + static_cast<unsigned>(ymd.month());
}

/// Keeps the newest backup of each of the first `n` buckets that have one (`sorted` is newest first).
void keep_buckets(const std::vector<const backup::BackupMetadata*>& sorted, std::int64_t n, std::int64_t (*key)(TimeMs),
                  const char* rule, std::map<std::string, std::vector<std::string>>& kept_by) {
  std::set<std::int64_t> seen;
  for (const auto* b : sorted) {
    if (static_cast<std::int64_t>(seen.size()) >= n) break;
    if (seen.insert(key(b->created_at)).second) kept_by[b->id].push_back(rule);
  }
}

Result<std::optional<std::int64_t>> count_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  if (v->is_int64() && v->as_int64() >= 0) return std::optional<std::int64_t>{v->as_int64()};
  if (v->is_uint64()) return std::optional<std::int64_t>{static_cast<std::int64_t>(v->as_uint64())};
  if (v->is_double() && v->as_double() >= 0 && std::floor(v->as_double()) == v->as_double() && v->as_double() < 1e15)
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v->as_double())};
  return fail(Errc::invalid_argument, fmt::format("retention.{} must be a whole number >= 0", name));
}

}  // namespace

bool RetentionRules::keeps_all() const noexcept {
  return !on(max_backups) && !on(max_age_days) && !on(keep_daily) && !on(keep_weekly) && !on(keep_monthly);
}

RetentionRules merge_rules(const RetentionRules& base, const RetentionRules& over) {
  RetentionRules r = base;
  if (over.max_backups) r.max_backups = over.max_backups;
  if (over.max_age_days) r.max_age_days = over.max_age_days;
  if (over.max_total_size_gb) r.max_total_size_gb = over.max_total_size_gb;
  if (over.keep_daily) r.keep_daily = over.keep_daily;
  if (over.keep_weekly) r.keep_weekly = over.keep_weekly;
  if (over.keep_monthly) r.keep_monthly = over.keep_monthly;
  return r;
}

Result<RetentionRules> rules_from_json(const json::value& v) {
  RetentionRules r;
  if (v.is_null()) return r;
  if (!v.is_object()) return fail(Errc::invalid_argument, "retention must be an object");
  const auto& o = v.as_object();
  CL_TRY(max_backups, count_field(o, "max_backups"));
  CL_TRY(max_age_days, count_field(o, "max_age_days"));
  CL_TRY(keep_daily, count_field(o, "keep_daily"));
  CL_TRY(keep_weekly, count_field(o, "keep_weekly"));
  CL_TRY(keep_monthly, count_field(o, "keep_monthly"));
  r.max_backups = max_backups;
  r.max_age_days = max_age_days;
  r.keep_daily = keep_daily;
  r.keep_weekly = keep_weekly;
  r.keep_monthly = keep_monthly;
  if (const auto* s = o.if_contains("max_total_size_gb"); s && !s->is_null()) {
    if (!s->is_number() || s->to_number<double>() < 0 || !std::isfinite(s->to_number<double>()))
      return fail(Errc::invalid_argument, "retention.max_total_size_gb must be a number >= 0");
    r.max_total_size_gb = s->to_number<double>();
  }
  return r;
}

json::object rules_to_json(const RetentionRules& r) {
  json::object o;
  const auto put = [&](std::string_view name, const std::optional<std::int64_t>& v) {
    o[name] = v ? json::value(*v) : json::value(nullptr);
  };
  put("max_backups", r.max_backups);
  put("max_age_days", r.max_age_days);
  o["max_total_size_gb"] = r.max_total_size_gb ? json::value(*r.max_total_size_gb) : json::value(nullptr);
  put("keep_daily", r.keep_daily);
  put("keep_weekly", r.keep_weekly);
  put("keep_monthly", r.keep_monthly);
  return o;
}

RetentionPlan plan_retention(const std::vector<backup::BackupMetadata>& backups, const RetentionRules& rules,
                             TimeMs now, const std::set<std::string>& being_restored) {
  RetentionPlan plan;
  std::vector<const backup::BackupMetadata*> done;  // completed, newest first
  for (const auto& b : backups) {
    if (b.status == backup::BackupStatus::completed) {
      done.push_back(&b);
    } else if (b.status == backup::BackupStatus::failed && b.created_at < now - k_day_ms &&
               !being_restored.count(b.id)) {
      plan.del.push_back({b.id, b.name, b.created_at, b.compressed_size_bytes, std::string(k_reason_failed)});
    }
  }
  std::sort(done.begin(), done.end(), [](const auto* a, const auto* b) {
    return std::tie(a->created_at, a->id) > std::tie(b->created_at, b->id);
  });

  // 1. The rules: any one keeps.
  std::map<std::string, std::vector<std::string>> kept_by;
  if (on(rules.max_backups))
    for (std::size_t i = 0; i < done.size() && static_cast<std::int64_t>(i) < *rules.max_backups; ++i)
      kept_by[done[i]->id].push_back("max_backups");
  if (on(rules.max_age_days))
    for (const auto* b : done)
      if (b->created_at >= now - *rules.max_age_days * k_day_ms) kept_by[b->id].push_back("max_age_days");
  if (on(rules.keep_daily)) keep_buckets(done, *rules.keep_daily, daily_key, "keep_daily", kept_by);
  if (on(rules.keep_weekly)) keep_buckets(done, *rules.keep_weekly, weekly_key, "keep_weekly", kept_by);
  if (on(rules.keep_monthly)) keep_buckets(done, *rules.keep_monthly, monthly_key, "keep_monthly", kept_by);
  if (rules.keeps_all())
    for (const auto* b : done) kept_by[b->id].push_back("keep_all");

  // 2. Protections that no rule and no size limit overrides.
  std::map<std::string, const backup::BackupMetadata*> by_id;
  for (const auto* b : done) by_id[b->id] = b;
  std::set<std::string> rule_kept;
  for (const auto& [id, reasons] : kept_by) rule_kept.insert(id);
  const auto needed_parents = [&](const std::set<std::string>& live) {
    std::set<std::string> parents;
    for (const auto& id : live) {
      // Walk the chain: a kept incremental needs its parent, that parent needs its own, and so on.
      const auto* b = by_id.at(id);
      std::set<std::string> walked{id};
      while (b->parent_backup_id && by_id.count(*b->parent_backup_id) && walked.insert(*b->parent_backup_id).second) {
        parents.insert(*b->parent_backup_id);
        b = by_id.at(*b->parent_backup_id);
      }
    }
    return parents;
  };
  std::set<std::string> protected_ids;
  if (!done.empty()) protected_ids.insert(done.front()->id);
  for (const auto* b : done)
    if (being_restored.count(b->id)) protected_ids.insert(b->id);
  const auto protect = [&](std::set<std::string> live) {
    live.insert(protected_ids.begin(), protected_ids.end());
    // Fixed point: a protected backup's parents are needed as much as a kept one's.
    for (std::size_t n = 0; n != live.size();) {
      n = live.size();
      const auto parents = needed_parents(live);
      live.insert(parents.begin(), parents.end());
    }
    return live;
  };
  std::set<std::string> kept = protect(rule_kept);

  // 3. The size limit: delete the oldest kept backups that nothing protects until the total fits.
  std::set<std::string> trimmed;
  if (rules.max_total_size_gb) {
    const auto limit = static_cast<std::int64_t>(*rules.max_total_size_gb * k_gib);
    while (true) {
      std::int64_t total = 0;
      for (const auto& id : kept) total += by_id.at(id)->compressed_size_bytes;
      if (total <= limit) break;
      std::set<std::string> pinned = needed_parents(kept);
      pinned.insert(protected_ids.begin(), protected_ids.end());
      const backup::BackupMetadata* victim = nullptr;
      for (auto it = done.rbegin(); it != done.rend() && !victim; ++it)  // oldest first
        if (kept.count((*it)->id) && !pinned.count((*it)->id)) victim = *it;
      if (!victim) break;  // everything left is protected: the limit cannot be met
      rule_kept.erase(victim->id);
      trimmed.insert(victim->id);
      kept = protect(rule_kept);  // a parent only its trimmed child needed goes too
    }
  }

  // 4. Reasons for the protected ones, and the lists.
  const auto final_parents = needed_parents(kept);
  for (const auto* b : done) {
    if (!kept.count(b->id)) {
      plan.del.push_back({b->id, b->name, b->created_at, b->compressed_size_bytes,
                          std::string(trimmed.count(b->id) ? k_reason_size : k_reason_no_rule)});
      continue;
    }
    Kept k{b->id, b->name, {}};
    if (auto it = kept_by.find(b->id); it != kept_by.end()) k.kept_by = it->second;
    if (b == done.front()) k.kept_by.push_back("newest_completed");
    if (being_restored.count(b->id)) k.kept_by.push_back("being_restored");
    if (final_parents.count(b->id)) k.kept_by.push_back("needed_parent");
    plan.keep.push_back(std::move(k));
  }
  std::sort(plan.del.begin(), plan.del.end(), [](const Deletion& a, const Deletion& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  for (const auto& d : plan.del) plan.freed_bytes += d.size_bytes;
  return plan;
}

json::object plan_to_json(const RetentionPlan& plan) {
  json::array del, keep;
  for (const auto& d : plan.del)
    del.push_back(json::object{{"_id", d.id},
                               {"name", d.name},
                               {"created_at", format_iso8601(d.created_at)},
                               {"size_bytes", d.size_bytes},
                               {"reason", d.reason}});
  for (const auto& k : plan.keep) {
    json::array by;
    for (const auto& r : k.kept_by) by.push_back(json::value(r));
    keep.push_back(json::object{{"_id", k.id}, {"name", k.name}, {"kept_by", std::move(by)}});
  }
  return json::object{{"delete", std::move(del)}, {"keep", std::move(keep)}, {"freed_bytes", plan.freed_bytes}};
}

Result<std::set<std::string>> backups_being_restored(store::Reader& reader) {
  std::set<std::string> ids;
  const auto visit = [&](bool need_restore_kind) {
    return [&, need_restore_kind](const store::SystemRecord& r) {
      // Restore records say in_progress; the job service's rows say running, or cancelling while a
      // cancel is on its way (the restore still reads the backup until it has stopped).
      if (r.status != "pending" && r.status != "in_progress" && r.status != "running" && r.status != "cancelling")
        return true;
      if (need_restore_kind && r.kind.find("restore") == std::string::npos) return true;
      boost::system::error_code ec;
      const auto v = json::parse(r.json, ec);
      if (ec || !v.is_object()) return true;  // a record this code cannot read protects nothing
      if (const auto* id = v.as_object().if_contains("backup_id"); id && id->is_string())
        ids.insert(std::string(id->as_string()));
      return true;
    };
  };
  CL_CHECK(reader.for_each_system(store::SystemTable::restores, visit(false)));
  CL_CHECK(reader.for_each_system(store::SystemTable::jobs, visit(true)));
  return ids;
}

Result<RetentionPlan> plan_from_store(store::Store& store, const RetentionRules& rules, TimeMs now) {
  CL_TRY(reader, store.read());
  std::vector<backup::BackupMetadata> all;
  CL_CHECK(backup::for_each_metadata(*reader, [&](const backup::BackupMetadata& m) {
    all.push_back(m);
    return true;
  }));
  CL_TRY(restoring, backups_being_restored(*reader));
  return plan_retention(all, rules, now, restoring);
}

Result<RetentionPlan> apply_retention(store::Store& store, const std::filesystem::path& backup_dir,
                                      const RetentionRules& rules, TimeMs now) {
  CL_TRY(plan, plan_from_store(store, rules, now));
  RetentionPlan done;
  done.keep = plan.keep;
  for (const auto& d : plan.del) {
    auto out = backup::delete_backup(store, backup_dir, d.id, now);
    if (!out) {
      if (out.error().code == Errc::not_found) continue;
      return fail(out.error().code, fmt::format("retention stopped after deleting {} backup(s): {}", done.del.size(),
                                                out.error().message));
    }
    Deletion freed = d;
    freed.size_bytes = out->freed_bytes;
    done.freed_bytes += out->freed_bytes;
    done.del.push_back(std::move(freed));
  }
  return done;
}

void audit_retention(store::Store& store, const std::string& user_id, const RetentionPlan& done,
                     std::string_view trigger, TimeMs now) {
  for (const auto& d : done.del)
    (void)store::record_audit(store,
                              store::audit_event(user_id, "backup.deleted", "backup", d.id,
                                                 {{"name", d.name},
                                                  {"reason", "retention: " + d.reason},
                                                  {"trigger", trigger},
                                                  {"freed_bytes", d.size_bytes}}),
                              now);
}

}  // namespace claudelens::schedule
