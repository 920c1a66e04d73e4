// Receiving an upload (multipart → temporary file, hashed) and registering it: a real archive becomes a
// backup that restores into an empty store; truncated, foreign and abandoned uploads leave no file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backup/metadata.hpp"
#include "crypto/sha256.hpp"
#include "http/upload.hpp"
#include "support/temp_dir.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::http {
namespace {

namespace fs = std::filesystem;
using claudelens::testing::line;
using claudelens::testing::RestoreFixture;
using claudelens::testing::TempDir;

const std::string k_boundary = "upload-test-boundary";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string multipart(const std::string& file, const std::string& extra_fields = "") {
  return "--" + k_boundary + "\r\n" + extra_fields +
         "Content-Disposition: form-data; name=\"file\"; filename=\"nightly.claudelens\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file + "\r\n--" + k_boundary + "--\r\n";
}

/// Feeds `body` in chunks of `chunk` bytes; the first error, or the finish() status.
Status feed(UploadReceiver& receiver, const std::string& body, std::size_t chunk) {
  MultipartParser parser(k_boundary, receiver);
  for (std::size_t i = 0; i < body.size(); i += chunk) CL_CHECK(parser.feed(std::string_view(body).substr(i, chunk)));
  return parser.finish();
}

/// Files in `dir` other than lock files.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().find(".lock") == std::string::npos)
      out.push_back(it->path().filename().string());
  return out;
}

struct Source {
  TempDir dir;
  RestoreFixture fixture{dir, "source"};
  std::string archive;
  Source() {
    fixture.ingest("-w-app", "s1", {line("s1", "u1", 1), line("s1", "u2", 2), line("s1", "u3", 3)});
    fixture.ingest("-w-lib", "s2", {line("s2", "v1", 4, "/w/lib")});
    archive = read_file(fixture.backup("nightly"));
  }
};

/// An empty store and its backup folder, receiving uploads.
struct Destination {
  TempDir dir;
  RestoreFixture dst{dir, "empty"};
  fs::path backups = dir.path() / "uploads";

  /// `bytes` received as upload `id` in chunks of `chunk` bytes.
  std::unique_ptr<UploadReceiver> receive(const std::string& id, const std::string& bytes, std::size_t chunk) {
    auto receiver = UploadReceiver::create(backups, id, {});
    EXPECT_TRUE(receiver);
    if (!receiver) return nullptr;
    EXPECT_TRUE(feed(**receiver, multipart(bytes), chunk));
    return std::move(*receiver);
  }
};

