// Leftover temporary archives: an ArchiveWriter writes ".<name>.partial-<hex>" next to the final
// name; a crash leaves it behind. Startup calls remove_partial_files() on the backup directory.
// Thread-safe (file-system calls only); do not call it on a directory a live writer is using.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace claudelens::format {

/// The temporary name for `final_path`: same directory, ".<name>.partial-<16 random hex>".
std::filesystem::path partial_path_for(const std::filesystem::path& final_path);

/// True when `file_name` has the shape of a temporary archive name.
bool is_partial_name(const std::string& file_name);

/// The temporary archives directly inside `dir` (not recursive), sorted.
Result<std::vector<std::filesystem::path>> find_partial_files(const std::filesystem::path& dir);

/// Removes them; returns what was removed.
Result<std::vector<std::filesystem::path>> remove_partial_files(const std::filesystem::path& dir);

}  // namespace claudelens::format
