// The /backups routes in-process (real store, real jobs, real archives): status codes, JSON fields,
// error codes, ownership (another user's ids answer 404) and what reaches the disk.
#include <gtest/gtest.h>

#include <cstdlib>

#include "crypto/sha256.hpp"
#include "format/grammar.hpp"
#include "unit/http/handler_test_support.hpp"

namespace claudelens::testing {
namespace {

using http::Method;

TEST(BackupRoutes, create_follow_list_show_download_delete) {
  TempDir dir;
  Api api(dir);
  auto created = api.call(Method::post, "/api/v1/backups",
                          R"({"name":"nightly 1","description":"all of it","options":{"compression_level":5}})");
  ASSERT_EQ(created.status, 202) << json::serialize(created.body);
  for (const char* f :
       {"job_id", "backup_id", "status", "created_at", "estimated_size_bytes", "estimated_duration_seconds", "message"})
    EXPECT_TRUE(created.body.as_object().contains(f)) << f;
  const std::string job_id(created.body.at("job_id").as_string());
  const std::string id(created.body.at("backup_id").as_string());
  EXPECT_EQ(api.wait(job_id).status, jobs::JobStatus::completed);

  auto job = api.call(Method::get, "/api/v1/backups/jobs/" + job_id);
  ASSERT_EQ(job.status, 200);
  EXPECT_EQ(job.body.at("status").as_string(), "completed");
  EXPECT_EQ(job.body.at("backup_id").as_string(), id);

  auto list = api.call(Method::get, "/api/v1/backups?sort=name,asc&size=5");
  ASSERT_EQ(list.status, 200) << json::serialize(list.body);
  ASSERT_EQ(list.body.at("items").as_array().size(), 1u);
  EXPECT_EQ(list.body.at("items").at(0).at("_id").as_string(), id);
  EXPECT_EQ(list.body.at("pagination").at("total_items").as_int64(), 1);
  EXPECT_EQ(list.body.at("summary").at("total_backups").as_int64(), 1);

  auto show = api.call(Method::get, "/api/v1/backups/" + id);
  ASSERT_EQ(show.status, 200);
  const auto& m = show.body.as_object();
  EXPECT_EQ(m.at("name").as_string(), "nightly 1");
  EXPECT_EQ(m.at("status").as_string(), "completed");
  EXPECT_EQ(m.at("contents").at("messages_count").as_int64(), 4);
  EXPECT_EQ(m.at("compression").at("level").as_int64(), 5);
  EXPECT_EQ(m.at("version").as_string(), format::k_format_version_string);
  EXPECT_TRUE(m.at("restore_history").as_array().empty());
  for (const char* f : {"storage_location", "encryption", "validation_status", "download_url", "checksum"})
    EXPECT_TRUE(m.contains(f)) << f;

  auto download = api.call(Method::get, "/api/v1/backups/" + id + "/download");
  ASSERT_EQ(download.status, 200);
  ASSERT_TRUE(download.response.file);
  const std::string bytes = read_all(download.response.file->path);
  EXPECT_EQ(download.response.file->size, bytes.size());
  EXPECT_EQ(download.header("X-Checksum"), crypto::sha256_hex(bytes));
  EXPECT_EQ(download.header("X-Checksum"), m.at("checksum").as_string());
  EXPECT_NE(download.header("Content-Disposition").find("attachment; filename=\"backup-"), std::string::npos);

  auto deleted = api.call(Method::del, "/api/v1/backups/" + id);
  ASSERT_EQ(deleted.status, 200) << json::serialize(deleted.body);
  EXPECT_EQ(deleted.body.at("freed_bytes").as_int64(), static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(deleted.body.at("files_deleted").as_int64(), 1);
  EXPECT_FALSE(std::filesystem::exists(download.response.file->path));
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).status, 404);
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).code(), "BACKUP_NOT_FOUND");
}

TEST(BackupRoutes, another_users_ids_answer_404) {
  TempDir dir;
  Api api(dir);
  const std::string id = api.make_backup();
  const auto bob = api.bob();
  for (const std::string& path : {"/api/v1/backups/" + id, "/api/v1/backups/" + id + "/download"}) {
    auto a = api.call(Method::get, path, "", bob);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_EQ(a.code(), "BACKUP_NOT_FOUND");
  }
  EXPECT_EQ(api.call(Method::del, "/api/v1/backups/" + id, "", bob).status, 404);
  EXPECT_EQ(api.call(Method::get, "/api/v1/restore/preview/" + id, "", bob).status, 404);
  auto restore = api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + id + "\"}", bob);
  EXPECT_EQ(restore.status, 404);
  auto list = api.call(Method::get, "/api/v1/backups", "", bob);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.body.at("items").as_array().empty());
  EXPECT_EQ(list.body.at("summary").at("total_backups").as_int64(), 0);
  auto jobs = api.jobs().list({.type = jobs::JobType::backup, .owner_id = {}, .statuses = {}});
  ASSERT_TRUE(jobs && !jobs->empty());
  auto job = api.call(Method::get, "/api/v1/backups/jobs/" + jobs->front().id, "", bob);
  EXPECT_EQ(job.status, 404);
  EXPECT_EQ(job.code(), "JOB_NOT_FOUND");
  // The owner still sees it all.
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).status, 200);
}

TEST(BackupRoutes, a_users_backup_holds_only_its_own_data) {
  TempDir dir;
  Api api(dir);
  auto created = api.call(Method::post, "/api/v1/backups", R"({"name":"mine"})", api.bob());
  ASSERT_EQ(created.status, 202);
  EXPECT_EQ(api.wait(std::string(created.body.at("job_id").as_string())).status, jobs::JobStatus::completed);
  auto show =
      api.call(Method::get, "/api/v1/backups/" + std::string(created.body.at("backup_id").as_string()), "", api.bob());
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(show.body.at("contents").at("messages_count").as_int64(), 0);  // bob owns nothing
}

