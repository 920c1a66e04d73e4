// The backup planner: turns a request (type, filters, owner scope) into the set of projects and
// sessions to write, with an estimate of size and duration, by reading the store only. Stateless
// functions; as thread-safe as the Reader given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/filters.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::backup {

struct BackupRequest {
  std::string name;
  std::string description;
  BackupType type = BackupType::full;  ///< Default: full.
  Filters filters;
  int compression_level = 3;  ///< 1–9, mapped to zstd levels. Default: 3.
  std::string created_by;     ///< the requesting user's id
  /// Whose data: a user's backup covers only what they own; nullopt (an admin) covers every owner.
  std::optional<std::string> owner_scope;
};

struct Plan {
  /// The sessions to read, as a store filter (projects resolved from ids, paths, names and patterns).
  store::SessionFilter sessions;
  /// True when the filters matched no project at all (then nothing is selected).
  bool nothing_selected = false;
  bool include_documents = false;  ///< prompts, prompt folders and ai_settings (full backups)
  std::int64_t session_count = 0;
  std::int64_t entry_count = 0;                 ///< an upper bound when a date range applies
  std::int64_t entry_bytes = 0;                 ///< idem
  std::int64_t estimated_size_bytes = 0;        ///< uncompressed NDJSON
  std::int64_t estimated_compressed_bytes = 0;  ///< what the file will take on disk
  double estimated_duration_seconds = 0;
};

/// Validates the request (name, level, filters: Errc::invalid_argument naming the fields), resolves the
/// project and session filters (Errc::not_found naming a value that matches nothing) and estimates.
Result<Plan> make_plan(store::Reader& reader, const BackupRequest& request, TimeMs now);

/// Validation alone, in API.md's validation_errors shape (empty when the request is valid).
std::vector<FieldError> validate_request(const BackupRequest& request, TimeMs now);

}  // namespace claudelens::backup
