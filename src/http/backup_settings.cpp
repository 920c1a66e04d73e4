// Backup settings: defaults, validation, merge, masking (backup_settings.hpp).
#include "http/backup_settings.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <map>

#include "core/ids.hpp"
#include "http/cron_check.hpp"
#include "http/json_body.hpp"
#include "schedule/schedules.hpp"
#include "notify/settings.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view k_record_id = "backup";

json::object defaults(const fs::path& backup_dir) {
  const RateLimits rl;
  return json::object{
      {"storage", json::object{{"backend", "filesystem"},
                               {"filesystem", json::object{{"base_directory", backup_dir.string()},
                                                           {"max_size_gb", nullptr},
                                                           {"current_usage_gb", 0.0}}},
                               {"s3", json::object{{"bucket", nullptr}, {"region", nullptr}, {"prefix", nullptr}}}}},
      {"retention", json::object{{"enabled", false},
                                 {"max_backups", nullptr},
                                 {"max_age_days", nullptr},
                                 {"max_total_size_gb", nullptr},
                                 {"keep_daily", nullptr},
                                 {"keep_weekly", nullptr},
                                 {"keep_monthly", nullptr},
                                 {"auto_cleanup", false},
                                 {"cleanup_schedule", nullptr}}},
      {"compression", json::object{{"enabled", true}, {"algorithm", "zstd"}, {"level", 3}}},
      {"encryption", json::object{{"enabled", false}, {"algorithm", "aes-256-gcm"}, {"key_management", "local"}}},
      {"scheduling", json::object{{"enabled", true}, {"schedules", json::array{}}}},
      {"notifications", json::object{{"enabled", false},
                                     {"email_recipients", json::array{}},
                                     {"smtp_url", nullptr},
                                     {"smtp_username", nullptr},
                                     {"smtp_password", nullptr},
                                     {"webhook_url", nullptr},
                                     {"webhook_secret", nullptr},
                                     {"notify_on", json::array{}}}},
      {"rate_limits", json::object{{"backups_per_hour", rl.backups_per_hour},
                                   {"restores_per_hour", rl.restores_per_hour},
                                   {"uploads_per_hour", rl.uploads_per_hour},
                                   {"downloads_per_hour", rl.downloads_per_hour},
                                   {"requests_per_minute", rl.requests_per_minute}}},
  };
}

/// Copies `from` over `into` key by key, recursing into objects (arrays and scalars replace).
void overlay(json::object& into, const json::object& from) {
  for (const auto& kv : from) {
    auto* mine = into.if_contains(kv.key());
    if (mine && mine->is_object() && kv.value().is_object())
      overlay(mine->as_object(), kv.value().as_object());
    else
      into[kv.key()] = kv.value();
  }
}

void diff(const json::value& before, const json::value& after, const std::string& path, std::vector<std::string>& out) {
  if (before.is_object() && after.is_object()) {
    for (const auto& kv : after.as_object()) {
      const auto* old = before.as_object().if_contains(kv.key());
      const std::string sub = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
      if (!old)
        out.push_back(sub);
      else
        diff(*old, kv.value(), sub, out);
    }
    return;
  }
  if (before != after) out.push_back(path);
}

/// The section writer: validates one section of the patch and writes the good values into `target`.
class Section {
 public:
  Section(const json::object& patch, std::string prefix, json::object& target, std::vector<FieldError>& errors)
      : m_fields(patch, std::move(prefix), errors), m_patch(patch), m_target(target) {}

  Fields& fields() { return m_fields; }
  bool has(std::string_view name) const { return m_patch.contains(name); }
  bool is_null(std::string_view name) const { return has(name) && m_patch.at(name).is_null(); }

