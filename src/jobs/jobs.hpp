// Jobs: backups and restores as persisted, observable, cancellable units of work (SPEC §6–§8, API.md
// /backups/jobs, /restore/jobs and the WebSocket events). One JobService per process and store, shared
// by the CLI and the server (issue 9 item 8): both create the same job record in the store's `jobs`
// table and run the same engines (backup::run_backup, restore::run_restore) with the same progress and
// history. The CLI runs a job on its own thread (run_now); the server queues it (submit) for a bounded
// worker pool. Stages, top to bottom: submit (validate, record "pending") → claim (ONE store operation,
// pending → running with this process's worker id, so that several servers on one database never run a
// job twice) → run (progress in memory for subscribers, in the store at most once a second) → finish
// (completed | failed | cancelled, with result or error).
//
// Liveness: each JobService holds a lock file "<backup_dir>/.jobs/<worker_id>.lock" (flock) for its
// lifetime; a job claimed by a worker whose lock is not held (its process died) is "interrupted" and
// recover() marks it failed and removes its partial file. A claimant without a lock file on this machine
// is judged by the record's updated_at (a heartbeat written every heartbeat_interval), for servers on
// other machines sharing one PostgreSQL database.
//
// SQLite and restores: a restore is one write transaction, so while it runs no other writer (progress,
// claims, another job's metadata) can commit. A running restore's progress is therefore kept in memory
// (get() and subscribers in this process see it live) and written to the store when it ends; the pool
// claims no other job while a restore runs in this process.
//
// Thread-safety: every JobService member function is thread-safe. A Subscription belongs to one thread
// at a time. The Store passed to open() must outlive the service.
#pragma once

#include <boost/json/fwd.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/planner.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::jobs {

enum class JobType { backup, restore };
std::string_view job_type_name(JobType t) noexcept;  ///< "backup" | "restore"
std::optional<JobType> parse_job_type(std::string_view s) noexcept;

/// The lifecycle of a job (API.md's job `status`). pending → running → one of the three final ones;
/// pending → cancelled directly when cancelled before a worker claimed it.
enum class JobStatus {
  pending,    ///< recorded, waiting for a worker
  running,    ///< claimed by a worker (Job::claimed_by) and running
  completed,  ///< done; Job's result fields are set
  failed,     ///< stopped by an error (Job::error), or interrupted by the death of its process
  cancelled,  ///< cancelled by a caller; a backup's partial file is removed, a restore rolled back
};
std::string_view job_status_name(JobStatus s) noexcept;
std::optional<JobStatus> parse_job_status(std::string_view s) noexcept;
/// completed, failed and cancelled are final: the record no longer changes.
bool is_final(JobStatus s) noexcept;

struct JobError {
  Errc code = Errc::internal;
  std::string message;
};

/// What a restore job restores: a registered backup by id, or an archive file (an upload not yet
/// registered, a file given to the CLI).
struct RestoreRequest {
  std::string backup_id;            ///< Default: "" (then `file` is required)
  std::filesystem::path file;       ///< Default: the registered backup's file in the backup directory
  restore::RestoreOptions options;  ///< `cancel`, `on_progress` and `clock` are set by the job
};

/// Progress as API.md's GET /backups/jobs/{id} and GET /restore/jobs/{id} report it. Backup jobs fill
/// the step and documents_processed/bytes_written fields; restore jobs the documents_restored/skipped/
/// failed and collections fields; both fill the rest.
struct JobProgress {
  std::string current_operation;  ///< "queued", "planning", "writing sessions", "restoring sessions", ...
  int current_step = 0;           ///< 1-based; 0 while queued
  int total_steps = 0;
  int completed_steps = 0;
  double percentage = 0;  ///< 0–100
  std::int64_t documents_processed = 0;
  std::int64_t documents_total = 0;
  std::int64_t bytes_written = 0;  ///< backup: compressed bytes on disk so far
  std::int64_t documents_restored = 0;
  std::int64_t documents_skipped = 0;
  std::int64_t documents_failed = 0;
  std::vector<std::string> collections_processed;  ///< restore
  std::vector<std::string> collections_remaining;  ///< restore
  double elapsed_seconds = 0;
  double estimated_remaining_seconds = 0;
};

