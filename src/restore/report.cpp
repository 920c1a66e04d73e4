#include "restore/report.hpp"

#include <boost/json.hpp>

namespace claudelens::restore {

namespace json = boost::json;

std::int64_t RestoreReport::total(std::int64_t Tally::*field) const {
  std::int64_t n = 0;
  for (const auto& [name, t] : collections)
    if (name != "users" && name != "audit_log") n += t.*field;  // system records, not documents
  return n;
}

void RestoreReport::add_conflict(Conflict c) {
  conflicts_count += c.count;
  if (conflicts.size() < k_max_listed_conflicts) conflicts.push_back(std::move(c));
}

namespace {

std::int64_t restored(const RestoreReport& r, const char* collection) {
  const auto it = r.collections.find(collection);
  return it == r.collections.end() ? 0 : it->second.restored;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

boost::json::object report_to_json(const RestoreReport& r) {
  json::object mappings;
  for (const auto& [from, to] : r.id_mappings) mappings[from] = to;
  json::object collections;
  for (const auto& [name, t] : r.collections)
    collections[name] = json::object{{"restored", t.restored},
                                     {"updated", t.updated},
                                     {"skipped", t.skipped},
                                     {"failed", t.failed},
                                     {"deleted", t.deleted}};
  json::array conflicts;
  for (const auto& c : r.conflicts)
    conflicts.push_back(json::object{{"type", c.type},
                                     {"existing_id", c.existing_id},
                                     {"backup_id", c.backup_id},
                                     {"existing_name", c.existing_name},
                                     {"backup_name", c.backup_name},
                                     {"resolution", c.resolution},
                                     {"count", c.count}});
  return json::object{{"restore_id", r.id},
                      {"backup_id", r.backup_id},
                      {"backup_file", r.backup_file},
                      {"status", r.status},
                      {"mode", mode_name(r.mode)},
                      {"on_conflict", strategy_name(r.on_conflict)},
                      {"dry_run", r.dry_run},
                      {"projects_restored", restored(r, "projects")},
                      {"sessions_restored", restored(r, "sessions")},
                      {"messages_restored", restored(r, "messages")},
                      {"records_restored", restored(r, "records")},
                      {"prompts_restored", restored(r, "prompts")},
                      {"total_documents", r.total(&Tally::restored)},
                      {"skipped_duplicates", r.total(&Tally::skipped)},
                      {"failed_documents", r.total(&Tally::failed)},
                      {"deleted_documents", r.total(&Tally::deleted)},
                      {"id_mappings", std::move(mappings)},
                      {"collections", std::move(collections)},
                      {"conflicts_count", r.conflicts_count},
                      {"conflicts", std::move(conflicts)},
                      {"deleted_projects", strings(r.deleted_projects)},
                      {"deleted_sessions", strings(r.deleted_sessions)},
                      {"chain", strings(r.chain)},
                      {"bytes_read", r.bytes_read},
                      {"bytes_verified", r.bytes_verified},
                      {"archive_size_bytes", r.archive_size},
                      {"entry_bytes", r.entry_bytes},
                      {"started_at", format_iso8601_ms(r.started_at)},
                      {"duration_seconds", r.duration_seconds},
                      {"error_message", r.error_message.empty() ? json::value(nullptr) : json::value(r.error_message)}};
}

store::SystemRecord history_record(const RestoreReport& r, const std::string& restored_by) {
  json::object o{{"_id", r.id},
                 {"restored_at", format_iso8601(r.started_at)},
                 {"restored_by", restored_by},
                 {"status", r.status},
                 {"documents_restored", r.total(&Tally::restored)},
                 {"error_message", r.error_message.empty() ? json::value(nullptr) : json::value(r.error_message)},
                 {"backup_id", r.backup_id},
                 {"backup_file", r.backup_file},
                 {"mode", mode_name(r.mode)},
                 {"on_conflict", strategy_name(r.on_conflict)},
                 {"duration_seconds", r.duration_seconds},
                 {"results", report_to_json(r)}};
  const TimeMs end = r.started_at + static_cast<TimeMs>(r.duration_seconds * 1000);
  return store::SystemRecord{r.id, restored_by,       std::string(mode_name(r.mode)), r.status, r.started_at,
                             end,  json::serialize(o)};
}

}  // namespace claudelens::restore
