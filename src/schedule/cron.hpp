// Cron expressions (docs/schedule.md): five fields — minute, hour, day of month, month, day of week —
// with lists, ranges, steps, month and weekday names (0 and 7 are Sunday), Vixie cron's day rule (when
// both day fields are restricted either one matches), and the @hourly/@daily/@weekly/@monthly/@yearly
// (@annually, @midnight) macros. Runs are computed in UTC. Plain values and pure functions; thread-safe.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace claudelens::schedule {

/// The five fields, in order.
enum class CronField { minute, hour, day_of_month, month, day_of_week };
/// "minute", "hour", "day-of-month", "month", "day-of-week".
std::string_view cron_field_name(CronField f) noexcept;

/// One comma-separated item of a field, as written: lo-hi/step ("*" is the field's whole range).
struct CronItem {
  int lo = 0;
  int hi = 0;
  int step = 1;
  bool star = false;  ///< written as "*" or "*/step"
};

struct CronExpr {
  std::string text;  ///< the expression as given (trimmed)
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  ///< bits 1–31
  std::bitset<13> months;         ///< bits 1–12
  std::bitset<7> days_of_week;    ///< bits 0–6, 0 = Sunday (7 is folded into 0)
  /// Vixie cron: a day field is "unrestricted" when its text starts with '*'. When both day fields are
  /// restricted a day matches if either does; otherwise both must (the '*' one matches its own bits).
  bool dom_star = true;
  bool dow_star = true;
  /// The items of each field as written, for describe().
  std::vector<CronItem> items[5];
};

/// Parses `text`. Errors (Errc::invalid_argument) name the field and the reason, e.g.
/// "day-of-month field '32': 32 is outside 1-31"; an expression that can never fire ("0 0 30 2 *")
/// is refused too.
Result<CronExpr> parse_cron(std::string_view text);

/// True when the minute that contains `t` is one the expression fires on.
bool cron_matches(const CronExpr& expr, TimeMs t);

/// The first firing minute strictly after `after` (a whole minute, UTC). nullopt only when there is
/// none within 400 years (impossible for what parse_cron accepts) or the time is out of range.
std::optional<TimeMs> cron_next(const CronExpr& expr, TimeMs after);

/// The next `count` firing times after `after`, in order.
std::vector<TimeMs> cron_next_runs(const CronExpr& expr, TimeMs after, int count);

/// The expression in words: "every 15 minutes", "at 03:00 on Monday to Friday",
/// "at 00:00 on day 1 of the month in January".
std::string describe_cron(const CronExpr& expr);

}  // namespace claudelens::schedule
