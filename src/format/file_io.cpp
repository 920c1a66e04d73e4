#include "format/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/buffer.hpp"

namespace claudelens::format {

Failure errno_failure(std::string_view what, const std::filesystem::path& path) {
  const int e = errno;
  const Errc code = (e == ENOSPC || e == EDQUOT) ? Errc::no_space : Errc::io;
  return fail(code, std::string(what) + " " + path.string() + ": " + std::strerror(e));
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    m_fd = other.m_fd;
    m_path = std::move(other.m_path);
    other.m_fd = -1;
  }
  return *this;
}

Result<File> File::open(const std::filesystem::path& path, int flags, unsigned mode) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return fail(Errc::not_found, "open " + path.string() + ": " + std::strerror(errno));
    if (errno == EEXIST) return fail(Errc::already_exists, "open " + path.string() + ": " + std::strerror(errno));
    return errno_failure("open", path);
  }
  return File(fd, path);
}

void File::close() noexcept {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

Status File::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(m_fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_failure("write", m_path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status File::read_at(std::uint64_t offset, std::size_t size, std::string& out) const {
  reserve_for_overwrite(out, size);
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(m_fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_failure("read", m_path);
    }
    if (n == 0)
      return fail(Errc::corrupted,
                  m_path.string() + ": file ends at offset " + std::to_string(offset + done) + " (truncated?)");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status File::sync() {
  if (::fsync(m_fd) != 0) return errno_failure("fsync", m_path);
  return {};
}

void File::start_writeback(std::uint64_t offset, std::uint64_t size) noexcept {
#if defined(__linux__)
  (void)::sync_file_range(m_fd, static_cast<off64_t>(offset), static_cast<off64_t>(size), SYNC_FILE_RANGE_WRITE);
#else
  (void)offset;
  (void)size;
#endif
}

Result<std::uint64_t> File::size() const {
  struct stat st {};
  if (::fstat(m_fd, &st) != 0) return errno_failure("stat", m_path);
  return static_cast<std::uint64_t>(st.st_size);
}

Status sync_directory(const std::filesystem::path& dir) {
  CL_TRY(d, File::open(dir.empty() ? std::filesystem::path(".") : dir, O_RDONLY | O_DIRECTORY));
  return d.sync();
}

}  // namespace claudelens::format
