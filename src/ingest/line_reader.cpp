#include "ingest/line_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace claudelens::ingest {
namespace {

constexpr std::size_t k_initial_buffer = std::size_t{1} << 20;

}  // namespace

Result<LineReader> LineReader::open(const std::filesystem::path& path, std::size_t padding, std::size_t max_line) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? Errc::not_found : Errc::io,
                fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return LineReader(fd, path, padding, max_line);
}

LineReader::LineReader(int fd, std::filesystem::path path, std::size_t padding, std::size_t max_line)
    : m_fd(fd), m_path(std::move(path)), m_padding(padding), m_max_line(max_line), m_buf(k_initial_buffer + padding) {}

LineReader::LineReader(LineReader&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_path(std::move(other.m_path)),
      m_padding(other.m_padding),
      m_max_line(other.m_max_line),
      m_buf(std::move(other.m_buf)),
      m_begin(other.m_begin),
      m_end(other.m_end),
      m_scanned(other.m_scanned),
      m_eof(other.m_eof),
      m_line(other.m_line),
      m_consumed(other.m_consumed) {}

LineReader::~LineReader() {
  if (m_fd >= 0) ::close(m_fd);
}

Result<bool> LineReader::fill() {
  if (m_begin > 0) {  // move the partial line to the front
    std::memmove(m_buf.data(), m_buf.data() + m_begin, m_end - m_begin);
    m_end -= m_begin;
    m_begin = 0;
  }
  if (m_buf.size() - m_end < m_padding + 64 * 1024) m_buf.resize(m_buf.size() * 2);
  const std::size_t room = m_buf.size() - m_end - m_padding;
  for (;;) {
    const ssize_t n = ::read(m_fd, m_buf.data() + m_end, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, fmt::format("cannot read {}: {}", m_path.string(), std::strerror(errno)));
    m_end += static_cast<std::size_t>(n);
    return n > 0;
  }
}

Result<std::optional<Line>> LineReader::next() {
  bool skipping = false;  // inside a line longer than m_max_line: drop its bytes until its "\n"
  for (;;) {
    const char* base = m_buf.data() + m_begin;
    const std::size_t avail = m_end - m_begin;
    const void* nl = std::memchr(base + m_scanned, '\n', avail - m_scanned);
    if (nl != nullptr || (m_eof && avail > 0)) {
      const std::size_t len = nl ? static_cast<const char*>(nl) - base : avail;
      const std::size_t used = nl ? len + 1 : len;
      Line line;
      line.number = ++m_line;
      if (skipping || len > m_max_line) {
        line.too_long = true;
      } else {
        if (!nl) m_buf[m_begin + len] = ' ';  // the byte after an unterminated last line is whitespace too
        line.text = std::string_view(base, len);
        line.capacity = m_buf.size() - m_begin;
      }
      m_begin += used;
      m_scanned = 0;
      m_consumed += static_cast<std::int64_t>(used);
      return std::optional<Line>(line);
    }
    if (m_eof) return std::optional<Line>();
    m_scanned = avail;
    if (avail >= m_max_line) {  // drop what we have of an overlong line
      skipping = true;
      m_consumed += static_cast<std::int64_t>(avail);
      m_begin = m_end;
      m_scanned = 0;
    }
    CL_TRY(more, fill());
    if (!more) {
      m_eof = true;
      if (skipping && m_end == m_begin) {
        Line line;
        line.number = ++m_line;
        line.too_long = true;
        return std::optional<Line>(line);
      }
    }
  }
}

}  // namespace claudelens::ingest
