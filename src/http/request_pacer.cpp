#include "http/request_pacer.hpp"

#include <algorithm>

namespace claudelens::http {

RequestPacer::RequestPacer(PacerOptions options) : m_options(options) {
  if (m_options.per_second > 0)
    m_interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / m_options.per_second));
}

RequestPacer::Clock::duration RequestPacer::admit(Clock::time_point now, bool busy) {
  if (!busy || m_options.per_second <= 0) return Clock::duration::zero();
  // The earliest slot is `burst` slots in the past: that much unused time is the credit of a burst.
  const Clock::time_point earliest = now - m_interval * static_cast<Clock::rep>(m_options.burst);
  const Clock::time_point slot = std::max(m_next, earliest);
  m_next = slot + m_interval;
  return slot > now ? slot - now : Clock::duration::zero();
}

}  // namespace claudelens::http
