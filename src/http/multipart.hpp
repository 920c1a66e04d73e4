// A streaming multipart/form-data parser (RFC 7578 over RFC 2046), for POST /restore/upload: it is fed
// the request body in chunks cut anywhere, hands each part's bytes to a handler as they arrive, and
// keeps at most one chunk plus a boundary's length in memory, whatever the size of a part.
// Errors (Errc::malformed_input) for a bad boundary line, a bad or oversized part header block, too
// many parts, an oversized preamble and, at finish(), a missing closing delimiter. The handler's own
// errors (a field too large, a full disk) stop the parse and are returned as they are.
// Not thread-safe: one parser per request. The handler must outlive the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace claudelens::http {

/// The boundary of a `multipart/form-data; boundary=...` Content-Type (quoted or not). invalid_argument
/// when the media type is another or the boundary is missing or breaks RFC 2046 (1–70 characters).
Result<std::string> multipart_boundary(std::string_view content_type);

/// What a part's headers say.
struct PartInfo {
  std::string name;           ///< the form field's name (Content-Disposition `name`), never empty
  std::string filename;       ///< the `filename` parameter, "" when absent
  bool has_filename = false;  ///< true when a `filename` parameter was given (even an empty one)
  std::string content_type;   ///< the part's Content-Type, "" when absent
};

/// Receives the parts in order: begin, data (zero or more times, any sizes), end.
class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual Status on_part_begin(const PartInfo& part) = 0;
  virtual Status on_part_data(std::string_view bytes) = 0;
  virtual Status on_part_end() = 0;
};

struct MultipartLimits {
  std::size_t max_header_bytes = 8192;    ///< one part's header block. Default: 8 KiB
  std::size_t max_parts = 16;             ///< Default: 16
  std::size_t max_preamble_bytes = 8192;  ///< bytes before the first delimiter. Default: 8 KiB
};

class MultipartParser {
 public:
  /// `boundary` as multipart_boundary() returns it.
  MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits = {});

  /// Parses the next bytes of the body. After an error the parser stays failed.
  Status feed(std::string_view chunk);
  /// The body ended: malformed_input unless the closing delimiter was seen.
  Status finish();
  /// True once the closing delimiter was seen (later bytes are the epilogue and are ignored).
  bool done() const noexcept { return m_state == State::done; }
  /// Bytes fed so far.
  std::uint64_t bytes_fed() const noexcept { return m_fed; }

 private:
  enum class State { preamble, after_delimiter, headers, body, done, failed };
  Status step(bool& progressed);
  Status fail_with(std::string message);

  std::string m_delimiter;  ///< "\r\n--" + boundary
  MultipartHandler& m_handler;
  MultipartLimits m_limits;
  State m_state = State::preamble;
  std::string m_buffer;  ///< bytes not yet consumed: at most one chunk plus a delimiter
  std::size_t m_preamble = 0;
  std::size_t m_parts = 0;
  std::uint64_t m_fed = 0;
};

/// Parses one part's header block (lines separated by CRLF, without the blank line that ends it).
/// malformed_input for a line that is not `Name: value`, a missing or non-form-data
/// Content-Disposition, or a missing name.
Result<PartInfo> parse_part_headers(std::string_view block);

}  // namespace claudelens::http
