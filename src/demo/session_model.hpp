// The transcript model: generates the lines of one Claude Code session (docs/demo-data.md) and hands
// each one, as a store::Entry, to a sink. Internal to the demo library; demo_data.hpp is the public face.
// Not thread-safe; a Transcript is used once. The sink sees one Entry object that is reused between
// calls: copy what you keep.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace claudelens::demo {

/// What stays the same for every session of one project.
struct ProjectShape {
  std::string cwd;               ///< the project's main working directory
  std::uint64_t files_seed = 0;  ///< seeds the project's file pool (same file, same content)
};

/// What the caller fixes for one session.
struct SessionShape {
  std::string session_id;
  std::uint64_t seed = 0;
  TimeMs start = 0;           ///< timestamp of the first line
  int day = 0;                ///< days since the data set's base date (picks the Claude Code version)
  std::int64_t messages = 0;  ///< lines with a uuid to produce, exactly (0: a session without messages)
  std::string previous_leaf;  ///< a uuid of an earlier session, for `summary.leafUuid` ("" → random)
};

/// What a generated session produced.
struct SessionResult {
  std::int64_t messages = 0;
  std::int64_t records = 0;
  std::int64_t bytes = 0;
  TimeMs end = 0;         ///< timestamp of the last line
  std::string summary;    ///< text of the first `summary` record, "" when none
  std::string last_uuid;  ///< the last message's uuid ("" when none)
};

using EntrySink = std::function<Status(const store::Entry&)>;

/// Generates one session's lines in file order. Stops at the first error the sink returns.
Result<SessionResult> generate_session(const ProjectShape& project, const SessionShape& session, const EntrySink& sink);

/// Appends `t` as "2025-06-14T12:34:56.789Z" (what Claude Code writes).
void append_iso8601_ms(std::string& out, TimeMs t);

}  // namespace claudelens::demo
