#include "restore/catalogue.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>

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

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

void ProjectIds::add(std::string_view id) {
  m_bytes.append(id);
  m_start.push_back(static_cast<std::uint32_t>(m_bytes.size()));
}

std::string_view ProjectIds::id(std::uint32_t ordinal) const {
  return std::string_view(m_bytes).substr(m_start[ordinal], m_start[ordinal + 1] - m_start[ordinal]);
}

std::optional<std::string> ProjectIds::finish() {
  m_bytes.shrink_to_fit();
  m_start.shrink_to_fit();
  m_sorted.resize(size());
  for (std::uint32_t i = 0; i < m_sorted.size(); ++i) m_sorted[i] = i;
  std::sort(m_sorted.begin(), m_sorted.end(), [&](std::uint32_t a, std::uint32_t b) { return id(a) < id(b); });
  for (std::size_t i = 1; i < m_sorted.size(); ++i)
    if (id(m_sorted[i - 1]) == id(m_sorted[i])) return std::string(id(m_sorted[i]));
  return std::nullopt;
}

std::optional<std::uint32_t> ProjectIds::find(std::string_view wanted) const {
  const auto it = std::lower_bound(m_sorted.begin(), m_sorted.end(), wanted,
                                   [&](std::uint32_t ordinal, std::string_view w) { return id(ordinal) < w; });
  if (it == m_sorted.end() || id(*it) != wanted) return std::nullopt;
  return *it;
}

std::size_t ProjectIds::heap_bytes() const {
  return m_bytes.capacity() + (m_start.capacity() + m_sorted.capacity()) * sizeof(std::uint32_t);
}

bool Catalogue::has_project(const std::string& id) const {
  return project_ids.contains(id) || project_index.find(id).has_value();
}

