// Sliding-window rate limits per key (rate_limiter.hpp).
#include "http/rate_limiter.hpp"

namespace claudelens::http {
namespace {

constexpr TimeMs k_minute = 60'000;
constexpr TimeMs k_hour = 3'600'000;

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, RateLimits limits) : m_clock(clock), m_limits(limits) {}

void RateLimiter::set_limits(const RateLimits& limits) {
  std::lock_guard lock(m_mutex);
  m_limits = limits;
}

RateLimits RateLimiter::limits() const {
  std::lock_guard lock(m_mutex);
  return m_limits;
}

std::optional<std::int64_t> RateLimiter::admit(const std::string& key_id, RateClass cls) {
  if (cls == RateClass::none) return std::nullopt;
  std::lock_guard lock(m_mutex);
  std::int64_t limit = 0;
  TimeMs window = k_hour;
  switch (cls) {
    case RateClass::general:
      limit = m_limits.requests_per_minute, window = k_minute;
      break;
    case RateClass::backup_create:
      limit = m_limits.backups_per_hour;
      break;
    case RateClass::restore:
      limit = m_limits.restores_per_hour;
      break;
    case RateClass::upload:
      limit = m_limits.uploads_per_hour;
      break;
    case RateClass::download:
      limit = m_limits.downloads_per_hour;
      break;
    case RateClass::none:
      return std::nullopt;
  }
  if (limit <= 0) return std::nullopt;
  const TimeMs now = m_clock.now_ms();
  auto& calls = m_keys[key_id].calls[static_cast<std::size_t>(cls)];
  while (!calls.empty() && calls.front() <= now - window) calls.pop_front();
  if (static_cast<std::int64_t>(calls.size()) >= limit) {
    // Room frees up when enough of the oldest calls leave the window (the limit may have shrunk).
    const TimeMs frees_at = calls[calls.size() - static_cast<std::size_t>(limit)] + window;
    return std::max<std::int64_t>(1, (frees_at - now + 999) / 1000);
  }
  calls.push_back(now);
  return std::nullopt;
}

}  // namespace claudelens::http
