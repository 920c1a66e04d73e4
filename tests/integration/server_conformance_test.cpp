// The server against its OpenAPI document and HTTP's method rules. The test support checks every answer
// the integration tests receive against openapi.json (openapi_check.hpp); here: that the checker catches
// what it must (a wrong type, an unknown enum value, an undocumented field or status, a missing required
// field or header, a wrong content type); 405 with Allow for HEAD and other methods on known paths
// (HEAD answers carry no body); path tricks in every id parameter; a running backup cancelled as API.md
// says (status "cancelled", no partial file); timeline.backups_deleted counting deletions by owner.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "integration/openapi_check.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

/// True when one of `problems` contains `needle`.
bool mentions(const std::vector<std::string>& problems, const std::string& needle) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(needle) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

std::vector<std::string> problems_of(const std::string& method, const std::string& target, const HttpReply& r,
                                     const json::value& body) {
  return openapi_problems(method, target, r.status, r.headers, json::serialize(body));
}

using OpenApiConformance = ServerTest;

TEST_F(OpenApiConformance, the_checker_fails_a_wrong_field_in_a_real_answer) {
  const auto keys = get("/api/v1/keys");
  ASSERT_EQ(keys.status, 200);
  const json::value good = keys.json();
  EXPECT_TRUE(problems_of("GET", "/api/v1/keys", keys, good).empty())
      << joined(problems_of("GET", "/api/v1/keys", keys, good));

  auto wrong_type = good;
  wrong_type.at("items").at(0).as_object()["revoked"] = "no";
  EXPECT_TRUE(mentions(problems_of("GET", "/api/v1/keys", keys, wrong_type), "$.items[0].revoked: is string"));
  auto wrong_enum = good;
  wrong_enum.at("items").at(0).as_object()["role"] = "root";
  EXPECT_TRUE(mentions(problems_of("GET", "/api/v1/keys", keys, wrong_enum), "\"root\" is not one of"));
  auto undocumented = good;
  undocumented.at("pagination").as_object()["colour"] = "red";
  EXPECT_TRUE(mentions(problems_of("GET", "/api/v1/keys", keys, undocumented), "'colour'"));
  auto missing = good;
  missing.at("items").at(0).as_object().erase("_id");
  EXPECT_TRUE(mentions(problems_of("GET", "/api/v1/keys", keys, missing), "required field '_id'"));
  auto bad_time = good;
  bad_time.at("items").at(0).as_object()["created_at"] = "yesterday";
  EXPECT_TRUE(mentions(problems_of("GET", "/api/v1/keys", keys, bad_time), "date-time"));

  EXPECT_TRUE(mentions(openapi_problems("GET", "/api/v1/keys", 418, keys.headers, keys.body), "not documented"));
  auto text = keys.headers;
  text["content-type"] = "text/plain";
  EXPECT_TRUE(mentions(openapi_problems("GET", "/api/v1/keys", 200, text, keys.body), "Content-Type 'text/plain'"));
  auto no_id = keys.headers;
  no_id.erase("x-request-id");
  EXPECT_TRUE(mentions(openapi_problems("GET", "/api/v1/keys", 200, no_id, keys.body), "X-Request-Id"));
  EXPECT_TRUE(mentions(openapi_problems("GET", "/api/v1/no-such-route", 200, keys.headers, "{}"), "no operation"));

  // The cancel answer the server used to give while a job was still stopping is not API.md's.
  const json::value cancelling{{"job_id", "j"}, {"status", "cancelling"}, {"cancelled_at", "2026-01-01T00:00:00Z"}};
  EXPECT_TRUE(mentions(
      openapi_problems("POST", "/api/v1/backups/jobs/j/cancel", 200, keys.headers, json::serialize(cancelling)),
      "\"cancelling\" is not one of"));
  // An error answer must be the envelope.
  EXPECT_TRUE(mentions(openapi_problems("GET", "/api/v1/keys", 401, keys.headers, "{\"message\":\"no\"}"),
                       "required field 'error'"));
}