  void boolean(std::string_view name, std::optional<bool> refused_value = std::nullopt, std::string why = {}) {
    const auto v = m_fields.boolean(name);
    if (!v) return;
    if (refused_value && *v == *refused_value) return m_fields.error(name, "unsupported", std::move(why));
    m_target[name] = *v;
  }
  void integer(std::string_view name, std::int64_t min, std::int64_t max, bool nullable) {
    if (nullable && is_null(name)) {
      m_target[name] = nullptr;
      return;
    }
    if (const auto v = m_fields.integer(name, min, max)) m_target[name] = *v;
  }
  void number(std::string_view name, double min, double max, bool nullable) {
    if (nullable && is_null(name)) {
      m_target[name] = nullptr;
      return;
    }
    if (const auto v = m_fields.number(name, min, max)) m_target[name] = *v;
  }
  void one_of(std::string_view name, std::initializer_list<std::string_view> allowed) {
    if (const auto v = m_fields.one_of(name, allowed)) m_target[name] = *v;
  }
  /// A string checked by `check` (returns a problem or ""); null allowed.
  template <class Check>
  void nullable_string(std::string_view name, std::size_t max_len, Check check) {
    if (is_null(name)) {
      m_target[name] = nullptr;
      return;
    }
    const auto v = m_fields.string(name, false, 1, max_len);
    if (!v) return;
    if (std::string problem = check(*v); !problem.empty()) return m_fields.error(name, "format", std::move(problem));
    m_target[name] = *v;
  }
  /// Refuses any non-null value: the feature behind it does not exist yet.
  void unsupported_unless_null(std::string_view name, std::string why) {
    if (has(name) && !is_null(name)) m_fields.error(name, "unsupported", std::move(why));
  }
  /// A sub-object of the patch, checked to be an object; nullptr when absent or invalid.
  const json::object* object(std::string_view name) { return m_fields.object(name); }
  json::object& target_object(std::string_view name) {
    auto& v = m_target[name];
    if (!v.is_object()) v = json::object{};
    return v.as_object();
  }

 private:
  Fields m_fields;
  const json::object& m_patch;
  json::object& m_target;
};

std::string cron_check(const std::string& s) {
  auto problem = cron_problem(s);
  return problem ? "invalid cron: " + *problem : std::string();
}

void merge_storage(const json::object& patch, json::object& target, const fs::path& backup_dir,
                   std::vector<FieldError>& errors, std::vector<std::string>& warnings) {
  Section s(patch, "storage", target, errors);
  s.fields().reject_unknown({"backend", "filesystem", "s3"});
  if (s.has("backend")) {
    const auto v = s.fields().one_of("backend", {"filesystem", "s3"});
    if (v == "s3") s.fields().error("backend", "unsupported", "S3 storage is not available yet; use filesystem");
  }
  if (const auto* fsys = s.object("filesystem")) {
    Section f(*fsys, "storage.filesystem", s.target_object("filesystem"), errors);
    f.fields().reject_unknown({"base_directory", "max_size_gb", "current_usage_gb"});
    if (const auto dir = f.fields().string("base_directory", false, 1, 4096)) {
      std::error_code ec;
      const bool same = fs::weakly_canonical(*dir, ec) == fs::weakly_canonical(backup_dir, ec);
      if (!same)
        f.fields().error(
            "base_directory", "unsupported",
            "the backup directory is set with --backup-dir / CLAUDELENS_BACKUP_DIR when the server starts");
    }
    f.number("max_size_gb", 0.001, 1'000'000, true);
    if (f.has("current_usage_gb")) warnings.push_back("storage.filesystem.current_usage_gb is read-only; ignored");
  }
  if (const auto* s3 = s.object("s3")) {
    Section f(*s3, "storage.s3", s.target_object("s3"), errors);
    f.fields().reject_unknown({"bucket", "region", "prefix"});
    for (const auto name : {"bucket", "region", "prefix"})
      f.unsupported_unless_null(name, "S3 storage is not available yet");
  }
}

