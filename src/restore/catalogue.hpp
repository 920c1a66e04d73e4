// The archive's catalogue as a restore sees it: the header (type, date range of the backup), the users,
// projects and sessions sections, and where each session's entries and each document collection live.
// Reading it touches the index and the small catalogue sections only, never an entry frame. Memory is
// proportional to the number of sessions and projects, not to the archive's size.
// Also the selection (which archived sessions, projects and documents a restore considers) and the
// lookups of natural keys in the store shared by preview and restore. Not thread-safe (one per restore).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "format/reader.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

struct Catalogue {
  std::string backup_id;  ///< from the header; "" when absent
  std::string type;       ///< the backup's type: full | selective | incremental
  std::optional<TimeMs> created_at;
  std::optional<backup::DateRange> date_range;  ///< the backup's own date-range filter
  std::vector<store::User> users;
  std::vector<store::Project> projects;
  /// Sessions as archived; message_count / records_count are what the archive holds.
  std::vector<store::Session> sessions;
  /// Session id → index of its "entries" section in ArchiveReader::sections().
  std::unordered_map<std::string, std::size_t> entry_sections;
  /// Indexes of the prompt_folders, prompts and ai_settings sections (in archive order).
  std::vector<std::size_t> document_sections;
  std::uint64_t document_section_docs = 0;  ///< documents in those sections
};

/// Reads the header and the users, projects and sessions sections. corrupted when a catalogue
/// document is malformed or the header is not JSON.
Result<Catalogue> read_catalogue(format::ArchiveReader& reader);

/// What a restore considers, from the catalogue and the selections.
struct Selection {
  std::vector<std::size_t> sessions;              ///< indexes into Catalogue::sessions, in catalogue order
  std::vector<std::size_t> projects;              ///< indexes into Catalogue::projects
  bool all_documents = false;                     ///< every prompt / folder / AI setting
  std::unordered_set<std::string> document_ids;   ///< else these ids only
  std::unordered_set<std::string> message_uuids;  ///< empty: every entry of a selected session
  std::optional<TimeMs> from, to;                 ///< entry timestamp range (selections)
  std::uint64_t entry_documents = 0;              ///< documents in the selected sessions' sections
  std::uint64_t entry_bytes = 0;                  ///< their uncompressed bytes
  bool entry_filter() const { return !message_uuids.empty() || from || to; }
};

Selection select(const Catalogue& catalogue, const format::ArchiveReader& reader, const Selections& selections);

/// True when a selected session's entry (timestamp `ts`, uuid when `has_uuid`) passes the entry
/// filter. Records without a timestamp pass a date range (they go with their session).
bool entry_selected(const Selection& s, bool has_uuid, const std::string& key, std::optional<TimeMs> ts);

/// A project of the store that an archived project conflicts with: same owner and path (when the
/// path is known), else same owner and name (the store's unique key).
Result<std::optional<store::Project>> find_existing_project(store::Reader& reader, const std::string& owner_id,
                                                            const store::Project& archived);

/// Archive user id → store user id: the same id when it exists; else a user of the same name (names
/// are unique: the same person on another machine); else the archived user, to be created.
struct OwnerMap {
  std::unordered_map<std::string, std::string> to_store;
  std::vector<store::User> to_create;
  const std::string& map(const std::string& archived) const;
};
Result<OwnerMap> map_owners(store::Reader& reader, const Catalogue& catalogue);

}  // namespace claudelens::restore