struct Job {
  std::string id;
  JobType type = JobType::backup;
  std::string owner_id;  ///< the user who asked for it (ownership checks are the caller's)
  JobStatus status = JobStatus::pending;
  /// A cancel was asked for and the worker has not stopped yet (status is still pending/running).
  bool cancel_requested = false;
  /// Backup jobs: the new backup's id (fixed at submit, so the 202 answer can name it). Restore jobs:
  /// the registered backup being restored ("" for an unregistered file).
  std::string backup_id;
  std::optional<backup::BackupRequest> backup;  ///< the request of a backup job
  /// Backup jobs: encrypt the archive with the server's key (ServiceOptions::passphrase; the key
  /// itself is never part of the record). Default: false.
  bool encrypt = false;
  std::optional<RestoreRequest> restore;  ///< the request of a restore job
  JobProgress progress;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;  ///< also the heartbeat of a running job
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> completed_at;  ///< set in every final status
  std::optional<TimeMs> cancelled_at;
  std::optional<JobError> error;  ///< failed (and cancelled: code Errc::cancelled)
  std::string claimed_by;         ///< worker id of the process that runs (ran) it; "" while pending
  std::string submitted_by;       ///< worker id of the process that recorded it
  // Results (completed jobs).
  std::int64_t result_size_bytes = 0;  ///< backup: the file's size
  std::int64_t result_documents = 0;   ///< backup: documents written; restore: documents restored
  double duration_seconds = 0;         ///< from started_at to completed_at
  std::string result_json;             ///< backup: BackupMetadata JSON; restore: the report's `results` JSON
  std::string restore_history_id;      ///< restore: the restore-history record's id
};

/// API.md GET /backups/jobs/{job_id}: job_id, backup_id, status, progress{…}, started_at, updated_at,
/// completed_at, error{message,code,details}. `code_name` turns an Errc into the API's error code
/// (the http layer's mapping); Default: errc_name in upper case.
boost::json::object backup_job_json(const Job& job, std::string (*code_name)(Errc) = nullptr);
/// API.md GET /restore/jobs/{job_id}: job_id, status, mode, backup_id, progress{…}, started_at,
/// updated_at, completed_at, results{…}, errors[…].
boost::json::object restore_job_json(const Job& job, std::string (*code_name)(Errc) = nullptr);

// ---- Events (for the WebSocket) ----------------------------------------------------------------------

enum class EventKind {
  state,      ///< the job's current state, always the first event of a subscription
  progress,   ///< at most one per second per subscription
  completed,  ///< final
  failed,     ///< final (also for interrupted jobs)
  cancelled,  ///< final
};
bool is_final(EventKind k) noexcept;

struct JobEvent {
  EventKind kind = EventKind::state;
  Job job;  ///< the job as of this event
  TimeMs at = 0;
};

/// The WebSocket message of API.md for an event: backup.progress / backup.completed / backup.failed,
/// restore.progress / restore.completed / restore.failed ({"type":…,"job_id":…,…,"timestamp":…}).
/// A `state` event is sent as the progress message (or the final one when the job has ended); a
/// cancelled job as *.failed with code `code_name(Errc::cancelled)`.
boost::json::object event_json(const JobEvent& event, std::string (*code_name)(Errc) = nullptr);

/// A stream of one job's events. The first event is its current state; then progress at most once a
/// second (later progress replaces earlier undelivered progress); then exactly one final event, after
/// which finished() is true. Jobs run by this process deliver events as they happen; jobs run by
/// another process (the CLI, another server) are observed by reading the store every poll interval.
/// One thread at a time; may outlive nothing: the JobService must outlive it.
class Subscription {
 public:
  virtual ~Subscription() = default;
  /// Waits up to `timeout` for the next event; nullopt on timeout or when finished().
  virtual std::optional<JobEvent> next(std::chrono::milliseconds timeout) = 0;
  /// The next event if one is due now (never blocks beyond one store read); nullopt otherwise.
  virtual std::optional<JobEvent> try_next() = 0;
  /// True once the final event was returned.
  virtual bool finished() const = 0;
  /// Called (from a worker thread, without locks held; must not block) when an event of a job of this
  /// process becomes available: lets an event loop post a try_next(). Remote jobs still need polling.
  virtual void on_ready(std::function<void()> notify) = 0;
};

// ---- The service ---------------------------------------------------------------------------------

/// When a restore job may ask for the store's bulk write mode (store::WriteMode::bulk). SQLite now treats
/// it as a normal WAL transaction (readers go on), so with SQLite this changes nothing; see docs/jobs.md.
enum class BulkRestore {
  never,       ///< always the normal mode: readers go on reading during a restore
  when_alone,  ///< bulk when no other job runs in this process (the store falls back by itself when
               ///< another connection has the database open)
  always,      ///< as the CLI did before jobs: bulk whenever the store allows it
};