TEST(BackupRoutes, validation_errors_name_fields_and_change_nothing) {
  TempDir dir;
  Api api(dir);
  auto bad = api.call(Method::post, "/api/v1/backups", R"({"name":"x","options":{"encrypt":true}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.code(), "VALIDATION_FAILED");
  EXPECT_EQ(bad.fields(), (std::vector<std::string>{"name", "options.encrypt"}));
  auto type = api.call(Method::post, "/api/v1/backups", R"({"name":"abc","type":"hourly"})");
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(type.code(), "INVALID_BACKUP_TYPE");
  auto json = api.call(Method::post, "/api/v1/backups", R"({"name":)");
  EXPECT_EQ(json.status, 400);
  EXPECT_EQ(json.code(), "INVALID_REQUEST");
  auto range = api.call(
      Method::post, "/api/v1/backups",
      R"({"name":"abc","filters":{"date_range":{"start":"2030-01-01T00:00:00Z","end":"2031-01-01T00:00:00Z"}}})");
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(range.code(), "INVALID_DATE_RANGE");
  auto unknown = api.call(Method::post, "/api/v1/backups", R"({"name":"abc","filters":{"projects":["/no/such"]}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.fields(), std::vector<std::string>{"filters"});
  auto query = api.call(Method::get, "/api/v1/backups?page=0&sort=colour,asc");
  EXPECT_EQ(query.status, 400);
  EXPECT_EQ(query.fields().size(), 2u);
  auto jobs = api.jobs().list({});
  ASSERT_TRUE(jobs);
  EXPECT_TRUE(jobs->empty());  // nothing was queued
  EXPECT_EQ(archives_in(api.backup_dir()), 0);
}

TEST(BackupRoutes, insufficient_storage_is_507_before_anything_is_queued) {
  TempDir dir;
  Api api(dir);
  ::setenv("CLAUDELENS_MIN_FREE_BYTES", "1152921504606846976", 1);  // 2^60: more than any disk has
  auto a = api.call(Method::post, "/api/v1/backups", R"({"name":"too big"})");
  ::unsetenv("CLAUDELENS_MIN_FREE_BYTES");
  EXPECT_EQ(a.status, 507);
  EXPECT_EQ(a.code(), "INSUFFICIENT_STORAGE");
  auto jobs = api.jobs().list({});
  ASSERT_TRUE(jobs);
  EXPECT_TRUE(jobs->empty());
}

TEST(BackupRoutes, download_of_a_vanished_file_is_410) {
  TempDir dir;
  Api api(dir);
  const std::string id = api.make_backup();
  auto show = api.call(Method::get, "/api/v1/backups/" + id);
  std::filesystem::remove(std::string(show.body.at("storage_location").as_string()));
  auto a = api.call(Method::get, "/api/v1/backups/" + id + "/download");
  EXPECT_EQ(a.status, 410);
  EXPECT_EQ(a.code(), "BACKUP_FILE_MISSING");
}

TEST(BackupRoutes, statistics_over_what_the_caller_sees) {
  TempDir dir;
  Api api(dir);
  api.make_backup("one");
  api.make_backup("two");
  auto s = api.call(Method::get, "/api/v1/backups/statistics?period=day");
  ASSERT_EQ(s.status, 200) << json::serialize(s.body);
  EXPECT_EQ(s.body.at("summary").at("total_backups").as_int64(), 2);
  EXPECT_DOUBLE_EQ(s.body.at("summary").at("success_rate").as_double(), 100.0);
  EXPECT_EQ(s.body.at("by_type").at("full").at("count").as_int64(), 2);
  EXPECT_EQ(s.body.at("timeline").at("data").as_array().size(), 30u);
  EXPECT_EQ(s.body.at("timeline").at("data").as_array().back().at("backups_created").as_int64(), 2);
  EXPECT_GT(s.body.at("storage_usage").at("used_bytes").as_int64(), 0);
  EXPECT_GT(s.body.at("storage_usage").at("available_bytes").as_int64(), 0);
  auto bob = api.call(Method::get, "/api/v1/backups/statistics", "", api.bob());
  ASSERT_EQ(bob.status, 200);
  EXPECT_EQ(bob.body.at("summary").at("total_backups").as_int64(), 0);
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/statistics?period=hour").status, 400);
}

TEST(BackupRoutes, delete_refuses_a_backup_being_restored_unless_forced) {
  TempDir dir;
  Api api(dir);
  const std::string id = api.make_backup();
  api.jobs().stop(std::chrono::seconds(5));  // restores stay pending: "being restored"
  auto r = api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + id + "\"}");
  ASSERT_EQ(r.status, 202) << json::serialize(r.body);
  auto second = api.call(Method::post, "/api/v1/restore", "{\"backup_id\":\"" + id + "\"}");
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(second.code(), "RESTORE_IN_PROGRESS");
  auto refused = api.call(Method::del, "/api/v1/backups/" + id);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.code(), "RESTORE_IN_PROGRESS");
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).status, 200);
  auto forced = api.call(Method::del, "/api/v1/backups/" + id + "?force=true");
  EXPECT_EQ(forced.status, 200) << json::serialize(forced.body);
  EXPECT_EQ(api.call(Method::get, "/api/v1/backups/" + id).status, 404);
  EXPECT_EQ(api.call(Method::del, "/api/v1/backups/x?force=yes").status, 400);
}

}  // namespace
}  // namespace claudelens::testing
