// The JobService (jobs.hpp): job records, the worker pool, the ticker that writes progress and
// heartbeats, cancellation, restart recovery and the delete rules. Subscriptions live in
// subscription.cpp; the engines (backup::run_backup, restore::run_restore) do the work.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "backup/metadata.hpp"
#include "backup/runner.hpp"
#include "core/ids.hpp"
#include "format/partial_files.hpp"
#include "jobs/internal.hpp"
#include "jobs/job_audit.hpp"
#include "jobs/liveness.hpp"
#include "jobs/record.hpp"
#include "restore/restorer.hpp"

namespace claudelens::jobs {

namespace json = boost::json;

namespace {

const std::vector<std::string> k_active_statuses = {"pending", "running", std::string(k_cancelling)};

std::chrono::milliseconds since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t);
}

/// API.md's backup job steps, from the runner's operation names.
void backup_steps(JobProgress& p) {
  static const char* const k_steps[] = {"planning", "writing sessions", "writing catalogue", "finishing"};
  p.total_steps = 4;
  for (int i = 0; i < 4; ++i)
    if (p.current_operation == k_steps[i]) {
      p.current_step = i + 1;
      p.completed_steps = i;
    }
  if (p.current_operation == "completed") p.current_step = p.completed_steps = 4;
}

/// API.md's restore collections, from the restorer's operation names.
void restore_collections(JobProgress& p) {
  static const std::vector<std::string> k_all = {"users",   "projects",       "sessions",   "messages",
                                                 "prompts", "prompt_folders", "ai_settings"};
  std::size_t done = 0;
  const std::string& op = p.current_operation;
  if (op == "restoring sessions")
    done = 2;
  else if (op == "restoring documents")
    done = 4;
  else if (op == "deleting what the backup lacks" || op == "finishing" || op == "completed")
    done = k_all.size();
  p.collections_processed.assign(k_all.begin(), k_all.begin() + static_cast<std::ptrdiff_t>(done));
  p.collections_remaining.assign(k_all.begin() + static_cast<std::ptrdiff_t>(done), k_all.end());
}

class Service final : public JobService, public ServiceCore {
 public:
  Service(store::Store& store, ServiceOptions options, WorkerLock lock, std::string worker_id)
      : m_store(store),
        m_options(std::move(options)),
        m_clock(m_options.clock ? *m_options.clock : system_clock()),
        m_worker_id(std::move(worker_id)),
        m_lock(std::move(lock)) {
    m_ticker = std::thread([this] { ticker_loop(); });
  }

  ~Service() override {
    stop(std::chrono::milliseconds(0));
    {
      std::lock_guard lock(m_mutex);
      m_closing = true;
    }
    m_wake.notify_all();
    for (auto& t : m_workers) t.join();
    // Jobs run by run_*_now belong to their callers' threads, which return before the service dies.
    m_ticker.join();
  }

  const std::string& worker_id() const override { return m_worker_id; }
  std::size_t running_here() const noexcept override { return m_running.load(std::memory_order_relaxed); }

  // ---- recovery ------------------------------------------------------------------------------------

  Result<int> recover() override {
    const TimeMs now = m_clock.now_ms();
    std::vector<store::JobRow> rows;
    CL_CHECK(m_store.for_each_job({.statuses = k_active_statuses}, [&](const store::JobRow& r) {
      rows.push_back(r);
      return true;
    }));
    int marked = 0;
    for (const auto& row : rows) {
      auto job = from_row(row);
      if (!job) {
        spdlog::warn("job {}: {}", row.record.id, job.error().message);
        continue;
      }
      const bool pending = row.record.status == "pending";
      const std::string& owner = pending ? job->submitted_by : row.claimed_by;
      if (owner == m_worker_id || is_local(row.record.id)) continue;
      const Liveness l = probe_worker(m_options.backup_dir, owner);
      if (l == Liveness::alive) continue;
      // A queued job belongs to no process: any pool may run it. It fails only when the process that
      // queued it crashed (nobody may be waiting for it any more); a running one also on a stale heartbeat.
      if (pending && l != Liveness::dead) continue;
      if (l == Liveness::unknown && now - row.record.updated_at < m_options.stale_after.count()) continue;
      job->status = JobStatus::failed;
      job->cancel_requested = false;
      job->error = JobError{Errc::internal, "interrupted: the process running this job stopped before it ended"};
      job->completed_at = now;
      job->updated_at = now;
      CL_TRY(changed, m_store.update_job_if(to_row(*job), {row.record.status, row.claimed_by}));
      if (!changed) continue;  // it moved on meanwhile: not ours to judge
      ++marked;
      spdlog::warn("job {} ({}) was interrupted: marked failed", job->id, job_type_name(job->type));
      if (m_options.on_final) m_options.on_final(JobEvent{EventKind::failed, *job, now});
      if (job->type == JobType::backup) CL_CHECK(clean_up_backup(*job));
    }
    // The backup records of dead runs (by their run locks), and leftovers of runs without a job record.
    CL_TRY(older, backup::recover_interrupted(m_store, m_options.backup_dir, now));
    (void)older;
    return marked;
  }

