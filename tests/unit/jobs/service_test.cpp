#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

#include "backup/metadata.hpp"
#include "format/partial_files.hpp"
#include "jobs_test_support.hpp"

namespace claudelens::jobs {
namespace {

using namespace std::chrono_literals;
using testing::CountingStore;
using testing::Gate;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> db = testing::open_db(dir / "db.sqlite");
  CountingStore store{*db};
  std::filesystem::path backups = dir / "backups";
  explicit Fixture(int sessions = 0, int messages = 0) {
    if (sessions)
      testing::seed_many(*db, sessions, messages);
    else
      backup::testing::seed(*db);
  }
};

Job completed_backup(JobService& service) {
  auto job = service.run_backup_now(testing::full_backup(), {});
  EXPECT_TRUE(job) << (job ? "" : job.error().message);
  EXPECT_EQ(job->status, JobStatus::completed) << (job->error ? job->error->message : "");
  return *job;
}

TEST(Jobs, backup_job_runs_to_completion_with_progress_in_the_store_at_most_once_a_second) {
  Fixture f(40, 150);  // 6,000 entries: the runner reports progress every 256 documents
  auto service = testing::open_service(f.store, f.backups);
  auto observer_db = testing::open_db(f.dir / "db.sqlite");  // another connection polls the record
  std::atomic<bool> seen_progress_in_store{false};
  std::string job_id;
  std::mutex id_mutex;
  const auto started = std::chrono::steady_clock::now();
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    {
      std::lock_guard lock(id_mutex);
      job_id = j.id;
    }
    // Stretch the run over a few seconds: the runner reports every 256 documents once 100 ms passed.
    std::this_thread::sleep_for(150ms);
  };
  std::atomic<bool> done{false};
  std::thread observer([&] {
    while (!done) {
      std::string id;
      {
        std::lock_guard lock(id_mutex);
        id = job_id;
      }
      if (!id.empty()) {
        auto row = observer_db->get_job(id);
        if (row && *row && (*row)->record.status == "running" &&
            (*row)->record.json.find("\"current_operation\":\"writing sessions\"") != std::string::npos)
          seen_progress_in_store = true;
      }
      std::this_thread::sleep_for(50ms);
    }
  });
  auto job = service->run_backup_now(testing::full_backup(), hooks);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  done = true;
  observer.join();
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->status, JobStatus::completed) << (job->error ? job->error->message : "");
  EXPECT_GT(elapsed, 2.0);
  EXPECT_TRUE(seen_progress_in_store) << "another connection never saw the running job's progress";

  // Progress writes: at most one per second of run time, plus the final record.
  const auto updates = f.store.updates(job->id);
  ASSERT_GE(updates.size(), 2u);
  EXPECT_LE(static_cast<double>(updates.size()), elapsed + 2.0);
  for (std::size_t i = 1; i + 1 < updates.size(); ++i)
    EXPECT_GE(updates[i] - updates[i - 1], 990ms) << "progress write " << i << " came too soon";

  // The record as the API reads it.
  auto stored = service->get(job->id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->status, JobStatus::completed);
  EXPECT_EQ((*stored)->progress.percentage, 100);
  const auto api = backup_job_json(**stored);
  EXPECT_EQ(api.at("status").as_string(), "completed");
  EXPECT_EQ(api.at("backup_id").as_string(), job->backup_id);
  EXPECT_EQ(api.at("progress").at("total_steps").as_int64(), 4);
  EXPECT_TRUE(api.at("error").is_null());
  auto reader = f.db->read().value();
  auto meta = backup::load_metadata(*reader, job->backup_id).value();
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, backup::BackupStatus::completed);
  EXPECT_EQ((*stored)->result_size_bytes, meta->compressed_size_bytes);
  EXPECT_EQ((*stored)->result_documents, meta->contents.total_documents);
  EXPECT_EQ(meta->contents.sessions_count, 44);
  EXPECT_TRUE(std::filesystem::exists(f.backups / meta->filename));
}

