// Shared by the notification tests: a store on a real SQLite file with a little transcript data, a
// settable clock, stored notification settings and outbox listings.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "notify/notifier.hpp"
#include "schedule/settings.hpp"
#include "store/store.hpp"
#include "support/hmac_reference.hpp"
#include "support/loopback_listeners.hpp"
#include "support/temp_dir.hpp"
#include "unit/backup/backup_test_support.hpp"

namespace claudelens::notify::testing {

using claudelens::testing::reference_hmac_sha256;
using claudelens::testing::TempDir;
namespace json = boost::json;

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs t) : m_now(t) {}
  TimeMs now_ms() const override { return m_now.load(); }
  void set(TimeMs t) { m_now.store(t); }
  void advance(std::chrono::milliseconds d) { m_now.fetch_add(d.count()); }

 private:
  std::atomic<TimeMs> m_now;
};

inline std::unique_ptr<store::Store> open_db(const std::filesystem::path& file) {
  auto s = store::open_store("sqlite:" + file.string());
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::move(s).value();
}

/// Stores `notifications` as the settings' notifications object (the rest of the document untouched).
inline void store_notifications(store::Store& st, const json::object& notifications) {
  auto w = st.write().value();
  auto settings = schedule::load_backup_settings(*w).value();
  settings["notifications"] = notifications;
  ASSERT_TRUE(schedule::save_backup_settings(*w, settings, 1));
  ASSERT_TRUE(w->commit());
}

inline std::vector<store::OutboxRow> outbox(store::Store& st) {
  std::vector<store::OutboxRow> rows;
  EXPECT_TRUE(st.for_each_outbox({}, [&](const store::OutboxRow& r) {
    rows.push_back(r);
    return true;
  }));
  return rows;
}

/// Waits up to `timeout` until the outbox has `n` rows with `status` (the delivery thread records an
/// attempt just after the receiver has answered); true when it did.
inline bool wait_for_status(store::Store& st, const std::string& status, std::size_t n,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t found = 0;
    for (const auto& r : outbox(st)) found += r.status == status ? 1 : 0;
    if (found >= n) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace claudelens::notify::testing
