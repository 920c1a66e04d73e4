// The filter flags that `backup create` and `schedule add` share (SPEC §3, API.md `filters`).
#include "cli/context.hpp"

namespace claudelens::cli {

void add_filter_flags(CLI::App& cmd, FilterFlags& f) {
  cmd.add_option("--project", f.projects, "A project id, path or folder name (repeatable)");
  cmd.add_option("--session", f.sessions, "A session id (repeatable)");
  cmd.add_option("--from", f.from, "Entries at or after this ISO 8601 time");
  cmd.add_option("--to", f.to, "Entries before this ISO 8601 time (default: now when --from is given)");
  cmd.add_option("--include", f.include, "Glob on project path or name that must match (repeatable)");
  cmd.add_option("--exclude", f.exclude, "Glob on project path or name that must not match (repeatable)");
  cmd.add_option("--min-messages", f.min_messages, "Sessions with at least this many messages (1–10000)");
  cmd.add_option("--max-messages", f.max_messages, "Sessions with at most this many messages (1–10000)");
}

Result<backup::Filters> filters_from_flags(const FilterFlags& a, TimeMs now) {
  backup::Filters f;
  f.projects = a.projects;
  f.sessions = a.sessions;
  f.include_patterns = a.include;
  f.exclude_patterns = a.exclude;
  f.min_message_count = a.min_messages;
  f.max_message_count = a.max_messages;
  CL_TRY(from, parse_time_flag("--from", a.from));
  CL_TRY(to, parse_time_flag("--to", a.to));
  if (from || to) f.date_range = backup::DateRange{from.value_or(0), to.value_or(now)};
  return f;
}

}  // namespace claudelens::cli
