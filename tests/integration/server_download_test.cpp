// Downloads through the server layer's file streaming: Content-Length and X-Checksum of the whole
// archive, a broken download resumed with Range (206) whose bytes hash to X-Checksum, 416 past the end,
// and a client that disconnects mid-download, after which the server still answers.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "crypto/sha256.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;

class ServerDownload : public ServerTest {
 protected:
  void SetUp() override {
    const auto db = "sqlite:" + (dir().path() / "db.sqlite").string();
    const auto made = run_cli({"--db", db, "demo-data", "--messages", "20000", "--seed", "5"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    start();
    const auto r = post("/api/v1/backups", json::object{{"name", "download test"}, {"type", "full"}});
    ASSERT_EQ(r.status, 202) << r.body;
    m_backup = std::string(r.json().at("backup_id").as_string());
    const auto job = std::string(r.json().at("job_id").as_string());
    for (int i = 0; i < 600; ++i) {
      const auto j = get("/api/v1/backups/jobs/" + job).json();
      if (j.at("status") == "completed") return;
      ASSERT_NE(j.at("status"), "failed") << json::serialize(j);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the backup did not finish";
  }
  std::string m_backup;
};

TEST_F(ServerDownload, whole_file_then_a_resumed_range_hash_to_the_checksum) {
  const std::string target = "/api/v1/backups/" + m_backup + "/download";
  const auto whole = get(target);
  ASSERT_EQ(whole.status, 200) << whole.body.substr(0, 300);
  const auto size = whole.body.size();
  ASSERT_GT(size, 10'000u);
  EXPECT_EQ(whole.header("content-length"), std::to_string(size));
  EXPECT_EQ(whole.header("accept-ranges"), "bytes");
  const std::string checksum = whole.header("x-checksum");
  ASSERT_EQ(checksum.size(), 64u);
  EXPECT_EQ(crypto::sha256_hex(whole.body), checksum);

  // A download broken after `cut` bytes resumes from there.
  const std::size_t cut = size / 3;
  const auto rest = call("GET", target, k_admin_key, {}, {{"Range", "bytes=" + std::to_string(cut) + "-"}});
  ASSERT_EQ(rest.status, 206);
  EXPECT_EQ(rest.header("content-range"),
            "bytes " + std::to_string(cut) + "-" + std::to_string(size - 1) + "/" + std::to_string(size));
  EXPECT_EQ(rest.header("content-length"), std::to_string(size - cut));
  EXPECT_EQ(crypto::sha256_hex(whole.body.substr(0, cut) + rest.body), checksum);

  const auto middle = call("GET", target, k_admin_key, {}, {{"Range", "bytes=10-19"}});
  ASSERT_EQ(middle.status, 206);
  EXPECT_EQ(middle.body, whole.body.substr(10, 10));
  const auto suffix = call("GET", target, k_admin_key, {}, {{"Range", "bytes=-5"}});
  ASSERT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, whole.body.substr(size - 5));

  const auto past = call("GET", target, k_admin_key, {}, {{"Range", "bytes=" + std::to_string(size) + "-"}});
  expect_error(past, 416, "INVALID_REQUEST");
  EXPECT_EQ(past.header("content-range"), "bytes */" + std::to_string(size));
}

TEST_F(ServerDownload, a_client_that_leaves_mid_download_does_no_harm) {
  const std::string request = "GET /api/v1/backups/" + m_backup +
                              "/download HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) + "\r\n\r\n";
  for (int i = 0; i < 5; ++i) {
    const int fd = open_idle_connection(port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    char buf[1024];
    EXPECT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    ::close(fd);  // with most of the file unsent
  }
  expect_alive();
  EXPECT_EQ(get("/api/v1/backups/" + m_backup + "/download").status, 200);
}

TEST_F(ServerDownload, sigterm_lets_a_download_in_flight_finish_before_exiting) {
  const auto whole = get("/api/v1/backups/" + m_backup + "/download");
  ASSERT_EQ(whole.status, 200);
  // A slow reader: a tiny receive buffer keeps most of the file in the server when the signal comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "GET /api/v1/backups/" + m_backup +
                              "/download HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  char buf[4096];
  std::string received;
  const ssize_t first = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(first, 0);
  received.append(buf, static_cast<std::size_t>(first));
  ::kill(server_pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) received.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto body_at = received.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(received.substr(body_at + 4), whole.body) << "the download in flight was cut short";
  EXPECT_EQ(server().stop(0), 0) << "signal 0: only wait for the exit the first signal started";
  // The server was still sending after the signal: the download's log line comes after it.
  const std::string log = server().log();
  const auto signal_at = log.find("signal 15 received");
  ASSERT_NE(signal_at, std::string::npos) << log;
  EXPECT_NE(log.find("/download\" 200", signal_at), std::string::npos) << whole.body.size() << " bytes; " << log;
}

}  // namespace
}  // namespace claudelens::testing
