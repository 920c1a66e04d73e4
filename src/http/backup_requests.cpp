#include "http/backup_requests.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "http/json_body.hpp"

namespace claudelens::http {

namespace json = boost::json;

namespace {

constexpr std::size_t k_max_description = 500;
constexpr std::size_t k_max_id = 4096;

/// An array of 1–4096-character strings; one error per bad element.
std::optional<std::vector<std::string>> id_list(Fields& f, std::string_view name, std::vector<FieldError>& errors) {
  const std::size_t before = errors.size();
  auto list = f.strings(name);
  if (!list) return std::nullopt;
  for (std::size_t i = 0; i < list->size(); ++i)
    if ((*list)[i].empty() || (*list)[i].size() > k_max_id)
      errors.push_back(FieldError{fmt::format("{}[{}]", f.path(name), i), "must be 1 to 4096 characters", "length",
                                  json::value((*list)[i])});
  if (errors.size() != before) return std::nullopt;
  return list;
}

void read_filters(Fields& body, backup::Filters& out, std::vector<FieldError>& errors) {
  const json::object* filters = body.object("filters");
  if (!filters) return;
  Fields f(*filters, "filters", errors);
  f.reject_unknown({"projects", "sessions", "date_range", "include_patterns", "exclude_patterns", "min_message_count",
                    "max_message_count"});
  if (auto v = id_list(f, "projects", errors)) out.projects = std::move(*v);
  if (auto v = id_list(f, "sessions", errors)) out.sessions = std::move(*v);
  if (auto v = id_list(f, "include_patterns", errors)) out.include_patterns = std::move(*v);
  if (auto v = id_list(f, "exclude_patterns", errors)) out.exclude_patterns = std::move(*v);
  out.min_message_count = f.integer("min_message_count", 1, 10000);
  out.max_message_count = f.integer("max_message_count", 1, 10000);
  if (const json::object* dr = f.object("date_range")) {
    Fields range(*dr, "filters.date_range", errors);
    range.reject_unknown({"start", "end"});
    const std::size_t before = errors.size();
    const auto start = range.time("start", true);
    const auto end = range.time("end", true);
    for (std::size_t i = before; i < errors.size(); ++i) errors[i].code = k_invalid_date_range;
    if (start && end) out.date_range = backup::DateRange{*start, *end};
  }
}

void read_backup_options(Fields& body, backup::BackupRequest& r, bool has_key, std::vector<FieldError>& errors) {
  const json::object* opts = body.object("options");
  if (!opts) return;
  Fields o(*opts, "options", errors);
  o.reject_unknown({"compress", "compression_level", "encrypt", "include_metadata", "include_analytics",
                    "split_size_mb", "parent_backup_id"});
  if (auto compress = o.boolean("compress"); compress && !*compress)
    o.error("compress", "unsupported", "backups are always zstd-compressed; compress: false is not supported");
  if (auto level = o.integer("compression_level", 1, 9)) r.compression_level = static_cast<int>(*level);
  if (auto encrypt = o.boolean("encrypt"); encrypt && *encrypt && !has_key)
    o.error("encrypt", "unsupported", "the server has no key file: start it with --key-file");
  if (auto meta = o.boolean("include_metadata"); meta && !*meta)
    o.error("include_metadata", "unsupported", "a backup always holds its manifest, users, projects and sessions");
  if (auto analytics = o.boolean("include_analytics"); analytics && *analytics)
    o.error("include_analytics", "unsupported", "analytics are not part of backups yet; send false or leave it out");
  if (o.integer("split_size_mb", 100, 5000))
    o.error("split_size_mb", "unsupported", "a backup is always one file; splitting is not implemented yet");
  if (auto parent = o.string("parent_backup_id")) {
    if (r.type != backup::BackupType::incremental)
      o.error("parent_backup_id", "VALIDATION_FAILED", "only an incremental backup takes a parent");
    else
      r.parent_backup_id = *parent;
  }
}

}  // namespace

Checked<backup::BackupRequest> parse_backup_create(std::string_view body, TimeMs now, bool has_key) {
  auto object = parse_object(body);
  if (!object) return {std::nullopt, std::move(object.error)};
  std::vector<FieldError> errors;
  Fields f(*object.value, "", errors);
  f.reject_unknown({"name", "description", "type", "filters", "options"});
  backup::BackupRequest r;
  if (auto name = f.string("name", true)) {
    r.name = *name;
    if (auto e = backup::validate_backup_name(r.name)) f.error("name", "format", e->message);
  }
  if (auto description = f.string("description", false, 0, k_max_description)) r.description = *description;
  read_filters(f, r.filters, errors);
  bool type_ok = true;
  if (f.has("type")) {
    type_ok = false;
    if (auto type = f.string("type")) {
      const auto t = backup::parse_backup_type(*type);
      if (!t) {
        f.error("type", k_invalid_backup_type, "must be full, selective or incremental");
      } else {
        r.type = *t;
        type_ok = true;
      }
    }
  } else {
    r.type = r.filters.empty() ? backup::BackupType::full : backup::BackupType::selective;
  }
  read_backup_options(f, r, has_key, errors);
  if (type_ok && errors.empty())
    add_field_errors(backup::validate_filters(r.filters, r.type, now), *object.value, errors);
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(r), {}};
}

