// The archive's catalogue as a restore sees it: the header (type, date range of the backup), the users
// and projects, and where the sessions catalogue, each session's entries and each document collection
// live. Reading it touches the index and the small users / projects sections only, never an entry frame.
// The archived sessions are NOT held: they are streamed from the `sessions` sections in catalogue order
// (for_each_archived_session, read_session_batch), a bounded batch at a time, so that memory does not
// grow with the number of sessions beyond a few bytes each (Selection::sessions, Selection::listed); a
// session's entries section is found by the reader (ArchiveReader::find_section), which pages its index.
// Also the selection (which archived sessions, projects and documents a restore considers) and the
// lookups of natural keys in the store shared by preview and restore. Not thread-safe (one per restore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "format/reader.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

/// Most archived sessions decoded and held at once (about 600 bytes each). Default: 2048
inline constexpr std::size_t k_session_batch = 2048;

/// The archive's project ids, flat: their bytes in one buffer and 8 bytes a project (its start, and its
/// place in the sorted order), instead of a project and a set node each. Position = the project's
/// ordinal (catalogue order).
class ProjectIds {
 public:
  /// Appends the id of the next project (ordinal size()).
  void add(std::string_view id);
  /// Sorts the ids for find(); returns an id listed twice, if any.
  std::optional<std::string> finish();
  /// The ordinal of project `id` (after finish()); exact, no hashing.
  std::optional<std::uint32_t> find(std::string_view id) const;
  std::size_t size() const { return m_start.size() - 1; }
  /// Heap bytes held (tests: memory does not follow the projects beyond these).
  std::size_t heap_bytes() const;

 private:
  std::string_view id(std::uint32_t ordinal) const;
  std::string m_bytes;
  std::vector<std::uint32_t> m_start{0};  ///< id i is m_bytes[m_start[i], m_start[i + 1])
  std::vector<std::uint32_t> m_sorted;    ///< ordinals sorted by id
};

struct CatalogueOptions {
  /// Keep the archive's projects in Catalogue::projects (and their ids in a set). Default: true; a
  /// restore of one archive leaves them in the archive (false): they are streamed when needed
  /// (for_each_catalogue_project), and only their ids are held, flat (Catalogue::project_index).
  bool hold_projects = true;
};

struct Catalogue {
  std::string backup_id;  ///< from the header; "" when absent
  std::string type;       ///< the backup's type: full | selective | incremental
  std::optional<TimeMs> created_at;
  std::optional<backup::DateRange> date_range;  ///< the backup's own date-range filter
  std::vector<store::User> users;
  /// The archive's projects, when read with CatalogueOptions::hold_projects (an incremental chain's
  /// members, and its merged catalogue); else empty: for_each_catalogue_project streams them.
  std::vector<store::Project> projects;
  std::unordered_set<std::string> project_ids;  ///< of `projects`, when held
  ProjectIds project_index;                     ///< the ids by ordinal: when not held, and a chain's merged ones
  std::uint64_t projects_count = 0;             ///< projects in the catalogue (held or not)
  /// Indexes of the "projects" sections (archive order): the ordinal of a project is its position in
  /// their concatenated documents.
  std::vector<std::size_t> project_sections;
  /// Projects in the catalogue: `projects` when held, else projects_count.
  std::size_t project_count() const { return projects.empty() ? projects_count : projects.size(); }
  /// True when the catalogue lists project `id`.
  bool has_project(const std::string& id) const;
  /// The ordinal of project `id` (its position in `projects` when held).
  std::optional<std::uint32_t> project_ordinal(const std::string& id) const;
  /// Indexes of the "sessions" sections in ArchiveReader::sections(), in archive order. A session's
  /// ordinal is its position in their concatenated documents (catalogue order).
  std::vector<std::size_t> session_sections;
  std::uint64_t sessions_count = 0;  ///< documents in those sections
  std::uint64_t section_count = 0;   ///< ArchiveReader::section_count()
  /// Indexes of the "users" and "projects" sections (read whole by read_catalogue).
  std::vector<std::size_t> catalogue_sections;
  /// Indexes of the prompt_folders, prompts and ai_settings sections (in archive order).
  std::vector<std::size_t> document_sections;
  std::uint64_t document_section_docs = 0;  ///< documents in those sections
  /// Indexes of the "audit_log" sections (an admin's full backup), in archive order.
  std::vector<std::size_t> audit_sections;
};

