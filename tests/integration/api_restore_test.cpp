// The /restore endpoints over loopback: an upload of a real archive (made by another server from the
// real transcripts) into an empty server, restored with auto_restore, giving the same counts; truncated
// and foreign uploads (400 INVALID_BACKUP_FILE, no file left); a client that disconnects mid-upload
// (its temporary file removed); preview, restore validation, restore jobs and history.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "crypto/sha256.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";
const std::string k_boundary = "----claudelens-test-7d1f";

std::string form(const std::string& file, const std::string& fields = "") {
  return fields + "--" + k_boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"nightly.claudelens\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file + "\r\n--" + k_boundary + "--\r\n";
}

std::string field(const std::string& name, const std::string& value) {
  return "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

/// Upload files and archives in a backup folder (lock files do not count).
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(".claudelens") || name.find(".upload-") != std::string::npos) out.push_back(name);
  }
  return out;
}

json::value stats_of(const fs::path& db) {
  const auto r = run_program(CLAUDELENS_BIN, {"stats", "--json", "--db", "sqlite:" + db.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

/// The fixture's server holds the real transcripts; `empty` is a second server with nothing in it.
class ApiRestore : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    const auto r = run_program(
        CLAUDELENS_BIN, {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(),
                         (k_transcripts / "chiphuyen__sniffly").string(), (k_transcripts / "marot__spotter").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::filesystem::create_directories(empty_dir());
    ServerProcess::Options o;
    o.dir = empty_dir();
    o.api_key = k_admin_key;
    m_empty = std::make_unique<ServerProcess>(o);
    ASSERT_NE(m_empty->port(), 0) << m_empty->startup_error();
  }

  HttpReply upload(std::uint16_t port, const std::string& body, const std::string& key = k_admin_key) {
    return http_request(port, "POST", "/api/v1/restore/upload", body,
                        {{"X-API-Key", key}, {"Content-Type", "multipart/form-data; boundary=" + k_boundary}});
  }

  /// A full backup of the fixture's server, downloaded: its bytes.
  std::string archive() {
    const auto r = post("/api/v1/backups", json::object{{"name", "from elsewhere"}});
    EXPECT_EQ(r.status, 202) << r.body;
    const auto job = wait_job(port(), "backups", std::string(r.json().at("job_id").as_string()));
    EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
    const auto d = get("/api/v1/backups/" + std::string(r.json().at("backup_id").as_string()) + "/download");
    EXPECT_EQ(d.status, 200);
    return d.body;
  }

  /// The second server's folder (a TempDir of its own would be the same folder: one per test).
  fs::path empty_dir() const { return dir().path() / "empty-server"; }
  fs::path empty_backups() const { return empty_dir() / "backups"; }

  std::unique_ptr<ServerProcess> m_empty;
};

TEST_F(ApiRestore, upload_a_real_archive_then_restore_into_an_empty_server) {
  const std::string bytes = archive();
  const auto up = upload(m_empty->port(), form(bytes, field("auto_restore", "true")));
  ASSERT_EQ(up.status, 202) << up.body;
  const auto v = up.json();
  EXPECT_EQ(v.at("status").as_string(), "restoring");
  EXPECT_EQ(v.at("file_info").at("checksum").as_string(), crypto::sha256_hex(bytes));
  EXPECT_EQ(v.at("file_info").at("size_bytes").as_int64(), static_cast<std::int64_t>(bytes.size()));
  EXPECT_TRUE(v.at("validation").at("format_valid").as_bool());
  const auto job = wait_job(m_empty->port(), "restore", std::string(v.at("restore_job_id").as_string()));
  ASSERT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);

  const auto source = stats_of(dir().path() / "db.sqlite");
  const auto restored = stats_of(empty_dir() / "db.sqlite");
  for (const char* k : {"projects", "sessions", "messages", "records"}) EXPECT_EQ(restored.at(k), source.at(k)) << k;
  EXPECT_GT(restored.at("messages").as_int64(), 100);

  const auto history = http_request(m_empty->port(), "GET", "/api/v1/restore/jobs", "", {{"X-API-Key", k_admin_key}});
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json().at("pagination").at("total_items").as_int64(), 1);
  // The registered upload downloads to the same bytes.
  const auto d = http_request(m_empty->port(), "GET",
                              "/api/v1/backups/" + std::string(v.at("backup_id").as_string()) + "/download", "",
                              {{"X-API-Key", k_admin_key}});
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(crypto::sha256_hex(d.body), crypto::sha256_hex(bytes));
}

TEST_F(ApiRestore, truncated_and_foreign_uploads_are_refused_and_leave_no_file) {
  const std::string bytes = archive();
  for (const std::string& bad : {bytes.substr(0, bytes.size() - 100), std::string(20000, 'z')}) {
    const auto r = upload(m_empty->port(), form(bad));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("INVALID_BACKUP_FILE"), std::string::npos) << r.body;
    EXPECT_TRUE(files_in(empty_backups()).empty());
  }
  const auto no_end = upload(m_empty->port(), form(bytes).substr(0, 4000));
  EXPECT_EQ(no_end.status, 400) << no_end.body;
  EXPECT_TRUE(files_in(empty_backups()).empty());
  const auto list = http_request(m_empty->port(), "GET", "/api/v1/backups", "", {{"X-API-Key", k_admin_key}});
  EXPECT_EQ(list.json().at("pagination").at("total_items").as_int64(), 0);
}

