// Shared by the jobs tests: a store on a real SQLite file with transcript-like data, a Store decorator
// that counts the job-queue writes (to check "progress at most once a second" and "claimed once"), and
// small helpers.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "jobs/jobs.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"
#include "unit/backup/backup_test_support.hpp"

namespace claudelens::jobs::testing {

using claudelens::testing::TempDir;

inline std::unique_ptr<store::Store> open_db(const std::filesystem::path& file) {
  auto s = store::open_store("sqlite:" + file.string());
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::move(s).value();
}

/// `sessions` sessions of `messages` messages each for user "alice" (plus the small seed of
/// backup_test_support): enough documents that a backup reports progress many times.
inline void seed_many(store::Store& st, int sessions, int messages) {
  backup::testing::seed(st);
  auto w = st.write().value();
  for (int s = 0; s < sessions; ++s)
    backup::testing::add_session(*w, "alice", fmt::format("-w-bulk{}", s % 4), "/w/bulk", fmt::format("bulk-{}", s),
                                 messages, backup::testing::k_t0 + s * 1000);
  ASSERT_TRUE(w->commit());
}

/// Forwards everything to a real store and counts the job-queue operations.
class CountingStore final : public store::Store {
 public:
  explicit CountingStore(store::Store& inner) : m_inner(inner) {}

  Result<std::unique_ptr<store::Reader>> read() override { return m_inner.read(); }
  Result<std::unique_ptr<store::Writer>> write(store::WriteMode mode) override { return m_inner.write(mode); }
  const std::string& url() const override { return m_inner.url(); }
  Result<std::int64_t> size_on_disk() override { return m_inner.size_on_disk(); }
  Result<bool> insert_job(const store::JobRow& row, const std::vector<std::string>& exclusive) override {
    return m_inner.insert_job(row, exclusive);
  }
  Result<std::optional<store::JobRow>> claim_job(const store::JobClaim& claim) override {
    auto r = m_inner.claim_job(claim);
    if (r && *r) {
      std::lock_guard lock(m_mutex);
      ++m_claims[(*r)->record.id];
    }
    return r;
  }
  Result<bool> update_job_if(const store::JobRow& row, const store::JobExpect& expect) override {
    auto r = m_inner.update_job_if(row, expect);
    if (r && *r) {
      std::lock_guard lock(m_mutex);
      m_updates[row.record.id].push_back(std::chrono::steady_clock::now());
    }
    return r;
  }
  Result<std::optional<store::JobRow>> get_job(const std::string& id) override { return m_inner.get_job(id); }
  Status for_each_job(const store::JobQuery& q, const store::Visit<store::JobRow>& visit) override {
    return m_inner.for_each_job(q, visit);
  }
  Result<bool> claim_slot(const store::SlotClaim& claim) override { return m_inner.claim_slot(claim); }
  Result<std::optional<store::SlotClaim>> last_slot_claim(const std::string& id) override {
    return m_inner.last_slot_claim(id);
  }
  Status insert_outbox(const store::OutboxRow& row) override { return m_inner.insert_outbox(row); }
  Result<std::optional<store::OutboxRow>> claim_outbox(const store::OutboxClaim& claim) override {
    return m_inner.claim_outbox(claim);
  }
  Result<bool> update_outbox_if(const store::OutboxRow& row) override { return m_inner.update_outbox_if(row); }
  Status for_each_outbox(const std::vector<std::string>& statuses,
                         const store::Visit<store::OutboxRow>& visit) override {
    return m_inner.for_each_outbox(statuses, visit);
  }
  Result<std::int64_t> prune_outbox(TimeMs before) override { return m_inner.prune_outbox(before); }

  std::map<std::string, int> claims() {
    std::lock_guard lock(m_mutex);
    return m_claims;
  }
  std::vector<std::chrono::steady_clock::time_point> updates(const std::string& id) {
    std::lock_guard lock(m_mutex);
    return m_updates[id];
  }

 private:
  store::Store& m_inner;
  std::mutex m_mutex;
  std::map<std::string, int> m_claims;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> m_updates;
};

inline backup::BackupRequest full_backup(const std::string& name = "job backup") {
  backup::BackupRequest r;
  r.name = name;
  r.created_by = "alice";
  return r;
}

inline std::unique_ptr<JobService> open_service(store::Store& st, const std::filesystem::path& backup_dir,
                                                ServiceOptions o = {}) {
  o.backup_dir = backup_dir;
  if (o.poll_interval == std::chrono::milliseconds(500)) o.poll_interval = std::chrono::milliseconds(50);
  auto s = JobService::open(st, o);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::move(s).value();
}

/// Archive files (completed backups) in `dir`.
inline std::vector<std::filesystem::path> archives(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".claudelens" && e.path().filename().string()[0] != '.') out.push_back(e.path());
  return out;
}

/// A one-shot gate: the job thread waits in its progress hook until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_open; });
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_open = false;
};

}  // namespace claudelens::jobs::testing
