#include "jobs/liveness.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/ids.hpp"

namespace claudelens::jobs {

namespace {

std::filesystem::path lock_path(const std::filesystem::path& backup_dir, const std::string& worker_id) {
  return backup_dir / ".jobs" / (worker_id + ".lock");
}

int flock_retrying(int fd, int op) {
  int rc;
  do rc = ::flock(fd, op);
  while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

Result<WorkerLock> WorkerLock::acquire(const std::filesystem::path& backup_dir, const std::string& worker_id) {
  if (!is_url_safe_token(worker_id)) return fail(Errc::invalid_argument, "a worker id must be a URL-safe token");
  std::error_code ec;
  std::filesystem::create_directories(backup_dir / ".jobs", ec);
  if (ec) return fail(Errc::io, fmt::format("cannot create {}: {}", (backup_dir / ".jobs").string(), ec.message()));
  auto path = lock_path(backup_dir, worker_id);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::io, fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  if (flock_retrying(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(err == EWOULDBLOCK ? Errc::busy : Errc::io,
                fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
  }
  return WorkerLock(std::move(path), fd);
}

WorkerLock::WorkerLock(WorkerLock&& o) noexcept : m_path(std::move(o.m_path)), m_fd(std::exchange(o.m_fd, -1)) {}

WorkerLock::~WorkerLock() {
  if (m_fd < 0) return;
  std::error_code ec;
  std::filesystem::remove(m_path, ec);  // while still locked: a prober never mistakes us for dead
  ::close(m_fd);
}

Liveness probe_worker(const std::filesystem::path& backup_dir, const std::string& worker_id) {
  if (!is_url_safe_token(worker_id)) return Liveness::unknown;
  const auto path = lock_path(backup_dir, worker_id);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Liveness::unknown;
  if (flock_retrying(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Liveness::alive;
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);  // its owner is gone for good: ids are never reused
  ::close(fd);
  return Liveness::dead;
}

}  // namespace claudelens::jobs
