// Subscriptions (jobs.hpp): the current state first, then progress at most once a second, then one
// final event. A job of this process feeds a Channel; a job of another process is read from the store
// every poll interval (and followed through a Channel once it turns out to run here).
#include <fmt/format.h>

#include <thread>

#include "jobs/internal.hpp"

namespace claudelens::jobs {

namespace {

using Steady = std::chrono::steady_clock;
constexpr std::chrono::milliseconds k_progress_gap{1000};

EventKind final_kind(JobStatus s) {
  return s == JobStatus::completed   ? EventKind::completed
         : s == JobStatus::cancelled ? EventKind::cancelled
                                     : EventKind::failed;
}

class SubscriptionImpl final : public Subscription {
 public:
  SubscriptionImpl(ServiceCore& service, std::string id) : m_service(service), m_id(std::move(id)) {}

  /// Finds the job (here or in the store) and takes its current state as the first event.
  Status init() {
    if (attach()) return {};
    CL_TRY(job, m_service.read_job(m_id));
    if (!job) return fail(Errc::not_found, fmt::format("no job with id '{}'", m_id));
    m_last_seen_update = job->updated_at;
    m_initial = JobEvent{is_final(job->status) ? final_kind(job->status) : EventKind::state, std::move(*job),
                         m_service.clock().now_ms()};
    m_next_poll = Steady::now() + m_service.poll_interval();
    return {};
  }

  std::optional<JobEvent> next(std::chrono::milliseconds timeout) override {
    const auto deadline = Steady::now() + timeout;
    if (m_finished) return std::nullopt;
    if (m_initial) {
      JobEvent e = std::move(*m_initial);
      m_initial.reset();
      return deliver(std::move(e));
    }
    for (;;) {
      if (m_attached) {
        std::unique_lock lock(m_channel->mutex);
        if (m_channel->final_event) {
          JobEvent e = std::move(*m_channel->final_event);
          lock.unlock();
          return deliver(std::move(e));
        }
        const auto due = m_last_progress + k_progress_gap;
        if (m_channel->progress && Steady::now() >= due) {
          JobEvent e = std::move(*m_channel->progress);
          m_channel->progress.reset();
          lock.unlock();
          return deliver(std::move(e));
        }
        if (Steady::now() >= deadline) return std::nullopt;
        m_channel->cv.wait_until(lock, m_channel->progress ? std::min(deadline, due) : deadline);
        continue;
      }
      if (Steady::now() >= m_next_poll) {
        if (auto final_event = poll()) return deliver(std::move(*final_event));
        if (m_attached) continue;
      }
      const auto due = m_last_progress + k_progress_gap;
      if (m_pending && Steady::now() >= due) {
        JobEvent e = std::move(*m_pending);
        m_pending.reset();
        return deliver(std::move(e));
      }
      const auto now = Steady::now();
      if (now >= deadline) return std::nullopt;
      auto wake = std::min(deadline, m_next_poll);
      if (m_pending) wake = std::min(wake, due);
      std::this_thread::sleep_until(wake);
    }
  }

  std::optional<JobEvent> try_next() override { return next(std::chrono::milliseconds(0)); }

  bool finished() const override { return m_finished; }

  void on_ready(std::function<void()> notify) override {
    std::lock_guard lock(m_channel->mutex);
    m_channel->notify = std::move(notify);
  }

 private:
  /// Follows the job through a Channel when it runs in this process. The first event is its state.
  bool attach() {
    auto a = m_service.find_active(m_id);
    if (!a) return false;
    std::lock_guard lock(a->mutex);
    a->channels.push_back(m_channel);
    const EventKind kind = a->done ? final_kind(a->job.status) : EventKind::state;
    JobEvent current{kind, a->job, m_service.clock().now_ms()};
    if (m_started)
      m_channel->push(current);  // switching from store polling: the Channel takes over
    else
      m_initial = std::move(current);
    m_attached = true;
    return true;
  }

  /// Reads the store record; returns the final event when the job ended. Progress waits in m_pending.
  std::optional<JobEvent> poll() {
    m_next_poll = Steady::now() + m_service.poll_interval();
    if (attach()) return std::nullopt;
    auto job = m_service.read_job(m_id);
    if (!job || !*job) return std::nullopt;  // unreadable for now (busy store): try again next poll
    const TimeMs now = m_service.clock().now_ms();
    if (is_final((*job)->status)) return JobEvent{final_kind((*job)->status), std::move(**job), now};
    if ((*job)->updated_at != m_last_seen_update) {
      m_last_seen_update = (*job)->updated_at;
      m_pending = JobEvent{EventKind::progress, std::move(**job), now};
    }
    return std::nullopt;
  }

  JobEvent deliver(JobEvent e) {
    m_started = true;
    if (is_final(e.kind)) m_finished = true;
    m_last_progress = Steady::now();
    return e;
  }

  ServiceCore& m_service;
  const std::string m_id;
  std::shared_ptr<Channel> m_channel = std::make_shared<Channel>();
  bool m_attached = false;
  bool m_started = false;  ///< the first event was delivered
  bool m_finished = false;
  std::optional<JobEvent> m_initial;
  std::optional<JobEvent> m_pending;  ///< store polling: progress not yet delivered
  TimeMs m_last_seen_update = 0;
  Steady::time_point m_last_progress{};
  Steady::time_point m_next_poll{};
};

}  // namespace

Result<std::unique_ptr<Subscription>> make_subscription(ServiceCore& service, const std::string& job_id) {
  auto s = std::make_unique<SubscriptionImpl>(service, job_id);
  CL_CHECK(s->init());
  return std::unique_ptr<Subscription>(std::move(s));
}

}  // namespace claudelens::jobs
