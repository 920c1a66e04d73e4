#include "backup/chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <unordered_set>

#include "backup/documents.hpp"
#include "backup/metadata.hpp"
#include "format/reader.hpp"

namespace claudelens::backup {

namespace json = boost::json;

namespace {

/// Chains longer than this are refused (a loop of records, or damage). Default: 1000
constexpr std::size_t k_max_chain = 1000;

struct Header {
  std::string backup_id, type, parent_id, parent_checksum;
  json::object whole;
};

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<Header> read_header(const format::ArchiveReader& reader, const std::filesystem::path& file) {
  boost::system::error_code ec;
  json::value v = json::parse(reader.header_json(), ec);
  if (ec || !v.is_object())
    return fail(Errc::corrupted, fmt::format("{}: the header is not a JSON object", file.string()));
  Header h;
  h.whole = std::move(v.as_object());
  h.backup_id = string_field(h.whole, "backup_id");
  h.type = string_field(h.whole, "type");
  h.parent_id = string_field(h.whole, "parent_backup_id");
  h.parent_checksum = string_field(h.whole, "parent_checksum");
  return h;
}

/// The registered backup holding archive id `id`: the record of that id, else the newest completed
/// record whose file holds it (an upload is registered under a new id).
Result<std::optional<BackupMetadata>> find_registered(store::Reader& reader, const std::string& id) {
  CL_TRY(direct, load_metadata(reader, id));
  if (direct) return direct;
  std::optional<BackupMetadata> found;
  CL_CHECK(for_each_metadata(reader, [&](const BackupMetadata& m) {
    if (archive_id_of(m) == id && (!found || m.status == BackupStatus::completed)) found = m;
    return true;
  }));
  return found;
}

/// The archive in `dir` (not its hidden or temporary files) whose header holds backup id `id`.
Result<std::optional<std::filesystem::path>> find_file(const std::filesystem::path& dir, const std::string& id) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.starts_with('.') || !it->is_regular_file(ec)) continue;
    auto reader = format::ArchiveReader::open(it->path(), {.allow_locked = true});
    if (!reader) continue;  // not an archive, or a damaged one: not the parent
    auto header = read_header(**reader, it->path());
    if (header && header->backup_id == id) return std::optional<std::filesystem::path>(it->path());
  }
  return std::optional<std::filesystem::path>();
}

}  // namespace