std::optional<std::uint32_t> Catalogue::project_ordinal(const std::string& id) const {
  if (project_index.size() > 0) return project_index.find(id);
  for (std::size_t i = 0; i < projects.size(); ++i)  // held without an index: a chain member's
    if (projects[i].id == id) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

namespace {

std::string name_key(const store::Project& p) {
  return p.owner_id + '\n' + p.name;
}

/// Refuses a catalogue listing two projects of one owner under one folder name (the key ingest uses):
/// 8 bytes a project (`hashes`: of name_key, taken as the projects were read), and an exact comparison
/// of the few that share a hash.
Status check_project_names(format::ArchiveReader& reader, const Catalogue& c, std::vector<std::size_t> hashes) {
  std::sort(hashes.begin(), hashes.end());
  std::vector<std::size_t> shared;
  for (std::size_t i = 1; i < hashes.size(); ++i)
    if (hashes[i] == hashes[i - 1] && (shared.empty() || shared.back() != hashes[i])) shared.push_back(hashes[i]);
  if (shared.empty()) return {};
  std::unordered_set<std::string> names;
  Status twice;
  CL_CHECK(for_each_catalogue_project(reader, c, [&](std::uint64_t, store::Project& p) {
    std::string k = name_key(p);
    if (!std::binary_search(shared.begin(), shared.end(), std::hash<std::string>{}(k))) return true;
    if (names.insert(std::move(k)).second) return true;
    twice =
        fail(Errc::corrupted, fmt::format("archive: two projects of owner '{}' are named '{}'", p.owner_id, p.name));
    return false;
  }));
  return twice;
}

}  // namespace

Result<Catalogue> read_catalogue(format::ArchiveReader& reader, const CatalogueOptions& options) {
  Catalogue c;
  CL_CHECK(read_header(reader, c));
  c.section_count = reader.section_count();
  Status inner;
  // Every section but the entries (whose pages are not read again: PagedIndex::for_each_section_except).
  CL_CHECK(reader.for_each_section_except(backup::k_entries, [&](std::uint64_t i, const format::SectionInfo& s) {
    const std::string& col = s.key.collection;
    if (col == backup::k_entries) {
      // found by the reader's index when needed (find_section)
    } else if (col == backup::k_users) {
      c.catalogue_sections.push_back(i);
      inner = read_all(reader, s, c.users, backup::decode_user);
    } else if (col == backup::k_projects) {
      c.catalogue_sections.push_back(i);
      c.project_sections.push_back(i);
      c.projects_count += s.documents;
    } else if (col == backup::k_sessions) {
      c.session_sections.push_back(i);
      c.sessions_count += s.documents;
    } else if (col == backup::k_audit) {
      c.audit_sections.push_back(i);
    } else if (store::parse_collection(col)) {
      c.document_sections.push_back(i);
      c.document_section_docs += s.documents;
    }
    return inner.has_value();
  }));
  CL_CHECK(inner);
  if (c.sessions_count > std::numeric_limits<std::uint32_t>::max() ||
      c.projects_count > std::numeric_limits<std::uint32_t>::max())
    return fail(Errc::corrupted, "archive: too many sessions or projects");
  // Every project is decoded here (a malformed one is refused before any write), then either held or
  // only its id is (flat). `c.projects` is empty until this pass ends: the pass reads the sections.
  std::uint64_t decoded = 0;
  std::vector<store::Project> held;
  std::vector<std::size_t> name_hashes;
  name_hashes.reserve(c.projects_count);
  CL_CHECK(for_each_catalogue_project(reader, c, [&](std::uint64_t, store::Project& p) {
    ++decoded;
    name_hashes.push_back(std::hash<std::string>{}(name_key(p)));
    if (!options.hold_projects) {
      c.project_index.add(p.id);
      return true;
    }
    if (!c.project_ids.insert(p.id).second) {
      inner = fail(Errc::corrupted, fmt::format("archive: project '{}' is listed twice", p.id));
      return false;
    }
    held.push_back(std::move(p));
    return true;
  }));
  CL_CHECK(inner);
  c.projects = std::move(held);
  c.projects_count = decoded;  // the index's counts are not trusted further than the documents
  // A ClaudeLens archive lists each project once (its id, and its owner + folder name, are keys).
  if (!options.hold_projects)
    if (auto twice = c.project_index.finish())
      return fail(Errc::corrupted, fmt::format("archive: project '{}' is listed twice", *twice));
  CL_CHECK(check_project_names(reader, c, std::move(name_hashes)));
  return c;
}

Status for_each_catalogue_project(format::ArchiveReader& reader, const Catalogue& c, const ProjectVisit& visit) {
  if (!c.projects.empty()) {
    for (std::size_t i = 0; i < c.projects.size(); ++i) {
      store::Project p = c.projects[i];
      if (!visit(i, p)) return {};
    }
    return {};
  }
  std::uint64_t ordinal = 0;
  bool stopped = false;
  Status inner;
  for (std::size_t i : c.project_sections) {
    CL_TRY(section, reader.section(i));
    CL_CHECK(reader.read_section(section, [&](std::string_view doc) {
      auto p = backup::decode_project(doc);
      if (!p) {
        inner = fail(std::move(p).error());
        return false;
      }
      stopped = !visit(ordinal++, *p);
      return !stopped;
    }));
    CL_CHECK(inner);
    if (stopped) break;
  }
  return {};
}

Result<std::optional<std::size_t>> entry_section(const Catalogue&, format::ArchiveReader& reader,
                                                 std::string_view session_id) {
  CL_TRY(found, reader.find_section(backup::k_entries, session_id));
  if (!found) return std::optional<std::size_t>();
  return std::optional<std::size_t>(static_cast<std::size_t>(*found));
}

const std::vector<std::string>* session_id_filter(const Selections& sel) {
  if (sel.sessions.empty() || sel.sessions.size() > 16 || !sel.projects.empty()) return nullptr;
  for (const std::string& id : sel.sessions)
    for (const char ch : id)
      if (ch == '"' || ch == '\\' || ch == '/' || static_cast<unsigned char>(ch) < 0x20) return nullptr;
  return &sel.sessions;
}

namespace {

/// False when `doc` cannot be the catalogue document of any of `ids` (see session_id_filter).
bool may_be_one_of(std::string_view doc, const std::vector<std::string>& ids) {
  if (doc.find("\\u") != std::string_view::npos) return true;
  return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return doc.find(id) != doc.npos; });
}

}  // namespace

Status for_each_archived_session(format::ArchiveReader& reader, const Catalogue& c, std::uint64_t first,
                                 const ArchivedSessionVisit& visit) {
  return for_each_archived_session(reader, c, first, nullptr, visit);
}

Status for_each_archived_session(format::ArchiveReader& reader, const Catalogue& c, std::uint64_t first,
                                 const std::vector<std::string>* only_ids, const ArchivedSessionVisit& visit) {
  std::uint64_t base = 0;  // ordinal of the section's first document
  for (std::size_t i : c.session_sections) {
    CL_TRY(section, reader.section(i));
    if (base + section.documents <= first) {  // skip whole sections without reading them
      base += section.documents;
      continue;
    }
    std::uint64_t ordinal = base;
    bool stopped = false;
    Status inner;
    CL_CHECK(reader.read_section(section, [&](std::string_view doc) {
      const std::uint64_t n = ordinal++;
      if (n < first || (only_ids && !may_be_one_of(doc, *only_ids))) return true;
      auto s = backup::decode_session(doc);
      if (!s) {
        inner = fail(std::move(s).error());
        return false;
      }
      if (!c.has_project(s->project_id)) {
        inner = fail(Errc::corrupted, fmt::format("archive: session '{}' names project '{}' that the catalogue lacks",
                                                  s->id, s->project_id));
        return false;
      }
      stopped = !visit(n, *s);
      return !stopped;
    }));
    CL_CHECK(inner);
    if (stopped) return {};
    base += section.documents;
  }
  return {};
}

