// A gtest fixture for server tests: a scratch folder, the real server on a free port with a known admin
// key, and shorthands for calls with a key. Header-only; one per test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "integration/run_cli.hpp"
#include "integration/server_support.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {

inline constexpr const char* k_admin_key = "cl_test_admin_key_0123456789abcdefghijklmnopqrstuvw";

/// Polls GET /api/v1/{kind}/jobs/{job_id} (kind: backups or restore) on `port` until the job is final
/// (at most 60 s); its last state.
inline boost::json::object wait_job(std::uint16_t port, const std::string& kind, const std::string& job_id,
                                    const std::string& key = k_admin_key) {
  boost::json::object last;
  for (int i = 0; i < 600; ++i) {
    const auto r = http_request(port, "GET", "/api/v1/" + kind + "/jobs/" + job_id, "", {{"X-API-Key", key}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    last = r.json().as_object();
    const auto status = std::string(last.at("status").as_string());
    if (status != "pending" && status != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

class ServerTest : public ::testing::Test {
 public:
  /// Starts the server; `env` adds environment variables (e.g. the test clock file).
  void start(HeaderList env = {}, std::vector<std::string> extra_args = {}) {
    ServerProcess::Options o;
    o.dir = m_dir.path();
    o.api_key = k_admin_key;
    o.env = std::move(env);
    o.extra_args = std::move(extra_args);
    m_server = std::make_unique<ServerProcess>(o);
    ASSERT_NE(m_server->port(), 0) << m_server->startup_error();
  }
  void SetUp() override { start(); }

  std::uint16_t port() const { return m_server->port(); }
  pid_t server_pid() const { return m_server->pid(); }
  ServerProcess& server() { return *m_server; }
  const TempDir& dir() const { return m_dir; }

  HttpReply call(const std::string& method, const std::string& target, const std::string& key = k_admin_key,
                 const std::string& body = {}, HeaderList headers = {}) {
    if (!key.empty()) headers.emplace_back("X-API-Key", key);
    return http_request(port(), method, target, body, headers);
  }
  HttpReply get(const std::string& target, const std::string& key = k_admin_key) { return call("GET", target, key); }
  HttpReply post(const std::string& target, const boost::json::value& body, const std::string& key = k_admin_key) {
    return call("POST", target, key, boost::json::serialize(body));
  }
  HttpReply put(const std::string& target, const boost::json::value& body, const std::string& key = k_admin_key) {
    return call("PUT", target, key, boost::json::serialize(body));
  }

  /// Ingests one folder of the real transcripts (`../shared/data/claude-transcripts/<folder>`) into the
  /// server's store with the CLI, owned by the admin.
  void ingest_transcripts(const std::string& folder) {
    const auto db = "sqlite:" + (m_dir.path() / "db.sqlite").string();
    const auto transcripts = std::filesystem::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts" / folder;
    const auto r = run_program(CLAUDELENS_BIN, {"ingest", "--db", db, transcripts.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  /// A full backup through the API, waited for; its id.
  std::string make_backup(const std::string& name, const std::string& key = k_admin_key) {
    const auto r = post("/api/v1/backups", boost::json::object{{"name", name}}, key);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return {};
    const auto job = wait_job(port(), "backups", std::string(r.json().at("job_id").as_string()), key);
    EXPECT_EQ(job.at("status").as_string(), "completed") << boost::json::serialize(job);
    return std::string(r.json().at("backup_id").as_string());
  }

  /// A new user with role `role`; returns its key.
  std::string make_user(const std::string& name, const std::string& role = "user") {
    const auto r = post("/api/v1/keys", boost::json::object{{"name", name}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.body;
    const auto v = r.json();
    return v.is_object() && v.as_object().contains("key") ? std::string(v.at("key").as_string()) : std::string();
  }

  /// Asserts the error envelope of API.md with `code`.
  static void expect_error(const HttpReply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto v = r.json();
    ASSERT_TRUE(v.is_object()) << r.body;
    ASSERT_TRUE(v.as_object().contains("error")) << r.body;
    const auto& e = v.at("error").as_object();
    EXPECT_EQ(e.at("code").as_string(), code) << r.body;
    for (const char* f : {"message", "details", "timestamp", "path", "request_id"})
      EXPECT_TRUE(e.contains(f)) << f << " missing in " << r.body;
    EXPECT_TRUE(v.as_object().contains("validation_errors")) << r.body;
    EXPECT_EQ(std::string(e.at("request_id").as_string()), r.header("x-request-id"));
  }
  /// The `field` names of a VALIDATION_FAILED answer.
  static std::vector<std::string> bad_fields(const HttpReply& r) {
    std::vector<std::string> out;
    const auto v = r.json();
    if (!v.is_object() || !v.as_object().contains("validation_errors")) return out;
    for (const auto& e : v.at("validation_errors").as_array()) out.emplace_back(e.at("field").as_string());
    return out;
  }
  void expect_alive() {
    const auto r = http_request(port(), "GET", "/api/v1/health");
    EXPECT_EQ(r.status, 200) << "the server stopped answering; log:\n" << server().log();
  }

 private:
  TempDir m_dir;
  std::unique_ptr<ServerProcess> m_server;
};

}  // namespace claudelens::testing
