// The /restore routes in-process: a real archive uploaded into an empty server and restored, previews,
// restore jobs and history, and uploads that are refused or abandoned leave no file.
#include <gtest/gtest.h>

#include "crypto/sha256.hpp"
#include "format/grammar.hpp"
#include "unit/http/handler_test_support.hpp"

namespace claudelens::testing {
namespace {

using http::Method;

const std::string k_type = "multipart/form-data; boundary=XyZzY-boundary";

std::string form(const std::string& file, const std::string& fields = "") {
  std::string b;
  if (!fields.empty()) b += fields;
  b += "--XyZzY-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"copy.claudelens\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n" +
       file + "\r\n--XyZzY-boundary--\r\n";
  return b;
}

std::string field(const std::string& name, const std::string& value) {
  return "--XyZzY-boundary\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

/// The bytes of a full backup of a store with data (made through the API of another server).
std::string archive_bytes(const TempDir& dir) {
  Api source(dir, false, "source");
  const std::string id = source.make_backup("from elsewhere");
  auto download = source.call(Method::get, "/api/v1/backups/" + id + "/download");
  EXPECT_TRUE(download.response.file);
  return read_all(download.response.file->path);
}

TEST(RestoreRoutes, upload_a_real_archive_then_restore_into_an_empty_server) {
  TempDir dir;
  const std::string archive = archive_bytes(dir);
  Api api(dir, /*empty=*/true, "empty");
  auto up = api.upload(k_type, form(archive, field("auto_restore", "true")), 1000);
  ASSERT_EQ(up.status, 202) << json::serialize(up.body);
  const auto& o = up.body.as_object();
  EXPECT_EQ(o.at("status").as_string(), "restoring");
  EXPECT_EQ(o.at("file_info").at("size_bytes").as_int64(), static_cast<std::int64_t>(archive.size()));
  EXPECT_EQ(o.at("file_info").at("checksum").as_string(), crypto::sha256_hex(archive));
  EXPECT_EQ(o.at("file_info").at("filename").as_string(), "copy.claudelens");
  EXPECT_TRUE(o.at("validation").at("format_valid").as_bool());
  EXPECT_EQ(o.at("validation").at("compatibility").as_string(), "compatible");
  EXPECT_EQ(o.at("validation").at("contents_summary").at("messages_count").as_int64(), 4);
  const std::string backup_id(o.at("backup_id").as_string());
  const std::string job_id(o.at("restore_job_id").as_string());
  EXPECT_EQ(api.wait(job_id).status, jobs::JobStatus::completed);

  const auto counts = api.fixture().counts();
  EXPECT_EQ(counts.messages, 4);
  EXPECT_EQ(counts.sessions, 2);
  EXPECT_EQ(counts.projects, 2);

  auto job = api.call(Method::get, "/api/v1/restore/jobs/" + job_id);
  ASSERT_EQ(job.status, 200) << json::serialize(job.body);
  EXPECT_EQ(job.body.at("status").as_string(), "completed");
  EXPECT_EQ(job.body.at("results").at("messages_restored").as_int64(), 4);
  auto history = api.call(Method::get, "/api/v1/restore/jobs?size=10");
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(history.body.at("items").as_array().size(), 1u);
  EXPECT_EQ(history.body.at("pagination").at("total_items").as_int64(), 1);
  auto shown = api.call(Method::get, "/api/v1/backups/" + backup_id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body.at("checksum").as_string(), crypto::sha256_hex(archive));
  // Registered under a new id, it keeps the format's version and the id the file itself holds.
  EXPECT_EQ(shown.body.at("version").as_string(), format::k_format_version_string);
  ASSERT_TRUE(shown.body.as_object().contains("archive_backup_id"));
  EXPECT_NE(shown.body.at("archive_backup_id").as_string(), backup_id);
  EXPECT_EQ(shown.body.at("restore_history").as_array().size(), 1u);

  // A second restore of the same backup merges: everything is a duplicate now.
  auto again = api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + backup_id + "\",\"mode\":\"merge\"}");
  ASSERT_EQ(again.status, 202) << json::serialize(again.body);
  EXPECT_GT(again.body.at("validation_results").at("conflicts_count").as_int64(), 0);
  EXPECT_EQ(api.wait(std::string(again.body.at("job_id").as_string())).status, jobs::JobStatus::completed);
  EXPECT_EQ(api.fixture().counts().messages, 4);
}

TEST(RestoreRoutes, bad_uploads_are_refused_and_leave_no_file) {
  TempDir dir;
  const std::string archive = archive_bytes(dir);
  Api api(dir, true, "empty");
  const std::string truncated = archive.substr(0, archive.size() / 2);
  const std::string foreign = "PK\x03\x04 this is a zip file, not a backup " + std::string(3000, 'z');
  for (const std::string* bytes : std::vector<const std::string*>{&truncated, &foreign}) {
    auto a = api.upload(k_type, form(*bytes), 512);
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.code(), "INVALID_BACKUP_FILE");
    EXPECT_EQ(archives_in(api.backup_dir()), 0);
  }
  auto no_end = api.upload(k_type, form(archive).substr(0, archive.size() / 2), 512);
  EXPECT_EQ(no_end.status, 400);
  EXPECT_EQ(no_end.code(), "INVALID_REQUEST");
  auto not_multipart = api.upload("application/json", "{}", 512);
  EXPECT_EQ(not_multipart.status, 400);
  EXPECT_EQ(not_multipart.code(), "INVALID_REQUEST");
  auto no_file = api.upload(k_type, field("auto_restore", "true") + "--XyZzY-boundary--\r\n", 512);
  EXPECT_EQ(no_file.status, 400);
  EXPECT_EQ(no_file.fields(), std::vector<std::string>{"file"});
  auto bad_fields =
      api.upload(k_type, form(archive, field("auto_restore", "yes") + field("restore_options", "{")), 512);
  EXPECT_EQ(bad_fields.status, 400);
  EXPECT_EQ(bad_fields.fields(), (std::vector<std::string>{"auto_restore", "restore_options"}));
  // A client that goes away mid-upload.
  api.upload(k_type, form(archive), 256, std::nullopt, archive.size() / 2);
  EXPECT_EQ(archives_in(api.backup_dir()), 0);
  auto list = api.call(Method::get, "/api/v1/backups");
  EXPECT_EQ(list.body.at("pagination").at("total_items").as_int64(), 0);
}

TEST(RestoreRoutes, preview_and_restore_validation) {
  TempDir dir;
  Api api(dir);
  const std::string id = api.make_backup();
  auto preview = api.call(Method::get, "/api/v1/restore/preview/" + id + "?detailed=true");
  ASSERT_EQ(preview.status, 200) << json::serialize(preview.body);
  EXPECT_EQ(preview.body.at("backup_id").as_string(), id);
  const auto& projects = preview.body.at("contents").at("projects").as_array();
  ASSERT_EQ(projects.size(), 2u);
  EXPECT_TRUE(projects[0].as_object().contains("sessions"));
  EXPECT_TRUE(preview.body.at("restore_analysis").at("has_conflicts").as_bool());  // everything exists
  auto plain = api.call(Method::get, "/api/v1/restore/preview/" + id + "?check_conflicts=false");
  ASSERT_EQ(plain.status, 200);
  EXPECT_FALSE(plain.body.at("contents").at("projects").at(0).as_object().contains("sessions"));
  EXPECT_EQ(api.call(Method::get, "/api/v1/restore/preview/" + id + "?detailed=maybe").status, 400);
  EXPECT_EQ(api.call(Method::get, "/api/v1/restore/preview/nope").code(), "BACKUP_NOT_FOUND");

  auto bad = api.call(Method::post, "/api/v1/restore",
                      "{\"backup_id\":\"" + id + "\",\"mode\":\"selective\",\"options\":{\"on_conflict\":\"ask\"}}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.fields(), std::vector<std::string>{"options.on_conflict"});
  auto none = api.call(Method::post, "/api/v1/restore", R"({"backup_id":"000000000000000000000000"})");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.code(), "BACKUP_NOT_FOUND");
  auto target =
      api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + id + "\",\"target\":{\"project_id\":\"nope\"}}");
  EXPECT_EQ(target.status, 400);
  EXPECT_EQ(target.fields(), std::vector<std::string>{"target.project_id"});
  EXPECT_EQ(api.call(Method::get, "/api/v1/restore/jobs/nope").code(), "JOB_NOT_FOUND");
  EXPECT_EQ(api.call(Method::get, "/api/v1/restore/jobs?page=0").status, 400);
}