TEST(Jobs, pool_runs_a_submitted_backup_and_a_subscriber_sees_state_then_progress_then_one_final_event) {
  Fixture f(40, 150);
  auto service = testing::open_service(f.store, f.backups);
  auto submitted = service->submit_backup(testing::full_backup());
  ASSERT_TRUE(submitted) << submitted.error().message;
  EXPECT_EQ(submitted->job.status, JobStatus::pending);
  EXPECT_GT(submitted->estimated_size_bytes, 0);
  auto sub = service->subscribe(submitted->job.id);
  ASSERT_TRUE(sub) << sub.error().message;
  ASSERT_TRUE(service->start());
  std::vector<JobEvent> events;
  std::vector<std::chrono::steady_clock::time_point> at;
  while (!(*sub)->finished()) {
    auto e = (*sub)->next(30s);
    ASSERT_TRUE(e) << "no event within 30 s";
    events.push_back(*e);
    at.push_back(std::chrono::steady_clock::now());
  }
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().kind, EventKind::state);
  EXPECT_EQ(events.back().kind, EventKind::completed);
  for (std::size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].kind, EventKind::progress);
    EXPECT_GE(at[i] - at[i - 1], 950ms);
  }
  EXPECT_FALSE((*sub)->next(10ms)) << "nothing after the final event";
  const auto last = event_json(events.back());
  EXPECT_EQ(last.at("type").as_string(), "backup.completed");
  EXPECT_EQ(last.at("backup_id").as_string(), submitted->job.backup_id);
  EXPECT_GT(last.at("size_bytes").as_int64(), 0);
  auto done = service->wait(submitted->job.id, 1s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, JobStatus::completed);
  EXPECT_EQ(done->claimed_by, service->worker_id());
  EXPECT_EQ(testing::archives(f.backups).size(), 1u);
}

TEST(Jobs, a_late_subscriber_gets_the_final_state_at_once) {
  Fixture f;
  auto service = testing::open_service(f.store, f.backups);
  const Job job = completed_backup(*service);
  auto sub = service->subscribe(job.id);
  ASSERT_TRUE(sub);
  auto e = (*sub)->next(0ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, EventKind::completed);
  EXPECT_TRUE((*sub)->finished());
  EXPECT_EQ(service->subscribe("nope").error().code, Errc::not_found);
}

TEST(Jobs, cancelling_a_pending_job_makes_it_cancelled_and_it_never_runs) {
  Fixture f;
  auto service = testing::open_service(f.store, f.backups);
  auto submitted = service->submit_backup(testing::full_backup());
  ASSERT_TRUE(submitted);
  auto cancelled = service->cancel(submitted->job.id, 1s);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->status, JobStatus::cancelled);
  ASSERT_TRUE(cancelled->cancelled_at);
  ASSERT_TRUE(service->start());
  std::this_thread::sleep_for(300ms);
  auto stored = service->get(submitted->job.id).value();
  EXPECT_EQ(stored->status, JobStatus::cancelled);
  EXPECT_TRUE(testing::archives(f.backups).empty());
  auto reader = f.db->read().value();
  EXPECT_FALSE(backup::load_metadata(*reader, submitted->job.backup_id).value()) << "the backup never started";
  EXPECT_EQ(service->cancel(submitted->job.id, 0ms).error().code, Errc::conflict) << "final already";
  EXPECT_EQ(service->cancel("unknown", 0ms).error().code, Errc::not_found);
}

TEST(Jobs, cancelling_a_running_backup_removes_its_partial_file) {
  Fixture f(40, 150);
  auto service = testing::open_service(f.store, f.backups);
  Gate reached, release;
  std::atomic<bool> once{false};
  std::string job_id;
  std::size_t partials_while_running = 0;
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    if (j.progress.current_operation == "writing sessions" && !once.exchange(true)) {
      job_id = j.id;
      partials_while_running = format::find_partial_files(f.backups).value().size();
      reached.open();
      release.wait();
    }
  };
  Result<Job> result = fail(Errc::internal, "not run");
  std::thread runner([&] { result = service->run_backup_now(testing::full_backup(), hooks); });
  reached.wait();
  EXPECT_EQ(partials_while_running, 1u);
  auto asked = service->cancel(job_id, 0ms);
  ASSERT_TRUE(asked) << asked.error().message;
  EXPECT_TRUE(asked->cancel_requested);
  release.open();
  runner.join();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, JobStatus::cancelled);
  ASSERT_TRUE(result->error);
  EXPECT_EQ(result->error->code, Errc::cancelled);
  EXPECT_TRUE(format::find_partial_files(f.backups).value().empty());
  EXPECT_TRUE(testing::archives(f.backups).empty());
  EXPECT_EQ(service->get(job_id).value()->status, JobStatus::cancelled);
  const auto api = backup_job_json(*result);
  EXPECT_EQ(api.at("status").as_string(), "cancelled");
  EXPECT_EQ(api.at("error").at("code").as_string(), "CANCELLED");
}

