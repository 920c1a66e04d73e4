// Claude Code transcripts -> the store, losslessly and idempotently (SPEC §4, docs/ingest.md).
// Files are streamed line by line (memory stays at the longest line, whatever the input size); each
// file is one write transaction: its records are inserted (existing keys are kept as they are), then
// the statistics and summaries of the sessions and projects it touched are refreshed, then it commits.
// A malformed line is reported (file, line number, reason) and skipped; the rest of its file is kept.
//
// Test-only hook: CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS=N makes the process raise SIGKILL on itself
// after N records were given to the store (core/test_hooks.hpp; crash tests).
//
// `store` must outlive the call. Not thread-safe per call; separate calls serialise on the store's
// one writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "ingest/walker.hpp"
#include "store/store.hpp"

namespace claudelens::ingest {

struct LineError {
  std::string file;
  std::int64_t line = 0;  ///< 1-based
  std::string message;
};

struct IngestReport {
  std::int64_t files = 0;          ///< files read (empty ones included)
  std::int64_t records = 0;        ///< well-formed records read, already stored or not
  std::int64_t new_records = 0;    ///< records that were not in the store before
  std::int64_t skipped_lines = 0;  ///< malformed lines (all of them, even past max_errors)
  std::int64_t bytes = 0;          ///< bytes read
  std::int64_t projects = 0;       ///< distinct projects that received records
  std::int64_t sessions = 0;       ///< distinct sessions that received records
  std::vector<LineError> errors;   ///< the first max_errors malformed lines
  bool errors_truncated = false;   ///< more lines were malformed than `errors` lists
};

struct IngestProgress {
  std::int64_t files_done = 0, files_total = 0;
  std::int64_t bytes_done = 0, bytes_total = 0;
};

struct IngestOptions {
  std::string owner_id;                  ///< who owns the projects. Required.
  const Clock* clock = &system_clock();  ///< for created_at/updated_at. Default: the system clock.
  std::size_t max_errors = 1000;         ///< errors listed in the report. Default: 1000.
  /// Called after each file (on the calling thread). Default: none.
  std::function<void(const IngestProgress&)> on_progress;
};

/// Ingests `files` in order. Stops at the first failure of the store or of reading a file (io,
/// not_found, busy, database...); what earlier files committed stays committed.
Result<IngestReport> ingest_files(store::Store& store, const std::vector<SourceFile>& files,
                                  const IngestOptions& options);

/// collect_sources(paths) then ingest_files(). A path that does not exist fails before anything is written.
Result<IngestReport> ingest_paths(store::Store& store, const std::vector<std::filesystem::path>& paths,
                                  const IngestOptions& options);

/// Chooses and stores the summary of `session_id` from its `summary` records: the last one whose
/// leafUuid is a message of this session, else the last one; "" when it has none.
Status refresh_session_summary(store::Writer& writer, const std::string& session_id);

}  // namespace claudelens::ingest
