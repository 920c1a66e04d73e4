#include "backup/metadata.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cmath>

#include "core/json_text.hpp"

namespace claudelens::backup {

namespace json = boost::json;

std::string_view backup_status_name(BackupStatus s) noexcept {
  switch (s) {
    case BackupStatus::pending:
      return "pending";
    case BackupStatus::in_progress:
      return "in_progress";
    case BackupStatus::completed:
      return "completed";
    case BackupStatus::failed:
      return "failed";
    case BackupStatus::corrupted:
      return "corrupted";
    case BackupStatus::deleting:
      return "deleting";
  }
  return "";
}

std::optional<BackupStatus> parse_backup_status(std::string_view s) noexcept {
  for (auto v : {BackupStatus::pending, BackupStatus::in_progress, BackupStatus::completed, BackupStatus::failed,
                 BackupStatus::corrupted, BackupStatus::deleting})
    if (backup_status_name(v) == s) return v;
  return std::nullopt;
}

std::string format_version_string(int format_version) {
  return fmt::format("{}.0.0", format_version);
}

namespace {

json::value time_or_null(std::optional<TimeMs> t) {
  return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

/// Message times keep their milliseconds, so that the range spans the messages it describes.
json::value exact_time_or_null(std::optional<TimeMs> t) {
  return t ? json::value(format_iso8601_ms(*t)) : json::value(nullptr);
}

/// `version`: a string ("1.0.0"); records written before it was one hold an integer.
std::string get_version(const json::object& o) {
  const auto* v = o.if_contains("version");
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64() && v->as_int64() > 0) return format_version_string(static_cast<int>(v->as_int64()));
  if (v->is_uint64()) return format_version_string(static_cast<int>(v->as_uint64()));
  return {};
}

std::optional<TimeMs> get_time(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return parse_iso8601(std::string_view(v->as_string()));
}
std::string get_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t get_int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return 0;
}
double get_double(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

}  // namespace

json::object metadata_to_json(const BackupMetadata& m) {
  json::object o;
  o["_id"] = m.id;
  o["name"] = m.name;
  o["description"] = m.description;
  o["filename"] = m.filename;
  o["filepath"] = m.filepath;
  o["created_at"] = format_iso8601(m.created_at);
  o["created_by"] = m.created_by;
  o["size_bytes"] = m.size_bytes;
  o["compressed_size_bytes"] = m.compressed_size_bytes;
  o["type"] = backup_type_name(m.type);
  o["status"] = backup_status_name(m.status);
  o["filters"] = filters_to_json(m.filters);
  const Contents& c = m.contents;
  o["contents"] = json::object{{"users_count", c.users_count},
                               {"projects_count", c.projects_count},
                               {"sessions_count", c.sessions_count},
                               {"messages_count", c.messages_count},
                               {"records_count", c.records_count},
                               {"prompts_count", c.prompts_count},
                               {"prompt_folders_count", c.prompt_folders_count},
                               {"ai_settings_count", c.ai_settings_count},
                               {"audit_log_count", c.audit_log_count},
                               {"total_documents", c.total_documents},
                               {"date_range", json::object{{"earliest", exact_time_or_null(c.earliest)},
                                                           {"latest", exact_time_or_null(c.latest)}}}};
  o["checksum"] = m.checksum;
  o["version"] = m.version;
  o["download_url"] = fmt::format("/api/v1/backups/{}/download", m.id);
  o["can_restore"] = m.status == BackupStatus::completed;
  o["error_message"] = m.error_message.empty() ? json::value(nullptr) : json::value(m.error_message);
  o["parent_backup_id"] = m.parent_backup_id ? json::value(*m.parent_backup_id) : json::value(nullptr);
  if (!m.archive_backup_id.empty()) o["archive_backup_id"] = m.archive_backup_id;
  if (!m.parent_checksum.empty()) o["parent_checksum"] = m.parent_checksum;
  if (m.change_seq) o["change_seq"] = *m.change_seq;
  if (m.owner_scope) o["owner_scope"] = *m.owner_scope;
  o["duration_seconds"] = m.duration_seconds;
  o["completed_at"] = time_or_null(m.completed_at);
  const double ratio = m.compressed_size_bytes > 0 ? static_cast<double>(m.size_bytes) / m.compressed_size_bytes : 0;
  o["compression"] = json::object{{"enabled", true},
                                  {"algorithm", "zstd"},
                                  {"level", m.compression_level},
                                  {"original_size_bytes", m.size_bytes},
                                  {"compressed_size_bytes", m.compressed_size_bytes},
                                  {"compression_ratio", std::round(ratio * 100) / 100}};
  o["encryption"] =
      m.encryption_key_id
          ? json::object{{"enabled", true}, {"algorithm", "aes-256-gcm"}, {"key_id", *m.encryption_key_id}}
          : json::object{{"enabled", false}, {"algorithm", nullptr}, {"key_id", nullptr}};
  if (m.owner && (m.status == BackupStatus::pending || m.status == BackupStatus::in_progress))
    o["run_owner"] = json::object{{"host", m.owner->host}, {"pid", m.owner->pid}, {"backup_dir", m.owner->backup_dir}};
  if (m.validation) {
    json::array errors, warnings;
    for (const auto& e : m.validation->errors) errors.emplace_back(e);
    for (const auto& w : m.validation->warnings) warnings.emplace_back(w);
    o["validation_status"] = json::object{{"validated_at", format_iso8601(m.validation->validated_at)},
                                          {"is_valid", m.validation->is_valid},
                                          {"errors", std::move(errors)},
                                          {"warnings", std::move(warnings)}};
  } else {
    o["validation_status"] = nullptr;
  }
  return o;
}

Result<BackupMetadata> metadata_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return fail(Errc::corrupted, "backup record is not a JSON object");
  const json::object& o = v.as_object();
  BackupMetadata m;
  m.id = get_string(o, "_id");
  m.name = get_string(o, "name");
  m.description = get_string(o, "description");
  m.filename = get_string(o, "filename");
  m.filepath = get_string(o, "filepath");
  m.created_at = get_time(o, "created_at").value_or(0);
  m.created_by = get_string(o, "created_by");
  m.size_bytes = get_int(o, "size_bytes");
  m.compressed_size_bytes = get_int(o, "compressed_size_bytes");
  m.type = parse_backup_type(get_string(o, "type")).value_or(BackupType::full);
  m.status = parse_backup_status(get_string(o, "status")).value_or(BackupStatus::failed);
  if (const auto* f = o.if_contains("filters")) {
    std::vector<FieldError> errors;
    auto filters = filters_from_json(*f, errors);
    if (filters) m.filters = std::move(filters).value();
  }
  if (const auto* cv = o.if_contains("contents"); cv && cv->is_object()) {
    const auto& c = cv->as_object();
    m.contents.users_count = get_int(c, "users_count");
    m.contents.projects_count = get_int(c, "projects_count");
    m.contents.sessions_count = get_int(c, "sessions_count");
    m.contents.messages_count = get_int(c, "messages_count");
    m.contents.records_count = get_int(c, "records_count");
    m.contents.prompts_count = get_int(c, "prompts_count");
    m.contents.prompt_folders_count = get_int(c, "prompt_folders_count");
    m.contents.ai_settings_count = get_int(c, "ai_settings_count");
    m.contents.audit_log_count = get_int(c, "audit_log_count");
    m.contents.total_documents = get_int(c, "total_documents");
    if (const auto* dr = c.if_contains("date_range"); dr && dr->is_object()) {
      m.contents.earliest = get_time(dr->as_object(), "earliest");
      m.contents.latest = get_time(dr->as_object(), "latest");
    }
  }
  m.checksum = get_string(o, "checksum");
  m.version = get_version(o);
  m.error_message = get_string(o, "error_message");
  if (const auto* p = o.if_contains("parent_backup_id"); p && p->is_string())
    m.parent_backup_id = std::string(p->as_string());
  m.archive_backup_id = get_string(o, "archive_backup_id");
  m.parent_checksum = get_string(o, "parent_checksum");
  if (const auto* c = o.if_contains("change_seq"); c && c->is_int64()) m.change_seq = c->as_int64();
  if (const auto* w = o.if_contains("owner_scope"); w && w->is_string()) m.owner_scope = std::string(w->as_string());
  m.duration_seconds = get_double(o, "duration_seconds");
  m.completed_at = get_time(o, "completed_at");
  if (const auto* cv = o.if_contains("compression"); cv && cv->is_object())
    m.compression_level = static_cast<int>(get_int(cv->as_object(), "level"));
  if (const auto* ev = o.if_contains("encryption"); ev && ev->is_object()) {
    const auto& eo = ev->as_object();
    const auto* enabled = eo.if_contains("enabled");
    if (enabled && enabled->is_bool() && enabled->as_bool()) m.encryption_key_id = get_string(eo, "key_id");
  }
  if (const auto* ov = o.if_contains("run_owner"); ov && ov->is_object()) {
    const auto& oo = ov->as_object();
    m.owner = RunOwner{get_string(oo, "host"), get_int(oo, "pid"), get_string(oo, "backup_dir")};
  }
  if (const auto* vv = o.if_contains("validation_status"); vv && vv->is_object()) {
    const auto& vo = vv->as_object();
    Validation val;
    val.validated_at = get_time(vo, "validated_at").value_or(0);
    val.is_valid = vo.if_contains("is_valid") && vo.at("is_valid").is_bool() && vo.at("is_valid").as_bool();
    for (const char* key : {"errors", "warnings"}) {
      if (const auto* a = vo.if_contains(key); a && a->is_array())
        for (const auto& e : a->as_array())
          if (e.is_string())
            (std::string_view(key) == "errors" ? val.errors : val.warnings).emplace_back(e.as_string());
    }
    m.validation = std::move(val);
  }
  return m;
}