  // ---- the pool ------------------------------------------------------------------------------------

  Status start() override {
    std::lock_guard lock(m_mutex);
    if (m_started) return {};
    m_started = true;
    m_stopping = false;
    for (unsigned i = 0; i < std::max(1u, m_options.workers); ++i) m_workers.emplace_back([this] { worker_loop(); });
    return {};
  }

  void stop(std::chrono::milliseconds grace) override {
    std::vector<std::shared_ptr<ActiveJob>> running;
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    // A claim already past its m_stopping check (claim_next) ends before stop() goes on, so that no
    // job is claimed after stop() returns: a job submitted afterwards stays pending.
    { std::lock_guard claim_lock(m_claim_mutex); }
    {
      std::lock_guard lock(m_mutex);
      for (auto& [id, a] : m_active) running.push_back(a);
    }
    m_wake.notify_all();
    for (auto& a : running) request_cancel(*a);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (auto& a : running) {
      std::unique_lock lock(a->mutex);
      a->done_cv.wait_until(lock, deadline, [&] { return a->done; });
    }
  }

  // ---- submitting ----------------------------------------------------------------------------------

  Result<BackupSubmission> submit_backup(const backup::BackupRequest& request, bool encrypt) override {
    if (encrypt && !m_options.passphrase)
      return fail(Errc::invalid_argument, "options.encrypt: the server has no key file: start it with --key-file");
    CL_TRY(plan, plan_backup(request));
    if (m_options.admit_backup) CL_CHECK(m_options.admit_backup(plan));
    Job job = new_backup_job(request);
    job.encrypt = encrypt;
    CL_TRY(inserted, m_store.insert_job(to_row(job), {}));
    if (!inserted) return fail(Errc::internal, "the job could not be recorded");
    record_job_audit(m_store, job, "backup.created", m_clock.now_ms());
    m_wake.notify_all();  // all: the ticker waits on it too
    return BackupSubmission{std::move(job), plan.estimated_compressed_bytes, plan.estimated_duration_seconds};
  }

  Result<Job> submit_restore(const RestoreRequest& request, const std::string& owner_id) override {
    CL_TRY(job, new_restore_job(request, owner_id));
    CL_CHECK(insert_restore(job));
    m_wake.notify_all();  // all: the ticker waits on it too
    return job;
  }

  Result<Job> run_backup_now(const backup::BackupRequest& request, const RunHooks& hooks) override {
    CL_TRY(plan, plan_backup(request));
    if (m_options.admit_backup) CL_CHECK(m_options.admit_backup(plan));
    Job job = new_backup_job(request);
    claim_locally(job);
    CL_TRY(inserted, m_store.insert_job(to_row(job), {}));
    if (!inserted) return fail(Errc::internal, "the job could not be recorded");
    record_job_audit(m_store, job, "backup.created", m_clock.now_ms());
    return execute(std::move(job), hooks);
  }

  Result<Job> run_restore_now(const RestoreRequest& request, const std::string& owner_id,
                              const RunHooks& hooks) override {
    CL_TRY(job, new_restore_job(request, owner_id));
    claim_locally(job);
    if (request.options.dry_run) {
      // A dry run changes nothing in the store, its own job record included (the CLI promises the
      // database file byte for byte): it runs unrecorded, seen by this process only.
      CL_CHECK(refuse_if_restoring());
      return execute(std::move(job), hooks, false);
    }
    CL_CHECK(insert_restore(job));
    return execute(std::move(job), hooks);
  }

  // ---- reading -------------------------------------------------------------------------------------

  Result<std::optional<Job>> get(const std::string& job_id) override {
    if (auto a = find_active(job_id)) {
      std::lock_guard lock(a->mutex);
      return std::optional<Job>(a->job);
    }
    CL_TRY(row, m_store.get_job(job_id));
    if (!row) return std::optional<Job>();
    CL_TRY(job, from_row(*row));
    return std::optional<Job>(std::move(job));
  }

