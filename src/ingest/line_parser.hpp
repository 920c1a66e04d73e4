// One Claude Code JSONL line -> the fields of a store::Entry. The line is fully validated (JSON
// grammar, by simdjson's DOM parser); a line that is not one JSON object is rejected whole, never
// half-read. A line whose only fault is bytes that are not UTF-8 is accepted: its fields are read
// from its escaped form (escape_invalid_utf8). The Entry's `json` is the line's bytes exactly as given.
//
// A LineParser owns one reusable simdjson parser (its buffers grow to the longest line seen). Not
// thread-safe: use one per thread. Views passed in need only live for the call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::ingest {

/// What one line holds. `entry.key` is the `uuid` for a message; for a record without a uuid it is
/// left empty (content_key() makes it, since it depends on the other lines of the file).
/// `entry.session_id` is the `sessionId` field, "" when absent (the file's session applies then).
struct ParsedLine {
  store::Entry entry;
  std::string summary;    ///< a `summary` record's text
  std::string leaf_uuid;  ///< a `summary` record's `leafUuid`
};

class LineParser {
 public:
  LineParser();
  ~LineParser();
  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  /// Parses `line` (without its "\n") into `out`, replacing all of `out`'s fields. When the caller
  /// can promise `capacity` readable bytes from line.data() (capacity >= line.size() + padding(), the
  /// bytes past the line's end being whitespace or further data), the line is parsed in place;
  /// otherwise it is copied first. Errors: malformed_input with a short reason.
  Status parse(std::string_view line, ParsedLine& out, std::size_t capacity = 0);
  Result<ParsedLine> parse(std::string_view line);

  /// The number of bytes past a line's end that in-place parsing reads.
  static std::size_t padding() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The key of a record without a uuid: "~" + 32 hex digits (the first 16 bytes of the line's SHA-256)
/// + ":" + `occurrence` (1 for the first copy of identical bytes in a file, 2 for the second, ...).
std::string content_key(std::string_view line, std::int64_t occurrence);

/// content_key() without the occurrence: "~" + 32 hex digits (for counting identical lines).
std::string content_key_prefix(std::string_view line);

}  // namespace claudelens::ingest