namespace {

void read_target(Fields& body, restore::RestoreOptions& o, std::vector<FieldError>& errors) {
  const json::object* target = body.object("target");
  if (!target) return;
  Fields t(*target, "target", errors);
  t.reject_unknown({"project_id", "project_name", "project_name_suffix"});
  if (auto id = t.string("project_id", false, 1, 256)) o.target_project_id = *id;
  if (auto name = t.string("project_name", false, 1, 255)) o.target_project_name = *name;
  if (auto suffix = t.string("project_name_suffix", false, 0, 100)) o.name_suffix = *suffix;
}

void read_restore_flags(Fields& o, restore::RestoreOptions& out) {
  const auto overwrite = o.boolean("overwrite_existing");
  const auto skip_duplicates = o.boolean("skip_duplicates");
  if (auto v = o.boolean("maintain_ids")) out.maintain_ids = *v;
  if (auto v = o.boolean("validate_before_restore")) out.validate_before_restore = *v;
  if (auto v = o.boolean("dry_run")) out.dry_run = *v;
  std::optional<restore::Strategy> strategy;
  if (auto s = o.one_of("on_conflict", {"skip", "overwrite", "rename", "merge"}))
    strategy = restore::parse_strategy(*s);
  out.on_conflict =
      strategy.value_or(overwrite.value_or(false) ? restore::Strategy::overwrite : restore::Strategy::skip);
  if (overwrite && *overwrite && strategy && *strategy != restore::Strategy::overwrite)
    o.error("overwrite_existing", "conflict", "true contradicts on_conflict; give one of them");
  if (skip_duplicates && !*skip_duplicates && out.on_conflict == restore::Strategy::skip)
    o.error("skip_duplicates", "conflict",
            "false needs on_conflict overwrite, rename or merge (or overwrite_existing: true)");
}

void reject_unknown_flags(Fields& f) {
  f.reject_unknown(
      {"overwrite_existing", "skip_duplicates", "maintain_ids", "validate_before_restore", "dry_run", "on_conflict"});
}

void read_selections(Fields& body, restore::Selections& s, std::vector<FieldError>& errors) {
  const json::object* sel = body.object("selections");
  if (!sel) return;
  Fields f(*sel, "selections", errors);
  f.reject_unknown(
      {"projects", "sessions", "messages", "prompts", "date_range", "exclude_projects", "exclude_sessions"});
  auto list = [&](std::string_view key, std::vector<std::string>& out) {
    if (auto v = id_list(f, key, errors)) out = std::move(*v);
  };
  list("projects", s.projects);
  list("sessions", s.sessions);
  list("messages", s.messages);
  list("prompts", s.prompts);
  list("exclude_projects", s.exclude_projects);
  list("exclude_sessions", s.exclude_sessions);
  if (const json::object* dr = f.object("date_range")) {
    Fields range(*dr, f.path("date_range"), errors);
    range.reject_unknown({"start", "end"});
    const std::size_t before = errors.size();
    s.from = range.time("start");
    s.to = range.time("end");
    if (!range.has("start") && !range.has("end"))
      f.error("date_range", k_invalid_date_range, "needs start, end or both");
    for (std::size_t i = before; i < errors.size(); ++i) errors[i].code = k_invalid_date_range;
  }
}

/// The engine's own combination rules (restore::validate_options), as one field error.
void check_combination(const restore::RestoreOptions& o, const json::value& root, const std::string& prefix,
                       std::vector<FieldError>& errors) {
  auto st = restore::validate_options(o);
  if (st) return;
  const std::string& text = st.error().message;  // "field: message"
  const std::size_t colon = text.find(": ");
  const std::string field = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string message = colon == std::string::npos ? text : text.substr(colon + 2);
  const std::string code = field.starts_with("selections.date_range") ? std::string(k_invalid_date_range) : "rule";
  errors.push_back(FieldError{prefix + field, message, code, value_at(root, field)});
}

/// Reads mode, target, options and selections of a restore body.
void read_restore_body(Fields& f, restore::RestoreOptions& o, std::vector<FieldError>& errors) {
  if (auto mode = f.one_of("mode", {"full", "selective", "merge"})) o.mode = *restore::parse_mode(*mode);
  read_target(f, o, errors);
  if (const json::object* opts = f.object("options")) {
    Fields of(*opts, f.path("options"), errors);
    reject_unknown_flags(of);
    read_restore_flags(of, o);
  }
  read_selections(f, o.selections, errors);
  o.allow_delete = o.mode == restore::Mode::full;  // the API's mode is the confirmation
}

}  // namespace

Checked<RestoreCreate> parse_restore_create(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return {std::nullopt, std::move(object.error)};
  std::vector<FieldError> errors;
  Fields f(*object.value, "", errors);
  f.reject_unknown({"backup_id", "mode", "target", "options", "selections"});
  RestoreCreate r;
  if (auto id = f.string("backup_id", true, 1, 256)) r.backup_id = *id;
  read_restore_body(f, r.options, errors);
  if (errors.empty()) check_combination(r.options, *object.value, "", errors);
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(r), {}};
}

Checked<restore::RestoreOptions> parse_upload_restore_options(std::string_view text) {
  auto object = parse_object(text);
  if (!object) {
    std::vector<FieldError> errors{
        FieldError{"restore_options", object.error.message, "format", json::string(text.substr(0, 200))}};
    return {std::nullopt, reject(std::move(errors))};
  }
  const json::object& o = *object.value;
  std::vector<FieldError> errors;
  restore::RestoreOptions options;
  Fields f(o, "restore_options", errors);
  if (o.contains("mode") || o.contains("target") || o.contains("options") || o.contains("selections")) {
    f.reject_unknown({"mode", "target", "options", "selections"});
    read_restore_body(f, options, errors);
  } else {
    reject_unknown_flags(f);
    read_restore_flags(f, options);
  }
  if (errors.empty()) check_combination(options, o, "restore_options.", errors);
  if (!errors.empty()) return {std::nullopt, reject(std::move(errors))};
  return {std::move(options), {}};
}

}  // namespace claudelens::http
