// Restart recovery and several processes: a job left running by a killed process is failed and its
// partial file removed; a job a live process runs is left alone; the CLI's backup beside a server's
// pool on the same store.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <thread>

#include "backup/metadata.hpp"
#include "format/partial_files.hpp"
#include "integration/run_cli.hpp"
#include "jobs/liveness.hpp"
#include "jobs/record.hpp"
#include "jobs_test_support.hpp"

namespace claudelens::jobs {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

/// Forks a child that opens its own store and job service and runs a backup; `in_progress` is called
/// on the child's thread at its first "writing sessions" progress (the partial file exists then). The child
/// exits with 0 when the backup completed, 1 otherwise.
pid_t fork_backup(const std::filesystem::path& db_file, const std::filesystem::path& backups,
                  const std::function<void()>& in_progress) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  auto st = store::open_store("sqlite:" + db_file.string());
  if (!st) ::_exit(2);
  ServiceOptions o;
  o.backup_dir = backups;
  auto service = JobService::open(**st, o);
  if (!service) ::_exit(3);
  bool once = false;
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    if (!once && j.progress.current_operation == "writing sessions") {  // the partial file exists by then
      once = true;
      in_progress();
    }
  };
  auto job = (*service)->run_backup_now(testing::full_backup("child backup"), hooks);
  ::_exit(job && job->status == JobStatus::completed ? 0 : 1);
}

/// Kills and reaps a child the test did not wait for (an assertion failed first), so that no
/// forked process outlives the test blocked on its pipe.
struct ReapOnExit {
  pid_t pid = -1;
  ~ReapOnExit() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
};

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<Job> jobs_of(JobService& s) {
  auto all = s.list({});
  EXPECT_TRUE(all);
  return *all;
}

TEST(JobRecovery, a_job_left_running_by_a_killed_process_is_failed_and_its_partial_file_removed) {
  TempDir dir;
  const auto db_file = dir / "db.sqlite";
  const auto backups = dir / "backups";
  {
    auto setup = testing::open_db(db_file);
    testing::seed_many(*setup, 40, 150);
  }
  const pid_t child = fork_backup(db_file, backups, [] { ::raise(SIGKILL); });
  ASSERT_EQ(wait_child(child), 128 + SIGKILL);

  auto db = testing::open_db(db_file);
  ASSERT_EQ(format::find_partial_files(backups).value().size(), 1u) << "the killed run left its partial file";
  auto before = db->read().value();
  std::vector<store::JobRow> rows;
  ASSERT_TRUE(db->for_each_job({}, [&](const store::JobRow& r) {
    rows.push_back(r);
    return true;
  }));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].record.status, "running");

  auto service = testing::open_service(*db, backups);
  auto marked = service->recover();
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(*marked, 1);
  const auto jobs = jobs_of(*service);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, JobStatus::failed);
  ASSERT_TRUE(jobs[0].error);
  EXPECT_NE(jobs[0].error->message.find("interrupted"), std::string::npos);
  EXPECT_TRUE(format::find_partial_files(backups).value().empty());
  auto reader = db->read().value();
  auto meta = backup::load_metadata(*reader, jobs[0].backup_id).value();
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, backup::BackupStatus::failed);
  EXPECT_EQ(service->recover().value(), 0) << "recovery is idempotent";
}

TEST(JobRecovery, a_job_a_live_process_runs_is_left_alone_while_a_dead_ones_file_goes) {
  TempDir dir;
  const auto db_file = dir / "db.sqlite";
  const auto backups = dir / "backups";
  {
    auto setup = testing::open_db(db_file);
    testing::seed_many(*setup, 40, 150);
  }
  // One child dies mid-backup; another stays mid-backup (holding the backup directory's shared lock,
  // so the directory-wide cleanup of backup::recover_interrupted must stay away).
  const pid_t killed = fork_backup(db_file, backups, [] { ::raise(SIGKILL); });
  ASSERT_EQ(wait_child(killed), 128 + SIGKILL);
  const auto dead_partials = format::find_partial_files(backups).value();
  ASSERT_EQ(dead_partials.size(), 1u);
  int to_child[2], to_parent[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(to_parent), 0);
  const pid_t child = fork_backup(db_file, backups, [&] {
    char c = 'r';
    (void)!::write(to_parent[1], &c, 1);  // "I am mid-backup"
    (void)!::read(to_child[0], &c, 1);    // wait for the parent's go
  });
  ReapOnExit reap{child};
  ::close(to_parent[1]);  // a child that dies gives EOF instead of a hang
  ::close(to_child[0]);
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  ASSERT_EQ(format::find_partial_files(backups).value().size(), 2u);

  auto db = testing::open_db(db_file);
  auto service = testing::open_service(*db, backups);
  auto marked = service->recover();
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(*marked, 1);
  std::map<JobStatus, std::string> by_status;
  for (const auto& j : jobs_of(*service)) by_status[j.status] = j.id;
  ASSERT_EQ(by_status.size(), 2u);
  ASSERT_TRUE(by_status.contains(JobStatus::running)) << "the live child's job";
  ASSERT_TRUE(by_status.contains(JobStatus::failed)) << "the killed child's job";
  const auto left = format::find_partial_files(backups).value();
  ASSERT_EQ(left.size(), 1u) << "the live run's file stays, the dead run's file goes";
  EXPECT_NE(left[0], dead_partials[0]);

  ASSERT_EQ(::write(to_child[1], "g", 1), 1);
  reap.pid = -1;
  EXPECT_EQ(wait_child(child), 0);
  auto done = service->get(by_status[JobStatus::running]).value();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, JobStatus::completed);
  EXPECT_EQ(testing::archives(backups).size(), 1u);
  EXPECT_TRUE(format::find_partial_files(backups).value().empty());
  ::close(to_child[1]);
  ::close(to_parent[0]);
}

