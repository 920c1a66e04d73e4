#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <tuple>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {
namespace {

using claudelens::testing::TempDir;

Entry make_entry(const std::string& session, const std::string& key, bool uuid, std::optional<TimeMs> ts,
                 const std::string& cwd = "/w/app", const std::string& json = "{}") {
  Entry e;
  e.session_id = session;
  e.key = key;
  e.has_uuid = uuid;
  e.type = uuid ? "user" : "summary";
  e.timestamp = ts;
  e.cwd = cwd;
  e.json = json;
  return e;
}

/// Builds project "p" (owner "o") with session "s1" holding three messages and one record.
std::string seed(Store& st) {
  auto w = st.write().value();
  const std::string pid = w->ensure_project("o", "-w-app", 1000).value();
  EXPECT_TRUE(w->ensure_session("s1", pid, "o", 1000));
  EXPECT_TRUE(
      w->insert_entry(make_entry("s1", "u1", true, 3000, "/w/app", R"({"uuid":"u1","x":"é"})"), OnExisting::keep)
          .value());
  EXPECT_TRUE(w->insert_entry(make_entry("s1", "u2", true, 2000, "/w/app"), OnExisting::keep).value());
  EXPECT_TRUE(w->insert_entry(make_entry("s1", "u3", true, 5000, "/w/other"), OnExisting::keep).value());
  EXPECT_TRUE(w->insert_entry(make_entry("s1", "~abc:0", false, std::nullopt, ""), OnExisting::keep).value());
  EXPECT_TRUE(w->refresh_session_stats("s1"));
  EXPECT_TRUE(w->refresh_project_stats(pid));
  EXPECT_TRUE(w->commit());
  return pid;
}

TEST(SqliteStore, creates_schema_and_reopens) {
  TempDir dir;
  { auto st = open_in(dir); }
  auto st = open_in(dir);
  auto r = st->read().value();
  auto c = r->counts(std::nullopt).value();
  EXPECT_EQ(c.projects, 0);
  EXPECT_EQ(c.records, 0);
}

TEST(SqliteStore, refuses_unknown_url_schemes) {
  auto s = open_store("mysql://localhost/db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
}

TEST(SqliteStore, entries_keep_json_verbatim_and_session_stats_are_computed) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  auto r = st->read().value();
  auto s = r->get_session("s1").value();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->message_count, 3);
  EXPECT_EQ(s->records_count, 4);
  EXPECT_EQ(s->started_at, 2000);
  EXPECT_EQ(s->ended_at, 5000);
  EXPECT_EQ(s->bytes, std::int64_t(std::string(R"({"uuid":"u1","x":"é"})").size() + 6));
  auto p = r->get_project(pid).value();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, "/w/app");  // two of three entries with a cwd
  EXPECT_EQ(p->sessions_count, 1);
  EXPECT_EQ(p->messages_count, 3);
  EXPECT_EQ(p->records_count, 4);
  auto e = r->get_entry("s1", "u1").value();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->json, R"({"uuid":"u1","x":"é"})");
  EXPECT_EQ(e->project_id, pid);
  EXPECT_EQ(e->owner_id, "o");
  std::vector<std::string> keys;
  ASSERT_TRUE(r->for_each_entry({.session_id = "s1"}, [&](const Entry& x) {
    keys.push_back(x.key);
    return true;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"u1", "u2", "u3", "~abc:0"}));  // insertion order
  auto c = r->counts(std::nullopt).value();
  EXPECT_EQ(c.messages, 3);
  EXPECT_EQ(c.records, 4);
  EXPECT_EQ(c.earliest, 2000);
  EXPECT_EQ(c.latest, 5000);
}

TEST(SqliteStore, insert_is_idempotent_and_replace_overwrites) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto w = st->write().value();
  EXPECT_FALSE(w->insert_entry(make_entry("s1", "u1", true, 3000, "/w/app", "{\"v\":2}"), OnExisting::keep).value());
  EXPECT_EQ(w->get_entry("s1", "u1").value()->json, R"({"uuid":"u1","x":"é"})");
  EXPECT_FALSE(w->insert_entry(make_entry("s1", "u1", true, 3000, "/w/app", "{\"v\":2}"), OnExisting::replace).value());
  EXPECT_EQ(w->get_entry("s1", "u1").value()->json, "{\"v\":2}");
}

TEST(SqliteStore, writer_rolls_back_unless_committed) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  {
    auto w = st->write().value();
    ASSERT_TRUE(w->insert_entry(make_entry("s1", "u9", true, 9000), OnExisting::keep).value());
    ASSERT_TRUE(w->delete_session("s1"));
  }  // no commit
  auto r = st->read().value();
  EXPECT_TRUE(r->get_entry("s1", "u1").value());
  EXPECT_FALSE(r->get_entry("s1", "u9").value());
}

TEST(SqliteStore, reader_is_a_snapshot) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto r = st->read().value();
  {
    auto w = st->write().value();
    ASSERT_TRUE(w->delete_session("s1"));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_TRUE(r->get_session("s1").value());  // old snapshot
  auto fresh = st->read().value();
  EXPECT_FALSE(fresh->get_session("s1").value());
}