TEST(Upload, a_real_archive_is_registered_and_restores_into_an_empty_store) {
  Source src;
  Destination d;
  auto& dst = d.dst;
  const fs::path& backups = d.backups;
  auto receiver = d.receive("up1", src.archive, 777);
  ASSERT_TRUE(receiver);
  EXPECT_EQ(receiver->file_size(), src.archive.size());
  EXPECT_EQ(receiver->sha256_hex(), crypto::sha256_hex(src.archive));
  EXPECT_EQ(receiver->file_part().filename, "nightly.claudelens");

  auto check = register_upload(*dst.store, backups, *receiver, "up1", {dst.admin.id, "admin", true}, 1'000'000);
  ASSERT_TRUE(check) << check.error().message;
  const backup::BackupMetadata& m = check->metadata;
  EXPECT_EQ(m.id, "up1");
  EXPECT_EQ(m.name, "nightly");
  EXPECT_EQ(m.status, backup::BackupStatus::completed);
  EXPECT_EQ(m.checksum, crypto::sha256_hex(src.archive));
  EXPECT_EQ(m.contents.messages_count, 4);
  EXPECT_EQ(m.contents.sessions_count, 2);
  EXPECT_EQ(m.created_by, dst.admin.id);
  receiver.reset();  // the registered file stays
  EXPECT_EQ(files_in(backups), std::vector<std::string>{m.filename});
  EXPECT_EQ(read_file(backups / m.filepath), src.archive);
  auto stored = backup::load_metadata(*dst.reader(), "up1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->checksum, m.checksum);

  auto report = dst.restore(backups / m.filepath, {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(dst.counts().messages, 4);
  EXPECT_EQ(dst.counts().sessions, 2);
  EXPECT_EQ(dst.keys("s1"), (std::set<std::string>{"u1", "u2", "u3"}));
}

TEST(Upload, truncated_and_foreign_files_are_refused_and_leave_nothing) {
  Source src;
  Destination d;
  auto& dst = d.dst;
  const fs::path& backups = d.backups;
  const std::string truncated = src.archive.substr(0, src.archive.size() - 17);
  std::string flipped = src.archive;
  flipped[flipped.size() / 2] ^= 0x01;
  const std::string foreign(5000, 'x');
  for (const std::string* bytes : std::vector<const std::string*>{&truncated, &flipped, &foreign}) {
    {
      auto receiver = d.receive("bad", *bytes, 1000);
      ASSERT_TRUE(receiver);
      auto check = register_upload(*dst.store, backups, *receiver, "bad", {dst.admin.id, "admin", true}, 1);
      ASSERT_FALSE(check);
      EXPECT_EQ(check.error().code, Errc::corrupted) << check.error().message;
    }
    EXPECT_TRUE(files_in(backups).empty());
    auto stored = backup::load_metadata(*dst.reader(), "bad");
    ASSERT_TRUE(stored);
    EXPECT_FALSE(*stored);
  }
}

TEST(Upload, an_abandoned_upload_removes_its_temporary_file) {
  TempDir dir;
  auto receiver = UploadReceiver::create(dir.path(), "gone", {});
  ASSERT_TRUE(receiver);
  MultipartParser parser(k_boundary, **receiver);
  const std::string body = multipart(std::string(100000, 'a'));
  ASSERT_TRUE(parser.feed(std::string_view(body).substr(0, 50000)));
  ASSERT_TRUE(fs::exists((*receiver)->temp_path()));
  EXPECT_GT(fs::file_size((*receiver)->temp_path()), 40000u);
  receiver->reset();  // the client went away
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(Upload, limits_and_fields) {
  TempDir dir;
  {
    auto receiver = UploadReceiver::create(dir.path(), "big", {.max_file_bytes = 1000});
    ASSERT_TRUE(receiver);
    auto st = feed(**receiver, multipart(std::string(1001, 'a')), 100);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::too_large);
  }
  {
    auto receiver = UploadReceiver::create(dir.path(), "fields", {.max_field_bytes = 10});
    ASSERT_TRUE(receiver);
    auto st = feed(**receiver,
                   multipart("x", "Content-Disposition: form-data; name=\"restore_options\"\r\n\r\n" +
                                      std::string(11, 'o') + "\r\n--" + k_boundary + "\r\n"),
                   3);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::invalid_argument);
    EXPECT_EQ(st.error().message.rfind("restore_options:", 0), 0u);
  }
  {
    auto receiver = UploadReceiver::create(dir.path(), "unknown", {});
    ASSERT_TRUE(receiver);
    auto st = feed(
        **receiver,
        multipart("x", "Content-Disposition: form-data; name=\"colour\"\r\n\r\nred\r\n--" + k_boundary + "\r\n"), 5);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message.rfind("colour:", 0), 0u);
  }
  {
    auto receiver = UploadReceiver::create(dir.path(), "ok", {});
    ASSERT_TRUE(receiver);
    ASSERT_TRUE(feed(
        **receiver,
        multipart("x", "Content-Disposition: form-data; name=\"auto_restore\"\r\n\r\ntrue\r\n--" + k_boundary + "\r\n"),
        4));
    EXPECT_EQ(*(*receiver)->auto_restore(), "true");
    EXPECT_FALSE((*receiver)->restore_options());
  }
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(Upload, stale_files_are_removed_but_live_ones_kept) {
  TempDir dir;
  dir.write(".upload-dead.tmp", "leftover of a killed server");
  auto live = UploadReceiver::create(dir.path(), "live", {});
  ASSERT_TRUE(live);
  auto removed = remove_stale_uploads(dir.path());
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{".upload-live.tmp"});
}

TEST(Upload, a_user_key_may_not_upload_another_users_data) {
  Source src;
  Destination d;
  auto receiver = d.receive("theirs", src.archive, 4096);
  ASSERT_TRUE(receiver);
  auto& dst = d.dst;
  const fs::path& backups = d.backups;
  auto check = register_upload(*dst.store, backups, *receiver, "theirs", {"someone-else", "mallory", false}, 1);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, Errc::forbidden);
  receiver.reset();
  EXPECT_TRUE(files_in(backups).empty());
}

}  // namespace
}  // namespace claudelens::http
