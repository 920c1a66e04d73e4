// Cron expression checks (cron_check.hpp).
#include "http/cron_check.hpp"

#include <array>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace claudelens::http {
namespace {

struct FieldRule {
  std::string_view name;
  int min, max;
  std::array<std::string_view, 12> names;  ///< names of min, min+1, ... ("" when none)
  int names_base;
};

constexpr std::array<FieldRule, 5> k_fields = {{
    {"minute", 0, 59, {}, 0},
    {"hour", 0, 23, {}, 0},
    {"day of month", 1, 31, {}, 0},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, 1},
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, 0},
}};

std::optional<int> value_of(std::string_view text, const FieldRule& rule) {
  int n = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc{} && p == text.data() + text.size()) return n;
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (std::size_t i = 0; i < rule.names.size(); ++i)
    if (!rule.names[i].empty() && rule.names[i] == lowered) return rule.names_base + static_cast<int>(i);
  return std::nullopt;
}

std::optional<std::string> check_field(std::string_view text, std::size_t index) {
  const FieldRule& rule = k_fields[index];
  const std::string where = fmt::format("field {} ({})", index + 1, rule.name);
  while (true) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (item.empty()) return where + ": empty list item";
    std::string_view base = item;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      int step = 0;
      const auto s = item.substr(slash + 1);
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc{} || p != s.data() + s.size() || step < 1 || step > rule.max)
        return fmt::format("{}: step '{}' must be 1 to {}", where, s, rule.max);
    }
    if (base != "*") {
      const auto dash = base.find('-');
      const auto first = value_of(base.substr(0, dash), rule);
      if (!first) return fmt::format("{}: '{}' is not a number or name", where, base.substr(0, dash));
      std::optional<int> last = first;
      if (dash != std::string_view::npos) {
        last = value_of(base.substr(dash + 1), rule);
        if (!last) return fmt::format("{}: '{}' is not a number or name", where, base.substr(dash + 1));
      }
      for (const int v : {*first, *last})
        if (v < rule.min || v > rule.max) return fmt::format("{}: {} is outside {}-{}", where, v, rule.min, rule.max);
      if (*last < *first) return fmt::format("{}: range {}-{} runs backwards", where, *first, *last);
    }
    if (comma == std::string_view::npos) return std::nullopt;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<std::string> cron_problem(std::string_view expr) {
  while (!expr.empty() && expr.front() == ' ') expr.remove_prefix(1);
  while (!expr.empty() && expr.back() == ' ') expr.remove_suffix(1);
  if (expr.starts_with('@')) {
    for (const std::string_view m : {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
      if (expr == m) return std::nullopt;
    return fmt::format("'{}' is not a known macro (@hourly, @daily, @weekly, @monthly, @yearly)", expr);
  }
  std::vector<std::string_view> fields;
  while (!expr.empty()) {
    const auto space = expr.find_first_of(" \t");
    fields.push_back(expr.substr(0, space));
    if (space == std::string_view::npos) break;
    expr.remove_prefix(space);
    while (!expr.empty() && (expr.front() == ' ' || expr.front() == '\t')) expr.remove_prefix(1);
  }
  if (fields.size() != 5)
    return fmt::format("needs 5 fields (minute hour day-of-month month day-of-week), not {}", fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (auto problem = check_field(fields[i], i)) return problem;
  return std::nullopt;
}

}  // namespace claudelens::http
