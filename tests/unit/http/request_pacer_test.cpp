// The request pacer on injected times: no job, no pacing; with a job, a burst at once, then one
// request per interval; idle time refills the burst and no more.
#include <gtest/gtest.h>

#include "http/request_pacer.hpp"

namespace claudelens::http {
namespace {

using namespace std::chrono_literals;
using Clock = RequestPacer::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(RequestPacer, without_a_running_job_nothing_waits) {
  RequestPacer pacer({.per_second = 10, .burst = 1});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(pacer.admit(t0, false), Clock::duration::zero()) << i;
}

TEST(RequestPacer, a_burst_goes_at_once_then_requests_take_one_interval_each) {
  RequestPacer pacer({.per_second = 100, .burst = 5});
  // At one instant: the burst's 5 slots in the past and the present one go at once...
  for (int i = 0; i < 6; ++i) EXPECT_EQ(pacer.admit(t0, true), Clock::duration::zero()) << i;
  // ...then each further request waits 10 ms more than the one before.
  for (int i = 1; i <= 50; ++i) EXPECT_EQ(pacer.admit(t0, true), i * 10ms) << i;
}

TEST(RequestPacer, a_steady_rate_below_the_limit_never_waits_and_above_it_falls_behind) {
  RequestPacer below({.per_second = 100, .burst = 0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(below.admit(t0 + i * 11ms, true), Clock::duration::zero()) << i;
  RequestPacer above({.per_second = 100, .burst = 0});
  // One every 5 ms against one every 10 ms: after n requests the wait is n × 5 ms.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(above.admit(t0 + i * 5ms, true), i * 5ms) << i;
}

TEST(RequestPacer, idle_time_refills_the_burst_but_no_more_than_the_burst) {
  RequestPacer pacer({.per_second = 100, .burst = 3});
  for (int i = 0; i < 20; ++i) (void)pacer.admit(t0, true);  // 190 ms of slots taken ahead
  // At t0 + 1 s the backlog is gone and 3 slots of credit have built up, not 80.
  const auto later = t0 + 1s;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pacer.admit(later, true), Clock::duration::zero()) << i;
  EXPECT_EQ(pacer.admit(later, true), 10ms);
}

TEST(RequestPacer, a_rate_of_zero_turns_it_off) {
  RequestPacer pacer({.per_second = 0, .burst = 0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(pacer.admit(t0, true), Clock::duration::zero()) << i;
}

}  // namespace
}  // namespace claudelens::http
