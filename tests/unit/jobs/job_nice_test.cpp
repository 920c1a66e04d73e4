// ServiceOptions::job_nice (`serve --job-nice`, 10 there; docs/jobs.md "Priority"): the pool's worker
// threads, and so what a job starts from them, run that much nicer; with 0 (the default), as nice as the
// rest of the process.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "support/thread_nice.hpp"
#include "unit/jobs/jobs_test_support.hpp"

namespace claudelens::jobs {
namespace {

using claudelens::testing::TempDir;

/// How many of this process's threads run at nice value `nice`.
int threads_at_nice(int nice) {
  const auto values = claudelens::testing::thread_nice_values();
  return static_cast<int>(std::count(values.begin(), values.end(), nice));
}

/// The number of threads at `nice` once a pool of 2 workers has started (they set it first thing).
int nicer_workers_after_start(std::optional<int> job_nice, int nice) {
  TempDir dir;
  auto st = testing::open_db(dir / "db.sqlite");
  ServiceOptions o;
  if (job_nice) o.job_nice = *job_nice;
  o.workers = 2;
  auto service = testing::open_service(*st, dir / "backups", o);
  EXPECT_TRUE(service->start());
  int seen = 0;
  for (int i = 0; i < 100 && seen < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = threads_at_nice(nice);
  }
  if (job_nice.value_or(0) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // give a wrong nice time to show
  seen = threads_at_nice(nice);
  service->stop(std::chrono::seconds(5));
  return seen;
}

TEST(JobNice, workers_run_nicer_only_when_asked) {
  const int base = ::getpriority(PRIO_PROCESS, 0);
  if (base + 7 > 19) GTEST_SKIP() << "the test process is already nice " << base;
  EXPECT_EQ(nicer_workers_after_start(7, base + 7), 2);
  EXPECT_EQ(nicer_workers_after_start(std::nullopt, base + 7), 0);
  EXPECT_EQ(nicer_workers_after_start(0, base + 7), 0);
}

}  // namespace
}  // namespace claudelens::jobs
