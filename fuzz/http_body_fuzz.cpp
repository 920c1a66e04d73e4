// libFuzzer target for request bodies through the router (src/http/): the first byte picks one of the
// JSON-taking routes this server owns (keys, prompts, ai-settings, ingest batch, backup settings), the
// rest is the body. Handlers run against a real SQLite store in a scratch folder, as an admin. Any crash
// or sanitizer report is a bug. Invariants: every answer is 2xx or a 4xx the API lists (never 500), and
// an error renders as an envelope that parses as JSON.
// Seed corpus: fuzz/corpus/http_body/ (first byte = route index, then a body).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <boost/json.hpp>

#include "http/errors.hpp"
#include "http/rate_limiter.hpp"
#include "http/routes.hpp"
#include "store/keys.hpp"

namespace {

using namespace claudelens;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Target {
  http::Method method;
  const char* path;
};
constexpr Target k_targets[] = {
    {http::Method::post, "/api/v1/keys"},           {http::Method::post, "/api/v1/prompts"},
    {http::Method::post, "/api/v1/ai-settings"},    {http::Method::post, "/api/v1/ingest/batch"},
    {http::Method::put, "/api/v1/settings/backup"}, {http::Method::put, "/api/v1/prompts/{id}"},
};

struct World {
  std::unique_ptr<store::Store> store;
  http::Services services;
  http::RateLimiter limiter{system_clock()};
  http::Router router;
  http::Caller admin;
  std::string prompt_id;

  World() {
    const auto dir = std::filesystem::temp_directory_path() / ("claudelens-http-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "backups");
    store = std::move(store::open_store("sqlite:" + (dir / "db.sqlite").string()).value());
    auto writer = std::move(store->write().value());
    auto made = std::move(store::create_user_key(*writer, "admin", store::Role::admin, 0).value());
    check(static_cast<bool>(writer->commit()));
    admin = http::Caller{made.user.id, store::Role::admin, made.key.id, "admin"};
    limiter.set_limits(http::RateLimits{0, 0, 0, 0, 0});
    services.store = store.get();
    services.backup_dir = dir / "backups";
    services.rate_limiter = &limiter;
    http::register_routes(router, services);
    http::Request req;
    req.method = http::Method::post;
    req.path = "/api/v1/prompts";
    req.body = R"({"name":"p","content":"c"})";
    req.caller = admin;
    const auto m = router.match(req.method, req.path);
    const auto res = m.route->handler(req);
    prompt_id = std::string(boost::json::parse(res.body).at("_id").as_string());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size == 0) return 0;
  const Target& t = k_targets[data[0] % std::size(k_targets)];
  http::Request req;
  req.method = t.method;
  req.path = t.path;
  if (req.path.ends_with("{id}")) req.path = "/api/v1/prompts/" + world.prompt_id;
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  req.caller = world.admin;
  req.request_id = "fuzz";
  const auto match = world.router.match(req.method, req.path);
  check(match.route != nullptr);
  req.params = match.params;
  const http::Response res = match.route->handler(req);
  check(res.status >= 200 && res.status < 500);
  if (res.error) {
    check(res.error->status == res.status);
    boost::system::error_code ec;
    (void)boost::json::parse(http::render_envelope(*res.error, req.path, req.request_id, 0), ec);
    check(!ec);
  } else {
    boost::system::error_code ec;
    (void)boost::json::parse(res.body, ec);
    check(!ec);
  }
  return 0;
}