TEST(OpenApiSchemaCheck, keywords_beyond_the_subset_are_reported_not_ignored) {
  const json::value doc = json::parse(R"({"components":{"schemas":{"A":{"type":"integer","minimum":1}}}})");
  EXPECT_TRUE(schema_problems(doc, json::parse(R"({"$ref":"#/components/schemas/A"})"), 3).empty());
  EXPECT_FALSE(schema_problems(doc, json::parse(R"({"$ref":"#/components/schemas/A"})"), 0).empty());
  EXPECT_FALSE(schema_problems(doc, json::parse(R"({"$ref":"#/components/schemas/A"})"), 1.5).empty());
  EXPECT_FALSE(schema_problems(doc, json::parse(R"({"$ref":"#/components/schemas/B"})"), 1).empty());
  EXPECT_TRUE(mentions(schema_problems(doc, json::parse(R"({"if":{"type":"string"}})"), 1), "'if'"));
  const auto one_of = json::parse(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})");
  EXPECT_TRUE(schema_problems(doc, one_of, 1).empty());
  EXPECT_FALSE(schema_problems(doc, one_of, true).empty());
  // allOf branches count together for the closed-object rule.
  const auto all_of =
      json::parse(R"({"allOf":[{"type":"object","properties":{"a":{}}},{"type":"object","properties":{"b":{}}}]})");
  EXPECT_TRUE(schema_problems(doc, all_of, json::parse(R"({"a":1,"b":2})")).empty());
  EXPECT_TRUE(mentions(schema_problems(doc, all_of, json::parse(R"({"a":1,"c":2})")), "'c'"));
  const auto open = json::parse(R"({"type":"object","properties":{"a":{}},"additionalProperties":true})");
  EXPECT_TRUE(schema_problems(doc, open, json::parse(R"({"a":1,"c":2})")).empty());
  const auto nullable = json::parse(R"({"type":"string","nullable":true})");
  EXPECT_TRUE(schema_problems(doc, nullable, nullptr).empty());
}

TEST_F(OpenApiConformance, head_and_other_methods_on_known_paths_are_405_with_allow) {
  HttpConnection c(port());
  const auto head = c.request("HEAD", "/api/v1/backups", {}, {{"X-API-Key", k_admin_key}});
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.header("allow"), "GET, POST");
  EXPECT_TRUE(head.body.empty());
  // No body was sent: the connection goes on with the next request.
  EXPECT_EQ(c.request("GET", "/api/v1/health").status, 200);
  // On the wire: the header block and nothing after it.
  const std::string raw = raw_exchange(port(), "HEAD /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(raw.starts_with("HTTP/1.1 405")) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << raw;
  EXPECT_NE(raw.find("Allow: GET\r\n"), std::string::npos) << raw;

  const auto patch = call("PATCH", "/api/v1/backups/some-id");
  expect_error(patch, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(patch.header("allow"), "GET, DELETE");
  EXPECT_EQ(patch.json().at("error").at("details").at("allowed_methods"), json::value(json::array{"GET", "DELETE"}));
  const auto no_key = call("PUT", "/api/v1/backups", "");  // the method is checked before the key
  expect_error(no_key, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(no_key.header("allow"), "GET, POST");
  expect_error(call("OPTIONS", "/api/v1/health", ""), 405, "METHOD_NOT_ALLOWED");
  expect_error(call("DELETE", "/api/v1/settings/backup"), 405, "METHOD_NOT_ALLOWED");
  const auto page = call("POST", "/backups", "", "{}");  // the web page's paths are GET only
  expect_error(page, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(page.header("allow"), "GET");
  expect_error(get("/api/v1/nothing-here"), 404, "NOT_FOUND");
  expect_alive();
}

TEST_F(OpenApiConformance, path_tricks_are_refused_in_every_id_parameter) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/backups/{}"},
      {"DELETE", "/api/v1/backups/{}"},
      {"GET", "/api/v1/backups/{}/download"},
      {"GET", "/api/v1/backups/jobs/{}"},
      {"POST", "/api/v1/backups/jobs/{}/cancel"},
      {"GET", "/api/v1/restore/preview/{}"},
      {"GET", "/api/v1/restore/jobs/{}"},
      {"POST", "/api/v1/restore/jobs/{}/cancel"},
      {"GET", "/api/v1/sessions/{}/messages"},
      {"GET", "/api/v1/projects/{}/sessions"},
      {"PUT", "/api/v1/prompts/{}"},
      {"DELETE", "/api/v1/ai-settings/{}"},
      {"DELETE", "/api/v1/keys/{}"},
      {"GET", "/ws/backups/{}"},
  };
  for (const auto& [method, pattern] : routes) {
    for (const std::string trick :
         {"..", "%2e%2e", "%2E%2e", "..%2F..%2Fetc", "a%00b", "%00", "a%2Fb", "%5c..", "%0a"}) {
      const std::string target = pattern.substr(0, pattern.find("{}")) + trick + pattern.substr(pattern.find("{}") + 2);
      const auto r = call(method, target, k_admin_key, method == "PUT" ? "{}" : "");
      SCOPED_TRACE(method + " " + target);
      expect_error(r, 400, "INVALID_REQUEST");
    }
  }
  EXPECT_EQ(get("/api/v1/keys").json().at("pagination").at("total_items").as_int64(), 1) << "the admin key stands";
  expect_alive();
}

class DeletionStatistics : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ingest_transcripts("chiphuyen__sniffly");
  }
  /// The sum of timeline.backups_deleted and of backups_created as `key` sees them.
  std::pair<std::int64_t, std::int64_t> timeline(const std::string& key = k_admin_key) {
    const auto r = get("/api/v1/backups/statistics?period=day", key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::int64_t deleted = 0, created = 0;
    const json::value v = r.json();  // the loop below must not run over a temporary's insides
    for (const auto& b : v.at("timeline").at("data").as_array()) {
      deleted += b.at("backups_deleted").as_int64();
      created += b.at("backups_created").as_int64();
    }
    return {deleted, created};
  }
};

TEST_F(DeletionStatistics, timeline_counts_deleted_backups_by_owner_whoever_deleted_them) {
  const std::string bob = make_user("bob");
  const std::string a = make_backup("admin one");
  const std::string b = make_backup("admin two");
  const std::string c = make_backup("bobs own", bob);
  EXPECT_EQ(timeline(), (std::pair<std::int64_t, std::int64_t>{0, 3}));

  ASSERT_EQ(call("DELETE", "/api/v1/backups/" + a).status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/backups/" + c, bob).status, 200);
  // A deletion by the CLI on the same store is recorded too (the catalogue records it, not the handler).
  const auto cli = run_cli({"--db", "sqlite:" + (dir().path() / "db.sqlite").string(), "--backup-dir",
                            (dir().path() / "backups").string(), "backup", "delete", b});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;

  EXPECT_EQ(timeline().first, 3) << "the admin sees every deletion";
  EXPECT_EQ(timeline(bob).first, 1) << "a user sees the deletions of its own backups";
  EXPECT_EQ(timeline().second, 0) << "the deleted backups' records are gone";
  // A refused deletion records nothing.
  expect_error(call("DELETE", "/api/v1/backups/" + a), 404, "BACKUP_NOT_FOUND");
  EXPECT_EQ(timeline().first, 3);
}

class RunningCancel : public ServerTest {
 protected:
  void SetUp() override {
    const auto made = run_cli({"--db", "sqlite:" + (dir().path() / "db.sqlite").string(), "demo-data", "--messages",
                               "100000", "--seed", "7"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    start();
  }
};

TEST_F(RunningCancel, a_running_backup_is_cancelled_with_api_mds_answer_and_leaves_no_file) {
  const auto r = post("/api/v1/backups", json::object{{"name", "cancelled midway"}, {"type", "full"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto job = std::string(r.json().at("job_id").as_string());
  bool writing = false;
  for (int i = 0; i < 2000 && !writing; ++i) {
    const auto j = get("/api/v1/backups/jobs/" + job).json();
    ASSERT_NE(j.at("status"), "completed") << "the backup finished before it could be cancelled";
    writing = j.at("status") == "running" && j.at("progress").at("bytes_written").to_number<double>() > 0;
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(writing);
  const auto c = call("POST", "/api/v1/backups/jobs/" + job + "/cancel");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json().at("status").as_string(), "cancelled");
  EXPECT_EQ(c.json().at("job_id").as_string(), job);
  EXPECT_EQ(get("/api/v1/backups/jobs/" + job).json().at("status").as_string(), "cancelled");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir().path() / "backups"))
    if (e.is_regular_file() && !e.path().filename().string().ends_with(".lock")) ++files;
  EXPECT_EQ(files, 0u) << "the partial file is removed";
  // A second cancel: the job has ended.
  expect_error(call("POST", "/api/v1/backups/jobs/" + job + "/cancel"), 409, "CONFLICT");
}

}  // namespace
}  // namespace claudelens::testing
