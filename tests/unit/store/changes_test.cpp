// Change tracking (store.hpp "Change tracking", docs/backup.md): every change takes the next change
// sequence and stamps what it wrote; writes that change nothing stamp nothing; deletions leave
// tombstones; a read snapshot's sequence covers exactly what it sees.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {
namespace {

using claudelens::testing::TempDir;

Entry entry(const std::string& session, const std::string& key, const std::string& json) {
  Entry e;
  e.session_id = session;
  e.key = key;
  e.has_uuid = true;
  e.type = "user";
  e.timestamp = 1000 + static_cast<TimeMs>(json.size());
  e.cwd = "/w/app";
  e.json = json;
  return e;
}

std::int64_t seq_of(Store& st) {
  return st.read().value()->change_seq().value();
}

/// Counts what changed after `after`: (projects, sessions, entries, tombstones).
struct Changed {
  std::int64_t projects = 0, sessions = 0, entries = 0, tombstones = 0;
};
Changed changed_after(Store& st, std::int64_t after) {
  auto r = st.read().value();
  Changed c;
  EXPECT_TRUE(r->for_each_project({.changed_after = after}, [&](const Project&) { return ++c.projects, true; }));
  std::vector<std::string> sessions;
  EXPECT_TRUE(r->for_each_session({.changed_after = after}, [&](const Session& s) {
    sessions.push_back(s.id);
    return ++c.sessions, true;
  }));
  EXPECT_TRUE(r->for_each_entry({.changed_after = after}, [&](const Entry&) { return ++c.entries, true; }));
  EXPECT_TRUE(r->for_each_tombstone(after, std::nullopt, [&](const Tombstone&) { return ++c.tombstones, true; }));
  return c;
}

/// Project "-w-app" with session "s1" holding entries k1..k3; returns the project id.
std::string seed(Store& st) {
  auto w = st.write().value();
  const std::string pid = w->ensure_project("o", "-w-app", 1000).value();
  EXPECT_TRUE(w->ensure_session("s1", pid, "o", 1000));
  for (const char* k : {"k1", "k2", "k3"})
    EXPECT_TRUE(w->insert_entry(entry("s1", k, std::string(R"({"uuid":")") + k + "\"}"), OnExisting::keep).value());
  EXPECT_TRUE(w->refresh_session_stats("s1"));
  EXPECT_TRUE(w->refresh_project_stats(pid));
  EXPECT_TRUE(w->commit());
  return pid;
}

TEST(ChangeTracking, appended_entries_change_only_themselves_their_session_and_its_project) {
  TempDir dir;
  auto st = open_in(dir);
  EXPECT_EQ(seq_of(*st), 0);
  const std::string pid = seed(*st);
  const std::int64_t p = seq_of(*st);
  EXPECT_EQ(p, 1);  // one transaction, one sequence
  const Changed all = changed_after(*st, 0);
  EXPECT_EQ(all.entries, 3);
  EXPECT_EQ(all.sessions, 1);
  EXPECT_EQ(all.projects, 1);
  {
    auto w = st->write().value();
    EXPECT_FALSE(w->insert_entry(entry("s1", "k1", R"({"uuid":"k1"})"), OnExisting::keep).value());  // exists
    EXPECT_TRUE(w->insert_entry(entry("s1", "k4", R"({"uuid":"k4"})"), OnExisting::keep).value());
    EXPECT_TRUE(w->refresh_session_stats("s1"));
    EXPECT_TRUE(w->refresh_project_stats(pid));
    EXPECT_TRUE(w->commit());
  }
  const Changed after = changed_after(*st, p);
  EXPECT_EQ(after.entries, 1);
  EXPECT_EQ(after.sessions, 1);
  EXPECT_EQ(after.projects, 1);
  EXPECT_EQ(after.tombstones, 0);
}

TEST(ChangeTracking, writes_that_change_nothing_stamp_nothing) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  const std::int64_t p = seq_of(*st);
  {
    auto w = st->write().value();
    // The same lines again (kept and replaced by identical ones), the same statistics, the same summary.
    EXPECT_FALSE(w->insert_entry(entry("s1", "k2", R"({"uuid":"k2"})"), OnExisting::keep).value());
    EXPECT_FALSE(w->insert_entry(entry("s1", "k3", R"({"uuid":"k3"})"), OnExisting::replace).value());
    EXPECT_TRUE(w->refresh_session_stats("s1"));
    EXPECT_TRUE(w->refresh_project_stats(pid));
    EXPECT_TRUE(w->set_session_summary("s1", ""));
    EXPECT_TRUE(w->commit());
  }
  const Changed c = changed_after(*st, p);
  EXPECT_EQ(c.entries + c.sessions + c.projects + c.tombstones, 0);
  // A replace with other bytes is a change.
  {
    auto w = st->write().value();
    EXPECT_FALSE(w->insert_entry(entry("s1", "k3", R"({"uuid":"k3","edited":true})"), OnExisting::replace).value());
    EXPECT_TRUE(w->commit());
  }
  EXPECT_EQ(changed_after(*st, p).entries, 1);
}

