#include "restore/preview.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <map>

#include "backup/documents.hpp"
#include "format/reader.hpp"
#include "restore/catalogue.hpp"
#include "restore/chain.hpp"
#include "restore/source.hpp"

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

/// Counts the archived entries of `session` whose key the store holds already.
Result<std::int64_t> message_conflicts(store::Reader& reader, Source& source, const store::Session& session) {
  std::int64_t n = 0;
  Status inner;
  CL_CHECK(source.for_each_entry(session, [&](std::string_view doc) {
    auto e = backup::decode_entry(doc);
    if (!e) {
      inner = fail(std::move(e).error());
      return false;
    }
    auto stored = reader.get_entry(session.id, e->key);
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

/// The preview of what `source` restores (every session, project and document: no selection), read as
/// the restore reads it.
Result<json::object> preview_source(store::Store& store, Source& source, const PreviewOptions& options) {
  const Catalogue& cat = source.catalogue();
  CL_TRY(selection, source.select({}));
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
  // The archived sessions in the restore's bounded batches: the message conflicts of a batch read entry
  // frames, which a read of the sessions catalogue cannot be interleaved with.
  std::vector<store::Session> batch = std::move(selection.first_sessions);
  for (std::size_t done = 0; done < selection.sessions.size();) {
    if (done > 0) CL_CHECK(source.read_session_batch(selection, done, batch));
    done += batch.size();
    for (auto& s : batch) {
      // What the restore writes for it (a chain: the session's entries merged member by member).
      CL_TRY(totals, source.entry_totals(s));
      s.message_count = totals.messages;
      s.records_count = totals.records;
      entry_bytes += totals.bytes;
      ++sessions_total;
      ++sessions_count[s.project_id];
      messages_count[s.project_id] += s.message_count;
      total_messages += s.message_count;
      total_records += s.records_count;  // an archive's records_count: the entries without a uuid
      if (s.started_at) earliest = std::min(earliest.value_or(*s.started_at), *s.started_at);
      if (s.ended_at) latest = std::max(latest.value_or(*s.ended_at), *s.ended_at);
      bool exists = false;
      if (options.check_conflicts) {
        CL_TRY(stored, db.get_session(s.id));
        if (stored) {
          exists = true;
          ++existing_sessions;
          add_conflict("session", stored->id, s.id, stored->summary, s.summary, 1);
          if (options.check_message_conflicts) {
            CL_TRY(n, message_conflicts(db, source, s));
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
  const ProjectStream archived = [&](const ProjectVisit& visit) { return source.for_each_project(visit); };
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
  {
    Status inner;
    CL_CHECK(source.for_each_document([&](std::string_view doc) {
      document_bytes += doc.size() + 1;  // as a section counts its content
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
           {"can_restore", true},  // an encrypted archive opens only with its key (wrong_key otherwise)
           {"has_conflicts", conflicts_count > 0},
           {"conflicts_count", conflicts_count},
           {"conflicts", std::move(conflicts)},
           {"estimated_time_seconds", static_cast<double>(entry_bytes + document_bytes) / k_restore_bytes_per_second},
           {"required_space_bytes", required},
           {"recommendations", std::move(recommendations)}}},
      {"bytes_read", source.bytes_read()},
      {"archive_size_bytes", source.file_size()}};
}

}  // namespace

Result<boost::json::object> preview_restore(store::Store& store, const std::filesystem::path& archive,
                                            const PreviewOptions& options) {
  const auto dir = options.backup_dir.empty() ? archive.parent_path() : options.backup_dir;
  CL_TRY(chain, backup::resolve_chain(store, archive, dir));
  if (chain.size() == 1) {
    CL_TRY(source, open_archive_source(archive, options.passphrase));
    return preview_source(store, *source, options);
  }
  // An incremental backup: what the whole chain restores, read member by member as the restore reads it.
  CL_TRY(source, open_chain_source(chain, options.passphrase));
  PreviewOptions o = options;
  if (o.backup_id.empty()) o.backup_id = chain.back().archive_id;
  CL_TRY(out, preview_source(store, *source, o));
  json::array members;
  for (const auto& m : chain)
    members.push_back(json::object{{"_id", m.backup_id.empty() ? m.archive_id : m.backup_id},
                                   {"archive_backup_id", m.archive_id},
                                   {"type", m.type},
                                   {"checksum", m.checksum.empty() ? json::value(nullptr) : json::value(m.checksum)}});
  out["chain"] = std::move(members);
  return out;
}

}  // namespace claudelens::restore
