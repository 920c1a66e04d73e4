// Incremental chains (SPEC §6): the members an incremental backup needs, from the full (or selective)
// backup at its root to the incremental itself, each link checked: the parent is registered and
// completed, its file is there and holds the named backup, and its recorded checksum is the one the
// child names. Used by restore (restore/chain.hpp merges the members), preview and verify.
// Reads the store and the archives' clear headers only (no key needed); thread-safe as the Store is.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
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

}  // namespace claudelens::backup
