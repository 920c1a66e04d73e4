#include "backup/filters.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <boost/json.hpp>

namespace claudelens::backup {

namespace json = boost::json;

std::string_view backup_type_name(BackupType t) noexcept {
  switch (t) {
    case BackupType::full:
      return "full";
    case BackupType::selective:
      return "selective";
    case BackupType::incremental:
      return "incremental";
  }
  return "";
}

std::optional<BackupType> parse_backup_type(std::string_view s) noexcept {
  for (BackupType t : {BackupType::full, BackupType::selective, BackupType::incremental})
    if (backup_type_name(t) == s) return t;
  return std::nullopt;
}

bool Filters::empty() const noexcept {
  return projects.empty() && sessions.empty() && !date_range && include_patterns.empty() && exclude_patterns.empty() &&
         !min_message_count && !max_message_count;
}

std::vector<FieldError> validate_filters(const Filters& f, BackupType type, TimeMs now) {
  std::vector<FieldError> errors;
  if (type == BackupType::selective && f.empty())
    errors.push_back({"filters", "a selective backup needs at least one filter", "VALIDATION_FAILED"});
  if (type == BackupType::full && !f.empty())
    errors.push_back({"filters", "a full backup takes no filters (use type selective)", "VALIDATION_FAILED"});
  if (f.date_range) {
    if (f.date_range->start >= f.date_range->end)
      errors.push_back({"filters.date_range.start", "start must be before end", "INVALID_DATE_RANGE"});
    if (f.date_range->end > now)
      errors.push_back({"filters.date_range.end", "end must not be in the future", "INVALID_DATE_RANGE"});
  }
  auto check_count = [&](const std::optional<std::int64_t>& v, const char* field) {
    if (v && (*v < 1 || *v > 10000))
      errors.push_back({field, fmt::format("must be between 1 and 10000, not {}", *v), "VALIDATION_FAILED"});
  };
  check_count(f.min_message_count, "filters.min_message_count");
  check_count(f.max_message_count, "filters.max_message_count");
  if (f.min_message_count && f.max_message_count && *f.min_message_count > *f.max_message_count)
    errors.push_back({"filters.max_message_count", "must not be below min_message_count", "VALIDATION_FAILED"});
  auto check_list = [&](const std::vector<std::string>& list, const char* field) {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i].empty() || list[i].size() > 4096)
        errors.push_back({fmt::format("{}[{}]", field, i), "must be 1 to 4096 characters", "VALIDATION_FAILED"});
  };
  check_list(f.projects, "filters.projects");
  check_list(f.sessions, "filters.sessions");
  check_list(f.include_patterns, "filters.include_patterns");
  check_list(f.exclude_patterns, "filters.exclude_patterns");
  return errors;
}

std::optional<FieldError> validate_backup_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 100)
    return FieldError{"name", fmt::format("must be 3 to 100 characters, not {}", name.size()), "VALIDATION_FAILED"};
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_';
    if (!ok) return FieldError{"name", "may hold only letters, digits, spaces, '-' and '_'", "VALIDATION_FAILED"};
  }
  return std::nullopt;
}

Error to_error(const std::vector<FieldError>& errors) {
  std::string msg;
  for (const auto& e : errors) {
    if (!msg.empty()) msg += "; ";
    msg += e.field + ": " + e.message;
  }
  return Error(Errc::invalid_argument, msg);
}

bool glob_match(std::string_view glob, std::string_view text) {
  return ::fnmatch(std::string(glob).c_str(), std::string(text).c_str(), 0) == 0;
}

bool project_passes_patterns(const Filters& f, std::string_view path, std::string_view name) {
  auto any = [&](const std::vector<std::string>& globs) {
    for (const auto& g : globs)
      if (glob_match(g, path) || glob_match(g, name)) return true;
    return false;
  };
  if (!f.include_patterns.empty() && !any(f.include_patterns)) return false;
  return !any(f.exclude_patterns);
}

json::value filters_to_json(const Filters& f) {
  json::object o;
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  o["projects"] = strings(f.projects);
  o["sessions"] = strings(f.sessions);
  o["date_range"] = f.date_range ? json::value(json::object{{"start", format_iso8601_ms(f.date_range->start)},
                                                            {"end", format_iso8601_ms(f.date_range->end)}})
                                 : json::value(nullptr);
  o["include_patterns"] = strings(f.include_patterns);
  o["exclude_patterns"] = strings(f.exclude_patterns);
  o["min_message_count"] = f.min_message_count ? json::value(*f.min_message_count) : json::value(nullptr);
  o["max_message_count"] = f.max_message_count ? json::value(*f.max_message_count) : json::value(nullptr);
  return o;
}

Result<Filters> filters_from_json(const json::value& v, std::vector<FieldError>& errors) {
  Filters f;
  if (v.is_null()) return f;
  const auto* o = v.if_object();
  if (!o) {
    errors.push_back({"filters", "must be an object", "INVALID_REQUEST"});
    return f;
  }
  auto strings = [&](const char* name, std::vector<std::string>& out) {
    const auto* it = o->if_contains(name);
    if (!it || it->is_null()) return;
    const auto* a = it->if_array();
    if (!a) {
      errors.push_back({fmt::format("filters.{}", name), "must be an array of strings", "VALIDATION_FAILED"});
      return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (const auto* s = (*a)[i].if_string()) {
        out.emplace_back(s->c_str(), s->size());
      } else {
        errors.push_back({fmt::format("filters.{}[{}]", name, i), "must be a string", "VALIDATION_FAILED"});
      }
    }
  };
  strings("projects", f.projects);
  strings("sessions", f.sessions);
  strings("include_patterns", f.include_patterns);
  strings("exclude_patterns", f.exclude_patterns);
  auto count = [&](const char* name, std::optional<std::int64_t>& out) {
    const auto* it = o->if_contains(name);
    if (!it || it->is_null()) return;
    if (const auto* i = it->if_int64()) {
      out = *i;
    } else if (const auto* u = it->if_uint64()) {
      out = static_cast<std::int64_t>(std::min<std::uint64_t>(*u, 1u << 31));
    } else {
      errors.push_back({fmt::format("filters.{}", name), "must be an integer", "VALIDATION_FAILED"});
    }
  };
  count("min_message_count", f.min_message_count);
  count("max_message_count", f.max_message_count);
  if (const auto* dr = o->if_contains("date_range"); dr && !dr->is_null()) {
    const auto* dro = dr->if_object();
    if (!dro) {
      errors.push_back({"filters.date_range", "must be an object with start and end", "VALIDATION_FAILED"});
    } else {
      DateRange range;
      bool ok = true;
      for (const char* side : {"start", "end"}) {
        const auto* s = dro->if_contains(side);
        const auto* str = s ? s->if_string() : nullptr;
        const auto t = str ? parse_iso8601(std::string_view(str->data(), str->size())) : std::nullopt;
        if (!t) {
          errors.push_back(
              {fmt::format("filters.date_range.{}", side), "must be an ISO 8601 time", "INVALID_DATE_RANGE"});
          ok = false;
        } else {
          (std::string_view(side) == "start" ? range.start : range.end) = *t;
        }
      }
      if (ok) f.date_range = range;
    }
  }
  return f;
}

}  // namespace claudelens::backup
