// Uploads through the server's streamed bodies (POST /restore/upload, multipart): an archive downloaded
// from the server goes back in and is registered; an upload announced over --max-upload-mb is refused
// with 413 without being read; an upload cut off mid-body leaves no file behind; the server stays up.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::string k_boundary = "claudelens-test-boundary-7d3f";

std::string multipart(const std::string& file_bytes) {
  return "--" + k_boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.claudelens\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file_bytes + "\r\n--" + k_boundary + "--\r\n";
}

std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && !it->path().filename().string().ends_with(".lock")) ++n;  // locks stay
  return n;
}

class ServerUpload : public ServerTest {
 protected:
  void SetUp() override { start({}, {"--max-upload-mb", "1"}); }
};

TEST_F(ServerUpload, an_upload_over_the_limit_is_refused_unread) {
  std::string request = "POST /api/v1/restore/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) +
                        "\r\nContent-Type: multipart/form-data; boundary=" + k_boundary +
                        "\r\nContent-Length: 5000000\r\n\r\n";
  request.append(64 * 1024, 'x');
  const std::string answer = raw_exchange(port(), request);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 300);
  EXPECT_NE(answer.find("FILE_TOO_LARGE"), std::string::npos);
  EXPECT_EQ(files_under(dir().path() / "backups"), 0u);
  expect_alive();
}

TEST_F(ServerUpload, a_chunked_upload_is_cut_off_at_the_limit_and_cleaned_up) {
  std::string request = "POST /api/v1/restore/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) +
                        "\r\nContent-Type: multipart/form-data; boundary=" + k_boundary +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string head =
      "--" + k_boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.claudelens\"\r\n\r\n";
  request += fmt::format("{:x}\r\n{}\r\n", head.size(), head);
  const std::string piece(64 * 1024, 'z');
  for (int i = 0; i < 40; ++i) request += "10000\r\n" + piece + "\r\n";  // 2.5 MiB > 1 MiB
  const std::string answer = raw_exchange(port(), request);
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer.substr(0, 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(files_under(dir().path() / "backups"), 0u) << "the partial upload must be removed";
  expect_alive();
}

TEST_F(ServerUpload, a_client_that_leaves_mid_upload_leaves_nothing) {
  std::string request = "POST /api/v1/restore/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(k_admin_key) +
                        "\r\nContent-Type: multipart/form-data; boundary=" + k_boundary +
                        "\r\nContent-Length: 900000\r\n\r\n--" + k_boundary +
                        "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.claudelens\"\r\n\r\n";
  request.append(300'000, 'q');
  const int fd = open_idle_connection(port());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(files_under(dir().path() / "backups"), 1u) << "the upload in progress has its temporary file";
  ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(files_under(dir().path() / "backups"), 0u);
  expect_alive();
}

TEST_F(ServerUpload, garbage_in_a_well_formed_upload_is_an_invalid_backup_file) {
  const auto r = call("POST", "/api/v1/restore/upload", k_admin_key, multipart(std::string(5000, 'g')),
                      {{"Content-Type", "multipart/form-data; boundary=" + k_boundary}});
  expect_error(r, 400, "INVALID_BACKUP_FILE");
  EXPECT_EQ(files_under(dir().path() / "backups"), 0u);
  const auto no_boundary = call("POST", "/api/v1/restore/upload", k_admin_key, "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(no_boundary.status, 400) << no_boundary.body;
  expect_alive();
}

}  // namespace
}  // namespace claudelens::testing
