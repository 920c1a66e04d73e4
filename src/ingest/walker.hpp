// Which files an ingest reads, and which project and session each belongs to (SPEC §4):
//  - a folder with `.jsonl` files directly inside is a project folder; so is a folder whose
//    subfolders hold `subagents/` folders (a project whose sessions are all in 2.1.x layout);
//  - any other folder is a projects folder (e.g. ~/.claude/projects): each subfolder is a project;
//  - a project folder's files are its `*.jsonl` and its `<session>/subagents/*.jsonl`;
//  - a file given alone belongs to its folder's project, except `<session>/subagents/X.jsonl`,
//    whose project is the folder above `<session>`;
//  - a record without a `sessionId` belongs to its file's session: the file name's stem, or for
//    `<session>/subagents/X.jsonl` the `<session>` folder's name.
// Pure functions over the file system; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace claudelens::ingest {

struct SourceFile {
  std::filesystem::path path;
  std::string project_name;      ///< the project folder's name: the project's natural key with the owner
  std::string session_fallback;  ///< the session of records without a `sessionId`
  std::int64_t size = 0;         ///< bytes, when listed (for progress)
};

/// The files under `paths`, in a stable order: paths as given; inside a projects folder, projects by
/// name; inside a project, its `*.jsonl` by name, then `<session>/subagents/*.jsonl` by path. A file
/// reached twice is listed once. Errors: not_found for a path that does not exist, io when a folder
/// cannot be listed.
Result<std::vector<SourceFile>> collect_sources(const std::vector<std::filesystem::path>& paths);

/// The project and session of a file given alone (the `<session>/subagents/` rule applied).
SourceFile classify_file(const std::filesystem::path& file);

}  // namespace claudelens::ingest
