#include "notify/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "backup/metadata.hpp"
#include "core/ids.hpp"
#include "notify/message.hpp"
#include "notify/send.hpp"
#include "notify/settings.hpp"

namespace claudelens::notify {
namespace {

namespace json = boost::json;

/// The name of the backup a job wrote or restored (null when the job restored an unregistered file).
json::value backup_name_of(store::Store& store, const jobs::Job& job) {
  if (job.backup) return json::string(job.backup->name);
  if (job.backup_id.empty()) return nullptr;
  auto reader = store.read();
  if (!reader) return nullptr;
  auto meta = backup::load_metadata(**reader, job.backup_id);
  if (!meta || !*meta) return nullptr;
  return json::string((*meta)->name);
}

/// Why a row cannot be sent with the settings as they are now ("" when it can).
std::string unsendable(const NotificationSettings& s, const store::OutboxRow& row) {
  if (!s.enabled) return "notifications were disabled before it was delivered";
  if (row.channel == "webhook" && !s.has_webhook()) return "notifications.webhook_url was removed before delivery";
  if (row.channel == "email" && !s.has_mail())
    return "notifications.smtp_url or email_recipients was removed before delivery";
  if (row.channel != "webhook" && row.channel != "email") return fmt::format("unknown channel '{}'", row.channel);
  return {};
}

}  // namespace

Notifier::Notifier(store::Store& store, NotifierOptions options)
    : m_store(store),
      m_options(std::move(options)),
      m_clock(m_options.clock ? *m_options.clock : system_clock()),
      m_worker_id(m_options.worker_id.empty() ? new_id() : m_options.worker_id),
      m_mail_from(m_options.mail_from.empty() ? default_mail_from() : m_options.mail_from) {}

Notifier::~Notifier() {
  stop();
}

Result<int> Notifier::notify(std::string_view type, const json::object& payload) {
  if (!is_event_type(type)) return fail(Errc::invalid_argument, fmt::format("unknown notification type '{}'", type));
  NotificationSettings settings;
  {
    CL_TRY(reader, m_store.read());
    CL_TRY(loaded, load_notification_settings(*reader));
    settings = std::move(loaded);
  }
  if (!settings.wants(type)) return 0;
  const TimeMs now = m_clock.now_ms();
  const std::string body = json::serialize(event_body(type, payload, now));
  int queued = 0;
  for (const auto* channel : {"webhook", "email"}) {
    const bool configured = std::string_view(channel) == "webhook" ? settings.has_webhook() : settings.has_mail();
    if (!configured) continue;
    store::OutboxRow row;
    row.id = new_id();
    row.event_type = std::string(type);
    row.channel = channel;
    row.payload = body;
    row.next_attempt_at = now;
    row.created_at = row.updated_at = now;
    CL_CHECK(m_store.insert_outbox(row));
    ++queued;
  }
  if (queued > 0) {
    {
      std::lock_guard lock(m_mutex);
      m_pending_wake = true;
    }
    m_wake.notify_all();
  }
  return queued;
}

void Notifier::emit(std::string_view type, const json::object& payload) noexcept {
  try {
    if (auto queued = notify(type, payload); !queued)
      spdlog::warn("notification {}: not queued: {}", type, queued.error().message);
  } catch (const std::exception& e) {
    spdlog::error("notification {}: not queued: {}", type, e.what());
  }
}

EmitFn Notifier::emitter() {
  return [this](std::string_view type, const json::object& payload) { emit(type, payload); };
}

void Notifier::on_job_final(const jobs::JobEvent& event) noexcept {
  try {
    json::object body = jobs::event_json(event, m_options.code_name);
    body["backup_name"] = backup_name_of(m_store, event.job);
    const std::string type(body.at("type").as_string());
    emit(type, body);
  } catch (const std::exception& e) {
    spdlog::error("job {}: its notification was not queued: {}", event.job.id, e.what());
  }
}

void Notifier::start() {
  std::lock_guard lock(m_mutex);
  if (m_started) return;
  m_started = true;
  m_stopping = false;
  m_cancel.store(false);
  m_thread = std::thread([this] { run(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_started) return;
    m_stopping = true;
  }
  m_cancel.store(true);
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mutex);
  m_started = false;
}

Result<int> Notifier::deliver_due() {
  int attempts = 0;
  while (!m_cancel.load()) {
    const TimeMs now = m_clock.now_ms();
    CL_TRY(row,
           m_store.claim_outbox({.claimant = m_worker_id, .now = now, .lease_until = now + m_options.lease.count()}));
    if (!row) break;
    deliver(std::move(*row));
    ++attempts;
  }
  return attempts;
}

void Notifier::deliver(store::OutboxRow row) {
  Status sent;
  bool permanent = false;  // no retry can help
  auto settings = [&]() -> Result<NotificationSettings> {
    CL_TRY(reader, m_store.read());
    return load_notification_settings(*reader);
  }();
  if (!settings) {
    sent = fail(settings.error());
  } else if (std::string why = unsendable(*settings, row); !why.empty()) {
    sent = fail(Errc::invalid_argument, why);
    permanent = true;
  } else {
    TransferLimits limits = m_options.limits;
    limits.cancel = &m_cancel;
    sent = send_event(
        *settings, {.channel = row.channel, .event_type = row.event_type, .delivery_id = row.id, .body = row.payload},
        m_mail_from, m_clock.now_ms(), limits);
    permanent = !sent && sent.error().code == Errc::corrupted;
  }

  const TimeMs now = m_clock.now_ms();
  row.updated_at = now;
  if (sent) {
    row.status = "delivered";
    row.last_error.clear();
    spdlog::info("notification {} ({} {}) delivered after {} attempt(s)", row.id, row.event_type, row.channel,
                 row.attempts);
  } else if (sent.error().code == Errc::cancelled) {
    // Stopped by stop(): due again at once, for the next start (this attempt does not count as a failure).
    row.next_attempt_at = now;
    row.last_error = "interrupted by the server's shutdown";
  } else {
    row.last_error = sent.error().message;
    const int shift = std::min(row.attempts - 1, 30);
    const auto delay =
        std::min<std::int64_t>(m_options.first_retry.count() << shift, m_options.max_retry_delay.count());
    row.next_attempt_at = now + delay;
    if (permanent || row.next_attempt_at - row.created_at > m_options.give_up_after.count()) {
      row.status = "failed";
      spdlog::warn("notification {} ({} {}) given up after {} attempt(s): {}", row.id, row.event_type, row.channel,
                   row.attempts, row.last_error);
    } else {
      spdlog::warn("notification {} ({} {}) attempt {} failed, next in {} s: {}", row.id, row.event_type, row.channel,
                   row.attempts, delay / 1000, row.last_error);
    }
  }
  auto written = m_store.update_outbox_if(row);
  if (!written)
    spdlog::error("notification {}: cannot record the attempt: {}", row.id, written.error().message);
  else if (!*written)
    spdlog::warn("notification {}: another server claimed it meanwhile; this attempt is not recorded", row.id);
}

void Notifier::run() {
  TimeMs last_prune = 0;
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_pending_wake = false;
    lock.unlock();
    if (auto done = deliver_due(); !done) spdlog::warn("notifications: cannot claim: {}", done.error().message);
    const TimeMs now = m_clock.now_ms();
    if (now - last_prune > 3600'000) {
      last_prune = now;
      if (auto pruned = m_store.prune_outbox(now - m_options.keep_finished.count()); !pruned)
        spdlog::warn("notifications: cannot prune the outbox: {}", pruned.error().message);
    }
    lock.lock();
    m_wake.wait_for(lock, m_options.poll_interval, [&] { return m_stopping || m_pending_wake; });
  }
}

std::function<void(const jobs::JobEvent&)> outbox_only_hook(store::Store& store, std::string (*code_name)(Errc)) {
  NotifierOptions options;
  options.code_name = code_name;
  auto notifier = std::make_shared<Notifier>(store, std::move(options));
  return [notifier](const jobs::JobEvent& event) { notifier->on_job_final(event); };
}

}  // namespace claudelens::notify
