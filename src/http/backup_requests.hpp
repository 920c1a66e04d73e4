// The bodies of POST /backups and POST /restore (and the `restore_options` field of an upload), read
// strictly into the engines' request types (backup::BackupRequest, restore::RestoreOptions), with one
// validation error per bad field. Options the engines cannot honour are refused by name, never
// accepted and ignored: `type: incremental` and `options.parent_backup_id` (not implemented yet), `options.compress:
// false`, `options.include_metadata: false`, `options.include_analytics: true` and `options.split_size_mb` (the archive
// is always one zstd file). `options.encrypt: true` is refused when the server has no key (`has_key`); the handler
// honours it. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "backup/planner.hpp"
#include "http/validation.hpp"
#include "restore/options.hpp"

namespace claudelens::http {

/// POST /backups. `now` bounds the date range. The caller fills created_by and owner_scope. `has_key`:
/// the server has a key file (`options.encrypt: true` is refused without one). Default: false.
Checked<backup::BackupRequest> parse_backup_create(std::string_view body, TimeMs now, bool has_key = false);

struct RestoreCreate {
  std::string backup_id;
  restore::RestoreOptions options;  ///< mode, strategy, selections, target, flags; allow_delete for full
};

/// POST /restore.
Checked<RestoreCreate> parse_restore_create(std::string_view body);

/// The `restore_options` field of POST /restore/upload: the POST /restore body without backup_id
/// (`{mode, target, options, selections}`), or just its `options` object.
Checked<restore::RestoreOptions> parse_upload_restore_options(std::string_view text);

}  // namespace claudelens::http
