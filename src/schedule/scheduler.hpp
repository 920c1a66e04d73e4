// The scheduler inside `claudelens serve` (docs/schedule.md): a loop on the injectable clock that runs
// each enabled schedule at its cron slots as an ordinary backup job of the JobService (same progress,
// history and WebSocket events; owner = the schedule's creator), applies retention after scheduled
// backups (`retention.auto_cleanup`) and at `retention.cleanup_schedule`, and watches the storage quota.
//
// The slot claim is ONE store operation (store::Store::claim_slot: the schedule's latest claimed slot only
// ever increases), so a slot runs at most once across restarts and across several servers on one
// database: each server tries the slot, one wins. After downtime only the latest missed slot is due, so
// it runs once, not once per missed slot. A slot whose previous run of the same schedule is still
// pending or running is claimed and skipped (recorded in the schedule as last_outcome "skipped").
//
// Events (`retention.deleted`, `storage.low`) go to SchedulerOptions::on_event; delivering them
// (webhook, mail) is not this module's business.
//
// Thread-safety: start() runs tick() on one thread; stop() may be called from any thread. Calling
// tick() directly (tests) is for a scheduler that was not started. Store and JobService must outlive it.
#pragma once

#include <boost/json/fwd.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "jobs/jobs.hpp"
#include "schedule/cron.hpp"
#include "schedule/schedules.hpp"
#include "store/store.hpp"

namespace claudelens::schedule {

/// Receives an event: its type ("retention.deleted", "storage.low") and its object, which carries
/// `type` and `timestamp` too (the shape of the WebSocket events). Called on the scheduler's thread;
/// must not block for long.
using EventSink = std::function<void(std::string_view type, const boost::json::object& payload)>;

/// The slot id under which retention.cleanup_schedule's slots are claimed.
inline constexpr std::string_view k_cleanup_slot_id = "retention.cleanup_schedule";

/// The slot of `cron` due at `now` when slots up to `after` are done: the latest slot s with
/// after < s <= now; nullopt when there is none. Several missed slots give the latest one only.
std::optional<TimeMs> due_slot(const CronExpr& cron, TimeMs after, TimeMs now);

struct SchedulerOptions {
  std::filesystem::path backup_dir;  ///< --backup-dir (retention deletes there; the quota measures it); required
  const Clock* clock = nullptr;      ///< Default: the system clock.
  /// The claimant recorded with each slot this scheduler claims. Default: "" = the job service's worker id.
  std::string claimant;
  /// How often the loop looks at the clock (a slot starts at most this late). Default: 1 s.
  std::chrono::milliseconds tick{1000};
  /// How often the storage usage is compared with the quota (also after each scheduled backup or
  /// retention pass, and when the settings change). Default: 30 s.
  std::chrono::milliseconds storage_check_interval{30'000};
  /// storage.low is emitted when usage passes this share of the quota. Default: 0.9.
  double storage_low_ratio = 0.9;
  EventSink on_event;  ///< Default: none (events are only logged).
};

/// What one tick did, for logs and tests.
struct TickReport {
  std::vector<std::string> queued;   ///< job ids of the backups it queued
  std::vector<std::string> skipped;  ///< schedule ids whose slot it skipped (previous run still going)
  std::vector<std::string> refused;  ///< schedule ids whose backup was refused (quota, filters, owner)
  std::vector<std::string> lost;     ///< schedule ids whose due slot another claimant took
  int retention_runs = 0;            ///< retention passes it ran (auto_cleanup and cleanup_schedule)
};

class Scheduler {
 public:
  Scheduler(store::Store& store, jobs::JobService& jobs, SchedulerOptions options);
  ~Scheduler();  ///< stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Starts the loop thread (idempotent).
  void start();
  /// Stops the loop and waits for the tick in progress (a backup it queued goes on as a job).
  void stop();

  /// One pass at the clock's now: due schedule slots, finished scheduled backups (auto_cleanup), the
  /// cleanup schedule, the storage check. Errors of one schedule are recorded in it and logged; the
  /// Result fails only when the store cannot be read.
  Result<TickReport> tick();

 private:
  struct FollowUp {
    std::string job_id;
    std::string schedule_id;
  };

  Result<std::optional<TimeMs>> claim_due(const std::string& id, const CronExpr& cron, TimeMs since, TimeMs now,
                                          bool& lost);
  void run_slot(const Schedule& s, TimeMs slot, TimeMs now, const boost::json::object& settings, TickReport& report);
  void record_outcome(const std::string& id, TimeMs slot, std::string outcome, std::string message,
                      const std::string& job_id, TimeMs now);
  void run_retention(std::string_view trigger, TimeMs now, TickReport& report);
  void check_storage(TimeMs now);
  void emit(std::string_view type, boost::json::object payload, TimeMs now);

  store::Store& m_store;
  jobs::JobService& m_jobs;
  SchedulerOptions m_options;
  const Clock& m_clock;
  std::string m_claimant;

  // Touched by tick() only (one thread).
  std::map<std::string, TimeMs> m_last_slot;  ///< latest slot known claimed, per slot id
  std::vector<FollowUp> m_follow_ups;         ///< scheduled backups not finished yet
  std::optional<bool> m_storage_low;          ///< the last storage check's verdict (none yet)
  bool m_storage_check_due = true;
  TimeMs m_settings_seen = 0;  ///< updated_at of the settings record at the last tick
  std::chrono::steady_clock::time_point m_next_storage_check{};

  std::mutex m_mutex;  ///< guards m_thread
  std::atomic<bool> m_stopping{false};
  std::thread m_thread;
};

}  // namespace claudelens::schedule
