// The job queue: the store's claim as one operation, and several pools on one store file never
// running a job twice.
#include <gtest/gtest.h>

#include <thread>

#include "backup/metadata.hpp"
#include "jobs_test_support.hpp"

namespace claudelens::jobs {
namespace {

using namespace std::chrono_literals;
using testing::CountingStore;
using testing::TempDir;

store::JobRow row(const std::string& id, const std::string& kind, const std::string& status, TimeMs created) {
  return store::JobRow{store::SystemRecord{id, "alice", kind, status, created, created, "{}"}, ""};
}

TEST(JobQueue, claim_takes_the_oldest_pending_job_once) {
  TempDir dir;
  auto db = testing::open_db(dir / "db.sqlite");
  ASSERT_TRUE(db->insert_job(row("b", "backup", "pending", 20), {}).value());
  ASSERT_TRUE(db->insert_job(row("a", "backup", "pending", 10), {}).value());
  ASSERT_TRUE(db->insert_job(row("r", "restore", "pending", 5), {}).value());
  EXPECT_EQ(db->insert_job(row("a", "backup", "pending", 10), {}).error().code, Errc::conflict) << "taken id";

  auto c1 = db->claim_job({.claimant = "w1", .now = 100, .kinds = {"backup"}}).value();
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->record.id, "a");
  EXPECT_EQ(c1->record.status, "running");
  EXPECT_EQ(c1->claimed_by, "w1");
  EXPECT_EQ(c1->record.updated_at, 100);
  auto c2 = db->claim_job({.claimant = "w2", .now = 101}).value();
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->record.id, "r") << "without a kind filter the oldest of any kind";
  auto c3 = db->claim_job({.claimant = "w2", .now = 102}).value();
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->record.id, "b");
  EXPECT_FALSE(db->claim_job({.claimant = "w1", .now = 103}).value()) << "nothing left";
  EXPECT_EQ(db->claim_job({.claimant = "", .now = 1}).error().code, Errc::invalid_argument);

  // Compare-and-set: only the claimant, only from the status it expects.
  auto done = *c1;
  done.record.status = "completed";
  EXPECT_FALSE(db->update_job_if(done, {"running", "w2"}).value());
  EXPECT_FALSE(db->update_job_if(done, {"pending", "w1"}).value());
  EXPECT_TRUE(db->update_job_if(done, {"running", "w1"}).value());
  EXPECT_EQ(db->get_job("a").value()->record.status, "completed");
  EXPECT_EQ(db->get_job("a").value()->claimed_by, "w1");
  EXPECT_FALSE(db->get_job("zzz").value());

  // Exclusive insert: refused while a job of the kind is in one of the statuses.
  EXPECT_FALSE(db->insert_job(row("r2", "restore", "pending", 30), {"pending", "running"}).value());
  EXPECT_FALSE(db->insert_job(row("b2", "backup", "pending", 30), {"pending", "running"}).value()) << "b runs";
  auto finished = *c2;
  finished.record.status = "failed";
  ASSERT_TRUE(db->update_job_if(finished, {"running", "w2"}).value());
  EXPECT_TRUE(db->insert_job(row("r2", "restore", "pending", 30), {"pending", "running"}).value());

  std::vector<std::string> pending;
  ASSERT_TRUE(db->for_each_job({.statuses = {"pending"}}, [&](const store::JobRow& r) {
    pending.push_back(r.record.id);
    return true;
  }));
  EXPECT_EQ(pending, std::vector<std::string>{"r2"});
}

TEST(JobQueue, claims_from_many_threads_and_connections_hand_out_each_job_once) {
  TempDir dir;
  auto setup = testing::open_db(dir / "db.sqlite");
  constexpr int k_jobs = 300;
  for (int i = 0; i < k_jobs; ++i)
    ASSERT_TRUE(setup->insert_job(row(fmt::format("j{:04}", i), "backup", "pending", i), {}).value());
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < 3; ++i) stores.push_back(testing::open_db(dir / "db.sqlite"));
  std::mutex m;
  std::map<std::string, int> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      auto& st = *stores[static_cast<std::size_t>(t % 3)];
      for (;;) {
        auto c = st.claim_job({.claimant = fmt::format("w{}", t), .now = 1});
        ASSERT_TRUE(c) << c.error().message;
        if (!*c) return;
        std::lock_guard lock(m);
        ++claimed[(*c)->record.id];
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(claimed.size(), static_cast<std::size_t>(k_jobs));
  for (const auto& [id, n] : claimed) EXPECT_EQ(n, 1) << id;
}

TEST(JobQueue, several_pools_on_one_store_file_run_every_job_exactly_once) {
  TempDir dir;
  auto setup = testing::open_db(dir / "db.sqlite");
  backup::testing::seed(*setup);
  const auto backups = dir / "backups";
  constexpr int k_pools = 3;
  constexpr int k_jobs = 24;
  std::vector<std::unique_ptr<store::Store>> dbs;
  std::vector<std::unique_ptr<CountingStore>> counters;
  std::vector<std::unique_ptr<JobService>> pools;
  for (int i = 0; i < k_pools; ++i) {
    dbs.push_back(testing::open_db(dir / "db.sqlite"));
    counters.push_back(std::make_unique<CountingStore>(*dbs.back()));
    ServiceOptions o;
    o.workers = 2;
    o.backup_threads = 1;
    o.poll_interval = 10ms;
    pools.push_back(testing::open_service(*counters.back(), backups, o));
  }
  std::vector<BackupSubmission> submitted;
  for (int i = 0; i < k_jobs; ++i) {
    auto s =
        pools[static_cast<std::size_t>(i % k_pools)]->submit_backup(testing::full_backup(fmt::format("backup {}", i)));
    ASSERT_TRUE(s) << s.error().message;
    submitted.push_back(*s);
  }
  for (auto& p : pools) ASSERT_TRUE(p->start());
  std::map<std::string, int> runs_by_pool;
  for (const auto& s : submitted) {
    auto done = pools[0]->wait(s.job.id, 120s);
    ASSERT_TRUE(done) << done.error().message;
    ASSERT_EQ(done->status, JobStatus::completed) << (done->error ? done->error->message : "");
    ++runs_by_pool[done->claimed_by];
  }
  std::map<std::string, int> claims;
  for (auto& c : counters)
    for (const auto& [id, n] : c->claims()) claims[id] += n;
  ASSERT_EQ(claims.size(), static_cast<std::size_t>(k_jobs));
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << "job " << id << " claimed " << n << " times";
  // One archive per job, each named after its job's backup id: nothing ran twice.
  const auto files = testing::archives(backups);
  EXPECT_EQ(files.size(), static_cast<std::size_t>(k_jobs));
  for (const auto& s : submitted) {
    int n = 0;
    for (const auto& f : files) n += f.filename().string().find(s.job.backup_id) != std::string::npos;
    EXPECT_EQ(n, 1) << s.job.backup_id;
  }
  EXPECT_GE(runs_by_pool.size(), 2u) << "the work was shared";
}

}  // namespace
}  // namespace claudelens::jobs
