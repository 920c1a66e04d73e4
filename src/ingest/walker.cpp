#include "ingest/walker.hpp"

#include "core/json_text.hpp"

#include <algorithm>
#include <set>
#include <system_error>

#include <fmt/format.h>

namespace claudelens::ingest {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view k_subagents = "subagents";

bool is_jsonl(const fs::directory_entry& e) {
  std::error_code ec;
  return e.path().extension() == ".jsonl" && e.is_regular_file(ec);
}

bool is_dir(const fs::directory_entry& e) {
  std::error_code ec;
  return e.is_directory(ec);
}

/// The entries of `dir` sorted by name.
Result<std::vector<fs::directory_entry>> list_dir(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::directory_entry> out;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) out.push_back(*it);
  if (ec) return fail(Errc::io, fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
  return out;
}

/// A file or folder name as text: names are bytes, and one that is not UTF-8 (a Latin-1 "caf\xe9")
/// is escaped losslessly ("caf%E9", docs/ingest.md), so that every JSON writer can carry it.
std::string text_name(const fs::path& name) {
  return escape_invalid_utf8(name.string());
}

/// "a/b/" and "a/b/." -> "b": a folder's own name, however it was written.
std::string folder_name(const fs::path& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return text_name(p.filename());
}

struct Collector {
  std::vector<SourceFile> files;
  std::set<fs::path> seen;

  void add(SourceFile f) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(f.path, ec);
    if (ec) key = f.path;
    if (!seen.insert(key).second) return;
    f.size = static_cast<std::int64_t>(fs::file_size(f.path, ec));
    if (ec) f.size = 0;
    files.push_back(std::move(f));
  }

  Status add_project(const fs::path& dir, const std::vector<fs::directory_entry>& entries) {
    const std::string project = folder_name(dir);
    for (const auto& e : entries)
      if (is_jsonl(e)) add({e.path(), project, text_name(e.path().stem())});
    for (const auto& e : entries) {
      if (!is_dir(e) || !is_dir(fs::directory_entry(e.path() / k_subagents))) continue;
      CL_TRY(agents, list_dir(e.path() / k_subagents));
      for (const auto& a : agents)
        if (is_jsonl(a)) add({a.path(), project, text_name(e.path().filename())});
    }
    return {};
  }

  Status add_folder(const fs::path& dir) {
    CL_TRY(entries, list_dir(dir));
    const bool project = std::any_of(entries.begin(), entries.end(), [](const auto& e) {
      return is_jsonl(e) || (is_dir(e) && is_dir(fs::directory_entry(e.path() / k_subagents)));
    });
    if (project) return add_project(dir, entries);
    for (const auto& e : entries) {
      if (!is_dir(e)) continue;
      CL_TRY(sub, list_dir(e.path()));
      CL_CHECK(add_project(e.path(), sub));
    }
    return {};
  }
};

}  // namespace

SourceFile classify_file(const fs::path& file) {
  std::error_code ec;
  fs::path abs = fs::absolute(file, ec).lexically_normal();
  if (ec) abs = file;
  const fs::path folder = abs.parent_path();
  if (folder.filename() == k_subagents && folder.has_parent_path()) {
    const fs::path session_dir = folder.parent_path();
    return {file, folder_name(session_dir.parent_path()), text_name(session_dir.filename())};
  }
  return {file, folder_name(folder), text_name(abs.stem())};
}

Result<std::vector<SourceFile>> collect_sources(const std::vector<fs::path>& paths) {
  Collector c;
  for (const fs::path& p : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) return fail(Errc::not_found, fmt::format("{}: no such file or folder", p.string()));
    if (fs::is_directory(st)) {
      CL_CHECK(c.add_folder(p));
    } else {
      c.add(classify_file(p));
    }
  }
  return std::move(c.files);
}

}  // namespace claudelens::ingest