struct ServiceOptions {
  std::filesystem::path backup_dir;  ///< where backups are written and the liveness locks live; required
  unsigned workers = 2;              ///< worker threads of the pool (start()). Default: 2.
  const Clock* clock = nullptr;      ///< Default: the system clock.
  /// A running job's progress is written to the store at most this often. Default: 1 s.
  std::chrono::milliseconds progress_interval{1000};
  /// A running job's record is touched at least this often, progress or not. Default: 5 s.
  std::chrono::milliseconds heartbeat_interval{5000};
  /// A job whose claimant has no lock file on this machine is interrupted once its record was not
  /// touched for this long. Default: 60 s.
  std::chrono::milliseconds stale_after{60'000};
  /// How often idle workers look for jobs queued by other processes, and subscriptions to jobs of
  /// other processes read the store. Default: 500 ms.
  std::chrono::milliseconds poll_interval{500};
  BulkRestore bulk_restore = BulkRestore::when_alone;  ///< Default: when_alone.
  unsigned backup_threads = 0;  ///< compression threads per backup; 0 = one per core. Default: 0.
  /// How much nicer than the process the pool's worker threads run (0-19), and with them every thread
  /// a job starts (a backup's compression threads inherit a thread's nice value on Linux): request
  /// handling then preempts jobs. `serve` asks for 10 (`--job-nice`); a worker cannot become less nice
  /// again without privileges. Default: 0 (as nice as the process: the CLI's own jobs).
  int job_nice = 0;
  /// This process's worker id (the claimant recorded in jobs). Default: "" = a new id.
  std::string worker_id;
  /// The server's key (`serve --key-file`), never stored: pool jobs encrypt the backups submitted
  /// with `encrypt` with it and open encrypted archives with it. Must outlive the service.
  /// Default: none (submit_backup refuses `encrypt`; an encrypted archive fails with wrong_key).
  const crypto::Secret* passphrase = nullptr;
  /// Asked with the plan before a backup job is recorded (submit_backup, run_backup_now): an error
  /// refuses the backup before it starts and is returned as is (the storage quota of
  /// schedule/quota.hpp: Errc::no_space, HTTP 507). Called on the submitting thread. Default: none.
  std::function<Status(const backup::Plan&)> admit_backup;
  /// Called once for each recorded job of this process that reaches a final status (completed, failed,
  /// cancelled; a dry run is not recorded and not reported), and for each job recover() marks failed;
  /// on the job's thread, after the final record is written and waiters were woken. Must not throw and
  /// should be quick (the notifier inserts one outbox row). Default: none.
  std::function<void(const JobEvent&)> on_final;
};

/// What submit_backup answers (API.md POST /backups 202).
struct BackupSubmission {
  Job job;  ///< pending, with job.backup_id set
  std::int64_t estimated_size_bytes = 0;
  double estimated_duration_seconds = 0;
};

/// Hooks for a job run on the caller's thread (run_now): the CLI's Ctrl-C flag and progress bar.
struct RunHooks {
  const std::atomic<bool>* cancel = nullptr;  ///< Default: none (cancel() still works)
  /// Called on the running thread with the live progress (about every 100 ms). Default: none.
  std::function<void(const Job&)> on_progress;
  /// The passphrase of an encrypted archive, never stored: a backup run with it encrypts its archive
  /// (backup::RunOptions::encryption_passphrase); a restore opens its archive with it. Must outlive the
  /// run. Default: none (a plain backup; a restore takes the passphrase of its request's options).
  const crypto::Secret* passphrase = nullptr;
};

struct JobFilter {
  std::optional<JobType> type;          ///< Default: every type
  std::optional<std::string> owner_id;  ///< Default: every owner
  std::vector<JobStatus> statuses;      ///< Default: empty = every status
};

/// Why a backup may not be deleted (API.md 409s) unless forced.
struct DeleteCheck {
  std::vector<std::string> restoring_jobs;  ///< pending/running restore jobs reading it (BACKUP_IN_PROGRESS)
  std::string writing_job;                  ///< the backup job still writing it, if any (BACKUP_IN_PROGRESS)
  std::vector<std::string> dependents;      ///< backups naming it as parent (BACKUP_HAS_DEPENDENTS)
  bool in_use() const noexcept { return !restoring_jobs.empty() || !writing_job.empty(); }
};

/// The outcome of delete_backup: either deleted, or refused with the reasons.
struct DeleteResult {
  std::optional<backup::DeleteOutcome> deleted;  ///< set when the backup was deleted
  DeleteCheck refused;                           ///< when not deleted: why (in_use() or dependents)
  std::vector<std::string> dependents_deleted;   ///< forced: the dependents deleted first, deepest first
};

class JobService {
 public:
  /// Creates the service for `store` (which must outlive it): takes this worker's liveness lock. Does
  /// not start the pool nor recover; call recover() then start() (server) or run_now (CLI).
  static Result<std::unique_ptr<JobService>> open(store::Store& store, ServiceOptions options);
  virtual ~JobService() = default;  ///< stop(0 s) when still running, then releases the lock

