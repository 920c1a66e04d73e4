// Per-key rate limits of API.md's table, as sliding windows over an injected clock: a key may make at
// most `limit` calls of a class within the last window (an hour, or a minute for `general`). Only calls
// that are let through count, so rejected calls (401, 429) never use up the allowance. 0 = no limit.
// Thread-safe: one mutex guards the windows and the limits.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "http/router.hpp"

namespace claudelens::http {

/// API.md's `rate_limits` settings. Defaults: the table's numbers.
struct RateLimits {
  std::int64_t backups_per_hour = 10;
  std::int64_t restores_per_hour = 5;
  std::int64_t uploads_per_hour = 3;
  std::int64_t downloads_per_hour = 20;
  std::int64_t requests_per_minute = 100;
};

class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock, RateLimits limits = {});

  /// Counts a call of `key_id` in `cls` when allowed and returns nullopt; otherwise returns the seconds
  /// until the oldest counted call leaves the window (Retry-After, at least 1) and counts nothing.
  std::optional<std::int64_t> admit(const std::string& key_id, RateClass cls);

  void set_limits(const RateLimits& limits);
  RateLimits limits() const;

 private:
  static constexpr std::size_t k_classes = 5;
  struct Windows {
    std::array<std::deque<TimeMs>, k_classes> calls;  ///< times of counted calls, oldest first
  };
  const Clock& m_clock;
  mutable std::mutex m_mutex;  ///< guards m_limits and m_keys
  RateLimits m_limits;
  std::map<std::string, Windows> m_keys;
};

}  // namespace claudelens::http
