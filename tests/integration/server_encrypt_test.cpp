// Encrypted backups through the HTTP API (SPEC §3, §5.7, issue 10), over loopback with the real
// transcripts: a server started with --key-file makes an encrypted backup (no session id in its bytes;
// GET shows encryption{enabled, algorithm, key_id}), previews and restores it; a second server given the
// same key by CLAUDELENS_KEY_FILE takes its upload and restores the same counts; a server with another
// key refuses the upload with 422 "wrong key"; a server without a key refuses options.encrypt and
// encryption.enabled with VALIDATION_FAILED. settings encryption.enabled encrypts backups by default.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";
const std::string k_boundary = "----claudelens-enc-3a9c";
// A session of chiphuyen__sniffly: its id (the file's name) is in every plaintext archive of it.
const std::string k_session_id = "ba79134d-b6e9-4867-af0c-6941038c9e4b";

std::string form(const std::string& file, const std::string& fields = "") {
  return fields + "--" + k_boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"enc.claudelens\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file + "\r\n--" + k_boundary + "--\r\n";
}

std::string auto_restore() {
  return "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"auto_restore\"\r\n\r\ntrue\r\n";
}

json::value stats_of(const fs::path& db) {
  const auto r = run_program(CLAUDELENS_BIN, {"stats", "--json", "--db", "sqlite:" + db.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

std::size_t archives_in(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    n += it->path().filename().string().ends_with(".claudelens") ? 1 : 0;
  return n;
}

/// The fixture's server holds two real projects and runs with --key-file.
class ServerEncrypt : public ServerTest {
 protected:
  void SetUp() override {
    std::ofstream(key()) << "the server's passphrase for the tests\n";
    std::ofstream(other_key()) << "some other passphrase\n";
    const auto r = run_program(
        CLAUDELENS_BIN, {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(),
                         (k_transcripts / "chiphuyen__sniffly").string(), (k_transcripts / "marot__spotter").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ServerProcess::Options o;
    o.dir = dir().path();
    o.api_key = k_admin_key;
    o.serve_args = {"--key-file", key().string()};
    // The flag wins over the variable (a file that does not exist would stop the server).
    o.env = {{"CLAUDELENS_KEY_FILE", (dir().path() / "missing").string()}};
    m_keyed = std::make_unique<ServerProcess>(o);
    ASSERT_NE(m_keyed->port(), 0) << m_keyed->startup_error();
  }

  // The fixture's own server (started by ServerTest::SetUp, which is not called) is replaced by this one.
  std::uint16_t port() const { return m_keyed->port(); }
  HttpReply get(const std::string& target) { return on(*m_keyed, "GET", target); }
  HttpReply post(const std::string& target, const json::value& body) {
    return on(*m_keyed, "POST", target, json::serialize(body));
  }
  HttpReply put(const std::string& target, const json::value& body) {
    return on(*m_keyed, "PUT", target, json::serialize(body));
  }
  std::unique_ptr<ServerProcess> m_keyed;

  fs::path key() const { return dir().path() / "key"; }
  fs::path other_key() const { return dir().path() / "other-key"; }

  /// A second server in its own folder; `key_env` is its CLAUDELENS_KEY_FILE ("" = none).
  std::unique_ptr<ServerProcess> other_server(const std::string& name, const std::string& key_env) {
    ServerProcess::Options o;
    o.dir = dir().path() / name;
    fs::create_directories(o.dir);
    o.api_key = k_admin_key;
    if (!key_env.empty()) o.env = {{"CLAUDELENS_KEY_FILE", key_env}};
    auto s = std::make_unique<ServerProcess>(o);
    EXPECT_NE(s->port(), 0) << s->startup_error();
    return s;
  }

  static HttpReply on(const ServerProcess& s, const std::string& method, const std::string& target,
                      const std::string& body = {}, HeaderList headers = {}) {
    headers.emplace_back("X-API-Key", k_admin_key);
    return http_request(s.port(), method, target, body, headers);
  }

  static HttpReply upload(const ServerProcess& s, const std::string& body) {
    return on(s, "POST", "/api/v1/restore/upload", body,
              {{"Content-Type", "multipart/form-data; boundary=" + k_boundary}});
  }

  /// POSTs a backup with `options` and waits for it: its id.
  std::string make_backup(const json::object& options) {
    json::object body{{"name", "enc test"}};
    if (!options.empty()) body["options"] = options;
    const auto r = post("/api/v1/backups", body);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return {};
    const auto job = wait_job(port(), "backups", std::string(r.json().at("job_id").as_string()));
    EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
    return std::string(r.json().at("backup_id").as_string());
  }

  json::object encryption_of(const std::string& id) {
    const auto r = get("/api/v1/backups/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("encryption").as_object();
  }
};

TEST_F(ServerEncrypt, encrypted_backup_previews_restores_and_uploads_to_a_server_with_the_same_key) {
  const std::string id = make_backup(json::object{{"encrypt", true}});
  ASSERT_FALSE(id.empty());
  const auto enc = encryption_of(id);
  EXPECT_TRUE(enc.at("enabled").as_bool());
  EXPECT_EQ(enc.at("algorithm").as_string(), "aes-256-gcm");
  EXPECT_EQ(enc.at("key_id").as_string().size(), 16u);
  const auto d = get("/api/v1/backups/" + id + "/download");
  ASSERT_EQ(d.status, 200);
  EXPECT_GT(d.body.size(), 10000u);
  EXPECT_EQ(d.body.find(k_session_id), std::string::npos) << "a session id in the encrypted archive";

  // The same server previews and restores it with its key (a dry run: everything is there already).
  const auto preview = get("/api/v1/restore/preview/" + id);
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(preview.json().at("contents").at("projects").as_array().size(), 2u);
  const auto dry =
      post("/api/v1/restore", json::object{{"backup_id", id}, {"options", json::object{{"dry_run", true}}}});
  ASSERT_EQ(dry.status, 202) << dry.body;
  const auto dry_job = wait_job(port(), "restore", std::string(dry.json().at("job_id").as_string()));
  EXPECT_EQ(dry_job.at("status").as_string(), "completed") << json::serialize(dry_job);

  // A plain backup of the same server (no encrypt, settings off) holds the session id in clear.
  const std::string plain = make_backup({});
  EXPECT_FALSE(encryption_of(plain).at("enabled").as_bool());
  EXPECT_NE(get("/api/v1/backups/" + plain + "/download").body.find(k_session_id), std::string::npos);

  // An empty server with the same key (from CLAUDELENS_KEY_FILE) takes the upload and previews it.
  auto twin = other_server("twin", key().string());
  const auto up = upload(*twin, form(d.body));
  ASSERT_EQ(up.status, 202) << up.body;
  const std::string uploaded(up.json().at("backup_id").as_string());
  const auto registered = on(*twin, "GET", "/api/v1/backups/" + uploaded);
  ASSERT_EQ(registered.status, 200) << registered.body;
  EXPECT_EQ(registered.json().at("encryption").at("key_id"), enc.at("key_id"));
  const auto twin_preview = on(*twin, "GET", "/api/v1/restore/preview/" + uploaded);
  ASSERT_EQ(twin_preview.status, 200) << twin_preview.body;
  EXPECT_EQ(twin_preview.json().at("contents").at("projects").as_array().size(), 2u);
}

// The upload's auto_restore: the pool's restore job opens the archive with the server's key.
TEST_F(ServerEncrypt, an_encrypted_upload_restores_into_an_empty_server_with_the_same_counts) {
  const std::string id = make_backup(json::object{{"encrypt", true}});
  ASSERT_FALSE(id.empty());
  const std::string bytes = get("/api/v1/backups/" + id + "/download").body;
  auto twin = other_server("twin", key().string());
  const auto up = upload(*twin, form(bytes, auto_restore()));
  ASSERT_EQ(up.status, 202) << up.body;
  const auto job = wait_job(twin->port(), "restore", std::string(up.json().at("restore_job_id").as_string()));
  ASSERT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
  const auto source = stats_of(dir().path() / "db.sqlite");
  const auto restored = stats_of(dir().path() / "twin" / "db.sqlite");
  for (const char* k : {"projects", "sessions", "messages", "records"}) EXPECT_EQ(restored.at(k), source.at(k)) << k;
  EXPECT_GT(restored.at("messages").as_int64(), 100);
}

TEST_F(ServerEncrypt, another_key_or_no_key_refuses_with_clear_errors_and_keeps_nothing) {
  const std::string id = make_backup(json::object{{"encrypt", true}});
  ASSERT_FALSE(id.empty());
  const std::string bytes = get("/api/v1/backups/" + id + "/download").body;

  auto wrong = other_server("wrong", other_key().string());
  const auto refused = upload(*wrong, form(bytes, auto_restore()));
  expect_error(refused, 422, "INVALID_BACKUP_FILE");
  EXPECT_NE(refused.json().at("error").at("message").as_string().find("wrong key"), std::string::npos) << refused.body;
  EXPECT_EQ(archives_in(dir().path() / "wrong" / "backups"), 0u);
  EXPECT_EQ(on(*wrong, "GET", "/api/v1/restore/jobs").json().at("pagination").at("total_items").as_int64(), 0);

  auto keyless = other_server("keyless", "");
  // Damage is still 400 (found without the key: the file's SHA-256), so a client can tell the two apart.
  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x5a;
  expect_error(upload(*keyless, form(damaged)), 400, "INVALID_BACKUP_FILE");

  const auto encrypt = on(*keyless, "POST", "/api/v1/backups",
                          json::serialize(json::object{{"name", "abc"}, {"options", json::object{{"encrypt", true}}}}));
  expect_error(encrypt, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(encrypt), std::vector<std::string>{"options.encrypt"});
  EXPECT_NE(encrypt.body.find("--key-file"), std::string::npos) << encrypt.body;
  const auto settings = on(*keyless, "PUT", "/api/v1/settings/backup",
                           json::serialize(json::object{{"encryption", json::object{{"enabled", true}}}}));
  expect_error(settings, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(settings), std::vector<std::string>{"encryption.enabled"});
  const auto locked = upload(*keyless, form(bytes));
  expect_error(locked, 422, "INVALID_BACKUP_FILE");
  EXPECT_EQ(archives_in(dir().path() / "keyless" / "backups"), 0u);
}

TEST_F(ServerEncrypt, settings_encryption_enabled_encrypts_backups_that_do_not_say) {
  const auto r = put("/api/v1/settings/backup", json::object{{"encryption", json::object{{"enabled", true}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(get("/api/v1/settings/backup").json().at("encryption").at("enabled").as_bool());
  EXPECT_TRUE(encryption_of(make_backup({})).at("enabled").as_bool());
  EXPECT_FALSE(encryption_of(make_backup(json::object{{"encrypt", false}})).at("enabled").as_bool());
}

}  // namespace
}  // namespace claudelens::testing
