// Cron parsing, next runs against a brute-force minute-by-minute reference, refusals and descriptions.
#include <gtest/gtest.h>

#include <ctime>
#include <random>

#include "core/time.hpp"
#include "schedule/cron.hpp"

namespace claudelens::schedule {
namespace {

TimeMs at(const char* iso) {
  const auto t = parse_iso8601(iso);
  EXPECT_TRUE(t) << iso;
  return t.value_or(0);
}

CronExpr parse_ok(const std::string& text) {
  auto e = parse_cron(text);
  EXPECT_TRUE(e) << text << ": " << (e ? "" : e.error().message);
  return e ? *e : CronExpr{};
}

// ---- the brute-force reference: re-parses nothing, checks each minute with gmtime ----------------

/// Does the minute at `t` match? Independent of CronExpr's bit layout: reads the fields through
/// gmtime_r and applies Vixie's day rule itself.
bool reference_matches(const CronExpr& e, TimeMs t) {
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  const bool dom = e.days_of_month.test(static_cast<std::size_t>(tm.tm_mday));
  const bool dow = e.days_of_week.test(static_cast<std::size_t>(tm.tm_wday));
  const bool day = (e.dom_star || e.dow_star) ? (dom && dow) : (dom || dow);
  return e.minutes.test(static_cast<std::size_t>(tm.tm_min)) && e.hours.test(static_cast<std::size_t>(tm.tm_hour)) &&
         e.months.test(static_cast<std::size_t>(tm.tm_mon + 1)) && day;
}

/// Every firing minute in (from, to], minute by minute.
std::vector<TimeMs> brute_force(const CronExpr& e, TimeMs from, TimeMs to) {
  std::vector<TimeMs> out;
  for (TimeMs t = (from / 60'000 + 1) * 60'000; t <= to; t += 60'000)
    if (reference_matches(e, t)) out.push_back(t);
  return out;
}

/// The same through cron_next.
std::vector<TimeMs> by_next(const CronExpr& e, TimeMs from, TimeMs to) {
  std::vector<TimeMs> out;
  for (auto t = cron_next(e, from); t && *t <= to; t = cron_next(e, *t)) out.push_back(*t);
  return out;
}

void expect_same_as_brute_force(const std::string& text, TimeMs from, TimeMs to) {
  const CronExpr e = parse_ok(text);
  const auto want = brute_force(e, from, to);
  const auto got = by_next(e, from, to);
  ASSERT_EQ(got.size(), want.size()) << text;
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << text << " run " << i << ": " << format_iso8601(got[i]) << " vs "
                               << format_iso8601(want[i]);
}

TEST(Cron, next_runs_equal_brute_force_over_a_year) {
  const TimeMs from = at("2026-01-01T00:00:00Z") - 1;  // includes midnight of New Year
  const TimeMs to = at("2027-01-01T00:00:00Z");
  for (const char* text :
       {"* * * * *",      "*/15 * * * *", "0 3 * * 1-5", "30 2 1 * *",           "0 0 1 1 *",       "5,10,55 */4 * * *",
        "0 12 * * sun",   "0 12 * * 7",   "0 0 13 * 5",  "0 9-17/2 * * mon-fri", "0 0 * feb,aug *", "59 23 31 * *",
        "0 0 */10 * *",   "0 0 1-7 * 1",  "0 0 * * */2", "15 14 1 * *",          "0 22 * * 1-5",    "23 0-20/2 * * *",
        "0 0,12 1 */2 *", "0 4 8-14 * *", "0 0 29 2 *",  "1 1 30 * 6",           "@hourly",         "@daily",
        "@weekly",        "@monthly",     "@yearly",     "0 0 1 jan-mar sat",    "0 5 * * fri-sun", "7/20 * * * *",
        "0 0 */7 * mon"})
    expect_same_as_brute_force(text, from, to);
}

TEST(Cron, random_expressions_equal_brute_force) {
  std::mt19937 rng(20261127);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const auto field = [&](int lo, int hi) {
    std::string out;
    const int parts = pick(1, 3);
    for (int p = 0; p < parts; ++p) {
      if (!out.empty()) out += ',';
      const int a = pick(lo, hi), b = pick(lo, hi);
      switch (pick(0, 4)) {
        case 0:
          out += "*";
          break;
        case 1:
          out += std::to_string(a);
          break;
        case 2:
          out += std::to_string(std::min(a, b)) + "-" + std::to_string(std::max(a, b));
          break;
        case 3:
          out += "*/" + std::to_string(pick(1, hi - lo + 1));
          break;
        default:
          out +=
              std::to_string(std::min(a, b)) + "-" + std::to_string(std::max(a, b)) + "/" + std::to_string(pick(1, 5));
      }
    }
    return out;
  };
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string text =
        field(0, 59) + " " + field(0, 23) + " " + field(1, 31) + " " + field(1, 12) + " " + field(0, 7);
    if (!parse_cron(text)) continue;  // e.g. only Feb 30 left
    // A year for the first 25, then 40 days each from random starts (the brute force is the slow part).
    const TimeMs from = at("2024-01-01T00:00:00Z") + static_cast<TimeMs>(pick(0, 3 * 365)) * 86'400'000 +
                        pick(0, 1439) * 60'000 + pick(0, 59'999);
    const TimeMs span = (checked < 25 ? 366 : 40) * 86'400'000LL;
    expect_same_as_brute_force(text, from, from + span);
    ++checked;
  }
  EXPECT_GT(checked, 250);
}

TEST(Cron, next_is_strictly_after_and_whole_minutes) {
  const CronExpr e = parse_ok("30 3 * * *");
  EXPECT_EQ(cron_next(e, at("2026-03-10T03:30:00Z")), at("2026-03-11T03:30:00Z"));
  EXPECT_EQ(cron_next(e, at("2026-03-10T03:29:59.999Z")), at("2026-03-10T03:30:00Z"));
  EXPECT_EQ(cron_next(e, at("2026-03-10T03:30:00.001Z")), at("2026-03-11T03:30:00Z"));
  EXPECT_EQ(cron_next(parse_ok("* * * * *"), at("2026-03-10T03:30:17Z")), at("2026-03-10T03:31:00Z"));
}

TEST(Cron, hand_computed_runs) {
  // 2026-11-27 is a Friday.
  EXPECT_EQ(cron_next_runs(parse_ok("0 3 * * 1-5"), at("2026-11-27T12:00:00Z"), 3),
            (std::vector<TimeMs>{at("2026-11-30T03:00:00Z"), at("2026-12-01T03:00:00Z"), at("2026-12-02T03:00:00Z")}));
  EXPECT_EQ(cron_next(parse_ok("0 0 29 2 *"), at("2026-01-01T00:00:00Z")), at("2028-02-29T00:00:00Z"));
  EXPECT_EQ(cron_next(parse_ok("@yearly"), at("2026-11-27T00:00:00Z")), at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(cron_next(parse_ok("@weekly"), at("2026-11-27T00:00:00Z")), at("2026-11-29T00:00:00Z"));
  // Vixie: both day fields restricted → either. The 13th (a Sunday in Dec 2026) or any Friday.
  EXPECT_EQ(cron_next_runs(parse_ok("0 0 13 * 5"), at("2026-12-03T00:00:00Z"), 3),
            (std::vector<TimeMs>{at("2026-12-04T00:00:00Z"), at("2026-12-11T00:00:00Z"), at("2026-12-13T00:00:00Z")}));
  // A '*'-led day-of-month (even with a step) makes it AND: odd days that are Mondays.
  EXPECT_EQ(cron_next(parse_ok("0 0 */2 * mon"), at("2026-11-27T00:00:00Z")), at("2026-12-07T00:00:00Z"));
  // 7 and sun are Sunday; "fri-sun" wraps to Sunday.
  EXPECT_EQ(parse_ok("0 0 * * 7").days_of_week, parse_ok("0 0 * * SUN").days_of_week);
  EXPECT_EQ(parse_ok("0 0 * * fri-sun").days_of_week.to_ulong(), (1ul << 0) | (1ul << 5) | (1ul << 6));
  EXPECT_EQ(parse_ok("0 0 * * 5-7").days_of_week.to_ulong(), (1ul << 0) | (1ul << 5) | (1ul << 6));
  // Before 1970 works too (floor, not truncation).
  EXPECT_EQ(cron_next(parse_ok("0 0 * * *"), at("1969-12-31T12:00:00Z")), at("1970-01-01T00:00:00Z"));
}

TEST(Cron, invalid_forms_are_refused_naming_the_field) {
  struct Case {
    const char* text;
    const char* must_contain;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"", "5 fields"},
           {"* * * *", "5 fields"},
           {"* * * * * *", "5 fields"},
           {"60 * * * *", "minute field '60': 60 is outside 0-59"},
           {"-1 * * * *", "minute field"},
           {"* 24 * * *", "hour field '24': 24 is outside 0-23"},
           {"* * 0 * *", "day-of-month field '0': 0 is outside 1-31"},
           {"* * 32 * *", "day-of-month field '32'"},
           {"* * * 0 *", "month field '0'"},
           {"* * * 13 *", "month field '13'"},
           {"* * * * 8", "day-of-week field '8': 8 is outside 0-7"},
           {"*/0 * * * *", "minute field '*/0': step 0 is outside 1-60"},
           {"*/61 * * * *", "step 61"},
           {"5-1 * * * *", "minute field '5-1': range 5-1 runs backwards"},
           {"1,,2 * * * *", "minute field '1,,2': an empty list item"},
           {"1, * * * *", "minute field"},
           {"a * * * *", "minute field 'a': 'a' is not a number"},
           {"* * * foo *", "month field 'foo': 'foo' is not a month"},
           {"* * * * funday", "day-of-week field 'funday'"},
           {"* * * * mon-", "day-of-week field 'mon-': a number is missing"},
           {"* * * jan/x *", "month field 'jan/x': step 'x' is not a number"},
           {"* mon * * *", "hour field 'mon'"},
           {"0 0 30 2 *", "never fires"},
           {"0 0 31 4,6,9,11 *", "never fires"},
           {"@every5m", "unknown cron macro"},
           {"@", "unknown cron macro"},
           {"1.5 * * * *", "minute field"},
           {"99999 * * * *", "minute field"},
       }) {
    auto e = parse_cron(c.text);
    ASSERT_FALSE(e) << "accepted: '" << c.text << "'";
    EXPECT_EQ(e.error().code, Errc::invalid_argument);
    EXPECT_NE(e.error().message.find(c.must_contain), std::string::npos)
        << "'" << c.text << "' → " << e.error().message;
  }
  // Feb 30 with a weekday restriction is fine (either matches).
  EXPECT_TRUE(parse_cron("0 0 30 2 mon"));
}

TEST(Cron, descriptions_in_words) {
  const auto d = [](const char* text) { return describe_cron(parse_ok(text)); };
  EXPECT_EQ(d("* * * * *"), "every minute");
  EXPECT_EQ(d("*/15 * * * *"), "every 15 minutes");
  EXPECT_EQ(d("0 3 * * 1-5"), "at 03:00 on Monday to Friday");
  EXPECT_EQ(d("0 3 * * mon-fri"), "at 03:00 on Monday to Friday");
  EXPECT_EQ(d("@daily"), "at 00:00");
  EXPECT_EQ(d("@weekly"), "at 00:00 on Sunday");
  EXPECT_EQ(d("@monthly"), "at 00:00 on day 1 of the month");
  EXPECT_EQ(d("@yearly"), "at 00:00 on day 1 of the month in January");
  EXPECT_EQ(d("@hourly"), "at minute 0 of every hour");
  EXPECT_EQ(d("0 0,12 * * *"), "at 00:00 and 12:00");
  EXPECT_EQ(d("30 2 1,15 * *"), "at 02:30 on day 1 and 15 of the month");
  EXPECT_EQ(d("0 0 13 * 5"), "at 00:00 on day 13 of the month or on Friday");
  EXPECT_EQ(d("0 0 */2 * mon"), "at 00:00 on every 2nd day of the month and on Monday");
  EXPECT_EQ(d("*/5 9-17 * * *"), "every 5 minutes past hours 9 to 17");
  EXPECT_EQ(d("0 */2 * * *"), "at minute 0 of every 2nd hour");
  EXPECT_EQ(d("0 0 1 */3 *"), "at 00:00 on day 1 of the month in every 3rd month");
  EXPECT_EQ(d("0 0 * jan,jul 7"), "at 00:00 on Sunday in January and July");
}

TEST(Cron, out_of_range_times_give_no_run) {
  const CronExpr e = parse_ok("* * * * *");
  EXPECT_FALSE(cron_next(e, std::numeric_limits<TimeMs>::max()));
  EXPECT_FALSE(cron_next(e, std::numeric_limits<TimeMs>::min()));
  EXPECT_TRUE(cron_next(e, at("9999-12-31T23:58:00Z")));
}

}  // namespace
}  // namespace claudelens::schedule
