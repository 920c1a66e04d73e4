// Checks a 5-field cron expression ("minute hour day-of-month month day-of-week", with lists, ranges,
// steps, month and day names, and @hourly/@daily/@weekly/@monthly/@yearly) so that settings can refuse an
// invalid one. Only checks; the scheduler that runs them comes with its own issue. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claudelens::http {

/// nullopt when `expr` is valid, else what is wrong with it ("field 2 (hour): 24 is above 23").
std::optional<std::string> cron_problem(std::string_view expr);

}  // namespace claudelens::http