  /// This process's worker id (recorded as claimed_by / submitted_by).
  virtual const std::string& worker_id() const = 0;
  /// How many jobs run in this process now (on the pool or a run_*_now caller's thread). Lock-free:
  /// the server asks on every request (http::RequestPacer).
  virtual std::size_t running_here() const noexcept = 0;

  /// Restart recovery: running jobs whose process is gone (lock not held, or no lock file here and a
  /// stale heartbeat) and pending jobs whose submitting process crashed (lock not held) are marked
  /// failed ("interrupted"), their partial files removed and their backup records failed (then
  /// backup::recover_interrupted). Jobs of live processes are left alone. Returns how many jobs
  /// were marked.
  virtual Result<int> recover() = 0;

  /// Starts the worker pool (idempotent; after stop() it does not start again).
  virtual Status start() = 0;
  /// Graceful stop: no new claims, running jobs of this process are cancelled, waits up to `grace`
  /// for them to end; jobs still running after that are left to recover(). Pending jobs stay queued.
  virtual void stop(std::chrono::milliseconds grace) = 0;

  /// Validates and plans the request (Errc::invalid_argument / not_found naming the field or value),
  /// then records a pending backup job for the pool. The backup record appears when the job runs.
  /// `encrypt`: with the service's passphrase (Errc::invalid_argument naming options.encrypt without one).
  virtual Result<BackupSubmission> submit_backup(const backup::BackupRequest& request, bool encrypt = false) = 0;
  /// Validates the options and resolves the backup (not_found; a registered backup whose file is gone:
  /// not_found saying so), then records a pending restore job. Errc::conflict when a restore job is
  /// pending or running anywhere on this store (RESTORE_IN_PROGRESS): the check and the insert are one
  /// store operation. `owner_id` is the requesting user.
  virtual Result<Job> submit_restore(const RestoreRequest& request, const std::string& owner_id) = 0;

  /// Runs a backup on the calling thread (the CLI): records the job as running, claimed by this worker,
  /// so that other processes see it and its progress, and returns the final job (completed, failed or
  /// cancelled; the error is in the job, the Result fails only when the job could not be recorded or
  /// the request is invalid).
  virtual Result<Job> run_backup_now(const backup::BackupRequest& request, const RunHooks& hooks) = 0;
  /// Runs a restore on the calling thread (the CLI). Errc::conflict when another restore is pending or
  /// running; otherwise as run_backup_now. A dry run is not recorded in the store at all (it changes
  /// nothing, its job record included); get() and subscribe() of this process still see it.
  virtual Result<Job> run_restore_now(const RestoreRequest& request, const std::string& owner_id,
                                      const RunHooks& hooks) = 0;

  /// The job (live progress for jobs of this process, the store record otherwise); nullopt when unknown.
  virtual Result<std::optional<Job>> get(const std::string& job_id) = 0;
  /// Jobs matching `filter`, newest first.
  virtual Result<std::vector<Job>> list(const JobFilter& filter) = 0;
  /// Waits until the job is final or `timeout` passes; returns its latest state.
  virtual Result<Job> wait(const std::string& job_id, std::chrono::milliseconds timeout) = 0;

  /// Cancels a job: a pending one becomes cancelled at once; a running one is asked to stop (also in
  /// another process, through the store) and this waits up to `wait_for` for it to end. Returns the
  /// job as it is then (cancelled, or still running with cancel_requested when the wait ran out).
  /// Errc::not_found for an unknown id; Errc::conflict when it is already final.
  virtual Result<Job> cancel(const std::string& job_id, std::chrono::milliseconds wait_for) = 0;

  /// Events of one job (see Subscription). Errc::not_found for an unknown id.
  virtual Result<std::unique_ptr<Subscription>> subscribe(const std::string& job_id) = 0;

  /// What stands in the way of deleting backup `backup_id` (not_found when unknown).
  virtual Result<DeleteCheck> check_delete(const std::string& backup_id) = 0;
  /// Deletes a backup's file and record (backup::delete_backup) unless it is in use or has dependents
  /// (incrementals that need it, at any depth); with `force`, deletes anyway: a backup job still writing
  /// it is cancelled first, and its dependents are deleted before it, deepest first.
  virtual Result<DeleteResult> delete_backup(const std::string& backup_id, bool force) = 0;
};

}  // namespace claudelens::jobs