TEST_F(ApiRestore, a_client_that_disconnects_mid_upload_leaves_no_file) {
  const std::string body = form(archive() + std::string(4 << 20, 'p'));
  const std::string head =
      "POST /api/v1/restore/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + std::string(k_admin_key) +
      "\r\nContent-Type: multipart/form-data; boundary=" + k_boundary +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(m_empty->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string part = head + body.substr(0, body.size() / 2);
  ASSERT_EQ(::send(fd, part.data(), part.size(), MSG_NOSIGNAL), static_cast<ssize_t>(part.size()));
  // The upload is being written...
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    for (const auto& f : files_in(empty_backups())) seen |= f.find(".upload-") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(seen) << "no temporary upload file appeared";
  ::close(fd);  // ...and the client goes away.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = files_in(empty_backups()).empty();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "left: " << (files_in(empty_backups()).empty() ? "" : files_in(empty_backups()).front());
  EXPECT_EQ(http_request(m_empty->port(), "GET", "/api/v1/health").status, 200);
}

TEST_F(ApiRestore, preview_validation_and_restore_jobs) {
  const auto created = post("/api/v1/backups", json::object{{"name", "to preview"}});
  ASSERT_EQ(created.status, 202);
  const std::string id(created.json().at("backup_id").as_string());
  wait_job(port(), "backups", std::string(created.json().at("job_id").as_string()));
  const auto preview = get("/api/v1/restore/preview/" + id + "?detailed=true");
  ASSERT_EQ(preview.status, 200) << preview.body;
  const auto p = preview.json();
  EXPECT_EQ(p.at("contents").at("projects").as_array().size(), 2u);
  EXPECT_TRUE(p.at("contents").at("projects").at(0).as_object().contains("sessions"));
  EXPECT_TRUE(p.at("restore_analysis").at("has_conflicts").as_bool());
  expect_error(get("/api/v1/restore/preview/" + id + "?detailed=maybe"), 400, "VALIDATION_FAILED");

  auto bad = post("/api/v1/restore", json::object{{"backup_id", id}, {"mode", "selective"}});
  expect_error(bad, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(bad), std::vector<std::string>{"selections"});
  expect_error(post("/api/v1/restore", json::object{{"backup_id", "000000000000000000000000"}}), 404,
               "BACKUP_NOT_FOUND");

  const auto dry =
      post("/api/v1/restore", json::object{{"backup_id", id}, {"options", json::object{{"dry_run", true}}}});
  ASSERT_EQ(dry.status, 202) << dry.body;
  const auto d = dry.json();
  EXPECT_GT(d.at("validation_results").at("conflicts_count").as_int64(), 0);
  const auto job = wait_job(port(), "restore", std::string(d.at("job_id").as_string()));
  EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
  EXPECT_EQ(job.at("results").at("messages_restored").as_int64(), 0);  // all there already: skipped
  expect_error(get("/api/v1/restore/jobs/nope"), 404, "JOB_NOT_FOUND");
  EXPECT_EQ(get("/api/v1/restore/jobs?size=5").json().at("pagination").at("total_items").as_int64(), 1);
}

TEST_F(ApiRestore, uploads_over_the_limit_or_the_free_space_are_refused_and_leave_no_file) {
  const std::string bytes = archive();
  const fs::path limited = dir().path() / "limited-server";
  std::filesystem::create_directories(limited);
  ServerProcess::Options o;
  o.dir = limited;
  o.api_key = k_admin_key;
  o.extra_args = {"--max-upload-mb", "1"};
  ServerProcess small(o);
  ASSERT_NE(small.port(), 0) << small.startup_error();
  const auto big = upload(small.port(), form(bytes + std::string(2 << 20, 'x')));
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_TRUE(files_in(limited / "backups").empty());

  const fs::path full = dir().path() / "full-server";
  std::filesystem::create_directories(full);
  o.dir = full;
  o.extra_args = {};
  o.env = {{"CLAUDELENS_MIN_FREE_BYTES", "1152921504606846976"}};  // 2^60 bytes must stay free: no disk has them
  ServerProcess no_space(o);
  ASSERT_NE(no_space.port(), 0) << no_space.startup_error();
  const auto refused = upload(no_space.port(), form(bytes));
  EXPECT_EQ(refused.status, 507) << refused.body;
  EXPECT_NE(refused.body.find("INSUFFICIENT_STORAGE"), std::string::npos);
  const auto backup =
      http_request(no_space.port(), "POST", "/api/v1/backups", R"({"name":"no room"})", {{"X-API-Key", k_admin_key}});
  EXPECT_EQ(backup.status, 507) << backup.body;
  EXPECT_TRUE(files_in(full / "backups").empty());
}

}  // namespace
}  // namespace claudelens::testing
