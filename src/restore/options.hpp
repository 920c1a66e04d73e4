// What a restore is asked to do (SPEC §7, API.md POST /restore): the mode, the conflict strategy, the
// selections and the options, with their defaults. docs/restore.md holds the table of what each
// mode × strategy does to a document that exists or does not exist in the store.
// Plain values and pure functions; thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/encryption.hpp"

namespace claudelens::restore {

/// Which documents of the archive are considered, and whether the store may lose anything.
enum class Mode {
  full,       ///< everything in the archive; what the backup's scope holds that the backup lacks is deleted
  selective,  ///< only the selections (at least one is required); nothing is deleted
  merge,      ///< everything in the archive (or the selections when given); nothing is deleted
};
std::string_view mode_name(Mode m) noexcept;
std::optional<Mode> parse_mode(std::string_view s) noexcept;

/// What happens to an archived document whose natural key exists in the store.
enum class Strategy {
  skip,       ///< keep the stored document; the archived one is counted as a skipped duplicate
  overwrite,  ///< replace the stored document by the archived one
  rename,     ///< restore the archived document as a new one (new id, references rewritten)
  merge,      ///< union of a session's entries; for scalar fields the newer document wins
};
std::string_view strategy_name(Strategy s) noexcept;
std::optional<Strategy> parse_strategy(std::string_view s) noexcept;

/// API.md's `selections`. Ids are the archive's ids. Project selections also accept a path or a
/// folder name. A session is selected when a project, session or message selection picks it (or when
/// none of those is given and no prompt selection is either); documents (prompts, prompt folders,
/// AI settings) are selected by `prompts` ids, or all when no selection at all is given.
struct Selections {
  std::vector<std::string> projects;          ///< Default: empty = every project
  std::vector<std::string> sessions;          ///< Default: empty = every session
  std::vector<std::string> messages;          ///< message uuids; Default: empty = every message
  std::vector<std::string> prompts;           ///< document ids; Default: empty = every document
  std::vector<std::string> exclude_projects;  ///< ids, paths or names; Default: none
  std::vector<std::string> exclude_sessions;  ///< Default: none
  std::optional<TimeMs> from;                 ///< entries with timestamp >= from; Default: no bound
  std::optional<TimeMs> to;                   ///< entries with timestamp < to; Default: no bound
  /// True when any selection (not counting exclusions) is given.
  bool any() const noexcept;
  bool any_session_selection() const noexcept;
};

/// A progress report: called on the restoring thread about every 100 ms and once at the end.
struct Progress {
  std::string operation;  ///< "validating", "reading catalogue", "restoring sessions", "finishing", ...
  std::int64_t documents_done = 0;
  std::int64_t documents_total = 0;  ///< the archive documents the plan reads
  double percentage = 0;             ///< 0–100
  double elapsed_seconds = 0;
};

struct RestoreOptions {
  Mode mode = Mode::merge;                ///< Default: merge (SPEC §3: add what is missing)
  Strategy on_conflict = Strategy::skip;  ///< Default: skip
  Selections selections;
  /// Run the whole restore in a transaction that is rolled back: the report is the exact plan and
  /// counts, and the store is not changed (no history record either). Default: false.
  bool dry_run = false;
  /// Before the first write, check the version, the index and the trailer, and the checksum of every
  /// frame the restore will read; also the whole file (its SHA-256 against `expected_sha256`, the
  /// trailer's digest) when the restore reads every frame anyway. Damage is Errc::corrupted with
  /// nothing written. Default: true. With false, each frame read is still checked when read, and a bad
  /// one rolls the restore back.
  bool validate_before_restore = true;
  /// With validate_before_restore: check the whole file (every frame, its SHA-256, the trailer's
  /// digest) even when the restore reads only part of it (the CLI's --verify-all). Default: false.
  bool verify_all = false;
  /// Keep archived ids: a new project keeps its archived id (with false it also does, unless that id
  /// is taken by another owner's project, then a new id is given and reported; a project of the same
  /// owner with that id IS the archived project). With true, an id taken by another owner's project
  /// fails the restore (conflict), and `rename` is refused. Default: false.
  bool maintain_ids = false;
  /// Put every restored session into this store project (by id)... Default: none (archive's projects).
  std::string target_project_id;
  /// ...or into the project of this name (created for the owner when missing). Default: none.
  std::string target_project_name;
  /// Appended to the names of renamed projects and documents. Default: "_restored".
  std::string name_suffix = "_restored";
  /// A full restore that would delete anything fails with Errc::conflict unless this is true
  /// (the CLI's --yes). Dry runs never need it. Default: false.
  bool allow_delete = false;
  /// Who runs the restore (a user id), recorded in the history. Default: "".
  std::string restored_by;
  /// The registered backup's id (for the history); Default: "" (a file from elsewhere).
  std::string backup_id;
  /// The backup id the archive file must hold (checked before any write); Default: "" = `backup_id`.
  /// Differs for an uploaded archive, registered under a new id (BackupMetadata::archive_backup_id).
  std::string archive_backup_id;
  /// The checksum the backup's metadata records; compared when validation checks the whole file.
  /// Default: "".
  std::string expected_sha256;
  /// Let the store use its bulk write mode for the restore's transaction (store::WriteMode::bulk:
  /// faster, but every other connection waits until it ends). Dry runs never do. Default: true.
  bool bulk_write = true;
  const std::atomic<bool>* cancel = nullptr;         ///< set to true to stop; the restore rolls back. Default: none
  std::function<void(const Progress&)> on_progress;  ///< Default: none
  const Clock* clock = nullptr;                      ///< Default: the system clock
  /// The passphrase of an encrypted archive (crypto::read_key_file); must outlive the restore. Without
  /// it an encrypted archive fails with Errc::wrong_key before anything is written. Default: null.
  const crypto::Secret* passphrase = nullptr;
  /// Where the registered backups' files are, to find the members of an incremental backup's chain.
  /// Default: empty = the archive's own folder.
  std::filesystem::path backup_dir;
  /// The file and chain the report names (run_restore sets report_chain for an incremental backup).
  /// Default: empty = the archive restored.
  std::string report_file;
  std::vector<std::string> report_chain;
};

/// Checks the combination rules (selective needs a selection; full takes no selection or target;
/// rename excludes maintain_ids; from < to). invalid_argument naming the field.
Status validate_options(const RestoreOptions& options);

}  // namespace claudelens::restore
