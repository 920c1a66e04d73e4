// Notifications (API.md "Settings and schedules", docs/notifications.md): events are written to the
// store's outbox (one row per channel: webhook, mail) by a cheap insert on the caller's thread, and a
// delivery thread sends due rows, retrying with exponential backoff for about an hour before it gives up
// (recorded in the row). Nothing here ever fails or delays the job that caused an event: enqueue errors
// are logged and returned, delivery runs on its own thread. Rows survive a restart; several servers on
// one database deliver each row once (the claim is one store operation with a lease).
//
// Which events go where is read from the stored settings each time: `notifications.enabled`,
// `notify_on`, the channels (webhook_url; smtp_url with email_recipients). Secrets are read at delivery
// and never logged.
//
// Thread-safety: every member function is thread-safe. The Store must outlive the Notifier.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "core/time.hpp"
#include "jobs/jobs.hpp"
#include "notify/transport.hpp"
#include "store/store.hpp"

namespace claudelens::notify {

/// The shape of the entry point other modules call (`emitter()`): an event type of API.md's
/// `notify_on` and its fields ("retention.deleted", "storage.low").
using EmitFn = std::function<void(std::string_view type, const boost::json::object& payload)>;

struct NotifierOptions {
  const Clock* clock = nullptr;  ///< times of rows and retries. Default: the system clock.
  std::string worker_id;         ///< the claimant recorded in the outbox. Default: "" = a new id.
  /// How often the delivery thread looks for due rows (it is also woken by every enqueue). Default: 1 s.
  std::chrono::milliseconds poll_interval{1000};
  /// The delay after the first failed attempt; each further failure doubles it. Default: 30 s.
  std::chrono::milliseconds first_retry{30'000};
  /// The longest delay between two attempts. Default: 15 min.
  std::chrono::milliseconds max_retry_delay{15 * 60'000};
  /// A row whose next attempt would come later than this after it was queued is given up (status
  /// "failed", last_error kept). Default: 1 h (about 8 attempts with the defaults above).
  std::chrono::milliseconds give_up_after{60 * 60'000};
  /// How long a claim keeps other servers off a row; a claimant that dies leaves it due again after
  /// this. Longer than limits.total_timeout. Default: 5 min.
  std::chrono::milliseconds lease{5 * 60'000};
  /// Delivered and given-up rows are deleted this long after their last attempt. Default: 7 days.
  std::chrono::milliseconds keep_finished{7 * 24 * 3600'000LL};
  TransferLimits limits;  ///< timeouts of one attempt (its `cancel` is the notifier's own)
  /// The mail's sender address. Default: "" = "claudelens@<host name>".
  std::string mail_from;
  /// Turns an Errc into the API's error code in job events (the http layer's mapping). Default: the
  /// errc name in upper case (jobs::event_json's default).
  std::string (*code_name)(Errc) = nullptr;
};

class Notifier {
 public:
  Notifier(store::Store& store, NotifierOptions options);
  ~Notifier();  ///< stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// Queues event `type` (one of API.md's notify_on values) with `payload` (its fields; "type" is set and
  /// "timestamp" added when missing) for every configured channel, when the stored settings are enabled
  /// and list `type` in notify_on. Returns the number of rows queued (0 when nothing wants it).
  /// Errc::invalid_argument for an unknown type; the store's errors otherwise.
  Result<int> notify(std::string_view type, const boost::json::object& payload);

  /// notify() for callers that must not care (logs a failure instead of returning it).
  void emit(std::string_view type, const boost::json::object& payload) noexcept;
  /// emit() as a callable (what the scheduler's retention and quota checks are given).
  EmitFn emitter();

  /// jobs::ServiceOptions::on_final: a finished job's event (API.md's WebSocket object, a cancelled job
  /// as *.failed) plus `backup_name`. Never throws.
  void on_job_final(const jobs::JobEvent& event) noexcept;

  /// Starts the delivery thread (idempotent).
  void start();
  /// Stops it: a transfer under way is interrupted (its row is due again at once, for the next start).
  void stop();

  /// Claims and attempts every row due now, on the calling thread (the delivery thread's step; tests).
  /// Returns how many attempts were made.
  Result<int> deliver_due();

 private:
  void deliver(store::OutboxRow row);
  void run();

  store::Store& m_store;
  const NotifierOptions m_options;
  const Clock& m_clock;
  const std::string m_worker_id;
  const std::string m_mail_from;
  std::atomic<bool> m_cancel{false};  ///< stops a transfer under way (stop())

  std::mutex m_mutex;              ///< guards m_started, m_stopping, m_pending_wake
  std::condition_variable m_wake;  ///< enqueue and stop wake the delivery thread
  bool m_started = false;
  bool m_stopping = false;
  bool m_pending_wake = false;
  std::thread m_thread;
};

/// A jobs::ServiceOptions::on_final for a process that runs jobs but delivers nothing itself (the CLI):
/// each finished job's event is queued in the store's outbox like the server's, and a running
/// `claudelens serve` on the same store (or its next start) delivers it. The hook owns its Notifier,
/// whose delivery thread is never started; `store` must outlive the hook.
std::function<void(const jobs::JobEvent&)> outbox_only_hook(store::Store& store, std::string (*code_name)(Errc));

}  // namespace claudelens::notify
