// What the service and its subscriptions share, private to src/jobs/: a job running in this process
// (ActiveJob), one subscriber's mailbox (Channel), and the narrow view of the service a subscription
// needs (ServiceCore). Locking order: ActiveJob::store_mutex, then ActiveJob::mutex, then
// Channel::mutex; the service's own mutex is never held while taking one of these.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jobs/jobs.hpp"

namespace claudelens::jobs {

/// One subscriber's undelivered events: the latest progress (older ones are replaced) and the final one.
struct Channel {
  std::mutex mutex;  ///< guards progress, final_event, notify
  std::condition_variable cv;
  std::optional<JobEvent> progress;
  std::optional<JobEvent> final_event;
  std::function<void()> notify;

  void push(const JobEvent& e) {
    std::function<void()> n;
    {
      std::lock_guard lock(mutex);
      if (is_final(e.kind))
        final_event = e;
      else
        progress = e;
      n = notify;
    }
    cv.notify_all();
    if (n) n();
  }
};

/// A job running in this process, on a pool worker or a run_*_now caller's thread.
struct ActiveJob {
  JobType type = JobType::backup;  ///< fixed before the job is shared
  bool persisted = true;           ///< false: a dry run, never written to the store (fixed too)
  std::mutex mutex;                ///< guards job, version, written_version, done, channels
  Job job;                         ///< the live state
  std::uint64_t version = 0;       ///< bumped on every progress update
  std::uint64_t written_version = 0;
  bool done = false;  ///< the final record is written; job is final
  std::condition_variable done_cv;
  std::vector<std::weak_ptr<Channel>> channels;
  std::atomic<bool> cancel{false};                     ///< the engines poll it
  const std::atomic<bool>* external_cancel = nullptr;  ///< the CLI's Ctrl-C flag (RunHooks::cancel)
  std::mutex store_mutex;    ///< serialises this job's store writes; guards store_status, last_write
  std::string store_status;  ///< the status the store row has, as far as this process knows
  std::chrono::steady_clock::time_point last_write;
};

/// Delivers an event to the job's subscribers.
void publish(ActiveJob& a, const JobEvent& event);

class ServiceCore {
 public:
  virtual ~ServiceCore() = default;
  virtual std::shared_ptr<ActiveJob> find_active(const std::string& id) = 0;
  virtual Result<std::optional<Job>> read_job(const std::string& id) = 0;
  virtual const Clock& clock() const = 0;
  virtual std::chrono::milliseconds poll_interval() const = 0;
};

Result<std::unique_ptr<Subscription>> make_subscription(ServiceCore& service, const std::string& job_id);

}  // namespace claudelens::jobs