Result<std::vector<ChainMember>> resolve_chain(store::Store& store, const std::filesystem::path& archive,
                                               const std::filesystem::path& backup_dir) {
  // The links are in every header, in the clear even when encrypted: no key is derived here. The leaf's
  // index is checked by whoever reads it next (a restore opens it whole right after this).
  CL_TRY(leaf_reader, format::ArchiveReader::open(archive, {.allow_locked = true, .header_only = true}));
  CL_TRY(cur, read_header(*leaf_reader, archive));
  std::vector<ChainMember> chain{{archive, "", cur.backup_id, cur.type, ""}};
  if (cur.type != "incremental") return chain;
  CL_TRY(reader, store.read());
  std::unordered_set<std::string> seen{cur.backup_id};
  while (cur.type == "incremental") {
    const std::string child = cur.backup_id;
    if (cur.parent_id.empty())
      return fail(Errc::corrupted, fmt::format("incremental backup {} names no parent backup", child));
    if (chain.size() >= k_max_chain || !seen.insert(cur.parent_id).second)
      return fail(Errc::corrupted, fmt::format("the chain of incremental backup {} loops or is longer than {} members",
                                               chain.front().archive_id, k_max_chain));
    CL_TRY(found, find_registered(*reader, cur.parent_id));
    if (!found) {
      // Not registered in this store (a chain restored into another one): its file in the backup
      // directory, found by the id its header holds. Its checksum is checked when it is read (the
      // restore verifies unregistered members whole).
      CL_TRY(file, find_file(backup_dir, cur.parent_id));
      if (!file)
        return fail(Errc::not_found,
                    fmt::format("chain member {} (the parent of incremental backup {}) is neither registered here nor "
                                "in {}: restoring an incremental backup needs every backup of its chain",
                                cur.parent_id, child, backup_dir.string()));
      CL_TRY(parent_reader, format::ArchiveReader::open(*file, {.allow_locked = true}));
      CL_TRY(parent, read_header(*parent_reader, *file));
      chain.push_back({*file, "", parent.backup_id, parent.type, cur.parent_checksum, false});
      cur = std::move(parent);
      continue;
    }
    const BackupMetadata& m = *found;
    if (m.status == BackupStatus::corrupted)
      return fail(Errc::corrupted, fmt::format("chain member {} (the parent of {}) is marked corrupted", m.id, child));
    if (m.status != BackupStatus::completed)
      return fail(Errc::not_found, fmt::format("chain member {} (the parent of {}) is {}, not completed", m.id, child,
                                               backup_status_name(m.status)));
    if (!cur.parent_checksum.empty() && m.checksum != cur.parent_checksum)
      return fail(Errc::corrupted,
                  fmt::format("chain member {} is not the parent incremental backup {} names: its checksum {} differs "
                              "from the named {}",
                              m.id, child, m.checksum, cur.parent_checksum));
    const auto file = backup_dir / m.filepath;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      return fail(Errc::not_found,
                  fmt::format("chain member {} (the parent of {}): its file {} is gone", m.id, child, file.string()));
    CL_TRY(parent_reader, format::ArchiveReader::open(file, {.allow_locked = true}));
    CL_TRY(parent, read_header(*parent_reader, file));
    if (parent.backup_id != cur.parent_id)
      return fail(Errc::corrupted, fmt::format("chain member {}: its file {} holds backup {}, not {}", m.id,
                                               file.string(), parent.backup_id, cur.parent_id));
    chain.push_back(
        {file, m.id, parent.backup_id, parent.type, cur.parent_checksum.empty() ? m.checksum : cur.parent_checksum});
    cur = std::move(parent);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

bool scope_can_move(const Filters& f) {
  return !f.projects.empty() || f.date_range || !f.include_patterns.empty() || !f.exclude_patterns.empty() ||
         f.min_message_count || f.max_message_count;
}

Result<ChainScope> chain_scope(store::Store& store, const std::filesystem::path& archive,
                               const std::filesystem::path& backup_dir, const crypto::Secret* passphrase) {
  CL_TRY(chain, resolve_chain(store, archive, backup_dir));
  ChainScope out;
  std::unordered_set<std::string> decided, decided_projects, deleted_sessions, deleted_projects;  // by later members
  for (std::size_t i = chain.size(); i-- > 0;) {
    const ChainMember& m = chain[i];
    auto opened = format::ArchiveReader::open(m.file, {.passphrase = passphrase});
    if (!opened)
      return fail(Error(opened.error().code, fmt::format("reading which sessions backup {} holds: {}", m.archive_id,
                                                         opened.error().message)));
    format::ArchiveReader& reader = **opened;
    // This member's catalogue first: its own tombstones apply to earlier members only.
    for (std::string_view collection : {k_sessions, k_projects, k_tombstones}) {
      for (const auto& section : reader.sections()) {
        if (section.key.collection != collection || !section.key.session_id.empty()) continue;
        Status inner;
        CL_CHECK(reader.read_section(section, [&](std::string_view doc) {
          if (collection == k_sessions) {
            auto s = decode_session(doc);
            if (!s) inner = fail(std::move(s).error());
            if (s && decided.insert(s->id).second && !deleted_sessions.contains(s->id) &&
                !deleted_projects.contains(s->project_id))
              out.sessions.insert(s->id);
          } else if (collection == k_projects) {
            auto p = decode_project(doc);
            if (!p) inner = fail(std::move(p).error());
            if (p && decided_projects.insert(p->id).second && !deleted_projects.contains(p->id))
              out.projects.insert(p->id);
          } else {
            auto t = decode_tombstone(doc);
            if (!t) inner = fail(std::move(t).error());
            if (t && t->kind == "session") deleted_sessions.insert(t->id);
            if (t && t->kind == "project") deleted_projects.insert(t->id);
          }
          return inner.has_value();
        }));
        CL_CHECK(inner);
      }
    }
  }
  return out;
}

Result<std::int64_t> prune_tombstones(store::Writer& writer, TimeMs now) {
  std::optional<std::int64_t> floor;
  CL_CHECK(for_each_metadata(writer, [&](const BackupMetadata& m) {
    if (m.change_seq && m.status != BackupStatus::failed)
      floor = std::min(floor.value_or(*m.change_seq), *m.change_seq);
    return true;
  }));
  if (!floor) {
    CL_TRY(current, writer.change_seq());
    floor = current;
  }
  return writer.prune_tombstones(*floor, now - k_tombstone_grace_ms);
}

}  // namespace claudelens::backup