TEST(Jobs, a_cancel_asked_through_the_store_stops_a_job_another_service_runs) {
  Fixture f(40, 150);
  auto other_db = testing::open_db(f.dir / "db.sqlite");
  auto runner_service = testing::open_service(f.store, f.backups);
  auto canceller = testing::open_service(*other_db, f.backups);
  Gate reached;
  std::atomic<bool> once{false};
  std::string job_id;
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    if (!once.exchange(true)) {
      job_id = j.id;
      reached.open();
    }
    std::this_thread::sleep_for(150ms);  // slow enough for the ticker to look at the store
  };
  Result<Job> result = fail(Errc::internal, "not run");
  std::thread runner([&] { result = runner_service->run_backup_now(testing::full_backup(), hooks); });
  reached.wait();
  auto asked = canceller->cancel(job_id, 20s);
  runner.join();
  ASSERT_TRUE(asked) << asked.error().message;
  EXPECT_EQ(asked->status, JobStatus::cancelled);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, JobStatus::cancelled);
  EXPECT_TRUE(format::find_partial_files(f.backups).value().empty());
}

TEST(Jobs, cancelling_a_running_restore_rolls_it_back) {
  Fixture f(20, 50);
  auto service = testing::open_service(f.store, f.backups);
  const Job made = completed_backup(*service);
  // Restore into an empty store beside it, from the file.
  auto target_db = testing::open_db(f.dir / "target.sqlite");
  auto target = testing::open_service(*target_db, f.backups);
  auto reader = f.db->read().value();
  const auto meta = backup::load_metadata(*reader, made.backup_id).value().value();
  reader.reset();
  RestoreRequest request;
  request.file = f.backups / meta.filename;
  Gate reached, release;
  std::atomic<bool> once{false};
  std::string job_id;
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    if (j.progress.current_operation == "restoring sessions" && !once.exchange(true)) {
      job_id = j.id;
      reached.open();
      release.wait();
    }
  };
  Result<Job> result = fail(Errc::internal, "not run");
  std::thread runner([&] { result = target->run_restore_now(request, "", hooks); });
  reached.wait();
  auto live = target->get(job_id).value();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, JobStatus::running);
  EXPECT_EQ(restore_job_json(*live).at("progress").at("current_operation").as_string(), "restoring sessions");
  ASSERT_TRUE(target->cancel(job_id, 0ms));
  release.open();
  runner.join();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, JobStatus::cancelled);
  auto counts = target_db->read().value()->counts(std::nullopt).value();
  EXPECT_EQ(counts.sessions, 0);
  EXPECT_EQ(counts.projects, 0);
  EXPECT_EQ(target->get(job_id).value()->status, JobStatus::cancelled);

  // The same restore, not cancelled, restores everything; its job records the report.
  auto again = target->run_restore_now(request, "", {});
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(again->status, JobStatus::completed) << (again->error ? again->error->message : "");
  EXPECT_EQ(target_db->read().value()->counts(std::nullopt).value().sessions, 24);
  const auto api = restore_job_json(*again);
  EXPECT_EQ(api.at("status").as_string(), "completed");
  EXPECT_EQ(api.at("mode").as_string(), "merge");
  EXPECT_EQ(api.at("results").at("sessions_restored").as_int64(), 24);
  EXPECT_EQ(api.at("progress").at("collections_remaining").as_array().size(), 0u);
  EXPECT_FALSE(again->restore_history_id.empty());
}

