#include "schedule/scheduler.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>

#include "schedule/quota.hpp"
#include "schedule/retention.hpp"
#include "schedule/settings.hpp"

namespace claudelens::schedule {
namespace {

namespace json = boost::json;

constexpr TimeMs k_minute = 60'000;
constexpr TimeMs k_never = std::numeric_limits<TimeMs>::min();
constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;

const json::object* section(const json::object& settings, std::string_view name) {
  const auto* v = settings.if_contains(name);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

bool flag(const json::object* o, std::string_view name, bool otherwise) {
  if (!o) return otherwise;
  const auto* v = o->if_contains(name);
  return v && v->is_bool() ? v->as_bool() : otherwise;
}

/// The owner's user and whether it is an admin (an admin's backup covers every owner).
Result<std::optional<std::string>> owner_scope(store::Store& store, const std::string& owner) {
  CL_TRY(reader, store.read());
  CL_TRY(user, reader->get_user(owner));
  if (!user) return fail(Errc::not_found, fmt::format("the schedule's owner '{}' does not exist", owner));
  if (user->role == store::Role::admin) return std::optional<std::string>{};
  return std::optional<std::string>{owner};
}

/// The first admin user's id ("" when there is none): the owner of schedules stored without one.
Result<std::string> an_admin(store::Store& store) {
  CL_TRY(reader, store.read());
  std::string id;
  CL_CHECK(reader->for_each_user([&](const store::User& u) {
    if (u.role != store::Role::admin) return true;
    id = u.id;
    return false;
  }));
  return id;
}

}  // namespace

std::optional<TimeMs> due_slot(const CronExpr& cron, TimeMs after, TimeMs now) {
  if (after >= now) return std::nullopt;
  // Start the walk close to now so that a long downtime (a year of `* * * * *`) costs a few steps: look
  // back an hour, a day, a month, a year, then from `after` itself.
  for (const TimeMs back : {60 * k_minute, 1440 * k_minute, 32 * 1440 * k_minute, 400 * 1440 * k_minute}) {
    const TimeMs from = std::max(after, now - back);
    auto first = cron_next(cron, from);
    if (!first || *first > now) {
      if (from == after) return std::nullopt;
      continue;  // nothing in this window: look further back
    }
    TimeMs slot = *first;
    for (auto next = cron_next(cron, slot); next && *next <= now; next = cron_next(cron, slot)) slot = *next;
    return slot;
  }
  auto first = cron_next(cron, after);
  if (!first || *first > now) return std::nullopt;
  TimeMs slot = *first;
  for (auto next = cron_next(cron, slot); next && *next <= now; next = cron_next(cron, slot)) slot = *next;
  return slot;
}

Scheduler::Scheduler(store::Store& store, jobs::JobService& jobs, SchedulerOptions options)
    : m_store(store),
      m_jobs(jobs),
      m_options(std::move(options)),
      m_clock(m_options.clock ? *m_options.clock : system_clock()),
      m_claimant(m_options.claimant.empty() ? jobs.worker_id() : m_options.claimant) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  std::lock_guard lock(m_mutex);
  if (m_thread.joinable() || m_stopping) return;
  m_thread = std::thread([this] {
    while (!m_stopping) {
      if (auto r = tick(); !r) spdlog::warn("scheduler: {}", r.error().message);
      // Short sleeps rather than a condition variable's timed wait: libfaketime, which the tests use to
      // run the server's time faster, scales sleeps but not those waits. stop() is seen within 50 ms.
      const auto until = std::chrono::steady_clock::now() + m_options.tick;
      while (!m_stopping && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(m_options.tick, std::chrono::milliseconds(50)));
    }
  });
}

void Scheduler::stop() {
  m_stopping = true;
  std::thread t;
  {
    std::lock_guard lock(m_mutex);
    t = std::move(m_thread);
  }
  if (t.joinable()) t.join();
}

Result<TickReport> Scheduler::tick() {
  TickReport report;
  const TimeMs now = m_clock.now_ms();
  json::object settings;
  std::vector<Schedule> schedules;
  TimeMs settings_changed = 0;
  {
    CL_TRY(reader, m_store.read());
    CL_TRY(loaded, load_backup_settings(*reader));
    settings = std::move(loaded);
    CL_TRY(record, reader->get_system(store::SystemTable::settings, std::string(k_backup_settings_id)));
    if (record) settings_changed = record->updated_at;
    CL_CHECK(for_each_schedule(*reader, [&](const Schedule& s) {
      schedules.push_back(s);
      return true;
    }));
  }

  if (settings_changed != m_settings_seen) m_storage_check_due = true;  // a new quota is judged at once
  m_settings_seen = settings_changed;

  // 1. Due slots of the enabled schedules (scheduling.enabled is the switch for all of them).
  if (flag(section(settings, "scheduling"), "enabled", true)) {
    for (const auto& s : schedules) {
      if (!s.enabled) continue;
      auto cron = parse_cron(s.cron);
      if (!cron) continue;  // refused when stored; an old record is not worth stopping the others for
      bool lost = false;
      auto slot = claim_due(s.id, *cron, s.updated_at, now, lost);
      if (!slot) {
        spdlog::warn("scheduler: schedule {}: {}", s.id, slot.error().message);
        continue;
      }
      if (lost) report.lost.push_back(s.id);
      if (*slot) run_slot(s, **slot, now, settings, report);
    }
  }

  // 2. Scheduled backups that finished: retention after each (auto_cleanup), and a storage check.
  const auto* retention = section(settings, "retention");
  const bool retention_on = flag(retention, "enabled", false);
  for (auto it = m_follow_ups.begin(); it != m_follow_ups.end();) {
    auto job = m_jobs.get(it->job_id);
    if (job && *job && !jobs::is_final((*job)->status)) {
      ++it;
      continue;
    }
    const bool completed = job && *job && (*job)->status == jobs::JobStatus::completed;
    it = m_follow_ups.erase(it);
    m_storage_check_due = true;
    if (completed && retention_on && flag(retention, "auto_cleanup", false)) run_retention("auto_cleanup", now, report);
  }

  // 3. The cleanup schedule.
  if (retention_on && retention) {
    if (const auto* text = retention->if_contains("cleanup_schedule"); text && text->is_string()) {
      if (auto cron = parse_cron(text->as_string())) {
        bool lost = false;
        auto slot = claim_due(std::string(k_cleanup_slot_id), *cron, settings_changed, now, lost);
        if (!slot)
          spdlog::warn("scheduler: cleanup schedule: {}", slot.error().message);
        else if (*slot)
          run_retention("cleanup_schedule", now, report);
      }
    }
  }

  // 4. Storage against the quota.
  if (m_storage_check_due || std::chrono::steady_clock::now() >= m_next_storage_check) check_storage(now);
  return report;
}

Result<std::optional<TimeMs>> Scheduler::claim_due(const std::string& id, const CronExpr& cron, TimeMs since,
                                                   TimeMs now, bool& lost) {
  auto known = m_last_slot.find(id);
  if (known == m_last_slot.end()) {
    CL_TRY(claim, m_store.last_slot_claim(id));
    known = m_last_slot.emplace(id, claim ? claim->slot : k_never).first;
  }
  const auto slot = due_slot(cron, std::max(since, known->second), now);
  if (!slot) return std::optional<TimeMs>{};
  CL_TRY(won, m_store.claim_slot(store::SlotClaim{id, *slot, m_claimant, now}));
  known->second = *slot;  // claimed by us or by someone else: either way done
  lost = !won;
  return won ? slot : std::optional<TimeMs>{};
}

void Scheduler::run_slot(const Schedule& s, TimeMs slot, TimeMs now, const json::object& settings, TickReport& report) {
  const std::string at = format_iso8601(slot);
  // The previous run of this schedule still going: this slot is skipped, not queued behind it.
  if (!s.last_job_id.empty()) {
    auto previous = m_jobs.get(s.last_job_id);
    if (previous && *previous && !jobs::is_final((*previous)->status)) {
      auto why = fmt::format("the previous run (job {}) is still {}", s.last_job_id,
                             jobs::job_status_name((*previous)->status));
      spdlog::warn("scheduler: schedule {} ('{}') skips its slot {}: {}", s.id, s.name, at, why);
      report.skipped.push_back(s.id);
      return record_outcome(s.id, slot, "skipped", std::move(why), {}, now);
    }
  }
  const auto refuse = [&](const Error& e) {
    spdlog::warn("scheduler: schedule {} ('{}') slot {}: backup refused: {}", s.id, s.name, at, e.message);
    report.refused.push_back(s.id);
    record_outcome(s.id, slot, "refused", e.message, {}, now);
  };
  backup::BackupRequest request;
  request.name = s.name;
  request.description = fmt::format("scheduled backup ({}, slot {})", s.cron, at);
  request.type = s.type;
  request.filters = s.filters;
  request.compression_level = s.compression_level;
  request.created_by = s.created_by;
  if (request.created_by.empty()) {
    auto admin = an_admin(m_store);
    if (!admin) return refuse(admin.error());
    request.created_by = *admin;
  }
  auto scope = owner_scope(m_store, request.created_by);
  if (!scope) return refuse(scope.error());
  request.owner_scope = *scope;
  const bool encrypt = flag(section(settings, "encryption"), "enabled", false);
  auto submitted = m_jobs.submit_backup(request, encrypt);
  if (!submitted) return refuse(submitted.error());
  const std::string& job_id = submitted->job.id;
  spdlog::info("scheduler: schedule {} ('{}') slot {}: queued backup job {}", s.id, s.name, at, job_id);
  report.queued.push_back(job_id);
  m_follow_ups.push_back({job_id, s.id});
  record_outcome(s.id, slot, "queued", {}, job_id, now);
}

void Scheduler::record_outcome(const std::string& id, TimeMs slot, std::string outcome, std::string message,
                               const std::string& job_id, TimeMs now) {
  const auto write = [&]() -> Status {
    CL_TRY(writer, m_store.write());
    CL_TRY(found, load_schedule(*writer, id));
    if (!found) return {};  // deleted meanwhile
    Schedule s = std::move(*found);
    s.last_slot = slot;
    s.last_outcome = std::move(outcome);
    s.last_message = std::move(message);
    if (!job_id.empty()) {
      s.last_run = now;
      s.last_job_id = job_id;
    }
    CL_CHECK(save_schedule(*writer, s));  // updated_at stays: the definition did not change
    return writer->commit();
  };
  if (auto w = write(); !w) spdlog::warn("scheduler: schedule {}: cannot record its slot: {}", id, w.error().message);
}

void Scheduler::run_retention(std::string_view trigger, TimeMs now, TickReport& report) {
  ++report.retention_runs;
  m_storage_check_due = true;
  auto done = [&]() -> Result<RetentionPlan> {
    CL_TRY(reader, m_store.read());
    CL_TRY(rules, stored_retention_rules(*reader));
    reader.reset();
    return apply_retention(m_store, m_options.backup_dir, rules, now);
  }();
  if (!done) {
    spdlog::warn("scheduler: retention ({}): {}", trigger, done.error().message);
    return;
  }
  if (done->del.empty()) return;
  audit_retention(m_store, "", *done, trigger, now);  // no user did it: user_id null in GET /audit
  spdlog::info("scheduler: retention ({}) deleted {} backup(s), {} bytes", trigger, done->del.size(),
               done->freed_bytes);
  json::object payload = plan_to_json(*done);
  json::array names;
  for (const auto& d : done->del) names.emplace_back(d.name);
  payload["deleted"] = payload.at("delete");
  payload.erase("delete");
  payload.erase("keep");
  payload["kept_count"] = static_cast<std::int64_t>(done->keep.size());
  payload["backup_names"] = std::move(names);
  payload["trigger"] = trigger;
  emit("retention.deleted", std::move(payload), now);
}

void Scheduler::check_storage(TimeMs now) {
  m_storage_check_due = false;
  m_next_storage_check = std::chrono::steady_clock::now() + m_options.storage_check_interval;
  auto quota = [&]() -> Result<std::optional<std::int64_t>> {
    CL_TRY(reader, m_store.read());
    return stored_quota_bytes(*reader);
  }();
  if (!quota || !*quota) {
    m_storage_low.reset();  // no quota: nothing to be low against; a new one is judged afresh
    return;
  }
  const std::int64_t used = directory_usage_bytes(m_options.backup_dir);
  const double ratio = static_cast<double>(used) / static_cast<double>(**quota);
  const bool low = ratio >= m_options.storage_low_ratio;
  const bool was_low = m_storage_low.value_or(false);
  m_storage_low = low;
  if (!low || was_low) return;  // emitted once per crossing
  emit("storage.low",
       json::object{{"current_usage_gb", static_cast<double>(used) / k_gib},
                    {"max_size_gb", static_cast<double>(**quota) / k_gib},
                    {"current_usage_bytes", used},
                    {"max_size_bytes", **quota},
                    {"usage_percent", ratio * 100},
                    {"threshold_percent", m_options.storage_low_ratio * 100},
                    {"base_directory", m_options.backup_dir.string()}},
       now);
}

void Scheduler::emit(std::string_view type, json::object payload, TimeMs now) {
  payload["type"] = type;
  payload["timestamp"] = format_iso8601(now);
  spdlog::info("event {}: {}", type, json::serialize(payload));
  if (m_options.on_event) m_options.on_event(type, payload);
}

}  // namespace claudelens::schedule