TEST(RestoreRoutes, a_dry_run_changes_nothing_and_reports) {
  TempDir dir;
  Api api(dir);
  const std::string id = api.make_backup();
  {
    auto w = api.fixture().writer();
    ASSERT_TRUE(w->delete_session("s2"));
    ASSERT_TRUE(w->commit());
  }
  auto r = api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + id + "\",\"options\":{\"dry_run\":true}}");
  ASSERT_EQ(r.status, 202) << json::serialize(r.body);
  EXPECT_EQ(r.body.at("mode").as_string(), "merge");
  const auto job = api.wait(std::string(r.body.at("job_id").as_string()));
  EXPECT_EQ(job.status, jobs::JobStatus::completed);
  EXPECT_FALSE(api.fixture().session("s2"));  // not written
  auto shown = api.call(Method::get, "/api/v1/restore/jobs/" + job.id);
  EXPECT_EQ(shown.body.at("results").at("messages_restored").as_int64(), 1);  // what it would restore
}

TEST(RestoreRoutes, upload_restore_options_reach_the_restore) {
  TempDir dir;
  const std::string archive = archive_bytes(dir);
  Api api(dir, true, "empty");
  const std::string options =
      R"({"mode":"selective","selections":{"sessions":["s1"]},"options":{"on_conflict":"skip"}})";
  auto up = api.upload(k_type, form(archive, field("auto_restore", "true") + field("restore_options", options)), 4096);
  ASSERT_EQ(up.status, 202) << json::serialize(up.body);
  const auto job = api.wait(std::string(up.body.at("restore_job_id").as_string()));
  EXPECT_EQ(job.status, jobs::JobStatus::completed);
  EXPECT_EQ(api.fixture().counts().messages, 3);  // s1 only
  EXPECT_TRUE(api.fixture().session("s1"));
  EXPECT_FALSE(api.fixture().session("s2"));
  // A second upload with auto_restore while a restore is queued: the upload stands, with a warning.
  api.jobs().stop(std::chrono::seconds(5));
  auto queued = api.call(Method::post, "/api/v1/restore",
                         "{\"backup_id\":\"" + std::string(up.body.at("backup_id").as_string()) + "\"}");
  ASSERT_EQ(queued.status, 202);
  auto second = api.upload(k_type, form(archive, field("auto_restore", "true")), 4096);
  ASSERT_EQ(second.status, 202) << json::serialize(second.body);
  EXPECT_EQ(second.body.at("status").as_string(), "ready");
  EXPECT_TRUE(second.body.at("restore_job_id").is_null());
  EXPECT_NE(json::serialize(second.body.at("validation").at("warnings")).find("auto_restore"), std::string::npos);
  // restore_options without auto_restore is refused, not ignored.
  auto ignored = api.upload(k_type, form(archive, field("restore_options", options)), 4096);
  EXPECT_EQ(ignored.status, 400);
  EXPECT_EQ(ignored.fields(), std::vector<std::string>{"restore_options"});
}

}  // namespace
}  // namespace claudelens::testing
