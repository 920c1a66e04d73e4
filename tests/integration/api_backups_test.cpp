// The /backups endpoints over loopback against the real server, on the real transcripts (ingested by
// the CLI into the server's database while it runs): create → job → list → detail → download resumed
// with Range whose bytes hash to X-Checksum → delete; validation and error envelopes; ownership.
#include <gtest/gtest.h>

#include <thread>

#include "crypto/sha256.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";

class ApiBackups : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    const auto r = run_program(CLAUDELENS_BIN, {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(),
                                                (k_transcripts / "chiphuyen__sniffly").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  /// Polls a job until it ends (60 s at most); its last JSON.
  json::object wait_job(const std::string& kind, const std::string& job_id, const std::string& key = k_admin_key) {
    return testing::wait_job(port(), kind, job_id, key);
  }

  /// A completed backup; its id.
  std::string make_backup(const std::string& name, const std::string& key = k_admin_key) {
    const auto r = post("/api/v1/backups", json::object{{"name", name}}, key);
    EXPECT_EQ(r.status, 202) << r.body;
    const auto job = wait_job("backups", std::string(r.json().at("job_id").as_string()), key);
    EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
    return std::string(r.json().at("backup_id").as_string());
  }
};

TEST_F(ApiBackups, a_download_resumed_with_range_hashes_to_x_checksum) {
  const std::string id = make_backup("nightly");
  const auto detail = get("/api/v1/backups/" + id);
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto checksum = std::string(detail.json().at("checksum").as_string());

  const auto whole = get("/api/v1/backups/" + id + "/download");
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("x-checksum"), checksum);
  EXPECT_EQ(whole.header("content-length"), std::to_string(whole.body.size()));
  EXPECT_NE(whole.header("content-disposition").find("attachment; filename=\"backup-"), std::string::npos);
  EXPECT_EQ(crypto::sha256_hex(whole.body), checksum);

  // A broken download: the first third arrived; the rest is asked for with Range.
  const std::size_t cut = whole.body.size() / 3;
  const auto first = call("GET", "/api/v1/backups/" + id + "/download", k_admin_key, "",
                          {{"Range", "bytes=0-" + std::to_string(cut - 1)}});
  ASSERT_EQ(first.status, 206);
  EXPECT_EQ(first.body.size(), cut);
  const auto rest = call("GET", "/api/v1/backups/" + id + "/download", k_admin_key, "",
                         {{"Range", "bytes=" + std::to_string(cut) + "-"}});
  ASSERT_EQ(rest.status, 206);
  EXPECT_EQ(rest.header("content-range"), "bytes " + std::to_string(cut) + "-" + std::to_string(whole.body.size() - 1) +
                                              "/" + std::to_string(whole.body.size()));
  EXPECT_EQ(crypto::sha256_hex(first.body + rest.body), rest.header("x-checksum"));
  EXPECT_EQ(crypto::sha256_hex(first.body + rest.body), checksum);
  const auto past = call("GET", "/api/v1/backups/" + id + "/download", k_admin_key, "",
                         {{"Range", "bytes=" + std::to_string(whole.body.size()) + "-"}});
  EXPECT_EQ(past.status, 416);
}

TEST_F(ApiBackups, create_list_detail_statistics_delete) {
  const std::string a = make_backup("first one");
  const std::string b = make_backup("second one");
  const auto list = get("/api/v1/backups?sort=name,asc&size=1&page=2");
  ASSERT_EQ(list.status, 200) << list.body;
  const auto v = list.json();
  ASSERT_EQ(v.at("items").as_array().size(), 1u);
  EXPECT_EQ(v.at("items").at(0).at("_id").as_string(), b);
  EXPECT_EQ(v.at("pagination").at("total_items").as_int64(), 2);
  EXPECT_EQ(v.at("pagination").at("total_pages").as_int64(), 2);
  EXPECT_TRUE(v.at("pagination").at("has_previous").as_bool());
  EXPECT_EQ(v.at("summary").at("total_backups").as_int64(), 2);

  const auto detail = get("/api/v1/backups/" + a).json();
  EXPECT_GT(detail.at("contents").at("messages_count").as_int64(), 50);
  EXPECT_EQ(detail.at("status").as_string(), "completed");
  for (const char* f : {"storage_location", "encryption", "compression", "restore_history", "validation_status"})
    EXPECT_TRUE(detail.as_object().contains(f)) << f;

  const auto stats = get("/api/v1/backups/statistics?period=week");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(stats.json().at("summary").at("total_backups").as_int64(), 2);
  EXPECT_EQ(stats.json().at("timeline").at("data").as_array().size(), 12u);

  const auto del = call("DELETE", "/api/v1/backups/" + a);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("files_deleted").as_int64(), 1);
  EXPECT_GT(del.json().at("freed_bytes").as_int64(), 0);
  expect_error(get("/api/v1/backups/" + a), 404, "BACKUP_NOT_FOUND");
  expect_error(get("/api/v1/backups/" + a + "/download"), 404, "BACKUP_NOT_FOUND");
  EXPECT_EQ(get("/api/v1/backups").json().at("summary").at("total_backups").as_int64(), 1);
}

