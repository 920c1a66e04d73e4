// The server's caches (docs/http.md "Caches") against a second process on the same store: the real
// `claudelens` CLI creates and deletes backups and revokes keys beside the running server, and the
// server's next request sees it; a key revoked through the API stops working at once too.
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json.hpp>

#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;

class ServerCache : public ServerTest {
 protected:
  /// `claudelens <args>` on the server's store and backup directory: another process.
  CliResult cli(std::vector<std::string> args) {
    std::vector<std::string> all{"--db", "sqlite:" + (dir().path() / "db.sqlite").string(), "--backup-dir",
                                 (dir().path() / "backups").string()};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all);
  }

  std::vector<std::string> listed_ids(const std::string& key = k_admin_key) {
    const auto r = get("/api/v1/backups?size=100", key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const json::value v = r.json();
    for (const auto& i : v.at("items").as_array()) out.emplace_back(i.at("_id").as_string());
    return out;
  }
};

TEST_F(ServerCache, backups_made_and_deleted_by_another_process_show_at_once) {
  ingest_transcripts("chiphuyen__sniffly");
  const std::string first = make_backup("through the api");
  ASSERT_EQ(listed_ids(), std::vector<std::string>{first});
  ASSERT_EQ(get("/api/v1/backups/" + first).status, 200);  // both answers cached now

  const auto made = cli({"backup", "create", "--name", "from the cli", "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string second(json::parse(made.out).at("_id").as_string());
  auto ids = listed_ids();
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), second), ids.end());
  const auto shown = get("/api/v1/backups/" + second);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.json().at("name").as_string(), "from the cli");
  EXPECT_EQ(shown.json().at("status").as_string(), "completed");
  EXPECT_EQ(get("/api/v1/backups").json().at("summary").at("total_backups").as_int64(), 2);

  const auto deleted = cli({"backup", "delete", first, "--json"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(listed_ids(), std::vector<std::string>{second});
  expect_error(get("/api/v1/backups/" + first), 404, "BACKUP_NOT_FOUND");
}

TEST_F(ServerCache, a_key_revoked_by_another_process_or_the_api_is_refused_at_once) {
  auto made = [&](const std::string& name) {
    const auto r = post("/api/v1/keys", json::object{{"name", name}, {"role", "user"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::make_pair(std::string(r.json().at("_id").as_string()), std::string(r.json().at("key").as_string()));
  };
  const auto [cli_id, cli_key] = made("revoked by the cli");
  const auto [api_id, api_key] = made("revoked by the api");
  for (int i = 0; i < 3; ++i) {  // known, and remembered
    ASSERT_EQ(get("/api/v1/backups", cli_key).status, 200);
    ASSERT_EQ(get("/api/v1/backups", api_key).status, 200);
  }
  const auto revoked = cli({"keys", "revoke", cli_id});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  expect_error(get("/api/v1/backups", cli_key), 401, "UNAUTHORIZED");
  EXPECT_EQ(get("/api/v1/backups", api_key).status, 200);

  ASSERT_EQ(call("DELETE", "/api/v1/keys/" + api_id).status, 200);
  expect_error(get("/api/v1/backups", api_key), 401, "UNAUTHORIZED");
  EXPECT_EQ(get("/api/v1/backups").status, 200);  // the admin's key still works
}

}  // namespace
}  // namespace claudelens::testing