/// Reads the header and the users and projects sections, and indexes the other sections (no session
/// document is read). corrupted when a catalogue document is malformed, a project is listed twice (its
/// id, or its owner + folder name) or the header is not JSON.
Result<Catalogue> read_catalogue(format::ArchiveReader& reader, const CatalogueOptions& options = {});

/// Called with each archived project and its ordinal; return false to stop.
using ProjectVisit = std::function<bool(std::uint64_t ordinal, store::Project& project)>;
/// The catalogue's projects in order: `projects` when held, else decoded from the archive's sections.
Status for_each_catalogue_project(format::ArchiveReader& reader, const Catalogue& catalogue, const ProjectVisit& visit);
/// A stream of projects with their ordinals (the catalogue's, or those of a selection).
using ProjectStream = std::function<Status(const ProjectVisit& visit)>;

/// Index in ArchiveReader::sections() of the first "entries" section of `session_id`, if any.
Result<std::optional<std::size_t>> entry_section(const Catalogue& catalogue, format::ArchiveReader& reader,
                                                 std::string_view session_id);

/// Called with each archived session (message_count / records_count are what the archive holds) and
/// its ordinal; return false to stop.
using ArchivedSessionVisit = std::function<bool(std::uint64_t ordinal, store::Session& session)>;

/// Streams the archived sessions in catalogue order from ordinal `first` on, decoding only those.
/// corrupted when a document is malformed or names a project that the catalogue lacks.
Status for_each_archived_session(format::ArchiveReader& reader, const Catalogue& catalogue, std::uint64_t first,
                                 const ArchivedSessionVisit& visit);
/// The same, and with `only_ids` (non-null: ids that JSON writes as their own bytes, session_id_filter)
/// a document whose bytes hold none of them and no `\u` escape, which cannot be one of those sessions,
/// is skipped undecoded and unvisited.
Status for_each_archived_session(format::ArchiveReader& reader, const Catalogue& catalogue, std::uint64_t first,
                                 const std::vector<std::string>* only_ids, const ArchivedSessionVisit& visit);

/// The session ids a selection can consider, when it names sessions (at most 16) and no project: then
/// no other session is considered, whatever the other selections say. Null when it cannot say (a
/// project selection, no session selection, or an id with a character JSON may escape other than by
/// `\u`: `"`, `\`, `/`, a control character).
const std::vector<std::string>* session_id_filter(const Selections& selections);

/// What a restore considers, from the catalogue and the selections.
struct Selection {
  /// Ordinals of the selected sessions, ascending (catalogue order): 4 bytes per session.
  std::vector<std::uint32_t> sessions;
  /// The first (at most k_session_batch) selected sessions, kept from the selection's pass over the
  /// catalogue so that a restore of a few sessions reads the sessions catalogue once.
  std::vector<store::Session> first_sessions;
  std::vector<std::size_t> projects;              ///< ordinals of catalogue projects, ascending
  bool all_documents = false;                     ///< every prompt / folder / AI setting
  std::unordered_set<std::string> document_ids;   ///< else these ids only
  std::unordered_set<std::string> message_uuids;  ///< empty: every entry of a selected session
  std::optional<TimeMs> from, to;                 ///< entry timestamp range (selections)
  std::uint64_t entry_documents = 0;              ///< documents in the selected sessions' sections
  std::uint64_t entry_bytes = 0;                  ///< their uncompressed bytes
  /// The data frames holding the selected sessions' entries: a bit per ArchiveReader::frames().
  std::vector<bool> frames;
  /// Which sessions the catalogue lists (selected or not): a bit per section (set on the session's
  /// entries section), plus the ids of listed sessions without an entries section (none in a ClaudeLens
  /// backup).
  std::vector<bool> listed;
  std::vector<std::string> listed_without_entries;
  bool entry_filter() const { return !message_uuids.empty() || from || to; }
};

