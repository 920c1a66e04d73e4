// Reads a file line by line through one growing buffer, so that a line of any length (1 MB base64
// images) comes back whole, and memory stays at the longest line rather than the file's size.
// Each line is handed out with readable padding bytes after it, for in-place JSON parsing.
//
// A LineReader owns its file descriptor and buffer; not thread-safe. A returned Line's view is valid
// until the next call to next().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace claudelens::ingest {

struct Line {
  std::string_view text;     ///< without its "\n"
  std::size_t capacity = 0;  ///< readable bytes from text.data() (>= text.size() + padding)
  std::int64_t number = 0;   ///< 1-based line number in the file
  bool too_long = false;     ///< longer than the limit: `text` is empty and the line was skipped
};

class LineReader {
 public:
  /// Lines longer than this are skipped and reported (Line::too_long). Default: 256 MiB.
  static constexpr std::size_t k_default_max_line = std::size_t{256} << 20;

  /// Opens `path`. Errors: not_found, io (with the OS's reason).
  static Result<LineReader> open(const std::filesystem::path& path, std::size_t padding,
                                 std::size_t max_line = k_default_max_line);
  LineReader(LineReader&& other) noexcept;
  LineReader& operator=(LineReader&&) = delete;
  LineReader(const LineReader&) = delete;
  ~LineReader();

  /// The next line, nullopt at the end. A last line without "\n" is returned like the others.
  Result<std::optional<Line>> next();

  /// Bytes consumed so far.
  std::int64_t offset() const noexcept { return m_consumed; }

 private:
  LineReader(int fd, std::filesystem::path path, std::size_t padding, std::size_t max_line);
  /// Reads more bytes after m_end; returns false at end of file.
  Result<bool> fill();

  int m_fd = -1;
  std::filesystem::path m_path;
  std::size_t m_padding;
  std::size_t m_max_line;
  std::vector<char> m_buf;  ///< data is m_buf[m_begin, m_end); m_buf.size() - m_end >= m_padding
  std::size_t m_begin = 0;
  std::size_t m_end = 0;
  std::size_t m_scanned = 0;  ///< bytes after m_begin already known to hold no "\n"
  bool m_eof = false;
  std::int64_t m_line = 0;
  std::int64_t m_consumed = 0;
};

}  // namespace claudelens::ingest
