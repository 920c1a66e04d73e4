// An independent reading of a folder of Claude Code transcripts, written from SPEC §4 without the
// ingest library, so that integration tests can check what `claudelens` stored against it.
// Header-only; plain std + Boost.JSON; single-threaded.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace claudelens::testing {

struct TranscriptLine {
  std::string bytes;  ///< the line without its "\n"
  boost::json::value value;
};

struct TranscriptSet {
  std::set<std::string> projects;                                   ///< folder names
  std::map<std::string, std::vector<TranscriptLine>> sessions;      ///< session -> lines in file order
  std::map<std::string, std::string> session_project;               ///< session -> project folder name
  std::map<std::string, std::map<std::string, std::int64_t>> cwds;  ///< project -> cwd -> records
  std::set<std::pair<std::string, std::string>> messages;           ///< (session, uuid)
  std::int64_t records = 0;
  std::int64_t bytes = 0;  ///< sum of line sizes
  std::vector<std::filesystem::path> files;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

/// Reads every `.jsonl` below `projects_root` (each subfolder one project; `<session>/subagents/`
/// files belong to the project above the session and fall back to the session folder's name).
inline TranscriptSet read_transcripts(const std::filesystem::path& projects_root) {
  namespace fs = std::filesystem;
  TranscriptSet t;
  for (const auto& e : fs::recursive_directory_iterator(projects_root))
    if (e.is_regular_file() && e.path().extension() == ".jsonl") t.files.push_back(e.path());
  // Walker order: per project, its own files by name, then subagent files by path.
  auto order = [&](const fs::path& p) {
    const auto rel = fs::relative(p, projects_root);
    const bool sub = p.parent_path().filename() == "subagents";
    return std::make_tuple(*rel.begin(), sub, rel);
  };
  std::sort(t.files.begin(), t.files.end(), [&](const auto& a, const auto& b) { return order(a) < order(b); });
  for (const fs::path& f : t.files) {
    const bool sub = f.parent_path().filename() == "subagents";
    const std::string project = (sub ? f.parent_path().parent_path().parent_path() : f.parent_path()).filename();
    const std::string fallback = sub ? f.parent_path().parent_path().filename().string() : f.stem().string();
    for (std::string& line : split_lines(read_file(f))) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      boost::json::value v = boost::json::parse(line);
      const auto& o = v.as_object();
      std::string session = fallback;
      if (auto* sid = o.if_contains("sessionId"); sid && sid->is_string() && !sid->as_string().empty())
        session = std::string(sid->as_string());
      if (auto* uuid = o.if_contains("uuid"); uuid && uuid->is_string() && !uuid->as_string().empty())
        t.messages.insert({session, std::string(uuid->as_string())});
      if (auto* cwd = o.if_contains("cwd"); cwd && cwd->is_string() && !cwd->as_string().empty())
        ++t.cwds[project][std::string(cwd->as_string())];
      t.projects.insert(project);
      t.session_project.emplace(session, project);
      ++t.records;
      t.bytes += static_cast<std::int64_t>(line.size());
      t.sessions[session].push_back({std::move(line), std::move(v)});
    }
  }
  return t;
}

/// The cwd most of a project's records carry (ties: the smallest string), "" when none has one.
inline std::string majority_cwd(const std::map<std::string, std::int64_t>& counts) {
  std::string best;
  std::int64_t n = 0;
  for (const auto& [cwd, c] : counts)
    if (c > n) best = cwd, n = c;
  return best;
}

}  // namespace claudelens::testing