TEST(SqliteStore, delete_project_cascades) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  auto w = st->write().value();
  ASSERT_TRUE(w->delete_project(pid));
  ASSERT_TRUE(w->commit());
  auto c = st->read().value()->counts(std::nullopt).value();
  EXPECT_EQ(c.projects, 0);
  EXPECT_EQ(c.sessions, 0);
  EXPECT_EQ(c.records, 0);
}

TEST(SqliteStore, put_project_does_not_drop_sessions) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  auto w = st->write().value();
  Project p = *w->get_project(pid).value();
  p.description = "renamed";
  ASSERT_TRUE(w->put_project(p));
  ASSERT_TRUE(w->commit());
  auto r = st->read().value();
  EXPECT_EQ(r->get_project(pid).value()->description, "renamed");
  EXPECT_TRUE(r->get_session("s1").value());
}

TEST(SqliteStore, session_filters_select_by_project_id_and_message_count) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  {
    auto w = st->write().value();
    ASSERT_TRUE(w->ensure_session("s2", pid, "o", 1));
    ASSERT_TRUE(w->insert_entry(make_entry("s2", "v1", true, 1), OnExisting::keep));
    ASSERT_TRUE(w->refresh_session_stats("s2"));
    ASSERT_TRUE(w->commit());
  }
  auto r = st->read().value();
  auto ids = [&](const SessionFilter& f) {
    std::vector<std::string> out;
    EXPECT_TRUE(r->for_each_session(f, [&](const Session& s) {
      out.push_back(s.id);
      return true;
    }));
    return out;
  };
  EXPECT_EQ(ids({}).size(), 2u);
  EXPECT_EQ(ids({.min_messages = 2}), std::vector<std::string>{"s1"});
  EXPECT_EQ(ids({.max_messages = 1}), std::vector<std::string>{"s2"});
  EXPECT_EQ(ids({.session_ids = {"s2", "nope"}}), std::vector<std::string>{"s2"});
  EXPECT_EQ(ids({.owner_id = std::string("someone-else")}).size(), 0u);
  EXPECT_EQ(ids({.project_ids = {pid}}).size(), 2u);
}

TEST(SqliteStore, entry_filter_by_time_keeps_untimed_records) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto r = st->read().value();
  std::vector<std::string> keys;
  ASSERT_TRUE(r->for_each_entry({.session_id = "s1", .from = 2500, .to = 5000}, [&](const Entry& e) {
    keys.push_back(e.key);
    return true;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"u1", "~abc:0"}));
}

/// for_each_entry_line (the backup's scan) gives the rows for_each_entry gives, in the same order, for
/// every filter shape: one session with and without a time range or owner, and the joined scan.
TEST(SqliteStore, entry_lines_are_the_entries_fields) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  {
    auto w = st->write().value();
    ASSERT_TRUE(w->ensure_session("s2", pid, "o", 1000));
    // A line larger than a 16 KiB page: SQLite reads it from overflow pages.
    const std::string big = R"({"uuid":"u9","text":")" + std::string(40000, 'x') + R"("})";
    ASSERT_TRUE(w->insert_entry(make_entry("s2", "u9", true, 7000, "/w/app", big), OnExisting::keep).value());
    ASSERT_TRUE(w->commit());
  }
  auto r = st->read().value();
  using Row = std::tuple<std::string, bool, std::optional<TimeMs>, std::string>;
  for (const EntryFilter& f :
       {EntryFilter{.session_id = "s1"}, EntryFilter{.session_id = "s1", .from = 2500, .to = 5000},
        EntryFilter{.session_id = "s2"}, EntryFilter{.session_id = "s1", .owner_id = std::string("someone-else")},
        EntryFilter{.session_id = "nope"}, EntryFilter{}, EntryFilter{.owner_id = std::string("o"), .after_seq = 1}}) {
    std::vector<Row> entries, lines;
    ASSERT_TRUE(r->for_each_entry(f, [&](const Entry& e) {
      entries.emplace_back(e.key, e.has_uuid, e.timestamp, e.json);
      return true;
    }));
    ASSERT_TRUE(r->for_each_entry_line(f, [&](const EntryLine& e) {
      lines.emplace_back(std::string(e.key), e.has_uuid, e.timestamp, std::string(e.json));
      return true;
    }));
    EXPECT_EQ(lines, entries);
  }
  std::vector<std::string> keys;  // stops when the visitor says so
  ASSERT_TRUE(r->for_each_entry_line({}, [&](const EntryLine& e) {
    keys.emplace_back(e.key);
    return keys.size() < 2;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"u1", "u2"}));
  std::size_t big = 0;
  ASSERT_TRUE(r->for_each_entry_line({.session_id = "s2"}, [&](const EntryLine& e) {
    big = e.json.size();
    return true;
  }));
  EXPECT_EQ(big, 40000u + 23u);
}