/// A clock the test sets.
class ManualClock final : public Clock {
 public:
  TimeMs now_ms() const override { return m_now.load(); }
  void set(TimeMs t) { m_now = t; }

 private:
  std::atomic<TimeMs> m_now{1'000'000};
};

TEST(JobRecovery, a_claimant_without_a_lock_file_here_is_judged_by_its_heartbeat) {
  TempDir dir;
  auto db = testing::open_db(dir / "db.sqlite");
  const auto backups = dir / "backups";
  ManualClock clock;
  ServiceOptions o;
  o.clock = &clock;
  o.stale_after = 60s;
  auto service = testing::open_service(*db, backups, o);
  // Two jobs claimed by workers of another machine (no lock files here): one touched 10 s ago, one
  // 2 minutes ago; a pending job queued by a process whose lock file is here but free (dead), and one
  // queued 2 minutes ago by a process of another machine.
  auto row = [](const std::string& id, const std::string& status, TimeMs updated, const std::string& claimant,
                const std::string& submitter) {
    Job j;
    j.id = id;
    j.type = JobType::restore;
    j.owner_id = "alice";
    j.status = status == "pending" ? JobStatus::pending : JobStatus::running;
    j.created_at = 1;
    j.updated_at = updated;
    j.claimed_by = claimant;
    j.submitted_by = submitter;
    j.restore = RestoreRequest{};
    j.restore->file = "/nowhere";
    return j;
  };
  const TimeMs now = 10'000'000;
  clock.set(now);
  std::filesystem::create_directories(backups / ".jobs");
  { std::ofstream(backups / ".jobs" / "deadworker.lock") << ""; }
  for (const auto& j :
       {row("fresh", "running", now - 10'000, "remote1", "remote1"),
        row("stale", "running", now - 120'000, "remote2", "remote2"), row("orphan", "pending", now, "", "deadworker"),
        row("queued", "pending", now - 120'000, "", "remote3")}) {
    ASSERT_TRUE(db->insert_job(to_row(j), {}).value());
  }
  auto marked = service->recover();
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(db->get_job("fresh").value()->record.status, "running");
  EXPECT_EQ(db->get_job("stale").value()->record.status, "failed");
  EXPECT_EQ(db->get_job("orphan").value()->record.status, "failed");
  EXPECT_EQ(db->get_job("queued").value()->record.status, "pending") << "a queued job waits for any pool";
  EXPECT_EQ(*marked, 2);
  EXPECT_EQ(probe_worker(backups, service->worker_id()), Liveness::alive);
  EXPECT_EQ(probe_worker(backups, "deadworker"), Liveness::unknown) << "its stale lock file was removed";
}

TEST(JobRecovery, cli_backup_while_another_process_runs_a_server_pool_on_the_store) {
  TempDir dir;
  const auto db_file = dir / "db.sqlite";
  const auto backups = dir / "backups";
  auto db = testing::open_db(db_file);
  testing::seed_many(*db, 40, 150);
  ServiceOptions o;
  o.workers = 2;
  auto server = testing::open_service(*db, backups, o);
  ASSERT_TRUE(server->recover());
  ASSERT_TRUE(server->start());
  // The server works on a backup of its own while the CLI runs one.
  auto queued = server->submit_backup(testing::full_backup("server backup"));
  ASSERT_TRUE(queued);
  const auto cli = claudelens::testing::run_program(
      CLAUDELENS_BIN, {"--db", "sqlite:" + db_file.string(), "--backup-dir", backups.string(), "--json", "backup",
                       "create", "--name", "cli backup"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto cli_meta = boost::json::parse(cli.out).as_object();
  EXPECT_EQ(cli_meta.at("status").as_string(), "completed");
  const std::string cli_backup_id(cli_meta.at("_id").as_string());

  auto server_done = server->wait(queued->job.id, 60s);
  ASSERT_TRUE(server_done);
  EXPECT_EQ(server_done->status, JobStatus::completed) << (server_done->error ? server_done->error->message : "");
  // The server sees the CLI's backup as a job, run by another worker, with its history.
  const auto jobs = jobs_of(*server);
  ASSERT_EQ(jobs.size(), 2u);
  const Job* cli_job = nullptr;
  for (const auto& j : jobs)
    if (j.backup_id == cli_backup_id) cli_job = &j;
  ASSERT_NE(cli_job, nullptr);
  EXPECT_EQ(cli_job->status, JobStatus::completed);
  EXPECT_NE(cli_job->claimed_by, server->worker_id());
  EXPECT_EQ(cli_job->submitted_by, cli_job->claimed_by);
  ASSERT_TRUE(cli_job->backup);
  EXPECT_EQ(cli_job->backup->name, "cli backup");
  EXPECT_GT(cli_job->result_size_bytes, 0);
  EXPECT_EQ(testing::archives(backups).size(), 2u);
  EXPECT_TRUE(format::find_partial_files(backups).value().empty());
  EXPECT_EQ(probe_worker(backups, cli_job->claimed_by), Liveness::unknown) << "the CLI removed its lock on exit";

  // A CLI restore while the server's restore job is queued: refused as a conflict (exit 4).
  RestoreRequest r;
  r.backup_id = cli_backup_id;
  server->stop(5s);  // keep the queued restore pending
  auto pending_restore = server->submit_restore(r, "alice");
  ASSERT_TRUE(pending_restore) << pending_restore.error().message;
  const auto refused = claudelens::testing::run_program(
      CLAUDELENS_BIN,
      {"--db", "sqlite:" + db_file.string(), "--backup-dir", backups.string(), "restore", cli_backup_id});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find("restore is already pending or running"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace claudelens::jobs