Selection selection_of(const Selections& sel) {
  Selection out;
  out.from = sel.from;
  out.to = sel.to;
  out.message_uuids.insert(sel.messages.begin(), sel.messages.end());
  out.all_documents = !sel.any();
  out.document_ids.insert(sel.prompts.begin(), sel.prompts.end());
  return out;
}

bool considers_session(const Selections& sel, const store::Project& p, const store::Session& s) {
  return considers_session(sel, matches_project(p, sel.projects), matches_project(p, sel.exclude_projects), s);
}

bool considers_session(const Selections& sel, bool named, bool excluded, const store::Session& s) {
  if (!sel.any_session_selection() && sel.any()) return false;  // only prompts were chosen
  if (excluded || contains(sel.exclude_sessions, s.id)) return false;
  const bool by_ids = !sel.projects.empty() || !sel.sessions.empty();
  return !by_ids || contains(sel.sessions, s.id) || named;
}

namespace {

/// Selection::projects from a bit per catalogue project: named by `--project`, excluded, of a selected
/// session (the vectors are empty when no project selection is given).
void choose_project_ordinals(const Selections& sel, std::size_t count, const std::vector<bool>& named,
                             const std::vector<bool>& excluded, const std::vector<bool>& of_sessions, Selection& out) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!excluded.empty() && excluded[i]) continue;
    const bool chosen = !sel.any() || (!named.empty() && named[i]);
    if (chosen || of_sessions[i]) out.projects.push_back(i);
  }
}

}  // namespace

void choose_projects(const Selections& sel, const std::vector<store::Project>& projects,
                     const std::unordered_set<std::size_t>& of_sessions, Selection& out) {
  std::vector<bool> named(projects.size()), excluded(projects.size()), of(projects.size());
  for (std::size_t i = 0; i < projects.size(); ++i) {
    named[i] = matches_project(projects[i], sel.projects);
    excluded[i] = matches_project(projects[i], sel.exclude_projects);
    of[i] = of_sessions.contains(i);
  }
  choose_project_ordinals(sel, projects.size(), named, excluded, of, out);
}

Result<Selection> select(const Catalogue& c, format::ArchiveReader& reader, const Selections& sel) {
  Selection out = selection_of(sel);
  out.listed.assign(c.section_count, false);
  out.frames.assign(reader.frames().size(), false);

  // What the project selections say of each project (by id, path or folder name): a bit each, from
  // one pass over the projects; none without a project selection.
  const std::size_t project_count = c.project_count();
  std::vector<bool> named, excluded;
  if (!sel.projects.empty() || !sel.exclude_projects.empty()) {
    named.assign(project_count, false);
    excluded.assign(project_count, false);
    CL_CHECK(for_each_catalogue_project(reader, c, [&](std::uint64_t i, store::Project& p) {
      if (i >= project_count) return false;
      named[i] = matches_project(p, sel.projects);
      excluded[i] = matches_project(p, sel.exclude_projects);
      return true;
    }));
  }
  std::vector<bool> of_sessions(project_count, false);  // the projects of the selected sessions
  Status failed;
  // A selection of a few sessions by id decodes only the documents that can be theirs: the others are
  // neither considered nor (no full restore has a selection) needed for `listed`.
  const std::vector<std::string>* only_ids = session_id_filter(sel);
  CL_CHECK(for_each_archived_session(reader, c, 0, only_ids, [&](std::uint64_t ordinal, store::Session& s) {
    auto found = entry_section(c, reader, s.id);
    if (!found) {
      failed = fail(std::move(found).error());
      return false;
    }
    const auto pos = *found;
    if (pos && out.listed[*pos]) {  // a ClaudeLens archive lists each session once
      failed = fail(Errc::corrupted, fmt::format("archive: session '{}' is listed twice", s.id));
      return false;
    }
    if (pos)
      out.listed[*pos] = true;
    else
      out.listed_without_entries.push_back(s.id);
    const std::optional<std::uint32_t> project = c.project_ordinal(s.project_id);
    if (!project || *project >= project_count) {  // for_each_archived_session checked it is listed
      failed = fail(Errc::corrupted, fmt::format("archive: session '{}' names an unknown project", s.id));
      return false;
    }
    const bool is_named = !named.empty() && named[*project];
    const bool is_excluded = !excluded.empty() && excluded[*project];
    if (!considers_session(sel, is_named, is_excluded, s) || !pos) return true;
    auto section = reader.section(*pos);
    if (!section) {
      failed = fail(std::move(section).error());
      return false;
    }
    const format::SectionInfo& info = *section;
    if (sel.from || sel.to) {  // the section's time range must meet the selected one
      if (!info.min_time) return true;
      if (sel.from && *info.max_time < *sel.from) return true;
      if (sel.to && *info.min_time >= *sel.to) return true;
    }
    out.sessions.push_back(static_cast<std::uint32_t>(ordinal));
    for (std::uint64_t f = info.first_frame; f < info.first_frame + info.frame_count && f < out.frames.size(); ++f)
      out.frames[f] = true;
    out.entry_documents += info.documents;
    out.entry_bytes += info.content_size;
    of_sessions[*project] = true;
    if (out.first_sessions.size() < k_session_batch) out.first_sessions.push_back(std::move(s));
    return true;
  }));
  CL_CHECK(failed);
  // Projects: those of the selected sessions; with no session selection (or a project selection) the
  // archive's empty projects too, so that a full backup's empty projects come back.
  choose_project_ordinals(sel, project_count, named, excluded, of_sessions, out);
  return out;
}

