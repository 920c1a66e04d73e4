#include "http/backup_requests.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace claudelens::http {

namespace json = boost::json;

namespace {

constexpr std::size_t k_max_description = 500;

void read_filters(Fields& body, backup::Filters& out, std::vector<ValidationError>& errors) {
  const json::value* v = body.raw("filters");
  if (!v) return;
  if (!v->is_object()) {
    body.error("filters", "must be an object");
    return;
  }
  Fields known(v->get_object(), "filters", errors);
  for (const char* key : {"projects", "sessions", "date_range", "include_patterns", "exclude_patterns",
                          "min_message_count", "max_message_count"})
    known.raw(key);
  known.reject_unknown();
  if (const auto* dr = known.object("date_range")) {
    Fields range(*dr, "filters.date_range", errors);
    range.raw("start");
    range.raw("end");
    range.reject_unknown();
  }
  std::vector<backup::FieldError> field_errors;
  auto filters = backup::filters_from_json(*v, field_errors);
  json::value root = json::object{{"filters", *v}};
  add_field_errors(field_errors, root, errors);
  if (filters) out = std::move(filters).value();
}

void read_backup_options(Fields& body, backup::BackupRequest& r, std::vector<ValidationError>& errors) {
  const json::object* opts = body.object("options");
  if (!opts) return;
  Fields o(*opts, "options", errors);
  if (auto compress = o.boolean("compress"); compress && !*compress)
    o.error("compress", "backups are always zstd-compressed; compress: false is not supported");
  if (auto level = o.integer("compression_level")) {
    if (*level < 1 || *level > 9)
      o.error("compression_level", fmt::format("must be 1 to 9, not {}", *level));
    else
      r.compression_level = static_cast<int>(*level);
  }
  if (auto encrypt = o.boolean("encrypt"); encrypt && *encrypt)
    o.error("encrypt", "encrypted backups are not implemented yet; send encrypt: false or leave it out");
  if (auto meta = o.boolean("include_metadata"); meta && !*meta)
    o.error("include_metadata", "a backup always holds its manifest, users, projects and sessions");
  if (auto analytics = o.boolean("include_analytics"); analytics && *analytics)
    o.error("include_analytics", "analytics are not part of backups yet; send false or leave it out");
  if (auto split = o.integer("split_size_mb")) {
    if (*split < 100 || *split > 5000)
      o.error("split_size_mb", fmt::format("must be 100 to 5000, not {}", *split));
    else
      o.error("split_size_mb", "a backup is always one file; splitting is not implemented yet");
  }
  if (o.string("parent_backup_id"))
    o.error("parent_backup_id", "incremental backups are not implemented yet");
  o.reject_unknown();
}

}  // namespace

Checked<backup::BackupRequest> parse_backup_create(std::string_view body, TimeMs now) {
  std::string message;
  auto object = parse_object(body, message);
  if (!object) return {std::nullopt, reject_body(std::move(message))};
  std::vector<ValidationError> errors;
  Fields f(*object, "", errors);
  backup::BackupRequest r;
  const std::size_t before_name = errors.size();
  if (auto name = f.string("name")) {
    r.name = *name;
    if (auto e = backup::validate_backup_name(r.name)) f.error("name", e->message);
  } else if (errors.size() == before_name) {
    f.error("name", "is required");
  }
  if (auto description = f.string("description")) {
    if (description->size() > k_max_description)
      f.error("description", fmt::format("must be at most {} characters, not {}", k_max_description, description->size()));
    r.description = *description;
  }
  read_filters(f, r.filters, errors);
  bool type_ok = true;
  const auto* type_value = object->if_contains("type");
  const bool type_given = type_value && !type_value->is_null();
  if (auto type = f.string("type")) {
    const auto t = backup::parse_backup_type(*type);
    if (!t) {
      f.error("type", "must be full, selective or incremental", "INVALID_BACKUP_TYPE");
      type_ok = false;
    } else if (*t == backup::BackupType::incremental) {
      f.error("type", "incremental backups are not implemented yet; use full or selective");
      type_ok = false;
    } else {
      r.type = *t;
    }
  } else if (type_given) {
    type_ok = false;  // not a string: reported
  } else {
    r.type = r.filters.empty() ? backup::BackupType::full : backup::BackupType::selective;
  }
  read_backup_options(f, r, errors);
  f.reject_unknown();
  if (type_ok) {
    json::value root = *object;
    add_field_errors(backup::validate_filters(r.filters, r.type, now), root, errors);
  }
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(r), {}};
}

