// The stored backup settings: API.md's `GET /settings/backup` document kept whole as one record
// (SystemTable::settings, id "backup"), read and written here so that the CLI and the server agree on
// the key. Schedules live beside it in SystemTable::schedules (schedules.hpp). Thread-safe as the Store is.
#pragma once

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "schedule/retention.hpp"
#include "store/store.hpp"

namespace claudelens::schedule {

/// The id of the settings record in SystemTable::settings.
inline constexpr std::string_view k_backup_settings_id = "backup";

/// The stored settings document ({} when none was ever saved). A record that is not a JSON object is
/// Errc::corrupted naming the table and id.
Result<boost::json::object> load_backup_settings(store::Reader& reader);

/// Replaces the stored document.
Status save_backup_settings(store::Writer& writer, const boost::json::object& settings, TimeMs now);

/// The rules of the stored `retention` object (no rules when there is none).
Result<RetentionRules> stored_retention_rules(store::Reader& reader);

}  // namespace claudelens::schedule