Result<bool> lists_session(const Catalogue& c, format::ArchiveReader& reader, const Selection& selection,
                           std::string_view id) {
  CL_TRY(pos, entry_section(c, reader, id));
  if (pos && *pos < selection.listed.size() && selection.listed[*pos]) return true;
  return contains(selection.listed_without_entries, id);
}

Status read_session_batch(format::ArchiveReader& reader, const Catalogue& c, const Selection& selection,
                          std::size_t first, std::vector<store::Session>& batch) {
  return collect_session_batch(selection, first, batch, [&](std::uint64_t from, const ArchivedSessionVisit& visit) {
    return for_each_archived_session(reader, c, from, visit);
  });
}

Status collect_session_batch(const Selection& selection, std::size_t first, std::vector<store::Session>& batch,
                             const SessionStream& stream) {
  batch.clear();
  const auto& wanted = selection.sessions;
  if (first >= wanted.size()) return {};
  std::size_t next = first;
  CL_CHECK(stream(wanted[first], [&](std::uint64_t position, store::Session& s) {
    if (position != wanted[next]) return true;
    batch.push_back(std::move(s));
    ++next;
    return next < wanted.size() && batch.size() < k_session_batch;
  }));
  if (batch.empty()) return fail(Errc::corrupted, "archive: the sessions catalogue ended before a selected session");
  return {};
}

bool entry_selected(const Selection& s, bool has_uuid, const std::string& key, std::optional<TimeMs> ts) {
  if (!s.message_uuids.empty() && !(has_uuid && s.message_uuids.contains(key))) return false;
  if (ts) {
    if (s.from && *ts < *s.from) return false;
    if (s.to && *ts >= *s.to) return false;
  }
  return true;
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

const store::Project* ProjectMatches::find(std::uint64_t ordinal) const {
  const auto it = std::lower_bound(matched.begin(), matched.end(), ordinal,
                                   [](const auto& m, std::uint64_t o) { return m.first < o; });
  return it != matched.end() && it->first == ordinal ? &it->second : nullptr;
}

Result<ProjectMatches> match_projects(store::Reader& reader, const OwnerMap& owners, const ProjectStream& archived) {
  ProjectMatches out;
  std::unordered_set<std::string> claimed;  // stored projects already matched
  Status failed;
  // By `_id` first: the strongest key, so that a name match never takes a project another archived
  // project is by id.
  CL_CHECK(archived([&](std::uint64_t ordinal, store::Project& p) {
    auto by_id = reader.get_project(p.id);
    if (!by_id) failed = fail(std::move(by_id).error());
    if (!by_id) return false;
    if (*by_id && (*by_id)->owner_id == owners.map(p.owner_id)) {
      claimed.insert((*by_id)->id);
      out.matched.emplace_back(ordinal, std::move(**by_id));
    }
    return true;
  }));
  CL_CHECK(failed);
  const std::size_t by_ids = out.matched.size();
  std::size_t next = 0;  // the next id match, in ordinal order
  CL_CHECK(archived([&](std::uint64_t ordinal, store::Project& p) {
    while (next < by_ids && out.matched[next].first < ordinal) ++next;
    if (next < by_ids && out.matched[next].first == ordinal) return true;
    auto by_name = reader.find_project_by_name(owners.map(p.owner_id), p.name);
    if (!by_name) failed = fail(std::move(by_name).error());
    if (!by_name) return false;
    if (*by_name && claimed.insert((*by_name)->id).second) out.matched.emplace_back(ordinal, std::move(**by_name));
    return true;
  }));
  CL_CHECK(failed);
  std::inplace_merge(out.matched.begin(), out.matched.begin() + static_cast<std::ptrdiff_t>(by_ids), out.matched.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace claudelens::restore