namespace {

std::optional<TimeMs> read_time(Fields& f, std::string_view key) {
  auto s = f.string(key);
  if (!s) return std::nullopt;
  auto t = parse_iso8601(*s);
  if (!t) f.error(key, "must be an ISO 8601 time", "INVALID_DATE_RANGE");
  return t;
}

void read_target(Fields& body, restore::RestoreOptions& o, std::vector<ValidationError>& errors) {
  const json::object* target = body.object("target");
  if (!target) return;
  Fields t(*target, "target", errors);
  if (auto id = t.string("project_id")) o.target_project_id = *id;
  if (auto name = t.string("project_name")) {
    if (name->empty() || name->size() > 255)
      t.error("project_name", "must be 1 to 255 characters");
    else
      o.target_project_name = *name;
  }
  if (auto suffix = t.string("project_name_suffix")) {
    if (suffix->size() > 100) t.error("project_name_suffix", "must be at most 100 characters");
    o.name_suffix = *suffix;
  }
  t.reject_unknown();
}

void read_restore_flags(Fields& o, restore::RestoreOptions& out) {
  const auto overwrite = o.boolean("overwrite_existing");
  const auto skip_duplicates = o.boolean("skip_duplicates");
  if (auto v = o.boolean("maintain_ids")) out.maintain_ids = *v;
  if (auto v = o.boolean("validate_before_restore")) out.validate_before_restore = *v;
  if (auto v = o.boolean("dry_run")) out.dry_run = *v;
  std::optional<restore::Strategy> strategy;
  if (auto s = o.string("on_conflict")) {
    strategy = restore::parse_strategy(*s);
    if (!strategy) o.error("on_conflict", "must be skip, overwrite, rename or merge");
  }
  out.on_conflict = strategy.value_or(overwrite.value_or(false) ? restore::Strategy::overwrite : restore::Strategy::skip);
  if (overwrite && *overwrite && strategy && *strategy != restore::Strategy::overwrite)
    o.error("overwrite_existing", "true contradicts on_conflict; give one of them");
  if (skip_duplicates && !*skip_duplicates && out.on_conflict == restore::Strategy::skip)
    o.error("skip_duplicates", "false needs on_conflict overwrite, rename or merge (or overwrite_existing: true)");
}

void read_selections(Fields& body, restore::Selections& s, std::vector<ValidationError>& errors) {
  const json::object* sel = body.object("selections");
  if (!sel) return;
  Fields f(*sel, "selections", errors);
  auto list = [&](std::string_view key, std::vector<std::string>& out) {
    if (auto v = f.strings(key)) out = std::move(*v);
  };
  list("projects", s.projects);
  list("sessions", s.sessions);
  list("messages", s.messages);
  list("prompts", s.prompts);
  list("exclude_projects", s.exclude_projects);
  list("exclude_sessions", s.exclude_sessions);
  if (const json::object* dr = f.object("date_range")) {
    Fields range(*dr, "selections.date_range", errors);
    s.from = read_time(range, "start");
    s.to = read_time(range, "end");
    if (!dr->contains("start") && !dr->contains("end"))
      f.error("date_range", "needs start, end or both", "INVALID_DATE_RANGE");
    range.reject_unknown();
  }
  f.reject_unknown();
}

/// The engine's own combination rules, as one field error ("field: message" → field, message).
void check_combination(const restore::RestoreOptions& o, const json::value& root,
                       std::vector<ValidationError>& errors) {
  auto st = restore::validate_options(o);
  if (st) return;
  const std::string& text = st.error().message;
  const std::size_t colon = text.find(": ");
  const std::string field = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string message = colon == std::string::npos ? text : text.substr(colon + 2);
  const std::string code = field.starts_with("selections.date_range") ? "INVALID_DATE_RANGE" : "VALIDATION_FAILED";
  errors.push_back({field, message, code, value_at(root, field)});
}

/// Reads mode, target, options and selections of a restore body.
void read_restore_body(Fields& f, restore::RestoreOptions& o, std::vector<ValidationError>& errors) {
  if (auto mode = f.string("mode")) {
    const auto m = restore::parse_mode(*mode);
    if (!m)
      f.error("mode", "must be full, selective or merge");
    else
      o.mode = *m;
  }
  read_target(f, o, errors);
  if (const json::object* opts = f.object("options")) {
    Fields of(*opts, "options", errors);
    read_restore_flags(of, o);
    of.reject_unknown();
  }
  read_selections(f, o.selections, errors);
  o.allow_delete = o.mode == restore::Mode::full;  // the API's mode is the confirmation
}

}  // namespace

Checked<RestoreCreate> parse_restore_create(std::string_view body) {
  std::string message;
  auto object = parse_object(body, message);
  if (!object) return {std::nullopt, reject_body(std::move(message))};
  std::vector<ValidationError> errors;
  Fields f(*object, "", errors);
  RestoreCreate r;
  const std::size_t before = errors.size();
  if (auto id = f.string("backup_id")) {
    if (id->empty() || id->size() > 256)
      f.error("backup_id", "must be 1 to 256 characters");
    else
      r.backup_id = *id;
  } else if (errors.size() == before) {
    f.error("backup_id", "is required");
  }
  read_restore_body(f, r.options, errors);
  f.reject_unknown();
  if (errors.empty()) check_combination(r.options, *object, errors);
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(r), {}};
}

Checked<restore::RestoreOptions> parse_upload_restore_options(std::string_view text) {
  std::string message;
  auto object = parse_object(text, message);
  if (!object) {
    std::vector<ValidationError> errors{{"restore_options", message, "VALIDATION_FAILED", json::string(text)}};
    return {std::nullopt, reject(std::move(errors))};
  }
  std::vector<ValidationError> errors;
  restore::RestoreOptions o;
  const bool body_form = object->contains("mode") || object->contains("target") || object->contains("options") ||
                         object->contains("selections");
  if (body_form) {
    Fields f(*object, "restore_options", errors);
    read_restore_body(f, o, errors);
    f.reject_unknown();
  } else {
    Fields f(*object, "restore_options", errors);
    read_restore_flags(f, o);
    f.reject_unknown();
  }
  if (errors.empty()) {
    const std::size_t before = errors.size();
    check_combination(o, *object, errors);
    for (std::size_t i = before; i < errors.size(); ++i) errors[i].field = "restore_options." + errors[i].field;
  }
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(o), {}};
}

}  // namespace claudelens::http