TEST_F(ApiBackups, bad_requests_get_the_envelope_and_change_nothing) {
  auto r = post("/api/v1/backups", json::object{{"name", "x"}, {"options", json::object{{"encrypt", true}}}});
  expect_error(r, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(r), (std::vector<std::string>{"name", "options.encrypt"}));
  expect_error(post("/api/v1/backups", json::object{{"name", "abc"}, {"type", "hourly"}}), 400, "INVALID_BACKUP_TYPE");
  expect_error(
      post("/api/v1/backups",
           json::object{{"name", "abc"},
                        {"filters", json::object{{"date_range", json::object{{"start", "2031-01-01T00:00:00Z"},
                                                                             {"end", "2030-01-01T00:00:00Z"}}}}}}),
      400, "INVALID_DATE_RANGE");
  expect_error(call("POST", "/api/v1/backups", k_admin_key, "{\"name\":"), 400, "INVALID_REQUEST");
  r = get("/api/v1/backups?size=500&sort=owner");
  expect_error(r, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(r), (std::vector<std::string>{"size", "sort"}));
  expect_error(get("/api/v1/backups/jobs/000000000000000000000000"), 404, "JOB_NOT_FOUND");
  expect_error(call("DELETE", "/api/v1/backups/nope?force=perhaps"), 400, "VALIDATION_FAILED");
  EXPECT_EQ(get("/api/v1/backups").json().at("pagination").at("total_items").as_int64(), 0);
  expect_alive();
}

TEST_F(ApiBackups, another_users_key_sees_404_and_its_own_backups_only) {
  const std::string id = make_backup("admin one");
  const std::string bob = make_user("bob");
  ASSERT_FALSE(bob.empty());
  expect_error(get("/api/v1/backups/" + id, bob), 404, "BACKUP_NOT_FOUND");
  expect_error(get("/api/v1/backups/" + id + "/download", bob), 404, "BACKUP_NOT_FOUND");
  expect_error(call("DELETE", "/api/v1/backups/" + id, bob), 404, "BACKUP_NOT_FOUND");
  expect_error(get("/api/v1/restore/preview/" + id, bob), 404, "BACKUP_NOT_FOUND");
  expect_error(post("/api/v1/restore", json::object{{"backup_id", id}}, bob), 404, "BACKUP_NOT_FOUND");
  const std::string own = make_backup("bob one", bob);
  const auto list = get("/api/v1/backups", bob).json();
  ASSERT_EQ(list.at("items").as_array().size(), 1u);
  EXPECT_EQ(list.at("items").at(0).at("_id").as_string(), own);
  EXPECT_EQ(list.at("items").at(0).at("contents").at("messages_count").as_int64(), 0);       // bob owns no data
  EXPECT_EQ(get("/api/v1/backups").json().at("summary").at("total_backups").as_int64(), 2);  // the admin sees all
}

TEST_F(ApiBackups, cancelling_a_finished_job_is_a_conflict) {
  const auto r = post("/api/v1/backups", json::object{{"name", "quick"}});
  ASSERT_EQ(r.status, 202);
  const std::string job = std::string(r.json().at("job_id").as_string());
  EXPECT_EQ(wait_job("backups", job).at("status").as_string(), "completed");
  const auto c = call("POST", "/api/v1/backups/jobs/" + job + "/cancel");
  EXPECT_EQ(c.status, 409) << c.body;
}

}  // namespace
}  // namespace claudelens::testing
