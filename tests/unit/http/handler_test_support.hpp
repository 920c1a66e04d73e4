// The backup and restore routes in-process, without sockets: a real SQLite store with ingested
// transcripts, a real JobService and the real Router; requests are built as the server builds them
// (path parameters from the match, the query decoded, the caller set) and run through the handlers.
// Header-only; one test thread (the job service has its own workers).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "http/router.hpp"
#include "http/routes.hpp"
#include "http/services.hpp"
#include "jobs/jobs.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {

namespace json = boost::json;

struct Answer {
  int status = 0;
  json::value body;  ///< the JSON body, or the error envelope's content ({error, validation_errors})
  http::Response response;

  std::string code() const { return std::string(body.at("error").at("code").as_string()); }
  std::vector<std::string> fields() const {
    std::vector<std::string> out;
    for (const auto& e : body.at("validation_errors").as_array()) out.emplace_back(e.at("field").as_string());
    return out;
  }
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : response.headers)
      if (k == name) return v;
    return "";
  }
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Archives and upload leftovers in `dir` (lock files do not count).
inline int archives_in(const std::filesystem::path& dir) {
  int n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(".claudelens") || name.find(".upload-") != std::string::npos ||
        name.find(".partial-") != std::string::npos)
      ++n;
  }
  return n;
}

class Api {
 public:
  /// A store with two projects (four messages) owned by the admin (none when `empty`), and a user
  /// without data. Several servers may share `dir` under different names.
  explicit Api(const TempDir& dir, bool empty = false, const std::string& name = "api")
      : m_fixture(dir, name), m_dir(dir.path()), m_name(name) {
    if (!empty) {
      m_fixture.ingest("-w-app", "s1", {line("s1", "u1", 1), line("s1", "u2", 2), line("s1", "u3", 3)});
      m_fixture.ingest("-w-lib", "s2", {line("s2", "v1", 4, "/w/lib")});
    }
    user = store::User{new_id(), "bob", store::Role::user, 2};
    auto w = m_fixture.store->write();
    EXPECT_TRUE((*w)->put_user(user));
    EXPECT_TRUE((*w)->commit());
    jobs::ServiceOptions o;
    o.backup_dir = backup_dir();
    o.workers = 1;
    o.backup_threads = 1;
    o.poll_interval = std::chrono::milliseconds(50);
    auto service = jobs::JobService::open(*m_fixture.store, o);
    EXPECT_TRUE(service) << service.error().message;
    m_jobs = std::move(*service);
    EXPECT_TRUE(m_jobs->start());
    services.store = m_fixture.store.get();
    services.backup_dir = backup_dir();
    services.jobs = m_jobs.get();
    http::add_backup_routes(m_router, services);
    http::add_restore_routes(m_router, services);
  }
  ~Api() { m_jobs->stop(std::chrono::seconds(5)); }

  std::filesystem::path backup_dir() const { return m_dir / (m_name + "-backups"); }
  RestoreFixture& fixture() { return m_fixture; }
  jobs::JobService& jobs() { return *m_jobs; }

  http::Caller admin() const { return {m_fixture.admin.id, store::Role::admin, "k1", m_fixture.admin.name}; }
  http::Caller bob() const { return {user.id, store::Role::user, "k2", user.name}; }

  /// Runs `method target` (path and query) with `body` as `caller`.
  Answer call(http::Method method, const std::string& target, const std::string& body = "",
              std::optional<http::Caller> caller = std::nullopt) {
    http::Request req;
    const auto match = prepare(method, target, caller, req);
    EXPECT_NE(match, nullptr) << target;
    if (!match) return {};
    req.body = body;
    return answer(match->handler(req));
  }

  /// A streamed upload: the body fed in chunks of `chunk` bytes; `abandon_after` bytes then the sink
  /// is destroyed (a client that went away) when set.
  Answer upload(const std::string& content_type, const std::string& body, std::size_t chunk,
                std::optional<http::Caller> caller = std::nullopt, std::optional<std::size_t> abandon_after = {}) {
    http::Request req;
    const auto* route = prepare(http::Method::post, "/api/v1/restore/upload", caller, req);
    EXPECT_NE(route, nullptr);
    req.headers["content-type"] = content_type;
    req.headers["content-length"] = std::to_string(body.size());
    auto start = route->stream(req);
    if (start.answer) return answer(std::move(*start.answer));
    for (std::size_t i = 0; i < body.size(); i += chunk) {
      if (abandon_after && i >= *abandon_after) return Answer{};  // the sink goes: abandoned
      if (auto e = start.sink->write(std::string_view(body).substr(i, chunk))) return answer(http::Response(*e));
    }
    return answer(start.sink->finish());
  }

  /// Waits for a job to end; its final state.
  jobs::Job wait(const std::string& job_id) {
    auto j = m_jobs->wait(job_id, std::chrono::seconds(30));
    EXPECT_TRUE(j) << j.error().message;
    EXPECT_TRUE(jobs::is_final(j->status)) << jobs::job_status_name(j->status);
    return *j;
  }

  /// A completed backup made through the API; its id.
  std::string make_backup(const std::string& name = "nightly") {
    auto a = call(http::Method::post, "/api/v1/backups", "{\"name\":\"" + name + "\"}");
    EXPECT_EQ(a.status, 202) << json::serialize(a.body);
    const auto job = wait(std::string(a.body.at("job_id").as_string()));
    EXPECT_EQ(job.status, jobs::JobStatus::completed);
    return std::string(a.body.at("backup_id").as_string());
  }

  store::User user;
  http::Services services;

 private:
  const http::Route* prepare(http::Method method, const std::string& target, std::optional<http::Caller> caller,
                             http::Request& req) {
    const auto q = target.find('?');
    req.method = method;
    req.target = target;
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = http::parse_query(target.substr(q + 1));
    auto match = m_router.match(method, req.path);
    if (!match.route) return nullptr;
    req.params = match.params;
    req.caller = caller.value_or(admin());
    req.request_id = "test";
    return match.route;
  }

  static Answer answer(http::Response r) {
    Answer a;
    a.status = r.status;
    if (r.error) {
      json::array fields;
      for (const auto& f : r.error->validation_errors)
        fields.push_back(
            json::object{{"field", f.field}, {"message", f.message}, {"code", f.code}, {"value", f.value}});
      a.body = json::object{
          {"error",
           json::object{{"code", r.error->code}, {"message", r.error->message}, {"details", r.error->details}}},
          {"validation_errors", std::move(fields)}};
    } else if (!r.file) {
      a.body = json::parse(r.body);
    }
    a.response = std::move(r);
    return a;
  }

  RestoreFixture m_fixture;
  std::filesystem::path m_dir;
  std::string m_name;
  std::unique_ptr<jobs::JobService> m_jobs;
  http::Router m_router;
};

}  // namespace claudelens::testing