TEST(Jobs, one_restore_at_a_time_and_a_backup_being_restored_is_not_deleted_without_force) {
  Fixture f;
  auto service = testing::open_service(f.store, f.backups);
  const Job made = completed_backup(*service);
  RestoreRequest request;
  request.backup_id = made.backup_id;
  auto first = service->submit_restore(request, "alice");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->status, JobStatus::pending);
  EXPECT_EQ(first->backup_id, made.backup_id);

  auto second = service->submit_restore(request, "alice");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::conflict);
  // Also from another process's service, and synchronously (the CLI's path).
  auto other_db = testing::open_db(f.dir / "db.sqlite");
  auto other = testing::open_service(*other_db, f.backups);
  auto third = other->run_restore_now(request, "alice", {});
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Errc::conflict);

  auto check = service->check_delete(made.backup_id);
  ASSERT_TRUE(check);
  EXPECT_EQ(check->restoring_jobs, std::vector<std::string>{first->id});
  auto refused = service->delete_backup(made.backup_id, false);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->deleted);
  EXPECT_TRUE(refused->refused.in_use());
  EXPECT_EQ(testing::archives(f.backups).size(), 1u);

  ASSERT_TRUE(service->cancel(first->id, 1s));
  auto now_ok = service->submit_restore(request, "alice");
  ASSERT_TRUE(now_ok) << now_ok.error().message;
  auto forced = service->delete_backup(made.backup_id, true);
  ASSERT_TRUE(forced) << forced.error().message;
  ASSERT_TRUE(forced->deleted);
  EXPECT_GT(forced->deleted->freed_bytes, 0);
  EXPECT_TRUE(testing::archives(f.backups).empty());
  EXPECT_EQ(service->check_delete(made.backup_id).error().code, Errc::not_found);
}

TEST(Jobs, a_backup_with_dependents_is_not_deleted_without_force) {
  Fixture f;
  auto service = testing::open_service(f.store, f.backups);
  const Job parent = completed_backup(*service);
  const Job child = completed_backup(*service);
  {
    auto w = f.db->write().value();
    auto meta = backup::load_metadata(*w, child.backup_id).value().value();
    meta.parent_backup_id = parent.backup_id;
    ASSERT_TRUE(backup::save_metadata(*w, meta, 1));
    ASSERT_TRUE(w->commit());
  }
  auto refused = service->delete_backup(parent.backup_id, false);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->deleted);
  EXPECT_FALSE(refused->refused.in_use());
  EXPECT_EQ(refused->refused.dependents, std::vector<std::string>{child.backup_id});
  auto deleted = service->delete_backup(child.backup_id, false);
  ASSERT_TRUE(deleted && deleted->deleted) << "a backup nothing depends on goes";
  EXPECT_EQ(testing::archives(f.backups).size(), 1u);
}

TEST(Jobs, bad_requests_are_refused_before_any_job_is_recorded) {
  Fixture f;
  auto service = testing::open_service(f.store, f.backups);
  auto bad_name = testing::full_backup("x");
  EXPECT_EQ(service->submit_backup(bad_name).error().code, Errc::invalid_argument);
  EXPECT_EQ(service->run_backup_now(bad_name, {}).error().code, Errc::invalid_argument);
  RestoreRequest unknown;
  unknown.backup_id = "000000000000000000000000";
  EXPECT_EQ(service->submit_restore(unknown, "alice").error().code, Errc::not_found);
  RestoreRequest selective_without_selection;
  selective_without_selection.file = f.dir / "db.sqlite";
  selective_without_selection.options.mode = restore::Mode::selective;
  EXPECT_EQ(service->submit_restore(selective_without_selection, "alice").error().code, Errc::invalid_argument);
  EXPECT_TRUE(service->list({}).value().empty());
}

TEST(Jobs, stop_cancels_running_jobs_within_the_grace_period) {
  Fixture f(40, 150);
  auto service = testing::open_service(f.store, f.backups);
  Gate reached;
  std::atomic<bool> once{false};
  std::string job_id;
  RunHooks hooks;
  hooks.on_progress = [&](const Job& j) {
    if (!once.exchange(true)) {
      job_id = j.id;
      reached.open();
    }
    std::this_thread::sleep_for(150ms);
  };
  Result<Job> result = fail(Errc::internal, "not run");
  std::thread runner([&] { result = service->run_backup_now(testing::full_backup(), hooks); });
  reached.wait();
  const auto t0 = std::chrono::steady_clock::now();
  service->stop(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  runner.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, JobStatus::cancelled);
  EXPECT_TRUE(format::find_partial_files(f.backups).value().empty());
}

}  // namespace
}  // namespace claudelens::jobs
