#include "schedule/settings.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace claudelens::schedule {

namespace json = boost::json;

Result<json::object> load_backup_settings(store::Reader& reader) {
  CL_TRY(record, reader.get_system(store::SystemTable::settings, std::string(k_backup_settings_id)));
  if (!record) return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(record->json, ec);
  if (ec || !v.is_object())
    return fail(Errc::corrupted, fmt::format("settings record '{}' is not a JSON object", k_backup_settings_id));
  return std::move(v.as_object());
}

Status save_backup_settings(store::Writer& writer, const json::object& settings, TimeMs now) {
  CL_TRY(old, writer.get_system(store::SystemTable::settings, std::string(k_backup_settings_id)));
  store::SystemRecord r;
  r.id = std::string(k_backup_settings_id);
  r.kind = "settings";
  r.status = "active";
  r.created_at = old ? old->created_at : now;
  r.updated_at = now;
  r.json = json::serialize(settings);
  return writer.put_system(store::SystemTable::settings, r);
}

Result<RetentionRules> stored_retention_rules(store::Reader& reader) {
  CL_TRY(settings, load_backup_settings(reader));
  const auto* retention = settings.if_contains("retention");
  if (!retention) return RetentionRules{};
  return rules_from_json(*retention);
}

}  // namespace claudelens::schedule
