// Is the process that claimed a job still alive? Each JobService holds an exclusive flock on
// "<backup_dir>/.jobs/<worker_id>.lock" for its lifetime; the kernel drops the lock when the process
// dies, however it dies. Probing tries the lock without waiting: held → alive; free → dead. Private to
// src/jobs/. Thread-safe (file-system calls only).
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace claudelens::jobs {

/// The lock of this process's worker id, held until destruction (which removes the file).
class WorkerLock {
 public:
  static Result<WorkerLock> acquire(const std::filesystem::path& backup_dir, const std::string& worker_id);
  WorkerLock(WorkerLock&& o) noexcept;
  WorkerLock& operator=(WorkerLock&&) = delete;
  ~WorkerLock();

 private:
  WorkerLock(std::filesystem::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}
  std::filesystem::path m_path;
  int m_fd = -1;
};

enum class Liveness {
  alive,    ///< its lock is held
  dead,     ///< its lock file exists and nobody holds it (the stale file is removed)
  unknown,  ///< no lock file here: another machine, or a process that exited cleanly
};

Liveness probe_worker(const std::filesystem::path& backup_dir, const std::string& worker_id);

}  // namespace claudelens::jobs