void merge_retention(const json::object& patch, json::object& target, std::vector<FieldError>& errors) {
  Section s(patch, "retention", target, errors);
  s.fields().reject_unknown({"enabled", "max_backups", "max_age_days", "max_total_size_gb", "keep_daily", "keep_weekly",
                             "keep_monthly", "auto_cleanup", "cleanup_schedule"});
  s.boolean("enabled");
  s.boolean("auto_cleanup");
  s.integer("max_backups", 1, 1'000'000, true);
  s.integer("max_age_days", 1, 36'500, true);
  s.number("max_total_size_gb", 0.001, 1'000'000, true);
  s.integer("keep_daily", 0, 10'000, true);
  s.integer("keep_weekly", 0, 10'000, true);
  s.integer("keep_monthly", 0, 10'000, true);
  s.nullable_string("cleanup_schedule", 200, cron_check);
}

void merge_compression(const json::object& patch, json::object& target, std::vector<FieldError>& errors) {
  Section s(patch, "compression", target, errors);
  s.fields().reject_unknown({"enabled", "algorithm", "level"});
  s.boolean("enabled", false, "backups are always compressed (zstd)");
  s.one_of("algorithm", {"zstd"});
  s.integer("level", 1, 9, false);
}

void merge_encryption(const json::object& patch, json::object& target, std::vector<FieldError>& errors, bool has_key) {
  Section s(patch, "encryption", target, errors);
  s.fields().reject_unknown({"enabled", "algorithm", "key_management"});
  if (has_key)
    s.boolean("enabled");
  else
    s.boolean("enabled", true, "the server has no key file: start it with --key-file");
  s.one_of("algorithm", {"aes-256-gcm"});
  s.one_of("key_management", {"local"});
}

json::value merge_schedule(const json::value& item, std::size_t index, const json::array& existing,
                           std::vector<FieldError>& errors) {
  const std::string prefix = fmt::format("scheduling.schedules[{}]", index);
  if (!item.is_object()) {
    errors.push_back(FieldError{prefix, "must be an object", "type", item});
    return nullptr;
  }
  const auto& patch = item.as_object();
  json::object schedule;
  // An _id names an existing schedule (its fields are the base); without one the schedule is new.
  if (const auto* id = patch.if_contains("_id"); id && !id->is_null()) {
    for (const auto& e : existing)
      if (e.is_object() && e.as_object().contains("_id") && e.as_object().at("_id") == *id) schedule = e.as_object();
    if (schedule.empty()) {
      errors.push_back(FieldError{prefix + "._id", "is not the id of a stored schedule", "unknown", *id});
      return nullptr;
    }
  } else {
    schedule = json::object{{"_id", new_id()},           {"enabled", true},           {"type", "full"},
                            {"filters", json::object{}}, {"options", json::object{}}, {"last_run", nullptr},
                            {"next_run", nullptr}};
  }
  Section s(patch, prefix, schedule, errors);
  // What GET shows may be sent back: the read-only fields are ignored.
  s.fields().reject_unknown({"_id", "name", "enabled", "schedule", "type", "filters", "options", "last_run", "next_run",
                             "description", "created_by", "created_at", "updated_at", "last_slot", "last_outcome",
                             "last_message", "last_job_id"});
  const bool is_new = !patch.contains("_id") || patch.at("_id").is_null();
  if (const auto name = s.fields().string("name", is_new, 3, 100)) schedule["name"] = *name;
  s.boolean("enabled");
  if (s.has("schedule") || is_new) {
    if (const auto cron = s.fields().string("schedule", true, 1, 200)) {
      if (auto problem = cron_problem(*cron))
        s.fields().error("schedule", "format", "invalid cron: " + *problem);
      else
        schedule["schedule"] = *cron;
    }
  }
  s.one_of("type", {"full", "selective", "incremental"});
  if (const auto* filters = s.object("filters")) schedule["filters"] = *filters;
  if (const auto* options = s.object("options")) schedule["options"] = *options;
  return schedule;
}

void merge_scheduling(const json::object& patch, json::object& target, std::vector<FieldError>& errors) {
  Section s(patch, "scheduling", target, errors);
  s.fields().reject_unknown({"enabled", "schedules"});
  s.boolean("enabled");
  const auto* list = s.fields().array("schedules");
  if (!list) return;
  const json::array existing = target.contains("schedules") && target.at("schedules").is_array()
                                   ? target.at("schedules").as_array()
                                   : json::array{};
  json::array replaced;
  for (std::size_t i = 0; i < list->size(); ++i) replaced.push_back(merge_schedule((*list)[i], i, existing, errors));
  target["schedules"] = std::move(replaced);
}

/// A write-only secret field: "***" (what GET shows) keeps the stored value; null clears it.
void secret(Section& s, const json::object& patch, std::string_view name) {
  if (s.has(name) && patch.at(name) == json::string(notify::k_secret_mask)) return;
  s.nullable_string(name, 500, [](const std::string&) { return std::string(); });
}

/// smtp_url: a URL whose password is "***" (sent back as GET showed it, perhaps with another host) keeps
/// the stored password.
void smtp_url(Section& s, const json::object& patch, json::object& target) {
  if (!s.has("smtp_url") || s.is_null("smtp_url")) return s.nullable_string("smtp_url", 2048, notify::smtp_url_problem);
  const auto* sent = patch.at("smtp_url").if_string();
  const auto* stored = target.if_contains("smtp_url");
  if (sent && stored && stored->is_string() && notify::url_password_text(*sent) == notify::k_secret_mask) {
    const std::string kept = notify::with_url_password_text(*sent, notify::url_password_text(stored->as_string()));
    if (const auto problem = notify::smtp_url_problem(kept); !problem.empty())
      return s.fields().error("smtp_url", "format", problem);
    target["smtp_url"] = kept;
    return;
  }
  s.nullable_string("smtp_url", 2048, notify::smtp_url_problem);
}

void merge_notifications(const json::object& patch, json::object& target, std::vector<FieldError>& errors,
                         std::vector<std::string>& warnings) {
  Section s(patch, "notifications", target, errors);
  s.fields().reject_unknown({"enabled", "email_recipients", "smtp_url", "smtp_username", "smtp_password", "webhook_url",
                             "webhook_secret", "notify_on"});
  s.boolean("enabled");
  if (const auto emails = s.fields().strings("email_recipients")) {
    bool ok = true;
    for (std::size_t i = 0; i < emails->size(); ++i) {
      const auto problem = notify::email_problem((*emails)[i]);
      if (problem.empty()) continue;
      errors.push_back(FieldError{fmt::format("notifications.email_recipients[{}]", i), problem, "format",
                                  json::string((*emails)[i])});
      ok = false;
    }
    if (ok) target["email_recipients"] = json::value_from(*emails);
  }
  smtp_url(s, patch, target);
  s.nullable_string("smtp_username", 500, [](const std::string&) { return std::string(); });
  secret(s, patch, "smtp_password");
  s.nullable_string("webhook_url", 2048, notify::webhook_url_problem);
  secret(s, patch, "webhook_secret");
  if (const auto events = s.fields().strings("notify_on")) {
    bool ok = true;
    for (std::size_t i = 0; i < events->size(); ++i) {
      if (notify::is_event_type((*events)[i])) continue;
      errors.push_back(FieldError{fmt::format("notifications.notify_on[{}]", i),
                                  fmt::format("must be one of {}", fmt::join(notify::k_event_types, ", ")), "enum",
                                  json::string((*events)[i])});
      ok = false;
    }
    if (ok) target["notify_on"] = json::value_from(*events);
  }
  // Settings that are accepted but would send nothing: said, not refused (a UI saves fields one by one).
  const auto n = notify::notification_settings_of(json::object{{"notifications", target}});
  if (n.enabled && !n.has_webhook() && !n.has_mail())
    warnings.push_back(
        "notifications are enabled but no channel is complete (webhook_url, or smtp_url with "
        "email_recipients): nothing will be sent");
  else if (n.enabled && n.notify_on.empty())
    warnings.push_back("notifications are enabled but notify_on is empty: nothing will be sent");
  if (!n.email_recipients.empty() && n.smtp_url.empty())
    warnings.push_back("notifications.email_recipients is set but smtp_url is not: no mail will be sent");
}

void merge_rate_limits(const json::object& patch, json::object& target, std::vector<FieldError>& errors) {
  Section s(patch, "rate_limits", target, errors);
  s.fields().reject_unknown(
      {"backups_per_hour", "restores_per_hour", "uploads_per_hour", "downloads_per_hour", "requests_per_minute"});
  for (const auto name :
       {"backups_per_hour", "restores_per_hour", "uploads_per_hour", "downloads_per_hour", "requests_per_minute"})
    s.integer(name, 0, 1'000'000, false);
}

std::int64_t int_at(const json::object& o, std::string_view name, std::int64_t fallback) {
  const auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

}  // namespace

Result<json::object> load_backup_settings(store::Reader& reader, const fs::path& backup_dir) {
  json::object settings = defaults(backup_dir);
  CL_TRY(stored, reader.get_system(store::SystemTable::settings, std::string(k_record_id)));
  if (stored) {
    boost::system::error_code ec;
    json::value v = json::parse(stored->json, ec);
    if (ec || !v.is_object()) return fail(Errc::corrupted, "the stored backup settings are not a JSON object");
    overlay(settings, v.as_object());
  }
  // The directory in force is always the one the server was started with.
  settings["storage"].as_object()["filesystem"].as_object()["base_directory"] = backup_dir.string();
  return settings;
}

RateLimits rate_limits_of(const json::object& settings) {
  RateLimits rl;
  const auto* v = settings.if_contains("rate_limits");
  if (!v || !v->is_object()) return rl;
  const auto& o = v->as_object();
  rl.backups_per_hour = int_at(o, "backups_per_hour", rl.backups_per_hour);
  rl.restores_per_hour = int_at(o, "restores_per_hour", rl.restores_per_hour);
  rl.uploads_per_hour = int_at(o, "uploads_per_hour", rl.uploads_per_hour);
  rl.downloads_per_hour = int_at(o, "downloads_per_hour", rl.downloads_per_hour);
  rl.requests_per_minute = int_at(o, "requests_per_minute", rl.requests_per_minute);
  return rl;
}

int default_compression_level(const json::object& settings) {
  const auto* c = settings.if_contains("compression");
  if (!c || !c->is_object()) return 3;
  return static_cast<int>(int_at(c->as_object(), "level", 3));
}

bool encryption_enabled(const json::object& settings) {
  const auto* e = settings.if_contains("encryption");
  if (!e || !e->is_object()) return false;
  const auto* enabled = e->as_object().if_contains("enabled");
  return enabled && enabled->is_bool() && enabled->as_bool();
}

SettingsUpdate merge_backup_settings(const json::object& current, const json::object& patch, const fs::path& backup_dir,
                                     std::vector<FieldError>& errors, bool has_key) {
  SettingsUpdate update;
  update.settings = current;
  Fields top(patch, "", errors);
  top.reject_unknown(
      {"storage", "retention", "compression", "encryption", "scheduling", "notifications", "rate_limits"});
  auto section = [&](std::string_view name) -> std::pair<const json::object*, json::object*> {
    const json::object* p = top.object(name);
    if (!p) return {nullptr, nullptr};
    auto& t = update.settings[name];
    if (!t.is_object()) t = json::object{};
    return {p, &t.as_object()};
  };
  if (auto [p, t] = section("storage"); p) merge_storage(*p, *t, backup_dir, errors, update.warnings);
  if (auto [p, t] = section("retention"); p) merge_retention(*p, *t, errors);
  if (auto [p, t] = section("compression"); p) merge_compression(*p, *t, errors);
  if (auto [p, t] = section("encryption"); p) merge_encryption(*p, *t, errors, has_key);
  if (auto [p, t] = section("scheduling"); p) merge_scheduling(*p, *t, errors);
  if (auto [p, t] = section("notifications"); p) merge_notifications(*p, *t, errors, update.warnings);
  if (auto [p, t] = section("rate_limits"); p) merge_rate_limits(*p, *t, errors);
  diff(current, update.settings, "", update.updated_fields);
  return update;
}

json::object present_backup_settings(json::object settings, std::int64_t usage_bytes) {
  auto& fsys = settings["storage"].as_object()["filesystem"].as_object();
  fsys["current_usage_gb"] = static_cast<double>(usage_bytes) / (1024.0 * 1024.0 * 1024.0);
  auto& n = settings["notifications"].as_object();
  for (const auto* name : {"webhook_secret", "smtp_password"})
    if (const auto* secret = n.if_contains(name); secret && secret->is_string()) n[name] = notify::k_secret_mask;
  if (const auto* smtp = n.if_contains("smtp_url"); smtp && smtp->is_string())
    n["smtp_url"] = notify::masked_url(smtp->as_string());
  return settings;
}

Status attach_schedules(store::Reader& reader, json::object& settings, TimeMs now) {
  auto& scheduling = settings["scheduling"];
  if (!scheduling.is_object()) scheduling = json::object{};
  const auto* on = scheduling.as_object().if_contains("enabled");
  const bool running = !on || !on->is_bool() || on->as_bool();
  json::array list;
  CL_CHECK(schedule::for_each_schedule(reader, [&](const schedule::Schedule& s) {
    schedule::Schedule shown = schedule::with_next_run(s, now);
    if (!running) shown.next_run.reset();
    list.push_back(schedule::schedule_to_json(shown));
    return true;
  }));
  scheduling.as_object()["schedules"] = std::move(list);
  return {};
}

Status store_schedules(store::Writer& writer, const json::object& patch, const json::object& settings,
                       const std::string& caller_id, TimeMs now, std::vector<FieldError>& errors) {
  const auto* sent = patch.if_contains("scheduling");
  if (!sent || !sent->is_object() || !sent->as_object().contains("schedules")) return {};
  std::map<std::string, schedule::Schedule> stored;
  CL_CHECK(schedule::for_each_schedule(writer, [&](const schedule::Schedule& s) {
    stored.emplace(s.id, s);
    return true;
  }));
  const auto& merged = settings.at("scheduling").at("schedules").as_array();
  std::vector<schedule::Schedule> list;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    std::vector<backup::FieldError> bad;
    auto s = schedule::schedule_from_api(merged[i].as_object(), now, bad);
    const std::string prefix = fmt::format("scheduling.schedules[{}]", i);
    for (auto& e : bad)
      errors.push_back(FieldError{e.field.empty() ? prefix : prefix + "." + e.field, e.message,
                                  e.code == "VALIDATION_FAILED" ? "invalid" : e.code, nullptr});
    if (!s) continue;
    if (auto old = stored.find(s->id); old != stored.end()) {
      s->created_by = old->second.created_by;
      s->created_at = old->second.created_at;
      s->updated_at = schedule::definition_differs(old->second, *s) ? now : old->second.updated_at;
    } else {
      // The list is ordered by created_at: new schedules of one request are 1 ms apart, in their order.
      s->created_by = caller_id;
      s->created_at = s->updated_at = now + static_cast<TimeMs>(list.size());
    }
    list.push_back(std::move(*s));
  }
  if (!errors.empty()) return {};
  for (const auto& entry : stored) {  // not a structured binding: clang 14 (fuzz build) cannot capture one
    const std::string& id = entry.first;
    if (std::none_of(list.begin(), list.end(), [&](const schedule::Schedule& n) { return n.id == id; }))
      CL_CHECK(writer.delete_system(store::SystemTable::schedules, id));
  }
  for (const auto& s : list) CL_CHECK(schedule::save_schedule(writer, s));
  return {};
}

Status save_backup_settings(store::Writer& writer, const json::object& settings, TimeMs now) {
  json::object stored = settings;
  stored["storage"].as_object()["filesystem"].as_object().erase("current_usage_gb");
  if (auto* scheduling = stored.if_contains("scheduling"); scheduling && scheduling->is_object())
    scheduling->as_object().erase("schedules");
  store::SystemRecord record;
  record.id = std::string(k_record_id);
  record.kind = "settings";
  record.status = "active";
  record.created_at = now;
  record.updated_at = now;
  record.json = json::serialize(stored);
  return writer.put_system(store::SystemTable::settings, record);
}

}  // namespace claudelens::http
