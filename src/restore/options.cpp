#include "restore/options.hpp"

#include <fmt/format.h>

namespace claudelens::restore {

std::string_view mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::full:
      return "full";
    case Mode::selective:
      return "selective";
    case Mode::merge:
      return "merge";
  }
  return "merge";
}

std::optional<Mode> parse_mode(std::string_view s) noexcept {
  if (s == "full") return Mode::full;
  if (s == "selective") return Mode::selective;
  if (s == "merge") return Mode::merge;
  return std::nullopt;
}

std::string_view strategy_name(Strategy s) noexcept {
  switch (s) {
    case Strategy::skip:
      return "skip";
    case Strategy::overwrite:
      return "overwrite";
    case Strategy::rename:
      return "rename";
    case Strategy::merge:
      return "merge";
  }
  return "skip";
}

std::optional<Strategy> parse_strategy(std::string_view s) noexcept {
  if (s == "skip") return Strategy::skip;
  if (s == "overwrite") return Strategy::overwrite;
  if (s == "rename") return Strategy::rename;
  if (s == "merge") return Strategy::merge;
  return std::nullopt;
}

bool Selections::any_session_selection() const noexcept {
  return !projects.empty() || !sessions.empty() || !messages.empty() || from || to;
}

bool Selections::any() const noexcept {
  return any_session_selection() || !prompts.empty();
}

Status validate_options(const RestoreOptions& o) {
  const Selections& s = o.selections;
  if (o.mode == Mode::selective && !s.any())
    return fail(
        Errc::invalid_argument,
        "selections: a selective restore needs at least one of projects, sessions, messages, prompts or a date range");
  if (o.mode == Mode::full && (s.any() || !s.exclude_projects.empty() || !s.exclude_sessions.empty()))
    return fail(Errc::invalid_argument,
                "selections: a full restore restores the whole backup; use mode selective to choose");
  if (o.mode == Mode::full && (!o.target_project_id.empty() || !o.target_project_name.empty()))
    return fail(Errc::invalid_argument,
                "target: a full restore keeps the backup's projects; a target project needs merge or selective");
  if (!o.target_project_id.empty() && !o.target_project_name.empty())
    return fail(Errc::invalid_argument, "target: give project_id or project_name, not both");
  if (o.maintain_ids && o.on_conflict == Strategy::rename)
    return fail(Errc::invalid_argument, "options: maintain_ids and on_conflict=rename contradict each other");
  if (s.from && s.to && *s.from >= *s.to)
    return fail(Errc::invalid_argument, "selections.date_range: start must be before end");
  if (o.verify_all && !o.validate_before_restore)
    return fail(Errc::invalid_argument, "options: verify_all needs validate_before_restore");
  if (o.on_conflict == Strategy::rename && o.name_suffix.empty())
    return fail(Errc::invalid_argument, "target.project_name_suffix: a rename needs a non-empty suffix");
  return {};
}

}  // namespace claudelens::restore
