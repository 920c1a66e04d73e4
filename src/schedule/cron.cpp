#include "schedule/cron.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace claudelens::schedule {
namespace {

namespace chr = std::chrono;

constexpr TimeMs k_minute_ms = 60'000;
constexpr TimeMs k_hour_ms = 60 * k_minute_ms;
constexpr TimeMs k_day_ms = 24 * k_hour_ms;
// cron_next works between year 1 and 9999 (std::chrono::year's range is wider; this keeps +400 inside).
constexpr TimeMs k_min_time = -62'135'596'800'000;  // 0001-01-01T00:00:00Z
constexpr TimeMs k_max_time = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
constexpr int k_search_years = 401;

struct FieldSpec {
  CronField field;
  int min;
  int max;
  std::string_view unit;  ///< for "every 2nd hour"
};

constexpr std::array<FieldSpec, 5> k_fields{{
    {CronField::minute, 0, 59, "minute"},
    {CronField::hour, 0, 23, "hour"},
    {CronField::day_of_month, 1, 31, "day of the month"},
    {CronField::month, 1, 12, "month"},
    {CronField::day_of_week, 0, 7, "day of the week"},
}};

constexpr std::array<std::string_view, 12> k_month_names{"January",   "February", "March",    "April",
                                                         "May",       "June",     "July",     "August",
                                                         "September", "October",  "November", "December"};
constexpr std::array<std::string_view, 8> k_day_names{"Sunday",   "Monday", "Tuesday",  "Wednesday",
                                                      "Thursday", "Friday", "Saturday", "Sunday"};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> k_macros{{{"@yearly", "0 0 1 1 *"},
                                         {"@annually", "0 0 1 1 *"},
                                         {"@monthly", "0 0 1 * *"},
                                         {"@weekly", "0 0 * * 0"},
                                         {"@daily", "0 0 * * *"},
                                         {"@midnight", "0 0 * * *"},
                                         {"@hourly", "0 * * * *"}}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Failure field_error(const FieldSpec& spec, std::string_view text, std::string_view why) {
  return fail(Errc::invalid_argument, fmt::format("{} field '{}': {}", cron_field_name(spec.field), text, why));
}

/// A number or (month, day-of-week fields) a three-letter name. `range_end`: "sun" may stand for 7.
Result<int> parse_value(const FieldSpec& spec, std::string_view field_text, std::string_view s, bool range_end) {
  if (s.empty()) return field_error(spec, field_text, "a number is missing");
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    if (s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return field_error(spec, field_text, fmt::format("'{}' is not a number", s));
    const int v = std::stoi(std::string(s));
    if (v < spec.min || v > spec.max)
      return field_error(spec, field_text, fmt::format("{} is outside {}-{}", v, spec.min, spec.max));
    return v;
  }
  const std::string name = lower(s);
  if (spec.field == CronField::month) {
    for (std::size_t i = 0; i < k_month_names.size(); ++i)
      if (name == lower(k_month_names[i].substr(0, 3))) return static_cast<int>(i) + 1;
    return field_error(spec, field_text, fmt::format("'{}' is not a month (jan-dec or 1-12)", s));
  }
  if (spec.field == CronField::day_of_week) {
    for (std::size_t i = 0; i < 7; ++i)
      if (name == lower(k_day_names[i].substr(0, 3))) return (i == 0 && range_end) ? 7 : static_cast<int>(i);
    return field_error(spec, field_text, fmt::format("'{}' is not a day of the week (sun-sat or 0-7)", s));
  }
  return field_error(spec, field_text, fmt::format("'{}' is not a number", s));
}

Result<CronItem> parse_item(const FieldSpec& spec, std::string_view field_text, std::string_view item) {
  if (item.empty()) return field_error(spec, field_text, "an empty list item");
  CronItem out;
  std::string_view base = item;
  std::optional<int> step;
  if (const auto slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    const std::string_view s = item.substr(slash + 1);
    if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return field_error(spec, field_text, fmt::format("step '{}' is not a number", s));
    step = std::stoi(std::string(s));
    const int span = spec.max - spec.min + 1;
    if (*step < 1 || *step > span)
      return field_error(spec, field_text, fmt::format("step {} is outside 1-{}", *step, span));
  }
  if (base == "*") {
    out.star = true;
    out.lo = spec.min;
    out.hi = spec.field == CronField::day_of_week ? 6 : spec.max;
  } else if (const auto dash = base.find('-'); dash != std::string_view::npos) {
    CL_TRY(lo, parse_value(spec, field_text, base.substr(0, dash), false));
    CL_TRY(hi, parse_value(spec, field_text, base.substr(dash + 1), true));
    if (lo > hi) return field_error(spec, field_text, fmt::format("range {}-{} runs backwards", lo, hi));
    out.lo = lo;
    out.hi = hi;
  } else {
    CL_TRY(v, parse_value(spec, field_text, base, false));
    out.lo = v;
    // "5/15" means from 5 to the end of the field in steps of 15 (as cronie reads it).
    out.hi = step ? (spec.field == CronField::day_of_week ? 6 : spec.max) : v;
    if (out.hi < out.lo) out.hi = out.lo;
  }
  out.step = step.value_or(1);
  return out;
}

template <std::size_t N>
void set_bits(std::bitset<N>& bits, const CronItem& item, bool fold_seven) {
  for (int v = item.lo; v <= item.hi; v += item.step) bits.set(static_cast<std::size_t>(fold_seven && v == 7 ? 0 : v));
}

Status parse_field(const FieldSpec& spec, std::string_view text, CronExpr& expr) {
  auto& items = expr.items[static_cast<int>(spec.field)];
  std::size_t pos = 0;
  while (true) {
    const auto comma = text.find(',', pos);
    const auto item_text = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    CL_TRY(item, parse_item(spec, text, item_text));
    items.push_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  for (const auto& item : items) {
    switch (spec.field) {
      case CronField::minute:
        set_bits(expr.minutes, item, false);
        break;
      case CronField::hour:
        set_bits(expr.hours, item, false);
        break;
      case CronField::day_of_month:
        set_bits(expr.days_of_month, item, false);
        break;
      case CronField::month:
        set_bits(expr.months, item, false);
        break;
      case CronField::day_of_week:
        set_bits(expr.days_of_week, item, true);
        break;
    }
  }
  if (spec.field == CronField::day_of_month) expr.dom_star = text.front() == '*';
  if (spec.field == CronField::day_of_week) expr.dow_star = text.front() == '*';
  return {};
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool day_matches(const CronExpr& e, unsigned dom, unsigned dow) {
  const bool dom_ok = e.days_of_month.test(dom);
  const bool dow_ok = e.days_of_week.test(dow);
  return (e.dom_star || e.dow_star) ? (dom_ok && dow_ok) : (dom_ok || dow_ok);
}

/// The first set bit at or after `from`, or -1.
template <std::size_t N>
int next_bit(const std::bitset<N>& bits, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(N); ++i)
    if (bits.test(static_cast<std::size_t>(i))) return i;
  return -1;
}

TimeMs day_start_ms(chr::sys_days d) {
  return static_cast<TimeMs>(d.time_since_epoch().count()) * k_day_ms;
}

// ---- describe ------------------------------------------------------------------------------------

std::string ordinal(int n) {
  const int tens = n % 100;
  const char* suffix = (tens >= 11 && tens <= 13) ? "th"
                       : n % 10 == 1              ? "st"
                       : n % 10 == 2              ? "nd"
                       : n % 10 == 3              ? "rd"
                                                  : "th";
  return fmt::format("{}{}", n, suffix);
}

std::string value_name(CronField f, int v) {
  if (f == CronField::month) return std::string(k_month_names[static_cast<std::size_t>(v - 1)]);
  if (f == CronField::day_of_week) return std::string(k_day_names[static_cast<std::size_t>(v)]);
  return std::to_string(v);
}

std::string join_words(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

bool is_every(const std::vector<CronItem>& items) {
  return items.size() == 1 && items[0].star && items[0].step == 1;
}

bool all_single(const std::vector<CronItem>& items) {
  return std::all_of(items.begin(), items.end(), [](const CronItem& i) { return !i.star && i.lo == i.hi; });
}

/// "Monday to Friday", "every 2nd hour", "every 5th minute from 0 to 30", "1, 15 and 20".
std::string describe_items(const FieldSpec& spec, const std::vector<CronItem>& items) {
  std::vector<std::string> parts;
  for (const auto& i : items) {
    if (i.star && i.step == 1) {
      parts.push_back(fmt::format("every {}", spec.unit));
    } else if (i.star) {
      parts.push_back(fmt::format("every {} {}", ordinal(i.step), spec.unit));
    } else if (i.lo == i.hi) {
      parts.push_back(value_name(spec.field, i.lo));
    } else if (i.step == 1) {
      parts.push_back(fmt::format("{} to {}", value_name(spec.field, i.lo), value_name(spec.field, i.hi)));
    } else {
      parts.push_back(fmt::format("every {} {} from {} to {}", ordinal(i.step), spec.unit, value_name(spec.field, i.lo),
                                  value_name(spec.field, i.hi)));
    }
  }
  return join_words(parts);
}

std::string describe_time(const CronExpr& e) {
  const auto& mi = e.items[0];
  const auto& hi = e.items[1];
  if (all_single(mi) && all_single(hi) && mi.size() * hi.size() <= 8) {
    std::vector<std::string> times;
    for (std::size_t h = 0; h < 24; ++h)
      for (std::size_t m = 0; m < 60; ++m)
        if (e.hours.test(h) && e.minutes.test(m)) times.push_back(fmt::format("{:02}:{:02}", h, m));
    return "at " + join_words(times);
  }
  std::string out;
  if (is_every(mi)) {
    out = "every minute";
  } else if (mi.size() == 1 && mi[0].star) {
    out = fmt::format("every {} minutes", mi[0].step);
  } else {
    out = fmt::format("at minute{} {}", all_single(mi) && mi.size() == 1 ? "" : "s", describe_items(k_fields[0], mi));
  }
  if (is_every(hi)) return mi.size() == 1 && mi[0].star ? out : out + " of every hour";
  if (hi.size() == 1 && hi[0].star) return out + " of " + describe_items(k_fields[1], hi);
  return fmt::format("{} past hour{} {}", out, all_single(hi) && hi.size() == 1 ? "" : "s",
                     describe_items(k_fields[1], hi));
}

}  // namespace

std::string_view cron_field_name(CronField f) noexcept {
  switch (f) {
    case CronField::minute:
      return "minute";
    case CronField::hour:
      return "hour";
    case CronField::day_of_month:
      return "day-of-month";
    case CronField::month:
      return "month";
    case CronField::day_of_week:
      return "day-of-week";
  }
  return "?";
}

Result<CronExpr> parse_cron(std::string_view text) {
  text = trim(text);
  CronExpr expr;
  expr.text = std::string(text);
  std::string_view body = text;
  if (!text.empty() && text.front() == '@') {
    const std::string name = lower(text);
    const auto it = std::find_if(k_macros.begin(), k_macros.end(), [&](const Macro& m) { return m.name == name; });
    if (it == k_macros.end())
      return fail(Errc::invalid_argument,
                  fmt::format("unknown cron macro '{}' (use @hourly, @daily, @weekly, @monthly or @yearly)", text));
    body = it->expansion;
  }
  const auto fields = split_fields(body);
  if (fields.size() != 5)
    return fail(Errc::invalid_argument,
                fmt::format("a cron expression has 5 fields (minute hour day-of-month month day-of-week), '{}' has {}",
                            text, fields.size()));
  for (std::size_t i = 0; i < 5; ++i) CL_CHECK(parse_field(k_fields[i], fields[i], expr));
  // Only the day fields together with the month can make an expression that never fires; 400 years
  // hold every date on every weekday, so one search from any start decides it.
  if (!cron_next(expr, 0))
    return fail(Errc::invalid_argument,
                fmt::format("day-of-month field '{}': no month of '{}' has such a day, so '{}' never fires", fields[2],
                            fields[3], text));
  return expr;
}

bool cron_matches(const CronExpr& e, TimeMs t) {
  const auto day = chr::floor<chr::days>(chr::sys_time<chr::milliseconds>(chr::milliseconds(t)));
  const chr::year_month_day ymd(day);
  const chr::weekday wd(day);
  const TimeMs in_day = t - day_start_ms(day);
  const auto h = static_cast<std::size_t>(in_day / k_hour_ms);
  const auto m = static_cast<std::size_t>((in_day % k_hour_ms) / k_minute_ms);
  return e.minutes.test(m) && e.hours.test(h) && e.months.test(static_cast<unsigned>(ymd.month())) &&
         day_matches(e, static_cast<unsigned>(ymd.day()), wd.c_encoding());
}

std::optional<TimeMs> cron_next(const CronExpr& e, TimeMs after) {
  if (after < k_min_time || after > k_max_time) return std::nullopt;
  TimeMs t =
      chr::floor<chr::minutes>(chr::sys_time<chr::milliseconds>(chr::milliseconds(after))).time_since_epoch().count() *
          k_minute_ms +
      k_minute_ms;
  const int last_year =
      static_cast<int>(
          chr::year_month_day(chr::floor<chr::days>(chr::sys_time<chr::milliseconds>(chr::milliseconds(t)))).year()) +
      k_search_years;
  while (true) {
    const auto day = chr::floor<chr::days>(chr::sys_time<chr::milliseconds>(chr::milliseconds(t)));
    const chr::year_month_day ymd(day);
    if (static_cast<int>(ymd.year()) > last_year) return std::nullopt;
    const TimeMs start = day_start_ms(day);
    const auto month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    if (!e.months.test(static_cast<std::size_t>(month))) {
      // Skip to the first day of the next month the expression allows (or January of the next year).
      const int next = next_bit(e.months, month + 1);
      const chr::year_month_day first =
          next > 0 ? chr::year_month_day(ymd.year(), chr::month(next), chr::day(1))
                   : chr::year_month_day(ymd.year() + chr::years(1), chr::January, chr::day(1));
      t = day_start_ms(chr::sys_days(first));
      continue;
    }
    if (!day_matches(e, static_cast<unsigned>(ymd.day()), chr::weekday(day).c_encoding())) {
      t = start + k_day_ms;
      continue;
    }
    const TimeMs in_day = t - start;
    const int hour = static_cast<int>(in_day / k_hour_ms);
    const int minute = static_cast<int>((in_day % k_hour_ms) / k_minute_ms);
    if (!e.hours.test(static_cast<std::size_t>(hour))) {
      const int next = next_bit(e.hours, hour + 1);
      t = next < 0 ? start + k_day_ms : start + next * k_hour_ms;
      continue;
    }
    const int next_minute = next_bit(e.minutes, minute);
    if (next_minute < 0) {
      t = start + (hour + 1) * k_hour_ms;
      continue;
    }
    return start + hour * k_hour_ms + next_minute * k_minute_ms;
  }
}

std::vector<TimeMs> cron_next_runs(const CronExpr& expr, TimeMs after, int count) {
  std::vector<TimeMs> out;
  for (int i = 0; i < count; ++i) {
    const auto next = cron_next(expr, after);
    if (!next) break;
    out.push_back(*next);
    after = *next;
  }
  return out;
}

std::string describe_cron(const CronExpr& e) {
  std::string out = describe_time(e);
  const auto& dom = e.items[2];
  const auto& dow = e.items[4];
  std::string dom_text;
  if (dom.size() == 1 && dom[0].star) {
    if (!is_every(dom)) dom_text = "on " + describe_items(k_fields[2], dom);
  } else {
    dom_text = fmt::format("on day {} of the month", describe_items(k_fields[2], dom));
  }
  std::string dow_text = is_every(dow) ? "" : "on " + describe_items(k_fields[4], dow);
  if (!dom_text.empty() && !dow_text.empty()) {
    out += fmt::format(" {} {} {}", dom_text, (e.dom_star || e.dow_star) ? "and" : "or", dow_text);
  } else if (!dom_text.empty() || !dow_text.empty()) {
    out += " " + dom_text + dow_text;
  }
  if (!is_every(e.items[3])) out += " in " + describe_items(k_fields[3], e.items[3]);
  return out;
}

}  // namespace claudelens::schedule
