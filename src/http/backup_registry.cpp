// The cached backups registry (backup_registry.hpp).
#include "http/backup_registry.hpp"

#include <boost/json.hpp>

#include "http/handlers/backup_access.hpp"

namespace claudelens::http {

namespace json = boost::json;

namespace {

/// The restore_history item of a restore record, as GET /backups/{id} has always shown it: these keys,
/// null when the record lacks one.
std::string attempt_json(const json::object& record) {
  json::object a;
  for (const char* key : {"_id", "restored_at", "restored_by", "status", "documents_restored", "error_message"})
    a[key] = record.contains(key) ? record.at(key) : json::value(nullptr);
  return json::serialize(a);
}

}  // namespace

const RegisteredBackup* RegistrySnapshot::find(const std::string& id) const {
  const auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : &backups[it->second];
}

const RegisteredBackup* RegistrySnapshot::first_broken() const {
  for (const auto& b : backups)
    if (b.broken) return &b;
  return nullptr;
}

Result<std::shared_ptr<const RegistrySnapshot>> read_registry(store::Store& store,
                                                              std::optional<std::int64_t> version) {
  auto snapshot = std::make_shared<RegistrySnapshot>();
  snapshot->version = version;
  CL_TRY(reader, store.read());
  CL_CHECK(reader->for_each_system(store::SystemTable::backups, [&](const store::SystemRecord& rec) {
    RegisteredBackup b;
    b.id = rec.id;
    if (auto m = backup::metadata_from_json(rec.json)) {
      b.meta = std::move(*m);
      b.json = json::serialize(backup_json(b.meta));
    } else {
      b.broken = m.error();
    }
    snapshot->by_id.emplace(b.id, snapshot->backups.size());
    snapshot->backups.push_back(std::move(b));
    return true;
  }));
  CL_CHECK(reader->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord& rec) {
    boost::system::error_code ec;
    json::value v = json::parse(rec.json, ec);
    if (ec || !v.is_object()) return true;
    const json::object& o = v.get_object();
    RestoreAttempt a;
    a.owner_id = rec.owner_id;
    if (const auto* id = o.if_contains("backup_id"); id && id->is_string()) a.backup_id = id->get_string();
    a.json = attempt_json(o);
    snapshot->restores.push_back(std::move(a));
    return true;
  }));
  return std::shared_ptr<const RegistrySnapshot>(std::move(snapshot));
}

Result<std::shared_ptr<const RegistrySnapshot>> BackupRegistry::current(store::Store& store) {
  // The version first, the data after: a commit between the two makes the snapshot newer than its
  // version says, never older, and the next call reads again.
  CL_TRY(version, store.data_version());
  if (version) {
    std::lock_guard lock(m_mutex);
    if (m_snapshot && m_snapshot->version == version) return m_snapshot;
  }
  ++m_reads;
  CL_TRY(snapshot, read_registry(store, version));
  if (version) {
    std::lock_guard lock(m_mutex);
    m_snapshot = snapshot;
  }
  return snapshot;
}

}  // namespace claudelens::http
