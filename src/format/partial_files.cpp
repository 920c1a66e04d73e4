#include "format/partial_files.hpp"

#include <algorithm>
#include <system_error>

#include "core/ids.hpp"
#include "format/grammar.hpp"

namespace claudelens::format {

std::filesystem::path partial_path_for(const std::filesystem::path& final_path) {
  std::string name(1, '.');
  name += final_path.filename().string();
  name += k_partial_infix;
  name += to_hex(random_bytes(8));
  return final_path.parent_path() / name;
}

bool is_partial_name(const std::string& file_name) {
  if (file_name.size() < 2 || file_name[0] != '.') return false;
  const std::size_t at = file_name.rfind(k_partial_infix);
  if (at == std::string::npos || at < 2) return false;
  const std::string_view rest = std::string_view(file_name).substr(at + k_partial_infix.size());
  if (rest.size() < 16) return false;
  return std::all_of(rest.begin(), rest.begin() + 16,
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::vector<std::filesystem::path>> find_partial_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> found;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_partial_name(it->path().filename().string())) found.push_back(it->path());
  }
  if (ec) return fail(Errc::io, "list " + dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::vector<std::filesystem::path>> remove_partial_files(const std::filesystem::path& dir) {
  CL_TRY(found, find_partial_files(dir));
  std::vector<std::filesystem::path> removed;
  for (const auto& p : found) {
    std::error_code ec;
    if (std::filesystem::remove(p, ec)) removed.push_back(p);
    if (ec) return fail(Errc::io, "remove " + p.string() + ": " + ec.message());
  }
  return removed;
}

}  // namespace claudelens::format
