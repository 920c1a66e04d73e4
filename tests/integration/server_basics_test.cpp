// The server as a whole over loopback: health, keys and auth (401/403/404 across two users), request ids,
// keep-alive, the error envelope, and bad input (malformed JSON, wrong types, huge bodies, a 1 MB header
// line, path tricks, many idle connections, a slow client), after each of which the server still answers.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "integration/server_fixture.hpp"
#include "support/thread_nice.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;

using ServerBasics = ServerTest;

/// How many threads of the server run `delta` nicer than its main thread, once its 2 job workers started.
long threads_nicer_by(pid_t pid, int delta) {
  const int base = thread_nice_values(pid).front();  // the first task is the main thread
  long n = 0;
  for (int i = 0; i < 50; ++i) {
    const auto v = thread_nice_values(pid);
    n = std::count(v.begin(), v.end(), base + delta);
    if (n >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return n;
}

TEST_F(ServerBasics, health_and_openapi_need_no_key) {
  const auto h = http_request(port(), "GET", "/api/v1/health");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.json().at("status").as_string(), "ok");
  EXPECT_FALSE(h.header("x-request-id").empty());
  const auto o = http_request(port(), "GET", "/api/v1/openapi.json");
  ASSERT_EQ(o.status, 200);
  EXPECT_EQ(o.json().at("openapi").as_string(), "3.1.0");
}

TEST_F(ServerBasics, every_other_call_needs_a_valid_key) {
  expect_error(call("GET", "/api/v1/projects", ""), 401, "UNAUTHORIZED");
  expect_error(call("GET", "/api/v1/projects", "cl_not_a_key"), 401, "UNAUTHORIZED");
  expect_error(call("GET", "/api/v1/projects", "bad key with spaces"), 401, "UNAUTHORIZED");
  EXPECT_EQ(get("/api/v1/projects").status, 200);
}

TEST_F(ServerBasics, unknown_paths_and_methods_get_the_envelope) {
  expect_error(get("/api/v1/nothing-here"), 404, "NOT_FOUND");
  expect_error(call("PATCH", "/api/v1/projects"), 405, "METHOD_NOT_ALLOWED");
}

TEST_F(ServerBasics, request_ids_come_from_the_client_when_sane) {
  const auto mine = call("GET", "/api/v1/nothing", k_admin_key, {}, {{"X-Request-Id", "my-request-42"}});
  EXPECT_EQ(mine.header("x-request-id"), "my-request-42");
  EXPECT_EQ(mine.json().at("error").at("request_id").as_string(), "my-request-42");
  EXPECT_EQ(mine.json().at("error").at("path").as_string(), "/api/v1/nothing");
  const auto odd = call("GET", "/api/v1/health", "", {}, {{"X-Request-Id", "has spaces and \"quotes\""}});
  EXPECT_NE(odd.header("x-request-id"), "has spaces and \"quotes\"");
  EXPECT_EQ(odd.header("x-request-id").size(), 24u);
}

TEST_F(ServerBasics, keys_are_created_listed_and_revoked) {
  const auto made = post("/api/v1/keys", json::object{{"name", "alice"}, {"role", "user"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto key = std::string(made.json().at("key").as_string());
  const auto id = std::string(made.json().at("_id").as_string());
  EXPECT_EQ(made.json().at("role").as_string(), "user");
  EXPECT_EQ(get("/api/v1/projects", key).status, 200);

  const auto list = get("/api/v1/keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos) << "a listing must never show a key";
  EXPECT_GE(list.json().at("pagination").at("total_items").as_int64(), 2);
  // A user sees only its own keys.
  const auto own = get("/api/v1/keys", key);
  ASSERT_EQ(own.status, 200);
  ASSERT_EQ(own.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(own.json().at("items").at(0).at("_id").as_string(), id);

  const auto revoked = call("DELETE", "/api/v1/keys/" + id);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  expect_error(get("/api/v1/projects", key), 401, "UNAUTHORIZED");
  expect_error(call("DELETE", "/api/v1/keys/000000000000000000000000"), 404, "NOT_FOUND");
}

TEST_F(ServerBasics, user_keys_are_refused_admin_calls_and_others_ids) {
  const auto alice = make_user("alice");
  const auto bob = make_user("bob");
  expect_error(post("/api/v1/keys", json::object{{"name", "eve"}}, alice), 403, "FORBIDDEN");
  expect_error(put("/api/v1/settings/backup", json::object{}, alice), 403, "FORBIDDEN");
  // Bob cannot see or revoke Alice's key: 404, as for an id that does not exist.
  const auto alice_keys = get("/api/v1/keys", alice).json();
  const auto alice_key_id = std::string(alice_keys.at("items").at(0).at("_id").as_string());
  expect_error(call("DELETE", "/api/v1/keys/" + alice_key_id, bob), 404, "NOT_FOUND");
  EXPECT_EQ(get("/api/v1/projects", alice).status, 200) << "Alice's key still works";
}

TEST_F(ServerBasics, validation_lists_each_bad_field) {
  const auto r = post("/api/v1/keys", json::object{{"name", 42}, {"role", "root"}, {"colour", "red"}});
  expect_error(r, 400, "VALIDATION_FAILED");
  auto fields = bad_fields(r);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"colour", "name", "role"})) << r.body;
  const auto missing = post("/api/v1/keys", json::object{});
  expect_error(missing, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(missing), std::vector<std::string>{"name"});
}

TEST_F(ServerBasics, malformed_bodies_are_invalid_requests) {
  expect_error(call("POST", "/api/v1/keys", k_admin_key, "{\"name\": "), 400, "INVALID_REQUEST");
  expect_error(call("POST", "/api/v1/keys", k_admin_key, "[1,2,3]"), 400, "INVALID_REQUEST");
  expect_error(call("POST", "/api/v1/keys", k_admin_key, "\xff\xfe"), 400, "INVALID_REQUEST");
  expect_error(call("POST", "/api/v1/keys", k_admin_key, ""), 400, "INVALID_REQUEST");
  // Nothing was created by any of them.
  EXPECT_EQ(get("/api/v1/keys").json().at("pagination").at("total_items").as_int64(), 1);
  expect_alive();
}

TEST_F(ServerBasics, keep_alive_serves_several_requests_on_one_connection) {
  HttpConnection c(port());
  for (int i = 0; i < 5; ++i) {
    const auto r = c.request("GET", "/api/v1/health");
    ASSERT_EQ(r.status, 200) << r.error;
  }
  // An error answer whose body was read keeps the connection too.
  const auto bad = c.request("POST", "/api/v1/keys", "{", {{"X-API-Key", k_admin_key}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.request("GET", "/api/v1/health").status, 200);
}

TEST_F(ServerBasics, a_huge_body_on_a_small_endpoint_is_refused_without_being_read) {
  // Announce 1 GB, send 1 MB of it: the answer comes at once and the server does not wait for the rest.
  std::string request = "POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) +
                        "\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
  request.append(1 << 20, ' ');
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = raw_exchange(port(), request, std::chrono::seconds(20));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_NE(answer.find("FILE_TOO_LARGE"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(10));
  expect_alive();
}

TEST_F(ServerBasics, a_chunked_body_over_the_limit_is_refused) {
  std::string request = "POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string piece(64 * 1024, 'a');
  for (int i = 0; i < 40; ++i) request += "10000\r\n" + piece + "\r\n";  // 2.5 MiB > the 1 MiB limit
  request += "0\r\n\r\n";
  const std::string answer = raw_exchange(port(), request);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 200);
  expect_alive();
}

TEST_F(ServerBasics, a_one_megabyte_header_line_gets_a_clean_error) {
  const std::string request =
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'b') + "\r\n\r\n";
  const std::string answer = raw_exchange(port(), request);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer.substr(0, 200);
  EXPECT_NE(answer.find("INVALID_REQUEST"), std::string::npos);
  EXPECT_NE(answer.find("header"), std::string::npos);
  expect_alive();
}

TEST_F(ServerBasics, garbage_instead_of_http_gets_a_clean_error) {
  const std::string answer = raw_exchange(port(), "\x16\x03\x01 this is not HTTP\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer.substr(0, 200);
  expect_alive();
}

TEST_F(ServerBasics, path_tricks_in_ids_are_refused) {
  for (const std::string id :
       {"..", "%2e%2e", "%2E%2e", "..%2F..%2Fetc%2Fpasswd", "a%00b", "%00", "a%2Fb", "%5c..", "%0d%0a"}) {
    const auto r = get("/api/v1/projects/" + id);
    expect_error(r, 400, "INVALID_REQUEST");
  }
  // A raw "../" walks nowhere either: the segments are taken as they are.
  const auto raw = get("/api/v1/projects/../keys");
  EXPECT_EQ(raw.status, 400) << raw.body;
  expect_error(get("/api/v1/projects/%zz"), 400, "INVALID_REQUEST");
  expect_error(get("/api/v1/projects/unknown-id"), 404, "NOT_FOUND");
  expect_alive();
}

TEST_F(ServerBasics, a_thousand_idle_connections_do_no_harm) {
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    const int fd = open_idle_connection(port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(get("/api/v1/projects").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  for (const int fd : fds) ::close(fd);
  expect_alive();
}

TEST_F(ServerBasics, sigterm_lets_the_server_exit_cleanly_with_idle_connections_open) {
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) fds.push_back(open_idle_connection(port()));
  HttpConnection kept(port());
  ASSERT_EQ(kept.request("GET", "/api/v1/health").status, 200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server().stop(SIGTERM), 0) << server().log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "idle connections held it up";
  for (const int fd : fds) ::close(fd);
}

TEST_F(ServerBasics, job_workers_run_ten_nicer_than_request_handling_unless_told_otherwise) {
  // serve --job-nice (default 10): the pool's 2 workers, and what their jobs start, yield the CPU to
  // request handling (docs/jobs.md "Priority"); CLAUDELENS_JOB_NICE=0 keeps them as nice as the rest.
  if (thread_nice_values(server_pid()).front() + 10 > 19) GTEST_SKIP() << "the server already runs nice";
  EXPECT_EQ(threads_nicer_by(server_pid(), 10), 2);
  server().stop(SIGTERM);
  start({{"CLAUDELENS_JOB_NICE", "0"}});
  EXPECT_EQ(threads_nicer_by(server_pid(), 10), 0);
  EXPECT_EQ(get("/api/v1/health").status, 200);
}

TEST_F(ServerBasics, while_a_job_runs_requests_take_turns_at_the_set_rate_and_none_is_refused) {
  // serve --requests-during-jobs (default 1,000 a second, bursts of a tenth of that): here 20 a second,
  // bursts of 2 (docs/http.md "Requests while a job runs").
  server().stop(SIGTERM);
  start({{"CLAUDELENS_REQUESTS_DURING_JOBS", "20"}});
  auto timed = [&](int n) {
    HttpConnection c(port());
    const auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) EXPECT_EQ(c.request("GET", "/api/v1/health").status, 200) << i;
    return std::chrono::steady_clock::now() - t;
  };
  EXPECT_LT(timed(42), std::chrono::milliseconds(1500));  // no job: not paced
  // A backup that waits: the test holds the backup folder's lock, which a backup takes shared.
  const int fd = ::open((dir().path() / "backups" / ".claudelens.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const auto r = post("/api/v1/backups", json::object{{"name", "paced"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string job_id(r.json().at("job_id").as_string());
  std::string status;
  for (int i = 0; i < 100 && status != "running"; ++i) {
    const auto j = get("/api/v1/backups/jobs/" + job_id);
    ASSERT_EQ(j.status, 200) << j.body;
    status = std::string(j.json().at("status").as_string());
    if (status != "running") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(status, "running");
  // 42 requests while it runs: 3 at once, then one every 50 ms: at least 1.95 s, every one answered.
  EXPECT_GE(timed(42), std::chrono::milliseconds(1900));
  ::flock(fd, LOCK_UN);
  ::close(fd);
  EXPECT_EQ(wait_job(port(), "backups", job_id).at("status").as_string(), "completed");
  EXPECT_LT(timed(42), std::chrono::milliseconds(1500));  // the job is over: not paced
}

}  // namespace
}  // namespace claudelens::testing
