// The audit log over loopback with the real binary: backups created (API and CLI), downloaded, uploaded
// and deleted, restores started and ended, keys created and revoked and settings changed each appear in
// GET /api/v1/audit with the acting user, the action and the target (the CLI's backup create, keys create
// and backup delete too, as user admin); the filters and paging work; a
// user key gets 403, no key 401, bad parameters 400 VALIDATION_FAILED naming them; a full backup
// carries the log and a full restore into an empty store brings every line back, once.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "core/time.hpp"
#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::string k_boundary = "claudelens-audit-boundary-41c2";

std::string multipart(const std::string& file_bytes) {
  return "--" + k_boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"copy.claudelens\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file_bytes + "\r\n--" + k_boundary + "--\r\n";
}

std::string str(const json::value& v, const char* key) {
  const auto* o = v.if_object();
  const auto* f = o ? o->if_contains(key) : nullptr;
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

class ServerAudit : public ServerTest {
 protected:
  void SetUp() override {
    const auto made = run_cli({"--db", db_url(), "demo-data", "--messages", "600", "--seed", "3"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    start();
    // The admin key's user (the server adopted --api-key as user "admin").
    const auto keys = get("/api/v1/keys?size=100");
    ASSERT_EQ(keys.status, 200) << keys.body;
    const json::value listed = keys.json();
    for (const auto& k : listed.at("items").as_array())
      if (str(k, "role") == "admin") m_admin = str(k, "user_id");
    ASSERT_FALSE(m_admin.empty()) << keys.body;
  }

  std::string db_url() const { return "sqlite:" + (dir().path() / "db.sqlite").string(); }

  /// POST /backups as `key`, waited for; the backup id.
  std::string backup(const std::string& name, const std::string& key = k_admin_key, const std::string& type = "full") {
    const auto r = post("/api/v1/backups", json::object{{"name", name}, {"type", type}}, key);
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return {};
    const auto job = wait_job(port(), "backups", str(r.json(), "job_id"), key);
    EXPECT_EQ(job.at("status"), "completed") << json::serialize(job);
    return str(r.json(), "backup_id");
  }

  /// Every audit line, newest first (GET /audit pages of 100).
  std::vector<json::object> audit(const std::string& query = {}) {
    std::vector<json::object> out;
    for (int page = 1;; ++page) {
      const auto r = get("/api/v1/audit?size=100&page=" + std::to_string(page) + (query.empty() ? "" : "&" + query));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return out;
      const json::value v = r.json();
      for (const auto& item : v.at("items").as_array()) out.push_back(item.as_object());
      if (!v.at("pagination").at("has_next").as_bool()) return out;
    }
  }

  /// The audit lines (GET /audit, one page of 100) of the store in `other`, served by a server of its own.
  static std::vector<json::object> audit_of(const fs::path& other) {
    ServerProcess::Options o;
    o.dir = other;
    o.api_key = k_admin_key;
    ServerProcess server(o);
    EXPECT_NE(server.port(), 0) << server.startup_error();
    const auto r = http_request(server.port(), "GET", "/api/v1/audit?size=100", "", {{"X-API-Key", k_admin_key}});
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json::object> out;
    if (r.status != 200) return out;
    const json::value v = r.json();
    for (const auto& item : v.at("items").as_array()) out.push_back(item.as_object());
    return out;
  }

  /// The one line of `action` on `target_id` (a failure when there is none or several).
  static json::object line(const std::vector<json::object>& lines, const std::string& action,
                           const std::string& target_id) {
    std::vector<json::object> found;
    for (const auto& l : lines)
      if (l.at("action") == action.c_str() && l.at("target_id") == target_id.c_str()) found.push_back(l);
    EXPECT_EQ(found.size(), 1u) << action << " " << target_id;
    return found.empty() ? json::object{} : found.front();
  }

  std::string m_admin;
};

TEST_F(ServerAudit, every_action_is_logged_with_the_user_who_did_it) {
  // A user and its key: key.created by the admin.
  const auto made = post("/api/v1/keys", json::object{{"name", "alice"}, {"role", "user"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string alice_key = str(made.json(), "key"), alice = str(made.json(), "user_id");
  const std::string alice_key_id = str(made.json(), "_id");

  const std::string mine = backup("alice backup", alice_key);
  const std::string full = backup("admin backup");
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(full.empty());
  // A user's full backup leaves the log out (it names others' actions); an admin's carries it.
  const json::value mine_meta = get("/api/v1/backups/" + mine, alice_key).json();
  EXPECT_EQ(mine_meta.at("contents").at("audit_log_count"), 0);
  const json::value full_meta = get("/api/v1/backups/" + full).json();
  EXPECT_EQ(full_meta.at("contents").at("audit_log_count"), 3);  // the key and the two backups

  const auto file = get("/api/v1/backups/" + full + "/download");
  ASSERT_EQ(file.status, 200);
  const auto up = call("POST", "/api/v1/restore/upload", k_admin_key, multipart(file.body),
                       {{"Content-Type", "multipart/form-data; boundary=" + k_boundary}});
  ASSERT_EQ(up.status, 202) << up.body;
  const std::string uploaded = str(up.json(), "backup_id");

  const auto restore = post("/api/v1/restore", json::object{{"backup_id", full}, {"mode", "merge"}});
  ASSERT_EQ(restore.status, 202) << restore.body;
  const std::string restore_job = str(restore.json(), "job_id");
  EXPECT_EQ(wait_job(port(), "restore", restore_job).at("status"), "completed");

  const auto settings = put("/api/v1/settings/backup",
                            json::object{{"compression", json::object{{"level", 5}}},
                                         {"notifications", json::object{{"webhook_secret", "do-not-log-me-7731"}}}});
  ASSERT_EQ(settings.status, 200) << settings.body;

  const auto deleted = call("DELETE", "/api/v1/backups/" + mine, alice_key);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  const auto revoked = call("DELETE", "/api/v1/keys/" + alice_key_id);
  ASSERT_EQ(revoked.status, 200) << revoked.body;

  const auto lines = audit();
  ASSERT_EQ(lines.size(), 10u) << json::serialize(json::value_from(lines));
  auto expect = [&](const std::string& action, const std::string& target_type, const std::string& target_id,
                    const std::string& user) {
    const json::object l = line(lines, action, target_id);
    if (l.empty()) return l;
    EXPECT_EQ(l.at("user_id"), user.c_str()) << action;
    EXPECT_EQ(l.at("target_type"), target_type.c_str()) << action;
    EXPECT_TRUE(l.at("details").is_object()) << action;
    EXPECT_TRUE(claudelens::parse_iso8601(std::string(l.at("at").as_string()))) << action;
    return l;
  };
  EXPECT_EQ(expect("key.created", "api_key", alice_key_id, m_admin).at("details").at("user_id"), alice.c_str());
  EXPECT_EQ(expect("backup.created", "backup", mine, alice).at("details").at("name"), "alice backup");
  EXPECT_EQ(expect("backup.created", "backup", full, m_admin).at("details").at("type"), "full");
  EXPECT_EQ(expect("backup.downloaded", "backup", full, m_admin).at("details").at("size_bytes"),
            static_cast<std::int64_t>(file.body.size()));
  EXPECT_EQ(expect("backup.uploaded", "backup", uploaded, m_admin).at("details").at("filename"), "copy.claudelens");
  EXPECT_EQ(expect("restore.started", "backup", full, m_admin).at("details").at("job_id"), restore_job.c_str());
  const auto completed = expect("restore.completed", "backup", full, m_admin);
  EXPECT_EQ(completed.at("details").at("mode"), "merge");
  EXPECT_EQ(completed.at("details").at("status"), "completed");
  const auto changed = expect("settings.updated", "settings", "backup", m_admin);
  EXPECT_EQ(json::serialize(changed.at("details").at("updated_fields")),
            R"(["compression.level","notifications.webhook_secret"])");
  EXPECT_EQ(expect("backup.deleted", "backup", mine, alice).at("details").at("force"), false);
  expect("key.revoked", "api_key", alice_key_id, m_admin);
  // Newest first; no secret anywhere in the log.
  for (std::size_t i = 1; i < lines.size(); ++i)
    EXPECT_GE(lines[i - 1].at("at").as_string(), lines[i].at("at").as_string()) << i;
  EXPECT_EQ(lines.front().at("action"), "key.revoked");
  EXPECT_EQ(get("/api/v1/audit?size=100").body.find("do-not-log-me-7731"), std::string::npos);
}

TEST_F(ServerAudit, filters_and_paging) {
  for (const char* name : {"one", "two", "three"}) {
    const auto r = post("/api/v1/keys", json::object{{"name", name}, {"role", "user"}});
    ASSERT_EQ(r.status, 201) << r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct times for the range filter
  }
  const std::string b = backup("filtered");
  ASSERT_FALSE(b.empty());
  ASSERT_EQ(get("/api/v1/backups/" + b + "/download").status, 200);

  const auto all = audit();
  ASSERT_EQ(all.size(), 5u);
  const auto created = audit("action=key.created");
  ASSERT_EQ(created.size(), 3u);
  for (const auto& l : created) EXPECT_EQ(l.at("action"), "key.created");
  EXPECT_EQ(audit("action=backup.downloaded").size(), 1u);
  EXPECT_EQ(audit("action=restore.failed").size(), 0u);

  // [from, to): from the second key's line (inclusive) to the backup's line (exclusive).
  const std::string second = std::string(created[1].at("at").as_string());
  const std::string backup_at = std::string(line(all, "backup.created", b).at("at").as_string());
  const auto range = audit("from=" + second + "&to=" + backup_at);
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0].at("_id"), created[0].at("_id"));
  EXPECT_EQ(range[1].at("_id"), created[1].at("_id"));
  EXPECT_EQ(audit("from=" + backup_at).size(), 2u);  // the backup and its download
  EXPECT_EQ(audit("action=key.created&from=" + second).size(), 2u);

  // Pages of 2: the same lines in the same order, and the envelope of the other lists.
  std::vector<std::string> paged;
  for (int page = 1; page <= 3; ++page) {
    const auto r = get("/api/v1/audit?size=2&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value v = r.json();
    const auto& p = v.at("pagination");
    EXPECT_EQ(p.at("total_items"), 5);
    EXPECT_EQ(p.at("total_pages"), 3);
    EXPECT_EQ(p.at("current_page"), page);
    EXPECT_EQ(p.at("page_size"), 2);
    EXPECT_EQ(p.at("has_next").as_bool(), page < 3);
    EXPECT_EQ(p.at("has_previous").as_bool(), page > 1);
    for (const auto& item : v.at("items").as_array()) paged.push_back(str(item, "_id"));
  }
  ASSERT_EQ(paged.size(), 5u);
  for (std::size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i], str(all[i], "_id")) << i;
}

TEST_F(ServerAudit, only_admins_read_it_and_bad_parameters_are_refused) {
  const std::string user_key = make_user("reader");
  expect_error(get("/api/v1/audit", user_key), 403, "FORBIDDEN");
  expect_error(get("/api/v1/audit", ""), 401, "UNAUTHORIZED");
  const std::map<std::string, std::string> bad = {{"action=backup.exploded", "action"},
                                                  {"from=yesterday", "from"},
                                                  {"to=2026-13-01T00:00:00Z", "to"},
                                                  {"size=0", "size"},
                                                  {"size=101", "size"},
                                                  {"page=0", "page"},
                                                  {"page=x", "page"},
                                                  {"colour=blue", "colour"},
                                                  {"from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"}};
  for (const auto& [query, field] : bad) {
    const auto r = get("/api/v1/audit?" + query);
    expect_error(r, 400, "VALIDATION_FAILED");
    EXPECT_EQ(bad_fields(r), std::vector<std::string>{field}) << query;
  }
  // The refused reads left no line; the key made above is the only one.
  const auto lines = audit();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("action"), "key.created");
}

TEST_F(ServerAudit, the_cli_backup_is_logged_with_the_cli_user) {
  const auto r = run_cli({"--db", db_url(), "--backup-dir", (dir().path() / "backups").string(), "--json", "backup",
                          "create", "--name", "from the cli"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = str(json::parse(r.out), "_id");
  const auto lines = audit("action=backup.created");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("target_id"), id.c_str());
  EXPECT_EQ(lines[0].at("user_id"), m_admin.c_str());  // the CLI acts as the admin user
  EXPECT_EQ(lines[0].at("details").at("name"), "from the cli");

  // The CLI's key and delete commands are logged the same way.
  const auto key = run_cli({"--db", db_url(), "keys", "create", "--json", "--name", "cli-made", "--role", "user"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string key_id = str(json::parse(key.out), "_id");
  const auto removed =
      run_cli({"--db", db_url(), "--backup-dir", (dir().path() / "backups").string(), "backup", "delete", id});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  // A schedule added and paused through the CLI is a settings change, named by field and schedule.
  const auto added =
      run_cli({"--db", db_url(), "--json", "schedule", "add", "--name", "nightly", "--cron", "0 3 * * *"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string schedule_id = str(json::parse(added.out), "_id");
  ASSERT_EQ(run_cli({"--db", db_url(), "schedule", "pause", schedule_id}).exit_code, 0);
  const auto all = audit();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(line(all, "key.created", key_id).at("user_id"), m_admin.c_str());
  EXPECT_EQ(line(all, "backup.deleted", id).at("user_id"), m_admin.c_str());
  const auto changes = audit("action=settings.updated");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].at("details").at("change"), "paused");  // newest first
  EXPECT_EQ(changes[1].at("details").at("change"), "added");
  EXPECT_EQ(changes[1].at("details").at("schedule_id"), schedule_id.c_str());
  EXPECT_EQ(changes[1].at("user_id"), m_admin.c_str());
}

TEST_F(ServerAudit, a_full_backup_carries_the_log_and_a_full_restore_brings_it_back) {
  make_user("carol");
  make_user("dave", "admin");
  ASSERT_EQ(put("/api/v1/settings/backup", json::object{{"compression", json::object{{"level", 4}}}}).status, 200);
  const std::string full = backup("with the log");
  ASSERT_FALSE(full.empty());
  const auto before = audit();
  ASSERT_EQ(before.size(), 4u);  // two keys, the settings, the backup itself (recorded when accepted)
  const auto meta = get("/api/v1/backups/" + full).json();
  EXPECT_EQ(meta.at("contents").at("audit_log_count"), 4);
  const fs::path file = dir().path() / "backups" / std::string(meta.at("filepath").as_string());
  ASSERT_TRUE(fs::exists(file)) << file;

  // Into an empty store, by the CLI (a full restore of a full backup), twice: the second adds nothing.
  const fs::path other = dir().path() / "other";  // (a second TempDir would be this test's folder again)
  const std::string other_db = "sqlite:" + (other / "db.sqlite").string();
  for (int round = 0; round < 2; ++round) {
    const auto r = run_cli({"--db", other_db, "--backup-dir", (other / "backups").string(), "--json", "restore",
                            file.string(), "--mode", "full", "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const auto tally = json::parse(r.out).at("collections").at("audit_log");
    EXPECT_EQ(tally.at("restored"), round == 0 ? 4 : 0) << r.out;
    EXPECT_EQ(tally.at("skipped"), round == 0 ? 0 : 4) << r.out;
  }
  std::map<std::string, json::object> after;
  std::multiset<std::string> actions;
  for (const auto& item : audit_of(other)) {
    after[str(item, "_id")] = item;
    actions.insert(str(item, "action"));
  }
  for (const auto& l : before) {
    const auto it = after.find(std::string(l.at("_id").as_string()));
    ASSERT_NE(it, after.end()) << json::serialize(l);
    EXPECT_EQ(it->second, l);  // the same line: time, user, action, target, details
  }
  // Plus the two CLI restores' own lines (started and completed each), and nothing else.
  EXPECT_EQ(after.size(), before.size() + 4);
  EXPECT_EQ(actions.count("restore.started"), 2u);
  EXPECT_EQ(actions.count("restore.completed"), 2u);
}

TEST_F(ServerAudit, a_chain_restore_names_its_chain_and_a_full_restore_of_it_brings_the_root_s_log_back) {
  const std::string root = backup("the root");
  ASSERT_FALSE(root.empty());
  const auto root_meta = get("/api/v1/backups/" + root).json();
  const std::int64_t root_lines = root_meta.at("contents").at("audit_log_count").as_int64();
  EXPECT_EQ(root_lines, 1);  // its own backup.created
  make_user("erin");         // a key.created line after the root
  const std::string inc = backup("the increment", k_admin_key, "incremental");
  ASSERT_FALSE(inc.empty());
  const json::value chain = json::array{json::value(root), json::value(inc)};
  // A line's details.chain (null when it has none).
  const auto chain_of = [](const json::object& l) {
    const auto* d = l.if_contains("details");
    const auto* c = d && d->is_object() ? d->as_object().if_contains("chain") : nullptr;
    return c ? *c : json::value(nullptr);
  };

  // Through the HTTP restore job: restore.completed names the chain, root first.
  const auto restore = post("/api/v1/restore", json::object{{"backup_id", inc}, {"mode", "merge"}});
  ASSERT_EQ(restore.status, 202) << restore.body;
  EXPECT_EQ(wait_job(port(), "restore", str(restore.json(), "job_id")).at("status"), "completed");
  const auto completed = line(audit("action=restore.completed"), "restore.completed", inc);
  EXPECT_EQ(chain_of(completed), chain) << json::serialize(completed);
  EXPECT_EQ(completed.at("details").at("status"), "completed");
  // A single archive's line has no chain.
  const auto single = post("/api/v1/restore", json::object{{"backup_id", root}, {"mode", "merge"}});
  ASSERT_EQ(single.status, 202) << single.body;
  EXPECT_EQ(wait_job(port(), "restore", str(single.json(), "job_id")).at("status"), "completed");
  EXPECT_TRUE(chain_of(line(audit("action=restore.completed"), "restore.completed", root)).is_null());

  // Through the CLI, into an empty store that finds the root in the backup directory: a full restore
  // adds the root's archived lines, as a full restore of the root alone does.
  const auto before = audit();
  const fs::path other = dir().path() / "other";
  const std::string other_db = "sqlite:" + (other / "db.sqlite").string();
  const fs::path inc_file =
      dir().path() / "backups" / std::string(get("/api/v1/backups/" + inc).json().at("filepath").as_string());
  const auto r = run_cli({"--db", other_db, "--backup-dir", (dir().path() / "backups").string(), "--json", "restore",
                          inc_file.string(), "--mode", "full", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json::value out = json::parse(r.out);
  EXPECT_EQ(out.at("chain"), chain);
  const auto* audit_tally = out.at("collections").as_object().if_contains("audit_log");
  ASSERT_NE(audit_tally, nullptr) << r.out;
  EXPECT_EQ(audit_tally->at("restored"), root_lines) << r.out;
  const auto after = audit_of(other);
  // The root's line (the root's own backup.created), and the CLI restore's two lines naming the chain.
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(line(after, "backup.created", root), line(before, "backup.created", root));
  const auto cli = line(after, "restore.completed", inc_file.filename().string());  // an unregistered file
  EXPECT_EQ(chain_of(cli), chain) << json::serialize(cli);
}

}  // namespace
}  // namespace claudelens::testing