Status save_metadata(store::Writer& writer, const BackupMetadata& m, TimeMs now) {
  json::value record = metadata_to_json(m);  // valid UTF-8 even when a filter named raw bytes
  return writer.put_system(store::SystemTable::backups,
                           store::SystemRecord{m.id, m.created_by, std::string(backup_type_name(m.type)),
                                               std::string(backup_status_name(m.status)), m.created_at, now,
                                               json::serialize(make_valid_utf8(record))});
}

Result<std::optional<BackupMetadata>> load_metadata(store::Reader& reader, const std::string& id) {
  CL_TRY(rec, reader.get_system(store::SystemTable::backups, id));
  if (!rec) return std::optional<BackupMetadata>();
  CL_TRY(m, metadata_from_json(rec->json));
  return std::optional<BackupMetadata>(std::move(m));
}

Status for_each_metadata(store::Reader& reader, const std::function<bool(const BackupMetadata&)>& visit) {
  Status inner;
  CL_CHECK(reader.for_each_system(store::SystemTable::backups, [&](const store::SystemRecord& rec) {
    auto m = metadata_from_json(rec.json);
    if (!m) {
      inner = fail(Error(m.error().code, fmt::format("backup record {}: {}", rec.id, m.error().message)));
      return false;
    }
    return visit(*m);
  }));
  return inner;
}

}  // namespace claudelens::backup
