// The HTTP Range header of a download (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or
// `bytes=-n`, resolved against the file's size. A header that is not a single byte range is ignored
// (the whole file is sent, as the RFC allows); a range that starts past the end is unsatisfiable (416).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claudelens::http {

struct ByteRange {
  enum class Kind {
    whole,          ///< no usable Range: 200 with every byte
    partial,        ///< 206 with bytes [first, last]
    unsatisfiable,  ///< 416 with `Content-Range: bytes */size`
  };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;  ///< inclusive
  std::uint64_t last = 0;   ///< inclusive
  std::uint64_t length() const noexcept { return kind == Kind::partial ? last - first + 1 : 0; }
};

/// Resolves `header` (the Range header's value; "" when absent) against a file of `size` bytes.
ByteRange parse_range(std::string_view header, std::uint64_t size) noexcept;

/// "bytes first-last/size" for a partial answer, "bytes */size" for an unsatisfiable one.
std::string content_range(const ByteRange& range, std::uint64_t size);

}  // namespace claudelens::http
