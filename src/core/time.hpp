// Times are int64 milliseconds since the Unix epoch (UTC) everywhere inside ClaudeLens;
// text is ISO 8601 UTC. Parsing accepts what Claude Code writes ("2025-06-14T12:34:56.789Z")
// and the usual variants (no fraction, any fraction length, "+00:00"/"+02:00" offsets, a bare date).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claudelens {

using TimeMs = std::int64_t;

/// Parses an ISO 8601 date-time; nullopt when it is not one.
std::optional<TimeMs> parse_iso8601(std::string_view text) noexcept;

/// "2026-01-15T10:30:00.123Z" (milliseconds always present).
std::string format_iso8601_ms(TimeMs t);
/// "2026-01-15T10:30:00Z" (the API's form; drops milliseconds).
std::string format_iso8601(TimeMs t);

/// A source of the current time. Injected wherever time matters so that tests control it.
/// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

/// The system's real-time clock.
const Clock& system_clock();

}  // namespace claudelens