TEST(ChangeTracking, deletions_leave_tombstones_in_change_order) {
  TempDir dir;
  auto st = open_in(dir);
  const std::string pid = seed(*st);
  {
    auto w = st->write().value();
    EXPECT_TRUE(w->ensure_session("s2", pid, "o", 2000));
    Document d{"doc1", "o", "a prompt", 1, 1, R"({"text":"x"})"};
    EXPECT_TRUE(w->put_document(Collection::prompts, d));
    EXPECT_TRUE(w->commit());
  }
  const std::int64_t p = seq_of(*st);
  {
    auto w = st->write().value();
    EXPECT_TRUE(w->delete_entry("s1", "k2"));
    EXPECT_TRUE(w->delete_entry("s1", "missing"));  // nothing to delete: no tombstone
    EXPECT_TRUE(w->delete_session("s2"));
    EXPECT_TRUE(w->delete_document(Collection::prompts, "doc1"));
    EXPECT_TRUE(w->commit());
  }
  {
    auto w = st->write().value();
    EXPECT_TRUE(w->delete_project(pid));
    EXPECT_TRUE(w->commit());
  }
  std::vector<Tombstone> t;
  EXPECT_TRUE(st->read().value()->for_each_tombstone(p, std::nullopt, [&](const Tombstone& x) {
    t.push_back(x);
    return true;
  }));
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, "entry");
  EXPECT_EQ(t[0].id, "k2");
  EXPECT_EQ(t[0].session_id, "s1");
  EXPECT_EQ(t[0].project_id, pid);
  EXPECT_EQ(t[0].owner_id, "o");
  EXPECT_EQ(t[1].kind, "session");
  EXPECT_EQ(t[1].id, "s2");
  EXPECT_EQ(t[2].kind, "prompts");
  EXPECT_EQ(t[3].kind, "project");
  EXPECT_EQ(t[3].id, pid);
  EXPECT_EQ(t[0].change_seq, p + 1);
  EXPECT_EQ(t[3].change_seq, p + 2);
  // Another owner's scope sees none of them.
  std::int64_t others = 0;
  EXPECT_TRUE(
      st->read().value()->for_each_tombstone(0, std::string("x"), [&](const Tombstone&) { return ++others, true; }));
  EXPECT_EQ(others, 0);
}

TEST(ChangeTracking, a_snapshot_sequence_covers_exactly_what_the_snapshot_sees) {
  TempDir dir;
  auto st = open_in(dir);
  seed(*st);
  auto snapshot = st->read().value();
  const std::int64_t seen = snapshot->change_seq().value();
  {
    auto w = st->write().value();
    EXPECT_TRUE(w->insert_entry(entry("s1", "k9", R"({"uuid":"k9"})"), OnExisting::keep).value());
    EXPECT_TRUE(w->commit());
  }
  EXPECT_EQ(snapshot->change_seq().value(), seen);  // the old snapshot does not see the commit
  std::int64_t later = 0;
  EXPECT_TRUE(snapshot->for_each_entry({.changed_after = seen}, [&](const Entry&) { return ++later, true; }));
  EXPECT_EQ(later, 0);
  EXPECT_EQ(seq_of(*st), seen + 1);
  EXPECT_EQ(changed_after(*st, seen).entries, 1);
}

}  // namespace
}  // namespace claudelens::store
