// Incremental chains (SPEC §6): what the members of an incremental backup's chain (backup/chain.hpp,
// each link checked), applied root first, restore: every session alive at the leaf with its entries
// merged member by member, the projects, users and documents likewise, the scope exactly as it was
// when the incremental was taken. docs/restore.md "Incremental chains" describes the rules.
//
// open_chain_source gives the restore engine that view directly (restore/source.hpp): no temporary
// archive; each session's entries are streamed from the members that hold them, in order. A restore of
// one session reads, in each member, the index, the catalogue sections, the small tombstones section
// and that session's entries and entry-tombstones sections only. The preview reads the same view
// (restore/preview.hpp), through the same Source.
//
// Memory: each member's index, the root's frame buffers and those of the one incremental being read
// (the others' are released: ArchiveReader::release_buffers), the merged users and projects, a few bytes per session
// of the root (its place in the chain's order), the catalogue document of each session whose newest
// copy is in an incremental (~600 bytes each: what changed, not what the root holds), and one
// session's changed keys. Not thread-safe (one per restore or preview).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backup/chain.hpp"
#include "core/result.hpp"
#include "crypto/encryption.hpp"
#include "restore/options.hpp"
#include "restore/source.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

using backup::ChainMember;

/// Opens every member of `chain` (root first, as backup::resolve_chain returns it): its index, its
/// catalogue and its tombstones. A member nothing vouches for (ChainMember::registered false) is
/// checked whole against the checksum its child names first. Errors name the member: corrupted for a
/// damaged member or one whose file holds another backup, wrong_key without the chain's key.
Result<std::unique_ptr<Source>> open_chain_source(const std::vector<ChainMember>& chain,
                                                  const crypto::Secret* passphrase,
                                                  const std::atomic<bool>* cancel = nullptr);

}  // namespace claudelens::restore
