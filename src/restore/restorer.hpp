// The restore engine: puts (part of) a backup archive back into a store, atomically.
//
// Stages, top to bottom (like ClickHouse's RestorerFromBackup):
//   check the options → open the archive (version, trailer, index) and read the catalogue (the
//   users/projects/sessions sections only, each frame checked) → select → validate (the checksum of
//   every other frame the restore will read; the whole file only when it reads every frame anyway or
//   verify_all asks) → count what a full restore would delete and ask for confirmation → ONE write
//   transaction: users → projects (all matched first, by id else owner + folder name, against the
//   store as it was) → sessions, streaming each selected session's entry frames → prompts, folders,
//   AI settings → full-mode deletions → statistics → history record → commit (or roll back for a dry
//   run, an error, a cancel). A failed attempt is recorded in its own transaction after the rollback.
//
// Memory: the users and projects, a few bytes per archived session (the selection's ordinals, the
// entries-section lookup), one bounded batch of archived sessions, one session's entry keys, and the
// archive reader (its index and two frame buffers); never the archive. Only the frames of selected sections are read.
// Thread-safety: run_restore may run on any thread; `options.cancel` may be set from another one.
// Test-only hook: the environment variable CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS=N makes the process
// raise SIGKILL on itself after N documents were written inside the transaction (crash tests).
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "restore/options.hpp"
#include "restore/report.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

/// Restores `archive` into `store` as `options` say. Returns the report (also recorded in the store's
/// restore history unless it is a dry run), or the error: invalid_argument for bad options, corrupted
/// for a damaged archive (nothing written), conflict when a full restore would delete without
/// `allow_delete`, busy when another writer holds the store, cancelled; in every error case the
/// store's data is as it was before.
Result<RestoreReport> run_restore(store::Store& store, const std::filesystem::path& archive,
                                  const RestoreOptions& options);

/// A new Claude-style session id (a random UUID v4, lower-case) for renamed sessions.
std::string new_session_id();

/// `line` with the value of its top-level "sessionId" replaced by `to` (every other byte kept).
/// invalid_argument when the line has a "sessionId" that cannot be rewritten in place.
Result<std::string> rewrite_session_id(std::string_view line, std::string_view from, std::string_view to);

}  // namespace claudelens::restore
