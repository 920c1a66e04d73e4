// libFuzzer target for cron expressions (src/schedule/cron.hpp), fed untrusted text (API's PUT
// /settings/backup and GET /schedules/next take it from clients). Input: 8 bytes of start time, then
// the expression. Any crash or sanitizer report is a bug; invalid_argument errors are expected.
// Invariants checked: an error names a field or the expression's shape; an accepted expression has a
// description and a next run strictly after the start, on a whole minute, that matches; and over a
// bounded window (3 days, minute by minute) cron_next agrees with the brute-force reference.
// Seed corpus: fuzz/corpus/cron/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "schedule/cron.hpp"

namespace {

using namespace claudelens;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr TimeMs k_minute = 60'000;
constexpr TimeMs k_window = 3 * 24 * 60 * k_minute;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8 || size > 4096) return 0;
  std::uint64_t raw = 0;
  std::memcpy(&raw, data, 8);
  // Starts between 1900 and 2300, any millisecond.
  const TimeMs start = -2'208'988'800'000 + static_cast<TimeMs>(raw % 12'623'040'000'000ULL);
  const std::string_view text(reinterpret_cast<const char*>(data + 8), size - 8);

  auto expr = schedule::parse_cron(text);
  if (!expr) {
    check(expr.error().code == Errc::invalid_argument);
    check(!expr.error().message.empty());
    return 0;
  }
  check(!schedule::describe_cron(*expr).empty());
  const auto next = schedule::cron_next(*expr, start);
  check(next.has_value());
  check(*next > start && *next % k_minute == 0 && schedule::cron_matches(*expr, *next));
  // Brute force over the window: the first matching minute must be what cron_next found.
  TimeMs t = (start >= 0 ? start / k_minute : (start - k_minute + 1) / k_minute) * k_minute + k_minute;
  for (; t <= start + k_window; t += k_minute)
    if (schedule::cron_matches(*expr, t)) break;
  if (t <= start + k_window)
    check(*next == t);
  else
    check(*next > start + k_window);
  return 0;
}
