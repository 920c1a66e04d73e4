#include "restore/preview.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <map>

#include "backup/documents.hpp"
#include "format/reader.hpp"
#include "restore/catalogue.hpp"
#include "restore/chain.hpp"

namespace claudelens::restore {

namespace json = boost::json;

namespace {

json::value time_or_null(std::optional<TimeMs> t) {
  return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

json::value field_or(const json::object& o, std::string_view key, json::value fallback) {
  const auto* v = o.if_contains(key);
  return v ? *v : fallback;
}

std::string resolution(Strategy s) {
  return std::string(strategy_name(s));
}

/// Counts the archived entries of `session_id` whose key the store holds already.
Result<std::int64_t> message_conflicts(store::Reader& reader, format::ArchiveReader& archive,
                                       const format::SectionInfo& section, const std::string& session_id) {
  std::int64_t n = 0;
  Status inner;
  CL_CHECK(archive.read_section(section, [&](std::string_view doc) {
    auto e = backup::decode_entry(doc);
    if (!e) {
      inner = fail(std::move(e).error());
      return false;
    }
    auto stored = reader.get_entry(session_id, e->key);
    if (!stored) {
      inner = fail(std::move(stored).error());
      return false;
    }
    if (*stored) ++n;
    return true;
  }));
  CL_CHECK(inner);
  return n;
}

}  // namespace

namespace {

Result<json::object> preview_archive(store::Store& store, const std::filesystem::path& archive,
                                     const PreviewOptions& options) {
  CL_TRY(reader_ptr, format::ArchiveReader::open(archive, {.passphrase = options.passphrase}));
  format::ArchiveReader& ar = *reader_ptr;
  CL_TRY(cat, read_catalogue(ar, {.hold_projects = false}));
  CL_TRY(snapshot, store.read());
  store::Reader& db = *snapshot;
  CL_TRY(owners, map_owners(db, cat));

  json::array conflicts;
  std::int64_t conflicts_count = 0;
  auto add_conflict = [&](std::string type, std::string existing_id, std::string backup_id, std::string existing_name,
                          std::string backup_name, std::int64_t count) {
    conflicts_count += count;
    if (conflicts.size() < 1000)
      conflicts.push_back(json::object{{"type", type},
                                       {"existing_id", existing_id},
                                       {"backup_id", backup_id},
                                       {"existing_name", existing_name},
                                       {"backup_name", backup_name},
                                       {"resolution", resolution(options.on_conflict)},
                                       {"count", count}});
  };

  // Sessions grouped by project, with their conflicts.
  std::map<std::string, json::array> sessions_of;
  std::map<std::string, std::int64_t> sessions_count, messages_count;
  std::optional<TimeMs> earliest, latest;
  std::int64_t total_messages = 0, total_records = 0, existing_sessions = 0, sessions_total = 0;
  std::uint64_t entry_bytes = 0;
  // The archived sessions in bounded batches: the message conflicts of a batch read entry frames,
  // which a read of the sessions catalogue cannot be interleaved with.
  std::vector<store::Session> batch;
  for (std::uint64_t next = 0; next < cat.sessions_count;) {
    batch.clear();
    CL_CHECK(for_each_archived_session(ar, cat, next, [&](std::uint64_t, store::Session& s) {
      batch.push_back(std::move(s));
      return batch.size() < k_session_batch;
    }));
    if (batch.empty()) break;
    next += batch.size();
    for (const auto& s : batch) {
      ++sessions_total;
      ++sessions_count[s.project_id];
      messages_count[s.project_id] += s.message_count;
      total_messages += s.message_count;
      total_records += s.records_count - s.message_count;
      if (s.started_at) earliest = std::min(earliest.value_or(*s.started_at), *s.started_at);
      if (s.ended_at) latest = std::max(latest.value_or(*s.ended_at), *s.ended_at);
      CL_TRY(sec, entry_section(cat, ar, s.id));
      std::optional<format::SectionInfo> info;
      if (sec) {
        CL_TRY(found, ar.section(*sec));
        info = std::move(found);
        entry_bytes += info->content_size;
      }
      bool exists = false;
      if (options.check_conflicts) {
        CL_TRY(stored, db.get_session(s.id));
        if (stored) {
          exists = true;
          ++existing_sessions;
          add_conflict("session", stored->id, s.id, stored->summary, s.summary, 1);
          if (options.check_message_conflicts && sec) {
            CL_TRY(n, message_conflicts(db, ar, *info, s.id));
            if (n > 0) add_conflict("message", s.id, s.id, "", "", n);
          }
        }
      }
      if (options.detailed)
        sessions_of[s.project_id].push_back(json::object{{"_id", s.id},
                                                         {"summary", s.summary},
                                                         {"started_at", time_or_null(s.started_at)},
                                                         {"ended_at", time_or_null(s.ended_at)},
                                                         {"message_count", s.message_count},
                                                         {"records_count", s.records_count},
                                                         {"exists_in_system", exists}});
    }
  }

  json::array projects;
  json::object by_project;
  std::int64_t existing_projects = 0;
  const ProjectStream archived = [&](const ProjectVisit& visit) { return for_each_catalogue_project(ar, cat, visit); };
  ProjectMatches matches;
  if (options.check_conflicts) {
    CL_TRY(m, match_projects(db, owners, archived));
    matches = std::move(m);
  }
  CL_CHECK(archived([&](std::uint64_t i, store::Project& p) {
    bool exists = false;
    if (options.check_conflicts) {
      if (const store::Project* stored = matches.find(i)) {
        exists = true;
        ++existing_projects;
        add_conflict("project", stored->id, p.id, stored->name, p.name, 1);
      }
    }
    by_project[p.id] = sessions_count[p.id];
    json::object o{{"_id", p.id},
                   {"name", p.name},
                   {"path", p.path},
                   {"description", p.description},
                   {"owner_id", p.owner_id},
                   {"sessions_count", sessions_count[p.id]},
                   {"messages_count", messages_count[p.id]},
                   {"created_at", time_or_null(p.created_at)},
                   {"updated_at", time_or_null(p.updated_at)},
                   {"exists_in_system", exists}};
    if (options.detailed) o["sessions"] = std::move(sessions_of[p.id]);
    projects.push_back(std::move(o));
    return true;
  }));

  // Prompts (and the other documents, counted and checked for conflicts).
  json::array prompts;
  std::int64_t document_conflicts = 0;
  std::uint64_t document_bytes = 0;
  for (std::size_t i : cat.document_sections) {
    CL_TRY(section, ar.section(i));
    document_bytes += section.content_size;
    Status inner;
    CL_CHECK(ar.read_section(section, [&](std::string_view doc) {
      auto d = backup::decode_document(doc);
      if (!d) {
        inner = fail(std::move(d).error());
        return false;
      }
      bool exists = false;
      if (options.check_conflicts) {
        auto stored = db.get_document(d->collection, d->document.id);
        if (!stored) {
          inner = fail(std::move(stored).error());
          return false;
        }
        if (*stored) {
          exists = true;
          ++document_conflicts;
          const std::string type = d->collection == store::Collection::prompts          ? "prompt"
                                   : d->collection == store::Collection::prompt_folders ? "prompt_folder"
                                                                                        : "ai_setting";
          add_conflict(type, (*stored)->id, d->document.id, (*stored)->name, d->document.name, 1);
        }
      }
      if (d->collection == store::Collection::prompts) {
        json::object body = json::parse(d->document.json).as_object();
        prompts.push_back(json::object{{"_id", d->document.id},
                                       {"name", d->document.name},
                                       {"category", field_or(body, "category", nullptr)},
                                       {"tags", field_or(body, "tags", json::array())},
                                       {"usage_count", field_or(body, "usage_count", 0)},
                                       {"exists_in_system", exists}});
      }
      return true;
    }));
    CL_CHECK(inner);
  }

  const auto required = static_cast<std::int64_t>(static_cast<double>(entry_bytes + document_bytes) * 1.3);
  json::array recommendations;
  if (existing_sessions > 0)
    recommendations.push_back(json::value(fmt::format(
        "{} of the backup's sessions exist in the store: on_conflict=skip (the default) keeps them and adds only their "
        "missing messages; merge takes the union with newer fields winning; overwrite replaces them; rename restores "
        "copies under new ids",
        existing_sessions)));
  if (existing_projects > 0)
    recommendations.push_back(
        json::value(fmt::format("{} projects exist already (same owner and path): their sessions are restored into "
                                "them unless on_conflict=rename",
                                existing_projects)));
  if (conflicts_count == 0) recommendations.push_back(json::value("no conflicts: a merge restore adds everything"));
  if (entry_bytes > (1u << 30))
    recommendations.push_back(json::value("a large backup: restore selected projects or sessions for a faster result"));

  return json::object{
      {"backup_id", options.backup_id.empty() ? cat.backup_id : options.backup_id},
      {"created_at", time_or_null(cat.created_at)},
      {"backup_type", cat.type},
      {"contents",
       json::object{{"projects", std::move(projects)},
                    {"sessions_summary", json::object{{"total", sessions_total},
                                                      {"by_project", std::move(by_project)},
                                                      {"date_range", json::object{{"earliest", time_or_null(earliest)},
                                                                                  {"latest", time_or_null(latest)}}}}},
                    {"messages_summary",
                     json::object{{"total", total_messages},
                                  {"by_type", json::object{{"messages", total_messages}, {"records", total_records}}},
                                  {"records_without_uuid", total_records},
                                  {"average_per_session", sessions_total ? static_cast<double>(total_messages) /
                                                                               static_cast<double>(sessions_total)
                                                                         : 0.0}}},
                    {"prompts", std::move(prompts)},
                    {"users_count", static_cast<std::int64_t>(cat.users.size())}}},
      {"restore_analysis",
       json::object{
           {"can_restore", !ar.locked()},  // an encrypted archive opened with its key restores
           {"has_conflicts", conflicts_count > 0},
           {"conflicts_count", conflicts_count},
           {"conflicts", std::move(conflicts)},
           {"estimated_time_seconds", static_cast<double>(entry_bytes + document_bytes) / k_restore_bytes_per_second},
           {"required_space_bytes", required},
           {"recommendations", std::move(recommendations)}}},
      {"bytes_read", ar.bytes_read()},
      {"archive_size_bytes", ar.file_size()}};
}

}  // namespace

Result<boost::json::object> preview_restore(store::Store& store, const std::filesystem::path& archive,
                                            const PreviewOptions& options) {
  const auto dir = options.backup_dir.empty() ? archive.parent_path() : options.backup_dir;
  CL_TRY(chain, backup::resolve_chain(store, archive, dir));
  if (chain.size() == 1) return preview_archive(store, archive, options);
  // An incremental backup: what the whole chain restores, from the synthetic archive of the chain.
  SynthesisOptions so;
  so.passphrase = options.passphrase;
  CL_TRY(synthetic, synthesize_chain(chain, so));
  struct RemoveOnExit {
    std::filesystem::path file;
    ~RemoveOnExit() {
      std::error_code ec;
      std::filesystem::remove(file, ec);
    }
  } guard{synthetic.file};
  PreviewOptions o = options;
  if (o.backup_id.empty()) o.backup_id = chain.back().archive_id;
  CL_TRY(out, preview_archive(store, synthetic.file, o));
  json::array members;
  for (const auto& m : chain)
    members.push_back(json::object{{"_id", m.backup_id.empty() ? m.archive_id : m.backup_id},
                                   {"archive_backup_id", m.archive_id},
                                   {"type", m.type},
                                   {"checksum", m.checksum.empty() ? json::value(nullptr) : json::value(m.checksum)}});
  out["chain"] = std::move(members);
  if (auto* bytes = out.if_contains("bytes_read"); bytes && bytes->is_number())
    *bytes = bytes->to_number<std::uint64_t>() + synthetic.bytes_read;
  return out;
}

}  // namespace claudelens::restore
