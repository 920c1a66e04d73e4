#include "schedule/schedules.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/ids.hpp"

namespace claudelens::schedule {
namespace {

namespace json = boost::json;

std::optional<TimeMs> time_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return parse_iso8601(v->as_string());
}

json::value time_value(const std::optional<TimeMs>& t) {
  return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

}  // namespace

Result<Schedule> make_schedule(const ScheduleRequest& request, TimeMs now) {
  std::vector<backup::FieldError> errors;
  if (auto e = backup::validate_backup_name(request.name)) errors.push_back(*e);
  auto cron = parse_cron(request.cron);
  if (!cron) errors.push_back({"schedule", cron.error().message, "VALIDATION_FAILED"});
  const backup::BackupType type =
      request.type.value_or(request.filters.empty() ? backup::BackupType::full : backup::BackupType::selective);
  for (auto& e : backup::validate_filters(request.filters, type, now)) errors.push_back(std::move(e));
  if (request.compression_level < 1 || request.compression_level > 9)
    errors.push_back({"options.compression_level", "must be 1-9", "VALIDATION_FAILED"});
  if (!errors.empty()) return fail(backup::to_error(errors));
  Schedule s;
  s.id = new_id();
  s.name = request.name;
  s.cron = cron->text;
  s.type = type;
  s.filters = request.filters;
  s.compression_level = request.compression_level;
  s.created_by = request.created_by;
  s.created_at = now;
  s.updated_at = now;
  return with_next_run(std::move(s), now);
}

Schedule with_next_run(Schedule s, TimeMs now) {
  s.next_run.reset();
  if (!s.enabled) return s;
  if (auto cron = parse_cron(s.cron)) s.next_run = cron_next(*cron, now);
  return s;
}

json::object schedule_to_json(const Schedule& s) {
  json::object o;
  o["_id"] = s.id;
  o["name"] = s.name;
  o["enabled"] = s.enabled;
  o["schedule"] = s.cron;
  o["type"] = backup::backup_type_name(s.type);
  o["filters"] = backup::filters_to_json(s.filters);
  o["options"] = json::object{{"compress", true}, {"compression_level", s.compression_level}};
  o["last_run"] = time_value(s.last_run);
  o["next_run"] = time_value(s.next_run);
  auto cron = parse_cron(s.cron);
  o["description"] = cron ? describe_cron(*cron) : std::string();
  o["last_slot"] = time_value(s.last_slot);
  o["last_outcome"] = s.last_outcome.empty() ? json::value(nullptr) : json::value(s.last_outcome);
  o["last_message"] = s.last_message.empty() ? json::value(nullptr) : json::value(s.last_message);
  o["last_job_id"] = s.last_job_id.empty() ? json::value(nullptr) : json::value(s.last_job_id);
  o["created_by"] = s.created_by;
  o["created_at"] = format_iso8601(s.created_at);
  o["updated_at"] = format_iso8601(s.updated_at);
  return o;
}

Result<Schedule> schedule_from_json(std::string_view json_text) {
  boost::system::error_code ec;
  const auto v = json::parse(json_text, ec);
  if (ec || !v.is_object()) return fail(Errc::corrupted, "a schedule record is not a JSON object");
  const auto& o = v.as_object();
  Schedule s;
  const auto str = [&](std::string_view name) {
    const auto* f = o.if_contains(name);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  s.id = str("_id");
  s.name = str("name");
  s.cron = str("schedule");
  s.created_by = str("created_by");
  if (const auto* e = o.if_contains("enabled"); e && e->is_bool()) s.enabled = e->as_bool();
  if (auto t = backup::parse_backup_type(str("type"))) s.type = *t;
  if (const auto* f = o.if_contains("filters")) {
    std::vector<backup::FieldError> errors;
    auto filters = backup::filters_from_json(*f, errors);
    if (!filters) return fail(filters.error());
    if (!errors.empty())
      return fail(Errc::corrupted, fmt::format("schedule {}: {}", s.id, backup::to_error(errors).message));
    s.filters = std::move(filters).value();
  }
  if (const auto* opt = o.if_contains("options"); opt && opt->is_object())
    if (const auto* l = opt->as_object().if_contains("compression_level"); l && l->is_int64())
      s.compression_level = static_cast<int>(l->as_int64());
  s.last_run = time_field(o, "last_run");
  s.last_slot = time_field(o, "last_slot");
  s.last_outcome = str("last_outcome");
  s.last_message = str("last_message");
  s.last_job_id = str("last_job_id");
  s.next_run = time_field(o, "next_run");
  s.created_at = time_field(o, "created_at").value_or(0);
  s.updated_at = time_field(o, "updated_at").value_or(0);
  return s;
}

std::optional<Schedule> schedule_from_api(const json::object& o, TimeMs now, std::vector<backup::FieldError>& errors) {
  const std::size_t before = errors.size();
  json::object rest = o;
  rest.erase("filters");                                    // checked below, field by field
  auto parsed = schedule_from_json(json::serialize(rest));  // the other fields, leniently
  if (!parsed) {
    errors.push_back({"", parsed.error().message, "VALIDATION_FAILED"});
    return std::nullopt;
  }
  Schedule s = std::move(*parsed);
  if (auto e = backup::validate_backup_name(s.name)) errors.push_back(*e);
  if (auto cron = parse_cron(s.cron); !cron)
    errors.push_back({"schedule", "invalid cron: " + cron.error().message, "format"});
  else
    s.cron = cron->text;
  if (const auto* t = o.if_contains("type"); t && !(t->is_string() && backup::parse_backup_type(t->as_string())))
    errors.push_back({"type", "must be full, selective or incremental", "enum"});
  s.filters = {};
  if (const auto* f = o.if_contains("filters"); f && !f->is_null()) {
    std::vector<backup::FieldError> filter_errors;
    auto filters = backup::filters_from_json(*f, filter_errors);
    if (!filters)
      errors.push_back({"filters", filters.error().message, "type"});
    else
      s.filters = std::move(*filters);
    for (auto& e : filter_errors) errors.push_back(std::move(e));
  }
  if (errors.size() == before)
    for (auto& e : backup::validate_filters(s.filters, s.type, now)) errors.push_back(std::move(e));
  if (const auto* opt = o.if_contains("options"); opt && opt->is_object()) {
    if (const auto* l = opt->as_object().if_contains("compression_level"); l && !l->is_null()) {
      if (!l->is_int64() || l->as_int64() < 1 || l->as_int64() > 9)
        errors.push_back({"options.compression_level", "must be 1-9", "range"});
    }
  }
  if (errors.size() != before) return std::nullopt;
  return s;
}

bool definition_differs(const Schedule& a, const Schedule& b) {
  return a.name != b.name || a.cron != b.cron || a.enabled != b.enabled || a.type != b.type ||
         a.compression_level != b.compression_level ||
         json::serialize(backup::filters_to_json(a.filters)) != json::serialize(backup::filters_to_json(b.filters));
}

Result<json::object> next_runs_json(std::string_view cron_text, TimeMs from, int count) {
  if (count < 1 || count > k_max_preview_runs)
    return fail(Errc::invalid_argument, fmt::format("count: must be 1-{}, not {}", k_max_preview_runs, count));
  auto cron = parse_cron(cron_text);
  if (!cron) return fail(Errc::invalid_argument, "cron: " + cron.error().message);
  json::array runs;
  for (const TimeMs t : cron_next_runs(*cron, from, count)) runs.push_back(json::value(format_iso8601(t)));
  return json::object{{"cron", cron->text}, {"runs", std::move(runs)}, {"description", describe_cron(*cron)}};
}

Status save_schedule(store::Writer& writer, const Schedule& s) {
  return writer.put_system(store::SystemTable::schedules,
                           store::SystemRecord{s.id, s.created_by, std::string(backup::backup_type_name(s.type)),
                                               s.enabled ? "enabled" : "paused", s.created_at, s.updated_at,
                                               json::serialize(schedule_to_json(s))});
}

Result<std::optional<Schedule>> load_schedule(store::Reader& reader, const std::string& id) {
  CL_TRY(record, reader.get_system(store::SystemTable::schedules, id));
  if (!record) return std::optional<Schedule>{};
  CL_TRY(s, schedule_from_json(record->json));
  return std::optional<Schedule>{std::move(s)};
}

Status for_each_schedule(store::Reader& reader, const std::function<bool(const Schedule&)>& visit) {
  std::optional<Error> bad;
  CL_CHECK(reader.for_each_system(store::SystemTable::schedules, [&](const store::SystemRecord& r) {
    auto s = schedule_from_json(r.json);
    if (!s) {
      bad = Error(s.error().code, fmt::format("schedule {}: {}", r.id, s.error().message));
      return false;
    }
    return visit(*s);
  }));
  if (bad) return fail(*bad);
  return {};
}

Result<Schedule> set_schedule_enabled(store::Store& store, const std::string& id, bool enabled, TimeMs now) {
  CL_TRY(writer, store.write());
  CL_TRY(found, load_schedule(*writer, id));
  if (!found) return fail(Errc::not_found, fmt::format("no schedule with id '{}'", id));
  Schedule s = *found;
  if (s.enabled != enabled) {
    s.enabled = enabled;
    s.updated_at = now;
  }
  s = with_next_run(std::move(s), now);
  CL_CHECK(save_schedule(*writer, s));
  CL_CHECK(writer->commit());
  return s;
}

Status delete_schedule(store::Store& store, const std::string& id) {
  CL_TRY(writer, store.write());
  CL_TRY(found, writer->get_system(store::SystemTable::schedules, id));
  if (!found) return fail(Errc::not_found, fmt::format("no schedule with id '{}'", id));
  CL_CHECK(writer->delete_system(store::SystemTable::schedules, id));
  return writer->commit();
}

}  // namespace claudelens::schedule
