// WebSockets over loopback: /ws/backups/{job_id} sends the job's state first, then progress at most once
// a second, then one final event, and closes; keys come from X-API-Key or the `apikey.<KEY>` subprotocol
// (echoed back); another user's job, an unknown job or the wrong kind of job answer 404 before upgrading.
#include <gtest/gtest.h>

#include <chrono>

#include "integration/run_cli.hpp"
#include "integration/server_fixture.hpp"

namespace claudelens::testing {
namespace {

namespace json = boost::json;

class ServerWebSocket : public ServerTest {
 protected:
  void SetUp() override {
    // Some data to back up, made by the CLI on the same store before the server starts.
    const auto db = "sqlite:" + (dir().path() / "db.sqlite").string();
    const auto made = run_cli({"--db", db, "demo-data", "--messages", "20000", "--seed", "3"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    start();
  }
  /// Starts a full backup as `key`; returns its job id.
  std::string start_backup(const std::string& key = k_admin_key) {
    const auto r = post("/api/v1/backups", json::object{{"name", "ws test"}, {"type", "full"}}, key);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? std::string(r.json().at("job_id").as_string()) : std::string();
  }
};

TEST_F(ServerWebSocket, a_backup_sends_state_then_progress_then_one_final_event) {
  const auto job = start_backup();
  ASSERT_FALSE(job.empty());
  WsClient ws(port(), "/ws/backups/" + job, {{"X-API-Key", k_admin_key}});
  ASSERT_TRUE(ws.open()) << ws.refused_status();
  std::vector<json::value> events;
  std::vector<std::chrono::steady_clock::time_point> progress_times;
  while (auto m = ws.read(std::chrono::seconds(60))) {
    events.push_back(json::parse(*m));
    if (events.back().at("type") == "backup.progress") progress_times.push_back(std::chrono::steady_clock::now());
  }
  ASSERT_FALSE(events.empty());
  const auto& last = events.back();
  EXPECT_EQ(last.at("type").as_string(), "backup.completed") << json::serialize(last);
  EXPECT_EQ(last.at("job_id").as_string(), job);
  EXPECT_TRUE(last.as_object().contains("size_bytes"));
  EXPECT_TRUE(last.as_object().contains("timestamp"));
  for (std::size_t i = 0; i + 1 < events.size(); ++i)
    EXPECT_EQ(events[i].at("type").as_string(), "backup.progress") << "only the last event is final";
  // Progress after the first (state) message comes at most once a second.
  for (std::size_t i = 2; i < progress_times.size(); ++i)
    EXPECT_GE(progress_times[i] - progress_times[i - 1], std::chrono::milliseconds(900));
  // A late client gets the current (final) state at once, then the socket closes.
  WsClient late(port(), "/ws/backups/" + job, {}, std::string("apikey.") + k_admin_key);
  ASSERT_TRUE(late.open());
  EXPECT_EQ(late.accepted_protocol(), std::string("apikey.") + k_admin_key);
  const auto first = late.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(json::parse(*first).at("type").as_string(), "backup.completed");
  EXPECT_FALSE(late.read(std::chrono::seconds(5)));
}

TEST_F(ServerWebSocket, only_callers_who_may_see_the_job_can_watch_it) {
  const auto alice = make_user("alice");
  const auto bob = make_user("bob");
  const auto job = start_backup(alice);
  ASSERT_FALSE(job.empty());
  WsClient none(port(), "/ws/backups/" + job);
  EXPECT_FALSE(none.open());
  EXPECT_EQ(none.refused_status(), 401);
  WsClient other(port(), "/ws/backups/" + job, {{"X-API-Key", bob}});
  EXPECT_FALSE(other.open());
  EXPECT_EQ(other.refused_status(), 404);
  WsClient by_protocol(port(), "/ws/backups/" + job, {}, "apikey." + bob);
  EXPECT_FALSE(by_protocol.open());
  EXPECT_EQ(by_protocol.refused_status(), 404);
  WsClient wrong_kind(port(), "/ws/restore/" + job, {{"X-API-Key", alice}});
  EXPECT_FALSE(wrong_kind.open());
  EXPECT_EQ(wrong_kind.refused_status(), 404);
  WsClient unknown(port(), "/ws/backups/000000000000000000000000", {{"X-API-Key", alice}});
  EXPECT_EQ(unknown.refused_status(), 404);
  WsClient owner(port(), "/ws/backups/" + job, {{"X-API-Key", alice}});
  EXPECT_TRUE(owner.open());
  WsClient admin(port(), "/ws/backups/" + job, {{"X-API-Key", k_admin_key}});
  EXPECT_TRUE(admin.open());
  // A plain GET on a WebSocket path is refused, and the server goes on.
  expect_error(get("/ws/backups/" + job, alice), 400, "INVALID_REQUEST");
  expect_alive();
}

}  // namespace
}  // namespace claudelens::testing
