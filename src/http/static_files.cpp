// The web page's static files (static_files.hpp).
#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "http/errors.hpp"

namespace claudelens::http {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_immutable = "public, max-age=31536000, immutable";
constexpr std::string_view k_revalidate = "no-cache";

std::string content_type_of(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> k_types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  }};
  const std::string ext = file.extension().string();
  for (const auto& [e, type] : k_types)
    if (ext == e) return std::string(type);
  return "application/octet-stream";
}

Response file_response(const fs::path& file, std::uint64_t size, std::string_view cache) {
  Response res = Response::stream_file(FileBody{file.string(), size}, content_type_of(file));
  res.headers.emplace_back("Cache-Control", std::string(cache));
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return res;
}

/// `rel` inside `root` as a regular file (symbolic links may not lead out of the folder).
std::optional<std::pair<fs::path, std::uint64_t>> find_file(const fs::path& root, const std::string& rel) {
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const fs::path file = fs::weakly_canonical(base / rel, ec);
  if (ec) return std::nullopt;
  const auto [end, unused] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (end != base.end()) return std::nullopt;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  const auto size = fs::file_size(file, ec);
  if (ec) return std::nullopt;
  return std::pair{file, static_cast<std::uint64_t>(size)};
}

}  // namespace

fs::path resolve_web_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("CLAUDELENS_WEB_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return exe.parent_path() / "web";
}

Response serve_static(const fs::path& root, std::string_view raw_path) {
  const auto decoded = percent_decode(raw_path);
  if (!decoded || decoded->find('\0') != std::string::npos)
    return Response(ApiError{400, "INVALID_REQUEST", "malformed path", nullptr, {}, {}});
  std::string rel = decoded->substr(
      decoded->find_first_not_of('/') == std::string::npos ? decoded->size() : decoded->find_first_not_of('/'));
  if (rel.empty()) rel = "index.html";
  if (auto found = find_file(root, rel))
    return file_response(found->first, found->second, rel.starts_with("assets/") ? k_immutable : k_revalidate);
  // A name with an extension, or anything under assets/, is a file that is missing; the rest are the
  // page's own routes, which index.html draws.
  const std::string last = rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
  if (rel.starts_with("assets/") || last.find('.') != std::string::npos)
    return not_found("NOT_FOUND", fmt::format("no such file: {}", raw_path));
  if (auto index = find_file(root, "index.html")) return file_response(index->first, index->second, k_revalidate);
  return not_found("NOT_FOUND",
                   fmt::format("the web page is not built in {} (run `make build`, or pass --web-dir)", root.string()));
}

void add_static_files(Router& router, fs::path root) {
  RouteOptions options;
  options.auth = false;
  options.rate = RateClass::none;
  router.set_fallback([root = std::move(root)](Request& req) { return serve_static(root, req.path); }, options);
}

}  // namespace claudelens::http
