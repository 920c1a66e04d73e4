// Incremental backups through the HTTP API (API.md POST /backups `type: incremental`,
// `options.parent_backup_id`, DELETE /backups/{id} `force`, BACKUP_HAS_DEPENDENTS), over loopback with
// the real transcripts: the default parent, a named parent, an incremental after no change that holds
// nothing, the preview of a chain; bad parents (unknown, another user's: 404; none to build on,
// a parent for a full backup: 400); deleting a needed parent is 409 naming the dependents, and
// force=true deletes them too and says so.
#include <gtest/gtest.h>

#include <filesystem>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data/claude-transcripts";

class ServerIncremental : public ServerTest {
 protected:
  void SetUp() override {
    ingest(k_transcripts / "chiphuyen__sniffly");
    start();
  }
  void ingest(const fs::path& what) {
    const auto r = run_program(CLAUDELENS_BIN,
                               {"ingest", "--db", "sqlite:" + (dir().path() / "db.sqlite").string(), what.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  /// POST /backups, waits for the job; the backup's metadata (GET /backups/{id}).
  json::object backup(json::object body, const std::string& key = k_admin_key) {
    const auto r = post("/api/v1/backups", body, key);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return {};
    const auto job = wait_job(port(), "backups", std::string(r.json().at("job_id").as_string()), key);
    EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
    const auto got = get("/api/v1/backups/" + std::string(r.json().at("backup_id").as_string()), key);
    EXPECT_EQ(got.status, 200) << got.body;
    return got.json().as_object();
  }
};

std::string id_of(const json::object& m) {
  return m.contains("_id") ? std::string(m.at("_id").as_string()) : std::string();
}

TEST_F(ServerIncremental, default_and_named_parents_chain_preview_and_delete_with_dependents) {
  const json::object full = backup({{"name", "full one"}, {"type", "full"}});
  ASSERT_FALSE(id_of(full).empty());
  // No change since: an incremental that holds nothing, on the newest backup of the same filters.
  const json::object empty = backup({{"name", "nothing new"}, {"type", "incremental"}});
  EXPECT_EQ(empty.at("type").as_string(), "incremental");
  EXPECT_EQ(empty.at("parent_backup_id").as_string(), id_of(full));
  EXPECT_EQ(empty.at("parent_checksum").as_string(), full.at("checksum").as_string());
  EXPECT_EQ(empty.at("contents").at("total_documents").as_int64(), 0);
  EXPECT_LE(empty.at("compressed_size_bytes").as_int64(), 4096);
  // New data; the parent named.
  ingest(k_transcripts / "dagster-io__erk");
  const json::object inc = backup(
      {{"name", "erk added"}, {"type", "incremental"}, {"options", json::object{{"parent_backup_id", id_of(empty)}}}});
  EXPECT_EQ(inc.at("parent_backup_id").as_string(), id_of(empty));
  EXPECT_EQ(inc.at("contents").at("sessions_count").as_int64(), 2);  // erk's two sessions, nothing of sniffly

  // The preview shows the chain and what the whole chain restores.
  const auto preview = get("/api/v1/restore/preview/" + id_of(inc));
  ASSERT_EQ(preview.status, 200) << preview.body;
  const auto p = preview.json().as_object();
  ASSERT_EQ(p.at("chain").as_array().size(), 3u);
  EXPECT_EQ(p.at("chain").at(0).at("_id").as_string(), id_of(full));
  EXPECT_EQ(p.at("contents").at("sessions_summary").at("total").as_int64(), 4);

  // A restore of the chain (a dry run into the store that has it all: everything is a duplicate).
  const auto restore =
      post("/api/v1/restore",
           json::object{{"backup_id", id_of(inc)}, {"mode", "merge"}, {"options", json::object{{"dry_run", true}}}});
  ASSERT_EQ(restore.status, 202) << restore.body;
  const auto job = wait_job(port(), "restore", std::string(restore.json().at("job_id").as_string()));
  EXPECT_EQ(job.at("status").as_string(), "completed") << json::serialize(job);
  EXPECT_EQ(job.at("results").at("sessions_restored").as_int64(), 0) << json::serialize(job);

  // Deleting the full backup: both incrementals need it.
  const auto refused = call("DELETE", "/api/v1/backups/" + id_of(full));
  expect_error(refused, 409, "BACKUP_HAS_DEPENDENTS");
  const auto deps = refused.json().at("error").at("details").at("dependents").as_array();
  ASSERT_EQ(deps.size(), 2u);
  EXPECT_EQ(deps.at(0).as_string(), id_of(inc));  // deepest first
  EXPECT_EQ(deps.at(1).as_string(), id_of(empty));
  EXPECT_EQ(get("/api/v1/backups/" + id_of(inc)).status, 200);

  const auto forced = call("DELETE", "/api/v1/backups/" + id_of(full) + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json().at("dependents_deleted").as_array().size(), 2u);
  EXPECT_NE(std::string(forced.json().at("message").as_string()).find(id_of(inc)), std::string::npos);
  EXPECT_EQ(forced.json().at("files_deleted").as_int64(), 3);
  for (const auto& id : {id_of(full), id_of(empty), id_of(inc)}) EXPECT_EQ(get("/api/v1/backups/" + id).status, 404);
}

TEST_F(ServerIncremental, bad_parents_are_refused_and_nothing_is_queued) {
  const std::string user = make_user("inc-user");
  // A user with no backup: nothing to build on (no silent full backup).
  const auto none = post("/api/v1/backups", json::object{{"name", "inc"}, {"type", "incremental"}}, user);
  expect_error(none, 400, "VALIDATION_FAILED");
  EXPECT_NE(none.body.find("full"), std::string::npos) << none.body;
  const json::object full = backup({{"name", "admin full"}});
  // Unknown parent, and another owner's parent: 404 as any unknown backup id.
  expect_error(post("/api/v1/backups", json::object{{"name", "inc"},
                                                    {"type", "incremental"},
                                                    {"options", json::object{{"parent_backup_id", "nope"}}}}),
               404, "BACKUP_NOT_FOUND");
  expect_error(
      post("/api/v1/backups",
           json::object{
               {"name", "inc"}, {"type", "incremental"}, {"options", json::object{{"parent_backup_id", id_of(full)}}}},
           user),
      404, "BACKUP_NOT_FOUND");
  // A parent for a full backup.
  const auto on_full =
      post("/api/v1/backups",
           json::object{
               {"name", "full again"}, {"type", "full"}, {"options", json::object{{"parent_backup_id", id_of(full)}}}});
  expect_error(on_full, 400, "VALIDATION_FAILED");
  EXPECT_EQ(bad_fields(on_full), std::vector<std::string>{"options.parent_backup_id"});
  const auto list = get("/api/v1/backups");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("pagination").at("total_items").as_int64(), 1);
}

}  // namespace
}  // namespace claudelens::testing
