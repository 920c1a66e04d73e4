// `claudelens demo-data`: realistic synthetic data written into a Store — projects, sessions and their
// transcript lines (shaped and sized like real Claude Code transcripts, see docs/demo-data.md), plus
// prompts, prompt folders and AI settings. The same options give byte-identical documents: everything
// derives from the seed, nothing from the clock. Streams session by session and commits in batches, so
// memory stays bounded at any size. Not thread-safe; `store` must outlive the call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "store/store.hpp"

namespace claudelens::demo {

struct DemoProgress {
  std::int64_t messages = 0;  ///< generated so far
  std::int64_t target = 0;    ///< DemoOptions::messages
  std::int64_t bytes = 0;     ///< JSON bytes written so far
};

struct DemoOptions {
  /// Messages (lines with a uuid) to generate, exactly. Required: must be > 0.
  std::int64_t messages = 0;
  /// Seeds every id, text, size and timestamp. Default: 1.
  std::uint64_t seed = 1;
  /// Entries (and documents) per write transaction. Default: 5000.
  std::int64_t batch_entries = 5000;
  /// JSON bytes per write transaction, whichever limit comes first. Default: 32 MiB.
  std::int64_t batch_bytes = 32 << 20;
  /// Called after each commit. Default: none.
  std::function<void(const DemoProgress&)> on_progress;
};

struct DemoSummary {
  std::int64_t projects = 0;
  std::int64_t sessions = 0;
  std::int64_t messages = 0;  ///< entries with a uuid
  std::int64_t records = 0;   ///< all entries
  std::int64_t prompts = 0;
  std::int64_t prompt_folders = 0;
  std::int64_t ai_settings = 0;
  std::int64_t bytes = 0;  ///< JSON bytes of the entries and documents
  double seconds = 0;
};

/// Generates the data set into `store` for `owner_id`. Errors: invalid_argument for messages <= 0;
/// the store's errors otherwise (what was committed before stays).
Result<DemoSummary> generate(store::Store& store, const std::string& owner_id, const DemoOptions& options);

}  // namespace claudelens::demo
