// Restore throughput through the job path against the engine called directly (the CLI before jobs),
// with and without the store's bulk mode. A measurement, not a check: disabled by default; run with
//   CLAUDELENS_BENCH_MESSAGES=200000 build/tests/unit_jobs --gtest_also_run_disabled_tests \
//     --gtest_filter='*restore_throughput*'
// It prints MB/s of transcript lines written (the median of three tries per path).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "integration/run_cli.hpp"
#include "jobs_test_support.hpp"
#include "restore/restorer.hpp"

namespace claudelens::jobs {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

struct Try {
  double seconds = 0;
  std::int64_t entry_bytes = 0;
  std::int64_t wal_bytes = 0;  ///< the -wal file after the restore: ~0 when bulk mode was used
};

std::int64_t wal_size(const std::filesystem::path& db) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(db.string() + "-wal", ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

double median_mbps(std::vector<Try> tries) {
  std::sort(tries.begin(), tries.end(), [](const Try& a, const Try& b) { return a.seconds < b.seconds; });
  const Try& m = tries[tries.size() / 2];
  return static_cast<double>(m.entry_bytes) / 1e6 / m.seconds;
}

TEST(Throughput, DISABLED_restore_throughput_job_path_against_the_engine) {
  const char* env = std::getenv("CLAUDELENS_BENCH_MESSAGES");
  const std::string messages = env ? env : "100000";
  TempDir dir;
  const auto source = dir / "source.sqlite";
  const auto backups = dir / "backups";
  const std::string db = "sqlite:" + source.string();
  ASSERT_EQ(
      claudelens::testing::run_program(CLAUDELENS_BIN, {"--db", db, "demo-data", "--messages", messages}).exit_code, 0);
  const auto made = claudelens::testing::run_program(
      CLAUDELENS_BIN, {"--db", db, "--backup-dir", backups.string(), "--json", "backup", "create", "--name", "bench"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string file = (backups / std::string(boost::json::parse(made.out).at("filename").as_string())).string();

  int n = 0;
  auto fresh = [&] { return dir / fmt::format("target-{}.sqlite", n++); };
  auto engine = [&](bool bulk) {
    const auto target = fresh();
    auto st = testing::open_db(target);
    restore::RestoreOptions o;
    o.bulk_write = bulk;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = restore::run_restore(*st, file, o);
    EXPECT_TRUE(r) << r.error().message;
    return Try{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), r->entry_bytes,
               wal_size(target)};
  };
  auto job = [&](BulkRestore bulk, bool pool, bool reader_open) {
    const auto target = fresh();
    auto st = testing::open_db(target);
    ServiceOptions so;
    so.bulk_restore = bulk;
    auto service = testing::open_service(*st, backups, so);
    RestoreRequest req;
    req.file = file;
    // A reader that keeps a connection open the whole time, as a server answering GETs would.
    std::unique_ptr<store::Reader> reader;
    if (reader_open) reader = st->read().value();
    const auto t0 = std::chrono::steady_clock::now();
    Job done;
    if (pool) {
      EXPECT_TRUE(service->start());
      auto submitted = service->submit_restore(req, "");
      EXPECT_TRUE(submitted) << submitted.error().message;
      done = service->wait(submitted->id, 600s).value();
    } else {
      done = service->run_restore_now(req, "", {}).value();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(done.status, JobStatus::completed) << (done.error ? done.error->message : "");
    const auto report = boost::json::parse(done.result_json);
    return Try{s, report.at("entry_bytes").to_number<std::int64_t>(), wal_size(target)};
  };
  struct Path {
    std::string name;
    std::function<Try()> run;
  };
  const std::vector<Path> paths = {
      {"engine, bulk (the CLI before jobs)", [&] { return engine(true); }},
      {"engine, WAL", [&] { return engine(false); }},
      {"job run_now, when_alone (the CLI now)", [&] { return job(BulkRestore::when_alone, false, false); }},
      {"job on the pool, when_alone (server)", [&] { return job(BulkRestore::when_alone, true, false); }},
      {"job on the pool, never (WAL)", [&] { return job(BulkRestore::never, true, false); }},
      {"job on the pool, when_alone, a reader open", [&] { return job(BulkRestore::when_alone, true, true); }},
  };
  // Round robin, so that a busy moment of a shared machine does not fall on one path only.
  std::vector<std::vector<Try>> tries(paths.size());
  for (int i = 0; i < 3; ++i)
    for (std::size_t k = 0; k < paths.size(); ++k) {
      ::sync();  // the previous try's dirty pages are written back before this one starts
      tries[k].push_back(paths[k].run());
    }
  for (std::size_t k = 0; k < paths.size(); ++k) {
    const auto& t = tries[k];
    std::printf("  %-46s %8.1f MB/s  (%.2f s, %.2f s, %.2f s; %.1f MB; WAL after: %.1f MB)\n", paths[k].name.c_str(),
                median_mbps(t), t[0].seconds, t[1].seconds, t[2].seconds, static_cast<double>(t[0].entry_bytes) / 1e6,
                static_cast<double>(t[0].wal_bytes) / 1e6);
  }
}

}  // namespace
}  // namespace claudelens::jobs
