// While a backup or restore runs in the server's process, requests are let through at most `per_second`
// a second, server-wide, and the rest wait their turn: they are delayed, never refused. This keeps a
// flood of requests (API.md's per-key limits lifted, or many keys) from taking the CPU a job needs, while
// each request still gets its answer promptly at any ordinary concurrency (SPEC §9, docs/http.md
// "Requests while a job runs"). With no job running nothing is paced.
//
// A virtual schedule (GCRA): request n may start at slot n, slots 1/per_second apart; idle time builds
// up a credit of at most `burst` slots, so a page that sends a few requests at once is not delayed.
// Plain value; not thread-safe (the server calls it on its one I/O thread). Times are injected.
#pragma once

#include <chrono>
#include <cstddef>

namespace claudelens::http {

struct PacerOptions {
  /// Requests a second while a job runs; 0: no pacing. Default: 1,000 (API.md's own limit is 100 a
  /// minute per key, so this is 600 keys at their limit).
  double per_second = 1000;
  /// Requests that may start at once after a quiet moment (beyond the one due now). Default: 100, a
  /// tenth of a second at the default rate (`serve` keeps that proportion for any rate).
  std::size_t burst = 100;
};

class RequestPacer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RequestPacer(PacerOptions options = {});

  /// A request arrives at `now`; `busy`: a job runs in this process. Returns how long it must wait
  /// before it is handled (zero: at once) and takes its slot.
  Clock::duration admit(Clock::time_point now, bool busy);

 private:
  PacerOptions m_options;
  Clock::duration m_interval{};
  Clock::time_point m_next{};  ///< the slot of the next request (the credit is m_next's lag behind now)
};

}  // namespace claudelens::http
