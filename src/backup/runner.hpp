// The backup runner: streams what a Plan selects from one store snapshot, through the archive writer
// (which compresses on its own threads while this thread reads, so reading and compressing overlap),
// into a new file in the backup directory, and records the backup's metadata before and after.
//
// Stages, top to bottom: validate and plan → check free space → record "in_progress" → write entry
// sections session by session → write the catalogue (sessions, projects, users) and the other
// collections → manifest, trailer, atomic publish → record "completed" with counts taken from what was
// written. On an error or a cancel the temporary file is removed and the record says "failed"; when
// the final record cannot be saved (a full store), the published archive is removed again.
// Thread-safety: run_backup may run on any thread; `cancel` may be set from any other thread.
// Test-only hook: CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS=N makes the process raise SIGKILL on itself
// after N documents were handed to the archive writer (core/test_hooks.hpp; crash tests).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "backup/metadata.hpp"
#include "backup/planner.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

struct Progress {
  std::string operation;  ///< "planning", "writing sessions", "writing catalogue", "finishing"
  std::int64_t documents_processed = 0;
  std::int64_t documents_total = 0;  ///< the plan's estimate
  std::int64_t bytes_processed = 0;  ///< uncompressed bytes handed to the writer
  std::int64_t bytes_total = 0;      ///< the plan's estimate
  std::int64_t bytes_written = 0;    ///< compressed bytes on disk so far
  double percentage = 0;             ///< 0–100, by bytes
  double elapsed_seconds = 0;
  double eta_seconds = 0;
};

struct RunOptions {
  std::filesystem::path backup_dir;  ///< created when missing
  /// The new backup's id; empty: a new one is made. Lets a job record the id before the run.
  std::string backup_id;
  unsigned threads = 0;          ///< compression threads; 0 = one per core. Default: 0.
  const Clock* clock = nullptr;  ///< Default: the system clock.
  /// Called on the runner's thread about every 100 ms, and once at the end.
  std::function<void(const Progress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;  ///< set to true to stop; the run then fails with cancelled
  /// Bytes that must stay free on the backup directory's file system besides the estimate. Default: 16 MiB.
  std::int64_t reserve_bytes = 16 << 20;
};

/// Runs a backup to completion. Returns the completed metadata (also saved in the store), or the
/// error (the failed metadata is saved too when the run got as far as recording one).
Result<BackupMetadata> run_backup(store::Store& store, const BackupRequest& request, const RunOptions& options);

/// The file name the server gives a backup: backup-<yyyymmddThhmmssZ>-<id>.claudelens
std::string backup_file_name(const std::string& id, TimeMs created_at);

/// Startup recovery: removes leftover temporary archives in `backup_dir` (when no backup runs in it)
/// and marks "pending"/"in_progress" backups as failed ("interrupted") whose owner process is gone:
/// each run holds a lock of its own, named in its record with its host and backup directory, so that a
/// live backup in another directory on the same store is left alone. Returns how many were marked.
Result<int> recover_interrupted(store::Store& store, const std::filesystem::path& backup_dir, TimeMs now);

}  // namespace claudelens::backup