/// One pass over the sessions catalogue. corrupted as for_each_archived_session.
Result<Selection> select(const Catalogue& catalogue, format::ArchiveReader& reader, const Selections& selections);

/// The parts of a selection that do not depend on the archive: the entry filter and the documents.
Selection selection_of(const Selections& selections);
/// True when `selections` consider session `s` of project `p` (its time range aside).
bool considers_session(const Selections& selections, const store::Project& p, const store::Session& s);
/// The same with what the project selections say of the session's project: it is named by
/// `--project` (`named`), by `--exclude-project` (`excluded`).
bool considers_session(const Selections& selections, bool named, bool excluded, const store::Session& s);
/// Sets selection.projects: the positions in `projects` of those of the selected sessions
/// (`of_sessions`); with no session selection (or a project selection) the empty ones too.
void choose_projects(const Selections& selections, const std::vector<store::Project>& projects,
                     const std::unordered_set<std::size_t>& of_sessions, Selection& selection);

/// True when the catalogue lists session `id` (as Selection::listed records).
Result<bool> lists_session(const Catalogue& catalogue, format::ArchiveReader& reader, const Selection& selection,
                           std::string_view id);

/// Replaces `batch` with the selected sessions selection.sessions[first …], at most k_session_batch.
Status read_session_batch(format::ArchiveReader& reader, const Catalogue& catalogue, const Selection& selection,
                          std::size_t first, std::vector<store::Session>& batch);

/// Streams sessions in order from position `from`, calling `visit(position, session)` until it returns false.
using SessionStream = std::function<Status(std::uint64_t from, const ArchivedSessionVisit& visit)>;
/// read_session_batch over any stream of sessions whose positions Selection::sessions names.
Status collect_session_batch(const Selection& selection, std::size_t first, std::vector<store::Session>& batch,
                             const SessionStream& stream);

/// True when a selected session's entry (timestamp `ts`, uuid when `has_uuid`) passes the entry
/// filter. Records without a timestamp pass a date range (they go with their session).
bool entry_selected(const Selection& s, bool has_uuid, const std::string& key, std::optional<TimeMs> ts);

/// Archive user id → store user id: the same id when it exists; else a user of the same name (names
/// are unique: the same person on another machine); else the archived user, to be created.
struct OwnerMap {
  std::unordered_map<std::string, std::string> to_store;
  std::vector<store::User> to_create;
  const std::string& map(const std::string& archived) const;
};
Result<OwnerMap> map_owners(store::Reader& reader, const Catalogue& catalogue);

/// The stored projects that archived ones are, by the archived project's ordinal; only the matched
/// ones are held (a restore into an empty store holds none).
struct ProjectMatches {
  std::vector<std::pair<std::uint64_t, store::Project>> matched;  ///< ascending ordinals
  const store::Project* find(std::uint64_t ordinal) const;
};

/// The store project each archived project is (SPEC §7 natural keys): the project with its `_id` when
/// the (mapped) owner is the same, else the owner's project of the same folder `name` (the key ingest
/// uses). A project's `path` is never a key: several folders may share a `cwd`. Id matches are taken
/// first (a first pass over `archived`), and each stored project is matched at most once, so two
/// archived projects never fold into one. Call it before the restore writes any project: it matches
/// against what `reader` sees, which must be the store as it was before the restore.
Result<ProjectMatches> match_projects(store::Reader& reader, const OwnerMap& owners, const ProjectStream& archived);

}  // namespace claudelens::restore