  Result<std::vector<Job>> list(const JobFilter& filter) override {
    store::JobQuery q;
    for (auto s : filter.statuses) {
      q.statuses.emplace_back(job_status_name(s));
      if (s == JobStatus::running) q.statuses.emplace_back(k_cancelling);
    }
    if (filter.type) q.kinds.emplace_back(job_type_name(*filter.type));
    std::vector<Job> out;
    Status inner;
    CL_CHECK(m_store.for_each_job(q, [&](const store::JobRow& row) {
      if (filter.owner_id && row.record.owner_id != *filter.owner_id) return true;
      auto job = from_row(row);
      if (!job) {
        spdlog::warn("job {}: {}", row.record.id, job.error().message);
        return true;
      }
      out.push_back(std::move(*job));
      return true;
    }));
    for (auto& job : out)
      if (auto a = find_active(job.id)) {
        std::lock_guard lock(a->mutex);
        job = a->job;
      }
    std::reverse(out.begin(), out.end());
    return out;
  }

  Result<Job> wait(const std::string& job_id, std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto a = find_active(job_id)) {
        std::unique_lock lock(a->mutex);
        a->done_cv.wait_until(lock, deadline, [&] { return a->done; });
        if (a->done) return a->job;
      }
      CL_TRY(job, get(job_id));
      if (!job) return fail(Errc::not_found, fmt::format("no job with id '{}'", job_id));
      if (is_final(job->status) || std::chrono::steady_clock::now() >= deadline) return std::move(*job);
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          m_options.poll_interval, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - std::chrono::steady_clock::now() + std::chrono::milliseconds(1))));
    }
  }

  // ---- cancel --------------------------------------------------------------------------------------

  Result<Job> cancel(const std::string& job_id, std::chrono::milliseconds wait_for) override {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (auto a = find_active(job_id)) {
        request_cancel(*a);
        return wait(job_id, wait_for);
      }
      CL_TRY(row, m_store.get_job(job_id));
      if (!row) return fail(Errc::not_found, fmt::format("no job with id '{}'", job_id));
      CL_TRY(job, from_row(*row));
      if (is_final(job.status))
        return fail(Errc::conflict, fmt::format("job {} is {} already", job_id, job_status_name(job.status)));
      const TimeMs now = m_clock.now_ms();
      if (job.status == JobStatus::pending) {
        job.status = JobStatus::cancelled;
        job.cancelled_at = job.completed_at = job.updated_at = now;
        job.error = JobError{Errc::cancelled, "cancelled before it started"};
        job.progress.current_operation = "cancelled";
        CL_TRY(changed, m_store.update_job_if(to_row(job), {"pending", row->claimed_by}));
        if (changed) return job;
        continue;  // claimed meanwhile: cancel it as a running job
      }
      if (!job.cancel_requested) {
        // Running in another process: ask through the store; its ticker sees "cancelling" and stops it.
        job.cancel_requested = true;
        job.updated_at = now;
        CL_TRY(changed, m_store.update_job_if(to_row(job), {row->record.status, row->claimed_by}));
        if (!changed) continue;
      }
      return wait(job_id, wait_for);
    }
    return fail(Errc::busy, fmt::format("job {} kept changing while it was being cancelled", job_id));
  }

  Result<std::unique_ptr<Subscription>> subscribe(const std::string& job_id) override {
    return make_subscription(*this, job_id);
  }

  // ---- deleting backups ----------------------------------------------------------------------------

  Result<DeleteCheck> check_delete(const std::string& backup_id) override {
    CL_TRY(reader, m_store.read());
    CL_TRY(meta, backup::load_metadata(*reader, backup_id));
    if (!meta) return fail(Errc::not_found, fmt::format("no backup with id '{}'", backup_id));
    DeleteCheck check;
    CL_TRY(dependents, backup::dependents_of(*reader, backup_id));
    for (const auto& m : dependents) check.dependents.push_back(m.id);
    reader.reset();
    Status inner;
    CL_CHECK(m_store.for_each_job({.statuses = k_active_statuses}, [&](const store::JobRow& row) {
      auto job = from_row(row);
      if (!job || job->backup_id != backup_id) return true;
      if (job->type == JobType::restore)
        check.restoring_jobs.push_back(job->id);
      else
        check.writing_job = job->id;
      return true;
    }));
    return check;
  }

  Result<DeleteResult> delete_backup(const std::string& backup_id, bool force) override {
    CL_TRY(check, check_delete(backup_id));
    if (!force && (check.in_use() || !check.dependents.empty())) return DeleteResult{std::nullopt, std::move(check)};
    if (!check.writing_job.empty()) {
      auto cancelled = cancel(check.writing_job, std::chrono::seconds(30));
      if (!cancelled && cancelled.error().code != Errc::conflict) return fail(std::move(cancelled).error());
    }
    // Forced: the incrementals that need it go first, deepest first (each is useless without it).
    std::vector<std::string> dependents_deleted;
    std::int64_t dependents_freed = 0;
    int dependents_files = 0;
    for (const auto& id : check.dependents) {
      CL_TRY(dependent, delete_backup(id, true));
      if (!dependent.deleted) continue;
      dependents_deleted.push_back(id);
      dependents_freed += dependent.deleted->freed_bytes;
      dependents_files += dependent.deleted->files_deleted;
    }
    CL_TRY(out, backup::delete_backup(m_store, m_options.backup_dir, backup_id, m_clock.now_ms()));
    out.freed_bytes += dependents_freed;  // what the whole deletion freed
    out.files_deleted += dependents_files;
    return DeleteResult{std::move(out), {}, std::move(dependents_deleted)};
  }

  // ---- ServiceCore (for subscriptions) -------------------------------------------------------------

  std::shared_ptr<ActiveJob> find_active(const std::string& id) override {
    std::lock_guard lock(m_mutex);
    const auto it = m_active.find(id);
    return it == m_active.end() ? nullptr : it->second;
  }
  Result<std::optional<Job>> read_job(const std::string& id) override {
    CL_TRY(row, m_store.get_job(id));
    if (!row) return std::optional<Job>();
    CL_TRY(job, from_row(*row));
    return std::optional<Job>(std::move(job));
  }
  const Clock& clock() const override { return m_clock; }
  std::chrono::milliseconds poll_interval() const override { return m_options.poll_interval; }

 private:
  bool is_local(const std::string& id) {
    std::lock_guard lock(m_mutex);
    return m_active.contains(id);
  }

  Result<backup::Plan> plan_backup(const backup::BackupRequest& request) {
    CL_TRY(reader, m_store.read());
    return backup::make_plan(*reader, request, m_clock.now_ms());
  }

  Job new_backup_job(const backup::BackupRequest& request) {
    Job job;
    job.id = new_id();
    job.type = JobType::backup;
    job.owner_id = request.created_by;
    job.backup_id = new_id();
    job.backup = request;
    job.created_at = job.updated_at = m_clock.now_ms();
    job.submitted_by = m_worker_id;
    job.progress.current_operation = "queued";
    job.progress.total_steps = 4;
    return job;
  }

  Result<Job> new_restore_job(const RestoreRequest& request, const std::string& owner_id) {
    CL_CHECK(restore::validate_options(request.options));
    RestoreRequest r = request;
    CL_CHECK(resolve_archive(r));
    Job job;
    job.id = new_id();
    job.type = JobType::restore;
    job.owner_id = owner_id;
    job.backup_id = r.backup_id;
    job.restore = std::move(r);
    job.created_at = job.updated_at = m_clock.now_ms();
    job.submitted_by = m_worker_id;
    job.progress.current_operation = "queued";
    restore_collections(job.progress);
    return job;
  }

  /// Fills in the file of a registered backup (and the checksum to compare), or checks the file given.
  Status resolve_archive(RestoreRequest& r) {
    if (r.backup_id.empty() && r.file.empty())
      return fail(Errc::invalid_argument, "backup_id: a restore needs a backup id or a file");
    if (!r.backup_id.empty()) {
      CL_TRY(resolved, backup::resolve_backup(m_store, m_options.backup_dir, r.backup_id));
      if (!resolved.metadata) return fail(Errc::not_found, fmt::format("no backup with id '{}'", r.backup_id));
      r.file = resolved.file;
      r.options.backup_id = resolved.metadata->id;
      r.options.archive_backup_id = backup::archive_id_of(*resolved.metadata);
      r.options.expected_sha256 = resolved.metadata->checksum;
      return {};
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(r.file, ec))
      return fail(Errc::not_found, fmt::format("no archive at {}", r.file.string()));
    r.file = std::filesystem::absolute(r.file, ec);
    return {};
  }

  Status insert_restore(const Job& job) {
    CL_TRY(inserted, m_store.insert_job(to_row(job), k_active_statuses));
    if (!inserted) return refuse_if_restoring();
    return {};
  }

  /// Errc::conflict naming the restore job pending or running on this store, if there is one.
  Status refuse_if_restoring() {
    std::string other;
    CL_CHECK(m_store.for_each_job({.statuses = k_active_statuses, .kinds = {"restore"}}, [&](const store::JobRow& r) {
      other = r.record.id;
      return false;
    }));
    if (other.empty()) {
      std::lock_guard lock(m_mutex);
      for (const auto& [id, a] : m_active)
        if (a->type == JobType::restore) other = id;
    }
    if (other.empty()) return {};
    return fail(Errc::conflict, fmt::format("a restore is already pending or running (job {})", other));
  }

  void claim_locally(Job& job) {
    job.status = JobStatus::running;
    job.claimed_by = m_worker_id;
    job.started_at = job.updated_at;
    job.progress.current_operation = "starting";
  }

  // ---- running one job -----------------------------------------------------------------------------

  /// Runs a claimed job on this thread to its final status; the final record is written to the store.
  Result<Job> execute(Job job, const RunHooks& hooks, bool persisted = true) {
    auto a = std::make_shared<ActiveJob>();
    a->type = job.type;
    a->persisted = persisted;
    a->job = std::move(job);
    a->store_status = store_status(a->job);
    a->cancel.store(a->job.cancel_requested);
    a->external_cancel = hooks.cancel;
    a->last_write = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(m_mutex);
      m_active.emplace(a->job.id, a);
    }
    m_running.fetch_add(1, std::memory_order_relaxed);
    Job final_job;
    try {
      final_job = a->type == JobType::backup ? run_backup_job(*a, hooks) : run_restore_job(*a, hooks);
    } catch (const std::exception& e) {
      // One of the three places exceptions are caught (STYLE.md): a bug in a job fails that job only.
      spdlog::error("job {}: {}", a->job.id, e.what());
      std::lock_guard lock(a->mutex);
      final_job = a->job;
      set_failure(final_job, Error(Errc::internal, fmt::format("internal error: {}", e.what())));
    }
    finish(*a, std::move(final_job));
    {
      std::lock_guard lock(m_mutex);
      m_active.erase(a->job.id);  // the id never changes: no need for a->mutex
    }
    m_running.fetch_sub(1, std::memory_order_relaxed);
    m_wake.notify_all();
    std::lock_guard lock(a->mutex);
    return a->job;
  }

  /// The progress callback's common part: update the live job, tell subscribers and the CLI.
  void on_progress(ActiveJob& a, const RunHooks& hooks, const std::function<void(Job&)>& update) {
    if (hooks.cancel && hooks.cancel->load()) a.cancel.store(true);
    Job snapshot;
    {
      std::lock_guard lock(a.mutex);
      update(a.job);
      a.job.updated_at = m_clock.now_ms();
      ++a.version;
      snapshot = a.job;
    }
    publish(a, JobEvent{EventKind::progress, snapshot, snapshot.updated_at});
    if (hooks.on_progress) hooks.on_progress(snapshot);
  }

  Job run_backup_job(ActiveJob& a, const RunHooks& hooks) {
    Job job;
    {
      std::lock_guard lock(a.mutex);
      job = a.job;
    }
    backup::RunOptions ro;
    ro.backup_dir = m_options.backup_dir;
    ro.backup_id = job.backup_id;
    ro.threads = m_options.backup_threads;
    ro.clock = &m_clock;
    ro.cancel = &a.cancel;
    ro.encryption_passphrase = hooks.passphrase ? hooks.passphrase : job.encrypt ? m_options.passphrase : nullptr;
    ro.on_progress = [&](const backup::Progress& p) {
      on_progress(a, hooks, [&](Job& j) {
        JobProgress& jp = j.progress;
        jp.current_operation = p.operation;
        jp.percentage = p.percentage;
        jp.documents_processed = p.documents_processed;
        jp.documents_total = p.documents_total;
        jp.bytes_written = p.bytes_written;
        jp.elapsed_seconds = p.elapsed_seconds;
        jp.estimated_remaining_seconds = p.eta_seconds;
        backup_steps(jp);
      });
    };
    auto meta = backup::run_backup(m_store, *job.backup, ro);
    {
      std::lock_guard lock(a.mutex);
      job = a.job;
    }
    if (meta) {
      job.status = JobStatus::completed;
      job.result_size_bytes = meta->compressed_size_bytes;
      job.result_documents = meta->contents.total_documents;
      job.result_json = json::serialize(backup::metadata_to_json(*meta));
      job.progress.current_operation = "completed";
      job.progress.percentage = 100;
      job.progress.estimated_remaining_seconds = 0;
      backup_steps(job.progress);
    } else {
      set_failure(job, meta.error());
    }
    return job;
  }

  Job run_restore_job(ActiveJob& a, const RunHooks& hooks) {
    Job job;
    {
      std::lock_guard lock(a.mutex);
      job = a.job;
    }
    // Here, not when accepted: the restore's transaction, which would hold the line back, is not open yet.
    if (a.persisted) record_job_audit(m_store, job, "restore.started", m_clock.now_ms());
    restore::RestoreOptions ro = job.restore->options;
    ro.cancel = &a.cancel;
    ro.clock = &m_clock;
    ro.bulk_write = ro.bulk_write && use_bulk(job.id);
    if (hooks.passphrase) ro.passphrase = hooks.passphrase;
    if (!ro.passphrase) ro.passphrase = m_options.passphrase;  // the server's key (pool jobs)
    ro.on_progress = [&](const restore::Progress& p) {
      on_progress(a, hooks, [&](Job& j) {
        JobProgress& jp = j.progress;
        jp.current_operation = p.operation;
        jp.percentage = p.percentage;
        jp.documents_restored = p.documents_done;
        jp.documents_total = p.documents_total;
        jp.elapsed_seconds = p.elapsed_seconds;
        jp.estimated_remaining_seconds =
            p.percentage > 0 ? p.elapsed_seconds * (100.0 - p.percentage) / p.percentage : 0;
        restore_collections(jp);
      });
    };
    auto report = restore::run_restore(m_store, job.restore->file, ro);
    {
      std::lock_guard lock(a.mutex);
      job = a.job;
    }
    if (report) {
      job.status = JobStatus::completed;
      job.result_documents = report->total(&restore::Tally::restored);
      job.progress.documents_restored = job.result_documents;
      job.progress.documents_skipped = report->total(&restore::Tally::skipped);
      job.progress.documents_failed = report->total(&restore::Tally::failed);
      job.progress.current_operation = "completed";
      job.progress.percentage = 100;
      job.progress.estimated_remaining_seconds = 0;
      restore_collections(job.progress);
      job.result_json = json::serialize(restore::report_to_json(*report));
      job.restore_history_id = report->id;
    } else {
      set_failure(job, report.error());
    }
    return job;
  }

  /// SQLite's bulk mode needs the database to itself: used when no other job runs, here or elsewhere.
  bool use_bulk(const std::string& job_id) {
    if (m_options.bulk_restore == BulkRestore::never) return false;
    if (m_options.bulk_restore == BulkRestore::always) return true;
    {
      std::lock_guard lock(m_mutex);
      if (m_active.size() > 1) return false;
    }
    bool others = false;
    const auto st =
        m_store.for_each_job({.statuses = {"running", std::string(k_cancelling)}}, [&](const store::JobRow& r) {
          others = r.record.id != job_id;
          return !others;
        });
    return st && !others;
  }

  void set_failure(Job& job, const Error& error) {
    const TimeMs now = m_clock.now_ms();
    job.status = error.code == Errc::cancelled ? JobStatus::cancelled : JobStatus::failed;
    if (job.status == JobStatus::cancelled) job.cancelled_at = now;
    job.error = JobError{error.code, error.message};
    job.progress.current_operation = job.status == JobStatus::cancelled ? "cancelled" : "failed";
  }

  /// Writes the final record (retrying when the store status moved to "cancelling" meanwhile) and
  /// tells subscribers and waiters.
  void finish(ActiveJob& a, Job job) {
    const TimeMs now = m_clock.now_ms();
    job.cancel_requested = false;
    job.updated_at = job.completed_at.emplace(now);
    if (job.started_at) job.duration_seconds = static_cast<double>(now - *job.started_at) / 1000.0;
    // Before the final record: whoever sees the job ended finds its audit line.
    if (a.persisted && job.type == JobType::restore) record_job_audit(m_store, job, restore_end_action(job), now);
    if (a.persisted) {
      std::lock_guard store_lock(a.store_mutex);
      for (int attempt = 0; attempt < 3; ++attempt) {
        auto changed = m_store.update_job_if(to_row(job), {a.store_status, m_worker_id});
        if (changed && *changed) break;
        if (!changed) {
          spdlog::error("job {}: cannot record its end: {}", job.id, changed.error().message);
          break;
        }
        auto row = m_store.get_job(job.id);
        if (!row || !*row || (*row)->claimed_by != m_worker_id) {
          spdlog::error("job {}: the record was taken over by another worker; its end is not recorded", job.id);
          break;
        }
        a.store_status = (*row)->record.status;
      }
    }
    const EventKind kind = job.status == JobStatus::completed   ? EventKind::completed
                           : job.status == JobStatus::cancelled ? EventKind::cancelled
                                                                : EventKind::failed;
    {
      std::lock_guard lock(a.mutex);
      a.job = job;
      a.done = true;
    }
    const JobEvent event{kind, std::move(job), now};
    publish(a, event);
    a.done_cv.notify_all();
    if (a.persisted && m_options.on_final) m_options.on_final(event);
  }

  void request_cancel(ActiveJob& a) {
    a.cancel.store(true);
    std::lock_guard lock(a.mutex);
    if (!a.done) a.job.cancel_requested = true;
  }

  /// Removes a dead backup job's partial file, also while other backups run in the directory (which
  /// keeps backup::recover_interrupted from its directory-wide sweep). Its backup record is failed by
  /// backup::recover_interrupted, by the run's own liveness lock.
  Status clean_up_backup(const Job& job) {
    CL_TRY(partials, format::find_partial_files(m_options.backup_dir));
    const std::string marker = fmt::format("-{}.claudelens.partial-", job.backup_id);
    for (const auto& p : partials) {
      if (p.filename().string().find(marker) == std::string::npos) continue;
      std::error_code ec;
      std::filesystem::remove(p, ec);
      if (!ec) spdlog::warn("removed the partial file of interrupted job {}: {}", job.id, p.string());
    }
    return {};
  }

  // ---- threads -------------------------------------------------------------------------------------

  /// ServiceOptions::job_nice: this worker thread (and what a job starts from it) that much nicer.
  void apply_job_nice() const {
    const int nice = m_options.job_nice;
    if (nice < 1 || nice > 19) return;
    const auto tid = static_cast<id_t>(::gettid());
    if (::setpriority(PRIO_PROCESS, tid, ::getpriority(PRIO_PROCESS, tid) + nice) != 0)
      spdlog::warn("jobs: job_nice {}: setpriority failed", nice);
  }

  void worker_loop() {
    apply_job_nice();
    for (;;) {
      {
        std::unique_lock lock(m_mutex);
        if (m_stopping || m_closing) return;
      }
      auto claimed = claim_next();
      if (!claimed) spdlog::warn("jobs: cannot claim a job: {}", claimed.error().message);
      if (claimed && *claimed) {
        (void)execute(std::move(**claimed), {});
        continue;
      }
      std::unique_lock lock(m_mutex);
      m_wake.wait_for(lock, m_options.poll_interval, [&] { return m_stopping || m_closing; });
    }
  }

  /// Claims the next job this process may run now: nothing while a restore runs here (it holds the
  /// store's write lock); only backups while other jobs run (a restore waits until it can run alone,
  /// and no backup overtakes a queued restore).
  Result<std::optional<Job>> claim_next() {
    std::lock_guard claim_lock(m_claim_mutex);
    bool others = false;
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping || m_closing) return std::optional<Job>();
      for (const auto& [id, a] : m_active) {
        if (a->type == JobType::restore) return std::optional<Job>();
        others = true;
      }
    }
    store::JobClaim claim{.claimant = m_worker_id, .now = m_clock.now_ms()};
    if (others) {
      std::string oldest_kind;
      CL_CHECK(m_store.for_each_job({.statuses = {"pending"}}, [&](const store::JobRow& r) {
        oldest_kind = r.record.kind;
        return false;
      }));
      if (oldest_kind != "backup") return std::optional<Job>();
      claim.kinds = {"backup"};
    }
    CL_TRY(row, m_store.claim_job(claim));
    if (!row) return std::optional<Job>();
    auto job = from_row(*row);
    if (!job) {
      // An unreadable record cannot run: fail it rather than claim it again and again.
      store::JobRow failed = *row;
      failed.record.status = "failed";
      (void)m_store.update_job_if(failed, {row->record.status, m_worker_id});
      return fail(std::move(job).error());
    }
    job->status = JobStatus::running;
    job->claimed_by = m_worker_id;
    job->started_at = row->record.updated_at;
    job->progress.current_operation = "starting";
    // The claim changed only the row's columns: write the JSON now, so that readers see when it started.
    CL_TRY(written, m_store.update_job_if(to_row(*job), {row->record.status, m_worker_id}));
    if (!written) {
      // A cancel came through the store in between: run it as cancelled (it ends at once, recorded).
      CL_TRY(now, m_store.get_job(job->id));
      if (!now || now->claimed_by != m_worker_id) return std::optional<Job>();
      job->cancel_requested = now->record.status == k_cancelling;
    }
    return std::optional<Job>(std::move(*job));
  }

  /// Writes progress (at most once per progress_interval) and heartbeats of this process's jobs, and
  /// notices cancels asked through the store (from another process).
  void ticker_loop() {
    std::unique_lock lock(m_mutex);
    while (!m_closing) {
      m_wake.wait_for(lock, std::min(m_options.progress_interval, m_options.heartbeat_interval) / 2,
                      [&] { return m_closing; });
      if (m_closing) return;
      std::vector<std::shared_ptr<ActiveJob>> jobs;
      for (auto& [id, a] : m_active) jobs.push_back(a);
      lock.unlock();
      for (auto& a : jobs) tick(*a);
      lock.lock();
    }
  }

  void tick(ActiveJob& a) {
    if (a.external_cancel && a.external_cancel->load()) request_cancel(a);
    // A restore holds the store's write transaction: its progress stays in memory until it ends.
    if (a.type == JobType::restore || !a.persisted) return;
    std::lock_guard store_lock(a.store_mutex);
    Job job;
    {
      std::lock_guard lock(a.mutex);
      if (a.done) return;
      const bool changed = a.version != a.written_version || store_status(a.job) != a.store_status;
      const auto age = since(a.last_write);
      if (!(changed && age >= m_options.progress_interval) && age < m_options.heartbeat_interval) return;
      job = a.job;
      a.written_version = a.version;
    }
    job.updated_at = m_clock.now_ms();
    a.last_write = std::chrono::steady_clock::now();
    auto changed = m_store.update_job_if(to_row(job), {a.store_status, m_worker_id});
    if (!changed) {
      spdlog::warn("job {}: cannot write progress: {}", job.id, changed.error().message);
      return;
    }
    if (*changed) {
      a.store_status = store_status(job);
      return;
    }
    // The record changed under us: a cancel asked through the store, or (never for a live worker)
    // recovery. Either way this run must stop.
    auto row = m_store.get_job(job.id);
    if (row && *row && (*row)->claimed_by == m_worker_id) a.store_status = (*row)->record.status;
    request_cancel(a);
  }

  store::Store& m_store;
  const ServiceOptions m_options;
  const Clock& m_clock;
  const std::string m_worker_id;
  WorkerLock m_lock;

  std::mutex m_mutex;              ///< guards m_active, m_workers (start), m_started, m_stopping, m_closing
  std::condition_variable m_wake;  ///< workers and ticker: new work, stop
  std::map<std::string, std::shared_ptr<ActiveJob>> m_active;  ///< jobs running in this process
  std::atomic<std::size_t> m_running{0};                       ///< m_active.size(), for running_here() without the lock
  std::vector<std::thread> m_workers;
  std::thread m_ticker;
  bool m_started = false;
  bool m_stopping = false;
  bool m_closing = false;
  std::mutex m_claim_mutex;  ///< one claim at a time in this process (the restore-runs-alone rule)
};

}  // namespace

void publish(ActiveJob& a, const JobEvent& event) {
  std::vector<std::shared_ptr<Channel>> channels;
  {
    std::lock_guard lock(a.mutex);
    std::erase_if(a.channels, [](const std::weak_ptr<Channel>& w) { return w.expired(); });
    for (auto& w : a.channels)
      if (auto c = w.lock()) channels.push_back(std::move(c));
  }
  for (auto& c : channels) c->push(event);
}

Result<std::unique_ptr<JobService>> JobService::open(store::Store& store, ServiceOptions options) {
  if (options.backup_dir.empty()) return fail(Errc::invalid_argument, "the job service needs a backup directory");
  std::string worker_id = options.worker_id.empty() ? new_id() : options.worker_id;
  CL_TRY(lock, WorkerLock::acquire(options.backup_dir, worker_id));
  return std::unique_ptr<JobService>(
      std::make_unique<Service>(store, std::move(options), std::move(lock), std::move(worker_id)));
}

}  // namespace claudelens::jobs
