// The web page's files (web/, built by `make build` into build/web): served at / by `claudelens serve`
// as the router's fallback, so that API and WebSocket paths are never shadowed. Paths that name no file
// and look like a client-side route ("/backups/abc") get index.html; missing files that look like files
// ("/assets/x.js", "/favicon.ico") get 404. Caching: hashed files under assets/ are immutable for a
// year, everything else (index.html) is revalidated on each load (no-cache).
//
// Thread-safety: serve_static() is a pure function of the folder's contents; safe to call concurrently.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace claudelens::http {

/// The folder holding the built page: `configured` when not empty, else $CLAUDELENS_WEB_DIR, else
/// web/ next to the running binary (build/web for build/claudelens).
std::filesystem::path resolve_web_dir(const std::string& configured);

/// The answer for GET `raw_path` (undecoded, no query) from the page in `root`.
Response serve_static(const std::filesystem::path& root, std::string_view raw_path);

/// Registers serve_static(root, path) as the router's fallback (no API key needed, not rate limited:
/// the page itself carries no data).
void add_static_files(Router& router, std::filesystem::path root);

}  // namespace claudelens::http
