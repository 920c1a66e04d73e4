// Incremental chains (SPEC §6): the members an incremental backup needs, from the full (or selective)
// backup at its root to the incremental itself, with each link checked (the parent is registered, its
// file is there, it holds the named backup, and its checksum is the one the child names), and what the
// whole chain restores, materialised as one synthetic archive that the restore engine and the preview
// read like any full backup. docs/restore.md "Incremental chains" describes the rules.
//
// The synthetic archive is written next to the chain's files under a name that startup clean-up removes
// (".chain-….partial-<16 hex>"), encrypted with the chain's key when the chain is encrypted, and
// removed by the caller when done. Memory: each member's index, one record per session of the chain
// (its newest catalogue document), one session's changed keys, the documents of the small collections.
// Not thread-safe (one per restore or preview).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backup/chain.hpp"
#include "core/result.hpp"
#include "crypto/encryption.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

using backup::ChainMember;

struct SynthesisOptions {
  /// Restrict the synthetic archive to the sessions these select (projects, sessions; the restore
  /// applies the rest). Default: every session of the chain.
  Selections selections;
  /// Check every member whole (its SHA-256 against the checksum its child names, the trailer's digest)
  /// before reading it; otherwise each frame read is checked as it is read. Default: false.
  bool verify_members = false;
  const crypto::Secret* passphrase = nullptr;  ///< the chain's key (encrypted chains). Default: null
  std::function<bool()> cancelled;             ///< Default: never
};

struct SynthesisOutcome {
  std::filesystem::path file;  ///< the synthetic archive (the caller removes it)
  std::string sha256_hex;
  std::uint64_t bytes_read = 0;      ///< bytes read from the members
  std::uint64_t bytes_verified = 0;  ///< bytes of members checked whole
  std::vector<std::string> chain;    ///< the members' archive ids, root first
};

/// Writes what the chain restores as one archive of the root's type (full or selective) holding the
/// leaf's backup id: every session alive at the leaf with its entries merged member by member (an
/// entry comes from the newest member that has it, unless a later member deleted it; deletions of
/// sessions and projects drop what earlier members hold), the projects, users and documents likewise.
Result<SynthesisOutcome> synthesize_chain(const std::vector<ChainMember>& chain, const SynthesisOptions& options);

}  // namespace claudelens::restore
