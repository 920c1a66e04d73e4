// Per-key sliding-window rate limits on a manual clock: an hour passes in a microsecond.
#include <gtest/gtest.h>

#include "http/rate_limiter.hpp"

namespace claudelens::http {
namespace {

class ManualClock final : public Clock {
 public:
  TimeMs now_ms() const override { return now; }
  TimeMs now = 1'700'000'000'000;
};

TEST(RateLimiter, allows_the_limit_then_answers_retry_after) {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(limiter.admit("k", RateClass::backup_create)) << i;
    clock.now += 60'000;  // one a minute
  }
  const auto retry = limiter.admit("k", RateClass::backup_create);
  ASSERT_TRUE(retry);
  // The first call was 10 minutes ago: it leaves the hour's window in 50 minutes.
  EXPECT_EQ(*retry, 50 * 60);
  clock.now += 50 * 60'000 - 1;
  EXPECT_TRUE(limiter.admit("k", RateClass::backup_create));
  clock.now += 1;
  EXPECT_FALSE(limiter.admit("k", RateClass::backup_create));
}

TEST(RateLimiter, classes_and_keys_are_separate) {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.admit("a", RateClass::upload));
  EXPECT_TRUE(limiter.admit("a", RateClass::upload));
  EXPECT_FALSE(limiter.admit("b", RateClass::upload));
  EXPECT_FALSE(limiter.admit("a", RateClass::download));
  EXPECT_FALSE(limiter.admit("a", RateClass::general));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.admit("a", RateClass::none));
}

TEST(RateLimiter, rejected_calls_do_not_count) {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit("k", RateClass::restore));
  clock.now += 30 * 60'000;
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(limiter.admit("k", RateClass::restore));
  clock.now += 30 * 60'000;  // the first five leave the window; the rejected fifty never entered it
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit("k", RateClass::restore)) << i;
}

TEST(RateLimiter, zero_means_no_limit_and_limits_change_live) {
  ManualClock clock;
  RateLimits limits;
  limits.requests_per_minute = 0;
  RateLimiter limiter(clock, limits);
  for (int i = 0; i < 10'000; ++i) ASSERT_FALSE(limiter.admit("k", RateClass::general));
  limits.requests_per_minute = 2;
  limiter.set_limits(limits);
  EXPECT_FALSE(limiter.admit("k", RateClass::general));
  EXPECT_FALSE(limiter.admit("k", RateClass::general));
  const auto retry = limiter.admit("k", RateClass::general);
  ASSERT_TRUE(retry);
  EXPECT_EQ(*retry, 60);
}

}  // namespace
}  // namespace claudelens::http
