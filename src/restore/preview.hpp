// The restore preview (API.md GET /restore/preview/{backup_id}): what an archive holds (projects →
// sessions with counts and dates; prompts) and, against the current store, the conflicts on natural
// keys, the space needed and an estimated time. Read through the restore's Source (restore/source.hpp),
// so that it shows what the restore would restore: built from the archive's index and catalogue
// sections; entry frames are read only for sessions that already exist in the store, to count
// message-level conflicts (check_message_conflicts), and, in an incremental backup's chain, for the
// sessions an increment changed (to count what their merged entries hold).
// Uses one read snapshot of the store; never writes. Thread-safe as the Store is.
#pragma once

#include <boost/json/fwd.hpp>

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

struct PreviewOptions {
  bool detailed = false;        ///< list each project's sessions. Default: false
  bool check_conflicts = true;  ///< look the natural keys up in the store. Default: true
  /// Count message conflicts by reading the entries of sessions that exist in the store. Default: true
  bool check_message_conflicts = true;
  Strategy on_conflict = Strategy::skip;  ///< the resolution shown for each conflict. Default: skip
  std::string backup_id;                  ///< shown as backup_id; Default: the archive header's
  /// The passphrase of an encrypted archive (must outlive the call); without it an encrypted archive
  /// is Errc::wrong_key. Default: null.
  const crypto::Secret* passphrase = nullptr;
  /// Where the registered backups' files are (the members of an incremental backup's chain).
  /// Default: empty = the archive's own folder.
  std::filesystem::path backup_dir;
};

/// Restore throughput used for estimates (bytes of transcript lines per second into SQLite),
/// measured on the 2-core reference machine (docs/restore.md).
inline constexpr double k_restore_bytes_per_second = 100e6;

/// API.md's preview object plus `bytes_read` (archive bytes the preview read) and, per conflict,
/// `count` (message conflicts are aggregated per session). An incremental backup: what its whole
/// chain restores, and `chain[{_id,archive_backup_id,type,checksum}]`, root first.
Result<boost::json::object> preview_restore(store::Store& store, const std::filesystem::path& archive,
                                            const PreviewOptions& options = {});

}  // namespace claudelens::restore
