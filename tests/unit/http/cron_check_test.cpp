// Cron expressions the settings accept and refuse.
#include <gtest/gtest.h>

#include "http/cron_check.hpp"

namespace claudelens::http {
namespace {

TEST(CronCheck, accepts_the_usual_forms) {
  for (const char* e : {"0 3 * * *", "*/15 * * * *", "0 3 * * 1-5", "0 0 1 jan,jul *", "30 2 * * SUN", "0 0 1-31/2 * *",
                        "5,10,15 8-18 * * mon-fri", "0 0 * * 7", "@daily", "@weekly", " 0  3 * * * "}) {
    EXPECT_EQ(cron_problem(e), std::nullopt) << e;
  }
}

TEST(CronCheck, refuses_with_a_reason) {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {"", "needs 5 fields"},           {"0 3 * *", "needs 5 fields"}, {"60 * * * *", "minute"},
      {"* 24 * * *", "hour"},           {"* * 0 * *", "day of month"}, {"* * * 13 *", "month"},
      {"* * * * 8", "day of week"},     {"*/0 * * * *", "step"},       {"5-1 * * * *", "backwards"},
      {"a * * * *", "not a number"},    {"1,,2 * * * *", "empty"},     {"@often", "macro"},
      {"0 3 * * * *", "needs 5 fields"}};
  for (const auto& [expr, why] : bad) {
    const auto problem = cron_problem(expr);
    ASSERT_TRUE(problem) << expr;
    EXPECT_NE(problem->find(why), std::string::npos) << expr << ": " << *problem;
  }
}

}  // namespace
}  // namespace claudelens::http
