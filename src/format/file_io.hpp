// Thin POSIX file helpers for the archive writer and reader: an owning descriptor, whole writes and
// exact positional reads that retry on EINTR and turn errno into Errc::io / Errc::no_space with
// the file name. A File is not thread-safe; the functions are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace claudelens::format {

/// An open file descriptor, closed by the destructor.
class File {
 public:
  File() = default;
  File(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
  ~File() { close(); }
  File(File&& other) noexcept : m_fd(other.m_fd), m_path(std::move(other.m_path)) { other.m_fd = -1; }
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  /// Opens `path` with open(2) `flags` and `mode`.
  static Result<File> open(const std::filesystem::path& path, int flags, unsigned mode = 0600);

  bool is_open() const { return m_fd >= 0; }
  int fd() const { return m_fd; }
  const std::filesystem::path& path() const { return m_path; }
  void close() noexcept;

  /// Writes all of `bytes` at the current position.
  Status write_all(std::string_view bytes);
  /// Reads exactly `size` bytes at `offset` into `out` (resized); corrupted when the file ends first.
  Status read_at(std::uint64_t offset, std::size_t size, std::string& out) const;
  Status sync();
  /// Starts writing `size` bytes from `offset` back to the disk without waiting for them (Linux
  /// sync_file_range; elsewhere nothing), so that a later sync() has little left to wait for. Advisory:
  /// errors are left to sync().
  void start_writeback(std::uint64_t offset, std::uint64_t size) noexcept;
  Result<std::uint64_t> size() const;

 private:
  int m_fd = -1;
  std::filesystem::path m_path;
};

/// An error for the failed system call `what` on `path`, with errno's text.
Failure errno_failure(std::string_view what, const std::filesystem::path& path);

/// fsyncs a directory so that a rename in it is durable.
Status sync_directory(const std::filesystem::path& dir);

}  // namespace claudelens::format
