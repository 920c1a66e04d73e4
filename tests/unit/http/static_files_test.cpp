// The web page's static files (static_files.hpp): index at /, client-side routes, caching headers,
// missing files, escapes out of the folder, and that the fallback never shadows /api/ or /ws/.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "http/router.hpp"
#include "http/static_files.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::http {
namespace {

std::string header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.write("web/index.html", "<!doctype html><title>x</title>");
    dir.write("web/assets/index-abc123.js", "console.log(1)");
    dir.write("web/robots.txt", "User-agent: *");
    dir.write("secret.txt", "outside");
    std::filesystem::create_symlink(dir / "secret.txt", dir / "web/link.txt");
  }
  std::filesystem::path root() const { return dir / "web"; }
  claudelens::testing::TempDir dir;
};

TEST_F(StaticFiles, index_at_root_is_revalidated) {
  const Response r = serve_static(root(), "/");
  ASSERT_TRUE(r.file);
  EXPECT_EQ(std::filesystem::path(r.file->path).filename(), "index.html");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(r.file->size, 31u);
}

TEST_F(StaticFiles, hashed_assets_are_immutable) {
  const Response r = serve_static(root(), "/assets/index-abc123.js");
  ASSERT_TRUE(r.file);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(serve_static(root(), "/robots.txt"), "Cache-Control"), "no-cache");
}

TEST_F(StaticFiles, client_routes_get_the_index_and_missing_files_404) {
  for (const char* route : {"/backups/abc/restore", "/upload", "/statistics"}) {
    const Response r = serve_static(root(), route);
    ASSERT_TRUE(r.file) << route;
    EXPECT_EQ(std::filesystem::path(r.file->path).filename(), "index.html") << route;
  }
  for (const char* missing : {"/assets/gone-1.js", "/assets/x", "/favicon.ico"}) {
    const Response r = serve_static(root(), missing);
    ASSERT_TRUE(r.error) << missing;
    EXPECT_EQ(r.error->status, 404) << missing;
  }
}

TEST_F(StaticFiles, nothing_outside_the_folder_is_served) {
  for (const char* escape : {"/link.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"}) {
    const Response r = serve_static(root(), escape);
    EXPECT_FALSE(r.file) << escape;
  }
}

TEST_F(StaticFiles, an_unbuilt_page_says_so) {
  const Response r = serve_static(dir / "nowhere", "/backups");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 404);
  EXPECT_NE(r.error->message.find("make build"), std::string::npos);
}

TEST_F(StaticFiles, the_fallback_never_shadows_api_or_websocket_paths) {
  Router router;
  router.add(Method::get, "/api/v1/health", [](Request&) { return Response::json(200, nullptr); });
  router.add(Method::post, "/api/v1/backups", [](Request&) { return Response::json(202, nullptr); });
  add_static_files(router, root());
  EXPECT_EQ(router.match(Method::get, "/api/v1/health").route->pattern, "/api/v1/health");
  EXPECT_EQ(router.match(Method::get, "/api/v1/nope").route, nullptr);
  EXPECT_EQ(router.match(Method::get, "/ws/backups/j1").route, nullptr);
  const auto other = router.match(Method::get, "/api/v1/backups");
  EXPECT_EQ(other.route, nullptr);
  EXPECT_TRUE(other.other_method);
  const auto page = router.match(Method::get, "/backups/abc");
  ASSERT_NE(page.route, nullptr);
  EXPECT_FALSE(page.route->options.auth);
  const auto post = router.match(Method::post, "/backups/abc");  // the page's paths are GET only: 405
  EXPECT_EQ(post.route, nullptr);
  EXPECT_TRUE(post.other_method);
  EXPECT_EQ(post.allowed, std::vector<Method>{Method::get});
}

}  // namespace
}  // namespace claudelens::http
