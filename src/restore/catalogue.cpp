#include "restore/catalogue.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>

#include "backup/documents.hpp"

namespace claudelens::restore {

namespace json = boost::json;

namespace {

Status read_header(const format::ArchiveReader& reader, Catalogue& c) {
  boost::system::error_code ec;
  json::value h = json::parse(reader.header_json(), ec);
  if (ec || !h.is_object()) return fail(Errc::corrupted, "archive: the header is not a JSON object");
  const auto& o = h.as_object();
  if (const auto* v = o.if_contains("backup_id"); v && v->is_string()) c.backup_id = std::string(v->as_string());
  if (const auto* v = o.if_contains("type"); v && v->is_string()) c.type = std::string(v->as_string());
  if (const auto* v = o.if_contains("created_at"); v && v->is_string())
    c.created_at = parse_iso8601(std::string_view(v->as_string()));
  if (const auto* v = o.if_contains("filters")) {
    std::vector<backup::FieldError> errors;
    auto f = backup::filters_from_json(*v, errors);
    if (f && errors.empty()) c.date_range = f->date_range;
  }
  return {};
}

template <class T, class Decode>
Status read_all(format::ArchiveReader& reader, const format::SectionInfo& section, std::vector<T>& out, Decode decode) {
  Status inner;
  CL_CHECK(reader.read_section(section, [&](std::string_view doc) {
    auto v = decode(doc);
    if (!v) {
      inner = fail(std::move(v).error());
      return false;
    }
    out.push_back(std::move(*v));
    return true;
  }));
  return inner;
}

bool matches_project(const store::Project& p, const std::vector<std::string>& what) {
  return std::any_of(what.begin(), what.end(), [&](const std::string& w) {
    return w == p.id || (!p.path.empty() && w == p.path) || w == p.name;
  });
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Result<Catalogue> read_catalogue(format::ArchiveReader& reader) {
  Catalogue c;
  CL_CHECK(read_header(reader, c));
  const auto& sections = reader.sections();
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const auto& s = sections[i];
    const std::string& col = s.key.collection;
    if (col == backup::k_entries) {
      c.entry_sections.emplace(s.key.session_id, i);
    } else if (col == backup::k_users) {
      CL_CHECK(read_all(reader, s, c.users, backup::decode_user));
    } else if (col == backup::k_projects) {
      CL_CHECK(read_all(reader, s, c.projects, backup::decode_project));
    } else if (col == backup::k_sessions) {
      CL_CHECK(read_all(reader, s, c.sessions, backup::decode_session));
    } else if (store::parse_collection(col)) {
      c.document_sections.push_back(i);
      c.document_section_docs += s.documents;
    }
  }
  std::unordered_set<std::string_view> project_ids;
  for (const auto& p : c.projects) project_ids.insert(p.id);
  for (const auto& s : c.sessions)
    if (!project_ids.contains(s.project_id))
      return fail(Errc::corrupted,
                  fmt::format("archive: session '{}' names project '{}' that the catalogue lacks", s.id, s.project_id));
  return c;
}

Selection select(const Catalogue& c, const format::ArchiveReader& reader, const Selections& sel) {
  Selection out;
  out.from = sel.from;
  out.to = sel.to;
  out.message_uuids.insert(sel.messages.begin(), sel.messages.end());
  out.all_documents = !sel.any();
  out.document_ids.insert(sel.prompts.begin(), sel.prompts.end());

  const bool by_session = sel.any_session_selection();
  const bool by_ids = !sel.projects.empty() || !sel.sessions.empty();
  std::unordered_map<std::string, std::size_t> project_index;
  for (std::size_t i = 0; i < c.projects.size(); ++i) project_index.emplace(c.projects[i].id, i);
  auto excluded_project = [&](const store::Project& p) { return matches_project(p, sel.exclude_projects); };

  std::unordered_set<std::size_t> projects;
  for (std::size_t i = 0; i < c.sessions.size(); ++i) {
    const store::Session& s = c.sessions[i];
    const store::Project& p = c.projects[project_index.at(s.project_id)];
    if (!by_session && sel.any()) continue;  // only prompts were chosen
    if (excluded_project(p) || contains(sel.exclude_sessions, s.id)) continue;
    if (by_ids && !contains(sel.sessions, s.id) && !matches_project(p, sel.projects)) continue;
    const auto sec = c.entry_sections.find(s.id);
    if (sec == c.entry_sections.end()) continue;
    const auto& info = reader.sections()[sec->second];
    if (sel.from || sel.to) {  // the section's time range must meet the selected one
      if (!info.min_time) continue;
      if (sel.from && *info.max_time < *sel.from) continue;
      if (sel.to && *info.min_time >= *sel.to) continue;
    }
    out.sessions.push_back(i);
    out.entry_documents += info.documents;
    out.entry_bytes += info.content_size;
    projects.insert(project_index.at(s.project_id));
  }
  // Projects: those of the selected sessions; with no session selection (or a project selection) the
  // archive's empty projects too, so that a full backup's empty projects come back.
  for (std::size_t i = 0; i < c.projects.size(); ++i) {
    const auto& p = c.projects[i];
    if (excluded_project(p)) continue;
    const bool chosen = !sel.any() || matches_project(p, sel.projects);
    if (chosen || projects.contains(i)) out.projects.push_back(i);
  }
  return out;
}

bool entry_selected(const Selection& s, bool has_uuid, const std::string& key, std::optional<TimeMs> ts) {
  if (!s.message_uuids.empty() && !(has_uuid && s.message_uuids.contains(key))) return false;
  if (ts) {
    if (s.from && *ts < *s.from) return false;
    if (s.to && *ts >= *s.to) return false;
  }
  return true;
}

Result<std::optional<store::Project>> find_existing_project(store::Reader& reader, const std::string& owner_id,
                                                            const store::Project& archived) {
  if (!archived.path.empty()) {
    CL_TRY(by_path, reader.find_project_by_path(owner_id, archived.path));
    if (by_path) return by_path;
  }
  return reader.find_project_by_name(owner_id, archived.name);
}

const std::string& OwnerMap::map(const std::string& archived) const {
  const auto it = to_store.find(archived);
  return it == to_store.end() ? archived : it->second;
}

Result<OwnerMap> map_owners(store::Reader& reader, const Catalogue& catalogue) {
  OwnerMap m;
  for (const auto& u : catalogue.users) {
    CL_TRY(same_id, reader.get_user(u.id));
    if (same_id) {
      m.to_store[u.id] = u.id;
      continue;
    }
    CL_TRY(same_name, reader.find_user_by_name(u.name));
    if (same_name) {
      m.to_store[u.id] = same_name->id;
      continue;
    }
    m.to_store[u.id] = u.id;
    m.to_create.push_back(u);
  }
  return m;
}

}  // namespace claudelens::restore
