#include "backup/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include <spdlog/spdlog.h>

#include "backup/chain.hpp"
#include "core/time.hpp"

namespace claudelens::backup {

namespace {

constexpr std::string_view k_deletion_id_prefix = "deleted-backup:";

Status record(store::Store& store, BackupMetadata m, TimeMs now) {
  CL_TRY(writer, store.write());
  CL_CHECK(save_metadata(*writer, m, now));
  return writer->commit();
}

/// The registered backup whose id the archive's header names, if any.
std::optional<BackupMetadata> registered_by_header(store::Store& store, const std::filesystem::path& file) {
  // backup_id is in the clear header: the index is left to whoever reads the archive next.
  auto reader = format::ArchiveReader::open(file, {.allow_locked = true, .header_only = true});
  if (!reader) return std::nullopt;
  boost::system::error_code ec;
  auto header = boost::json::parse((*reader)->header_json(), ec);
  if (ec || !header.is_object()) return std::nullopt;
  const auto* id = header.as_object().if_contains("backup_id");
  if (!id || !id->is_string()) return std::nullopt;
  auto r = store.read();
  if (!r) return std::nullopt;
  auto m = load_metadata(**r, std::string(id->as_string()));
  if (!m || !*m) return std::nullopt;
  return **m;
}

}  // namespace

Result<ResolvedBackup> resolve_backup(store::Store& store, const std::filesystem::path& backup_dir,
                                      const std::string& id_or_file) {
  {
    CL_TRY(reader, store.read());
    CL_TRY(meta, load_metadata(*reader, id_or_file));
    if (meta) {
      ResolvedBackup out{backup_dir / meta->filepath, meta};
      if (meta->status == BackupStatus::completed || meta->status == BackupStatus::corrupted) {
        if (!std::filesystem::exists(out.file))
          return fail(Errc::not_found, fmt::format("backup {}: its file {} is gone", id_or_file, out.file.string()));
      }
      return out;
    }
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(id_or_file, ec)) {
    ResolvedBackup out{id_or_file, std::nullopt};
    if (auto m = registered_by_header(store, out.file);
        m && std::filesystem::equivalent(backup_dir / m->filepath, out.file, ec))
      out.metadata = m;
    return out;
  }
  return fail(Errc::not_found, fmt::format("no backup with id '{}' and no such file", id_or_file));
}

Result<VerifyOutcome> verify_backup(store::Store& store, const ResolvedBackup& backup, TimeMs now,
                                    const format::VerifyProgress& progress, const crypto::Secret* passphrase) {
  auto report = format::verify_archive(backup.file, progress, passphrase);
  VerifyOutcome out;
  std::optional<Error> damage;
  if (!report) {
    if (report.error().code == Errc::cancelled || report.error().code == Errc::io ||
        report.error().code == Errc::not_found || report.error().code == Errc::wrong_key)
      return fail(std::move(report).error());
    damage = report.error();
  } else {
    out.report = *report;
    if (backup.metadata && !backup.metadata->checksum.empty() && backup.metadata->checksum != report->sha256_hex)
      damage = Error(Errc::corrupted, fmt::format("{}: SHA-256 {} differs from the recorded checksum {}",
                                                  backup.file.string(), report->sha256_hex, backup.metadata->checksum));
  }
  if (backup.metadata) {
    BackupMetadata m = *backup.metadata;
    out.id = m.id;
    Validation v;
    v.validated_at = now;
    v.is_valid = !damage;
    if (damage) v.errors.push_back(damage->message);
    if (!damage && !out.report.authenticated)
      v.warnings.emplace_back(
          "encrypted: checked without its key (structure and whole-file SHA-256); chunks not authenticated");
    m.validation = v;
    if (damage && m.status == BackupStatus::completed) m.status = BackupStatus::corrupted;
    if (!damage && m.status == BackupStatus::corrupted) m.status = BackupStatus::completed;
    CL_CHECK(record(store, std::move(m), now));
  }
  if (damage) return fail(*damage);
  return out;
}

Result<std::vector<BackupMetadata>> dependents_of(store::Reader& reader, const std::string& id) {
  std::vector<BackupMetadata> all;
  CL_CHECK(for_each_metadata(reader, [&](const BackupMetadata& m) {
    if (m.parent_backup_id && m.status != BackupStatus::failed) all.push_back(m);
    return true;
  }));
  // Breadth first from `id`, then reversed: children come after their parents, so deepest first.
  std::vector<BackupMetadata> out;
  std::vector<std::string> frontier{id};
  std::set<std::string> seen{id};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& m : all)
      if (std::find(frontier.begin(), frontier.end(), *m.parent_backup_id) != frontier.end() &&
          seen.insert(m.id).second) {
        out.push_back(m);
        next.push_back(m.id);
      }
    frontier = std::move(next);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> verify_chain_links(store::Store& store, const std::filesystem::path& backup_dir,
                                                    const std::filesystem::path& file) {
  CL_TRY(chain, resolve_chain(store, file, backup_dir));
  std::vector<std::string> ids;
  for (const auto& m : chain) ids.push_back(m.backup_id.empty() ? m.archive_id : m.backup_id);
  return ids;
}

Result<DeleteOutcome> delete_backup(store::Store& store, const std::filesystem::path& backup_dir, const std::string& id,
                                    TimeMs now) {
  // Three steps, so that a crash between them never leaves a record that claims a file that is gone:
  // mark "deleting", remove the file, remove the record.
  BackupMetadata meta;
  {
    CL_TRY(writer, store.write());
    CL_TRY(found, load_metadata(*writer, id));
    if (!found) return fail(Errc::not_found, fmt::format("no backup with id '{}'", id));
    if (found->status == BackupStatus::in_progress || found->status == BackupStatus::pending)
      return fail(Errc::conflict, fmt::format("backup {} is still being written", id));
    meta = *found;
    meta.status = BackupStatus::deleting;
    CL_CHECK(save_metadata(*writer, meta, now));
    CL_CHECK(writer->commit());
  }
  DeleteOutcome out{id, now, 0, 0};
  const auto file = backup_dir / meta.filepath;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec) {
    if (!std::filesystem::remove(file, ec) || ec)
      return fail(Errc::io, fmt::format("cannot delete {}: {}", file.string(), ec.message()));
    out.freed_bytes = static_cast<std::int64_t>(size);
    out.files_deleted = 1;
  }
  // The record goes, and a deletion record takes its place in the same transaction (statistics).
  const boost::json::object gone{{"backup_id", id},
                                 {"name", meta.name},
                                 {"type", backup_type_name(meta.type)},
                                 {"created_at", format_iso8601(meta.created_at)},
                                 {"deleted_at", format_iso8601(now)},
                                 {"size_bytes", meta.size_bytes},
                                 {"freed_bytes", out.freed_bytes}};
  const store::SystemRecord deletion{std::string(k_deletion_id_prefix) + id,
                                     meta.created_by,
                                     std::string(k_deletion_kind),
                                     "deleted",
                                     now,
                                     now,
                                     boost::json::serialize(gone)};
  CL_TRY(writer, store.write());
  CL_CHECK(writer->delete_system(store::SystemTable::backups, id));
  CL_CHECK(writer->put_system(store::SystemTable::settings, deletion));
  // The deleted backup may have held the lowest change sequence: tombstones below the next one go.
  CL_TRY(pruned, prune_tombstones(*writer, now));
  if (pruned > 0) spdlog::debug("backup {} deleted: {} tombstones pruned", id, pruned);
  CL_CHECK(writer->commit());
  return out;
}

Status for_each_deletion(store::Reader& reader, const std::function<bool(const Deletion&)>& visit) {
  return reader.for_each_system(store::SystemTable::settings, [&](const store::SystemRecord& rec) {
    if (rec.kind != k_deletion_kind || !rec.id.starts_with(k_deletion_id_prefix)) return true;
    return visit(Deletion{rec.id.substr(k_deletion_id_prefix.size()), rec.owner_id, rec.created_at});
  });
}

}  // namespace claudelens::backup