TEST(SqliteStore, documents_and_system_records_round_trip) {
  TempDir dir;
  auto st = open_in(dir);
  {
    auto w = st->write().value();
    ASSERT_TRUE(w->put_document(Collection::prompts, {"p1", "o", "Review", 1, 2, R"({"name":"Review"})"}));
    ASSERT_TRUE(w->put_system(SystemTable::backups, {"b1", "o", "full", "completed", 5, 6, R"({"_id":"b1"})"}));
    ASSERT_TRUE(w->commit());
  }
  auto r = st->read().value();
  EXPECT_EQ(r->get_document(Collection::prompts, "p1").value()->json, R"({"name":"Review"})");
  EXPECT_FALSE(r->get_document(Collection::ai_settings, "p1").value());
  EXPECT_EQ(r->get_system(SystemTable::backups, "b1").value()->status, "completed");
  EXPECT_EQ(r->counts(std::nullopt).value().prompts, 1);
}

TEST(SqliteStore, api_keys_are_found_by_hash_and_revoked) {
  TempDir dir;
  auto st = open_in(dir);
  auto w = st->write().value();
  ASSERT_TRUE(w->put_user({"u1", "admin", Role::admin, 1}));
  ASSERT_TRUE(w->put_api_key({"k1", "u1", "ci", "hash1", "cl_abc", 1, std::nullopt, std::nullopt}));
  ASSERT_TRUE(w->revoke_api_key("k1", 7));
  EXPECT_EQ(w->revoke_api_key("nope", 7).error().code, Errc::not_found);
  auto k = w->find_api_key("hash1").value();
  ASSERT_TRUE(k);
  EXPECT_EQ(k->revoked_at, 7);
  EXPECT_EQ(w->find_user_by_name("admin").value()->role, Role::admin);
}

TEST(SqliteStore, concurrent_writers_serialise) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto w = st->write();
        ASSERT_TRUE(w) << w.error().message;
        ASSERT_TRUE((*w)->insert_entry(make_entry("s1", "t" + std::to_string(t) + "-" + std::to_string(i), true, i),
                                       OnExisting::keep));
        ASSERT_TRUE((*w)->commit());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(st->read().value()->counts(std::nullopt).value().records, 4);  // stats not refreshed
  std::int64_t n = 0;
  ASSERT_TRUE(st->read().value()->for_each_entry({}, [&](const Entry&) { return ++n, true; }));
  EXPECT_EQ(n, 104);
}

TEST(SqliteStore, newer_schema_is_refused) {
  TempDir dir;
  { auto st = open_in(dir); }
  { auto st = open_in(dir); }
  // Simulate a database written by a future version.
  std::string path = (dir / "db.sqlite").string();
  ASSERT_EQ(std::system(("sqlite3 " + path + " \"UPDATE meta SET value='999' WHERE key='schema_version'\"").c_str()),
            0);
  auto s = open_store("sqlite:" + path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::incompatible_version);
}

}  // namespace
}  // namespace claudelens::store

namespace claudelens::store {
namespace {

// The writer buffers (project, cwd) counts and writes them when 1,024 are held (a restore of thousands
// of projects kept them all to its commit): counts written in several flushes of one transaction add
// up. Project "p": "/a" twice, then 1,100 other projects' cwds (a flush), then "/a" once and "/b"
// twice: 3 against 2, so "/a" is its path; a flush that replaced the stored count (or dropped the
// buffer) would give "/b".
TEST(SqliteStore, cwd_counts_written_in_several_flushes_add_up) {
  TempDir dir;
  auto st = open_in(dir);
  auto w = st->write().value();
  const std::string pid = w->ensure_project("o", "-w-p", 1000).value();
  ASSERT_TRUE(w->ensure_session("s", pid, "o", 1000));
  int key = 0;
  auto add = [&](const std::string& session, const std::string& cwd) {
    ASSERT_TRUE(
        w->insert_entry(make_entry(session, "u" + std::to_string(key++), true, 1000, cwd), OnExisting::keep).value());
  };
  add("s", "/a");
  add("s", "/a");
  for (int i = 0; i < 1100; ++i) {
    const std::string other = w->ensure_project("o", "-w-other-" + std::to_string(i), 1000).value();
    ASSERT_TRUE(w->ensure_session("s" + std::to_string(i), other, "o", 1000));
    add("s" + std::to_string(i), "/other/" + std::to_string(i));
  }
  add("s", "/a");
  add("s", "/b");
  add("s", "/b");
  ASSERT_TRUE(w->refresh_session_stats("s"));
  ASSERT_TRUE(w->refresh_project_stats(pid));
  ASSERT_TRUE(w->commit());
  auto r = st->read().value();
  auto p = r->get_project(pid).value();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, "/a");
  auto last = r->find_project_by_name("o", "-w-other-1099").value();
  ASSERT_TRUE(last);
  auto w2 = st->write().value();
  ASSERT_TRUE(w2->refresh_project_stats(last->id));
  ASSERT_TRUE(w2->commit());
  EXPECT_EQ(st->read().value()->get_project(last->id).value()->path, "/other/1099");
}

}  // namespace
}  // namespace claudelens::store
