// A server killed (SIGKILL) in the middle of a backup: the next start marks the job failed and removes
// its partial file, and serves on.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

/// Files in the backup folder other than lock files.
std::vector<std::string> backup_files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && !it->path().filename().string().ends_with(".lock"))
      out.push_back(it->path().filename().string());
  return out;
}

class ServerRestart : public ServerTest {
 protected:
  void SetUp() override {
    const auto db = "sqlite:" + (dir().path() / "db.sqlite").string();
    const auto made = run_cli({"--db", db, "demo-data", "--messages", "100000", "--seed", "7"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    start();
  }
};

TEST_F(ServerRestart, a_backup_interrupted_by_sigkill_is_failed_at_the_next_start_and_leaves_no_file) {
  const auto r = post("/api/v1/backups", json::object{{"name", "killed midway"}, {"type", "full"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto job = std::string(r.json().at("job_id").as_string());
  // Wait until it is writing, then kill the server without warning.
  bool writing = false;
  for (int i = 0; i < 2000 && !writing; ++i) {
    const auto j = get("/api/v1/backups/jobs/" + job).json();
    ASSERT_NE(j.at("status"), "completed") << "the backup finished before it could be interrupted";
    writing = j.at("status") == "running" && j.at("progress").at("bytes_written").to_number<double>() > 0;
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(writing);
  ASSERT_EQ(server().stop(SIGKILL), 128 + SIGKILL);
  EXPECT_FALSE(backup_files(dir().path() / "backups").empty()) << "the partial file is there after the kill";

  start();
  const auto j = get("/api/v1/backups/jobs/" + job).json();
  EXPECT_EQ(j.at("status").as_string(), "failed") << json::serialize(j);
  EXPECT_TRUE(backup_files(dir().path() / "backups").empty()) << "partial files must be removed at start";
  EXPECT_EQ(get("/api/v1/projects").status, 200);
}

}  // namespace
}  // namespace claudelens::testing
