// Incremental chains (SPEC §6): the members an incremental backup needs, from the full (or selective)
// backup at its root to the incremental itself, each link checked: the parent is registered and
// completed, its file is there and holds the named backup, and its recorded checksum is the one the
// child names. Used by restore (restore/chain.hpp merges the members), preview and verify.
// Reads the store and the archives' clear headers only (no key needed); thread-safe as the Store is.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "crypto/encryption.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

struct ChainMember {
  std::filesystem::path file;
  std::string backup_id;   ///< the registered id ("" for the leaf given as a file)
  std::string archive_id;  ///< the backup id the file's header holds
  std::string type;        ///< full | selective | incremental
  /// The checksum this member must have: the one its child names (the leaf: its registered checksum,
  /// "" when it is a file from elsewhere).
  std::string checksum;
  /// False for a parent found by its file alone (not registered in this store): nothing vouches for
  /// it, so a restore checks its whole file against `checksum`.
  bool registered = true;
};

/// The chain of `archive`, root first and `archive` last; a full or selective backup is a chain of one.
/// Parents are looked up among the registered backups (by id, else by the id their file holds), their
/// files in `backup_dir`; a parent this store does not know is looked for among the archives in
/// `backup_dir` by the backup id its header holds (a chain restored into another store). Errors name
/// the member: not_found for a parent found nowhere, not completed, or whose file is gone; corrupted
/// for a parent whose recorded checksum differs from the one the child names, whose file holds another
/// backup, or that is marked corrupted. No key is needed: the links are in the clear headers.
Result<std::vector<ChainMember>> resolve_chain(store::Store& store, const std::filesystem::path& archive,
                                               const std::filesystem::path& backup_dir);

/// True when which sessions `filters` select can change while the sessions themselves stay: a message
/// count, a date range, a project named by path or name, or a pattern on a project's path (a project's
/// path is the cwd its entries carry most). No filter (every session of the owner scope) and a list of
/// session ids alone select what exists, which only deletions change (and deletions have tombstones).
bool scope_can_move(const Filters& filters);

/// What restoring a chain gives: the ids of its sessions and of its projects.
struct ChainScope {
  std::unordered_set<std::string> sessions, projects;
};

/// What restoring the chain ending at `archive` gives: each session's (project's) newest catalogue
/// document in the chain, unless a later member deleted the session or its project (the project). An
/// incremental backup of a scope that can move compares it with what is in scope now: the sessions and
/// projects that left get a tombstone, the sessions that came in are written whole. Reads each member's
/// index and its `sessions`, `projects` and `tombstones` sections (an encrypted member needs
/// `passphrase`: Errc::wrong_key). Memory: the ids.
Result<ChainScope> chain_scope(store::Store& store, const std::filesystem::path& archive,
                               const std::filesystem::path& backup_dir, const crypto::Secret* passphrase);

/// Tombstones younger than this are never pruned: a backup whose snapshot is older than its record
/// (planning, before the record says in_progress) may become a parent that needs them. Default: 1 hour
inline constexpr TimeMs k_tombstone_grace_ms = 3'600'000;

/// Removes the tombstones no incremental backup can need: an incremental on parent P reads the
/// tombstones above P's change sequence, and any registered backup with a change sequence may become a
/// parent (a completed one; a pending or in-progress one once it completes; a corrupted one once
/// verify finds it sound again), so those up to the lowest such sequence go (with no such backup, up
/// to the store's current sequence), except those recorded within k_tombstone_grace_ms of `now`.
/// Failed backups never become parents and do not count. Runs inside the caller's write transaction
/// (after a backup's record is deleted); returns how many tombstones were removed.
Result<std::int64_t> prune_tombstones(store::Writer& writer, TimeMs now);

}  // namespace claudelens::backup
