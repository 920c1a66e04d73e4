// Every cell of docs/restore.md's table: mode × strategy × (exists / does not exist). One scenario:
// a backup of projects app {A, B, E} and lib {D} and prompts X, Y, W; then the store changes (A: a1
// edited, a2 deleted, a3 added; B and E deleted; lib deleted; C added to app; project extra {F}
// added; X edited; Y and W deleted; Z added) and the backup is restored. A, app and X are the "exists"
// cells; B, D/lib and Y the "does not exist" ones; C, extra/F and Z are what a full restore deletes.
// E and W are archived but not selected by the selective cells (a strict subset of the archive).
#include <gtest/gtest.h>

#include <fstream>
#include <tuple>

#include "format/reader.hpp"

#include "restore/report.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {
namespace {

using restore::Mode;
using restore::Strategy;

const std::string k_a1 = line("A", "a1", 1);
const std::string k_a1_edited = line("A", "a1", 1, "/w/app", ",\"edited\":true");

store::Document prompt(const std::string& id, const std::string& body, TimeMs updated) {
  return store::Document{id, "", id, 1000, updated, body};
}

class Semantics : public ::testing::TestWithParam<std::tuple<Mode, Strategy>> {
 protected:
  void SetUp() override {
    f = std::make_unique<RestoreFixture>(dir);
    f->ingest("app", "A", {k_a1, line("A", "a2", 2)});
    f->ingest("app", "B", {line("B", "b1", 3)});
    f->ingest("lib", "D", {line("D", "d1", 4, "/w/lib")});
    f->ingest("app", "E", {line("E", "e1", 8)});
    {
      auto w = f->writer();
      auto x = prompt("X", "{\"text\":\"original\"}", 1000), y = prompt("Y", "{\"text\":\"y\"}", 1000);
      auto wp = prompt("W", "{\"text\":\"w\"}", 1000);
      x.owner_id = y.owner_id = wp.owner_id = f->admin.id;
      ASSERT_TRUE(w->put_document(store::Collection::prompts, x));
      ASSERT_TRUE(w->put_document(store::Collection::prompts, y));
      ASSERT_TRUE(w->put_document(store::Collection::prompts, wp));
      ASSERT_TRUE(w->commit());
    }
    lib_id = f->project_named("lib")->id;
    app_id = f->project_named("app")->id;
    archive = f->backup();
    // The store moves on.
    f->put_line("A", k_a1_edited);
    f->put_line("A", line("A", "a3", 5));
    {
      auto w = f->writer();
      ASSERT_TRUE(w->delete_entry("A", "a2"));
      ASSERT_TRUE(w->refresh_session_stats("A"));
      ASSERT_TRUE(w->delete_session("B"));
      ASSERT_TRUE(w->delete_session("E"));
      ASSERT_TRUE(w->refresh_project_stats(app_id));
      ASSERT_TRUE(w->delete_project(lib_id));
      auto x = prompt("X", "{\"text\":\"edited\"}", 2000), z = prompt("Z", "{\"text\":\"z\"}", 2000);
      x.owner_id = z.owner_id = f->admin.id;
      ASSERT_TRUE(w->put_document(store::Collection::prompts, x));
      ASSERT_TRUE(w->delete_document(store::Collection::prompts, "Y"));
      ASSERT_TRUE(w->delete_document(store::Collection::prompts, "W"));
      ASSERT_TRUE(w->put_document(store::Collection::prompts, z));
      ASSERT_TRUE(w->commit());
    }
    f->ingest("app", "C", {line("C", "c1", 6)});
    f->ingest("extra", "F", {line("F", "f1", 7, "/w/extra")});
    extra_id = f->project_named("extra")->id;
  }

  std::optional<store::Document> doc(const std::string& id) {
    return *f->reader()->get_document(store::Collection::prompts, id);
  }

  TempDir dir;
  std::unique_ptr<RestoreFixture> f;
  std::filesystem::path archive;
  std::string app_id, lib_id, extra_id;
};

TEST_P(Semantics, each_cell_does_what_the_table_says) {
  const auto [mode, strategy] = GetParam();
  restore::RestoreOptions o;
  o.mode = mode;
  o.on_conflict = strategy;
  o.allow_delete = true;
  if (mode == Mode::selective) {
    o.selections.sessions = {"A", "B", "D"};
    o.selections.prompts = {"X", "Y"};
  }
  auto r = f->restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  const bool full = mode == Mode::full;

  // ---- does not exist: restored in every cell, with its archived id ----
  EXPECT_EQ(f->keys("B"), (std::set<std::string>{"b1"}));
  EXPECT_EQ(f->keys("D"), (std::set<std::string>{"d1"}));
  const auto lib = f->project_named("lib");
  ASSERT_TRUE(lib);
  EXPECT_EQ(lib->id, lib_id);
  EXPECT_EQ(f->session("D")->project_id, lib_id);
  ASSERT_TRUE(doc("Y"));
  EXPECT_EQ(doc("Y")->json, "{\"text\":\"y\"}");

  // ---- exists: the strategy decides ----
  const auto a = f->entries("A");
  switch (strategy) {
    case Strategy::skip:
      EXPECT_EQ(f->keys("A"), full ? (std::set<std::string>{"a1", "a2"}) : (std::set<std::string>{"a1", "a2", "a3"}));
      EXPECT_EQ(a.at("a1"), k_a1_edited);  // the stored one is kept
      EXPECT_EQ(doc("X")->json, "{\"text\":\"edited\"}");
      EXPECT_EQ(f->session("B")->project_id, app_id);
      break;
    case Strategy::overwrite:
      EXPECT_EQ(f->keys("A"), full ? (std::set<std::string>{"a1", "a2"}) : (std::set<std::string>{"a1", "a2", "a3"}));
      EXPECT_EQ(a.at("a1"), k_a1);  // the archived one replaces it
      EXPECT_EQ(doc("X")->json, "{\"text\":\"original\"}");
      break;
    case Strategy::merge:
      EXPECT_EQ(f->keys("A"), (std::set<std::string>{"a1", "a2", "a3"}));  // union, even in full mode
      EXPECT_EQ(a.at("a1"), k_a1_edited);                  // same timestamp: the stored one is not older
      EXPECT_EQ(doc("X")->json, "{\"text\":\"edited\"}");  // stored updated_at is newer
      break;
    case Strategy::rename: {
      EXPECT_EQ(f->keys("A"), (std::set<std::string>{"a1", "a3"}));  // untouched
      EXPECT_EQ(a.at("a1"), k_a1_edited);
      ASSERT_TRUE(r->id_mappings.contains("A"));
      const std::string copy = r->id_mappings.at("A");
      EXPECT_NE(copy, "A");
      EXPECT_EQ(f->keys(copy), (std::set<std::string>{"a1", "a2"}));
      EXPECT_EQ(f->entries(copy).at("a1"), line(copy, "a1", 1));  // sessionId rewritten, nothing else
      const auto renamed_app = f->project_named("app_restored");
      ASSERT_TRUE(renamed_app);
      EXPECT_EQ(r->id_mappings.at(app_id), renamed_app->id);
      EXPECT_EQ(f->session(copy)->project_id, renamed_app->id);
      EXPECT_EQ(f->session("B")->project_id, renamed_app->id);  // follows its renamed project
      EXPECT_EQ(doc("X")->json, "{\"text\":\"edited\"}");
      ASSERT_TRUE(r->id_mappings.contains("X"));
      const auto x_copy = doc(r->id_mappings.at("X"));
      ASSERT_TRUE(x_copy);
      EXPECT_EQ(x_copy->json, "{\"text\":\"original\"}");
      EXPECT_EQ(x_copy->name, "X_restored");
      break;
    }
  }

  // ---- archived but not selected: restored by merge and full only ----
  const bool selective = mode == Mode::selective;
  EXPECT_EQ(f->session("E").has_value(), !selective);
  EXPECT_EQ(f->keys("E"), selective ? std::set<std::string>{} : std::set<std::string>{"e1"});
  EXPECT_EQ(doc("W").has_value(), !selective);
  if (strategy != Strategy::merge)  // A's row counts when it is written (overwrite, rename)
    EXPECT_EQ(r->tally("sessions").restored, (selective ? 2 : 3) + (strategy == Strategy::skip ? 0 : 1));

  // ---- what the backup lacks: deleted by a full restore only ----
  EXPECT_EQ(f->session("C").has_value(), !full);
  EXPECT_EQ(doc("Z").has_value(), !full);
  EXPECT_EQ(f->project_named("extra").has_value(), !full);
  EXPECT_EQ(f->session("F").has_value(), !full);
  EXPECT_EQ(f->keys("F"), full ? std::set<std::string>{} : std::set<std::string>{"f1"});
  if (full) {
    EXPECT_EQ(r->collections.at("projects").deleted, 1);
    EXPECT_EQ(r->deleted_projects, std::vector<std::string>{extra_id});
    EXPECT_EQ(r->collections.at("sessions").deleted, 2);
    EXPECT_EQ(r->deleted_sessions, (std::vector<std::string>{"F", "C"}));
    EXPECT_EQ(r->collections.at("prompts").deleted, 1);
  } else {
    EXPECT_EQ(r->tally("projects").deleted + r->tally("sessions").deleted + r->tally("prompts").deleted, 0);
  }
  // Statistics follow the entries.
  const auto s = f->session("A");
  EXPECT_EQ(s->records_count, static_cast<std::int64_t>(f->keys("A").size()));
  const auto app = f->project_named("app");
  std::int64_t app_sessions = 0;
  ASSERT_TRUE(f->reader()->for_each_session({.project_ids = {app->id}}, [&](const store::Session&) {
    ++app_sessions;
    return true;
  }));
  EXPECT_EQ(app->sessions_count, app_sessions);
}

std::string cell_name(const ::testing::TestParamInfo<std::tuple<Mode, Strategy>>& info) {
  return std::string(restore::mode_name(std::get<0>(info.param))) + "_" +
         std::string(restore::strategy_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Table, Semantics,
                         ::testing::Combine(::testing::Values(Mode::full, Mode::selective, Mode::merge),
                                            ::testing::Values(Strategy::skip, Strategy::overwrite, Strategy::rename,
                                                              Strategy::merge)),
                         cell_name);

TEST_F(Semantics, full_restore_that_would_delete_needs_confirmation_and_changes_nothing) {
  const auto before = f->counts();
  restore::RestoreOptions o;
  o.mode = Mode::full;
  auto r = f->restore(archive, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_TRUE(f->session("C"));
  EXPECT_FALSE(f->session("B"));
  EXPECT_EQ(f->counts().records, before.records);
}

TEST_F(Semantics, dry_run_reports_the_exact_counts_and_writes_nothing) {
  const auto before = f->counts();
  restore::RestoreOptions o;
  o.mode = Mode::full;
  o.dry_run = true;
  auto dry = f->restore(archive, o);
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_EQ(f->counts().records, before.records);
  EXPECT_FALSE(f->session("B"));
  EXPECT_TRUE(f->session("C"));
  std::int64_t history = 0;
  ASSERT_TRUE(f->reader()->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord&) {
    ++history;
    return true;
  }));
  EXPECT_EQ(history, 0);
  o.dry_run = false;
  o.allow_delete = true;
  auto real = f->restore(archive, o);
  ASSERT_TRUE(real);
  for (const auto& [name, t] : dry->collections) {
    EXPECT_EQ(t.restored, real->collections.at(name).restored) << name;
    EXPECT_EQ(t.skipped, real->collections.at(name).skipped) << name;
    EXPECT_EQ(t.deleted, real->collections.at(name).deleted) << name;
  }
  EXPECT_EQ(dry->deleted_sessions, real->deleted_sessions);
}

TEST_F(Semantics, selective_restore_restores_only_the_chosen_session) {
  restore::RestoreOptions o;
  o.mode = Mode::selective;
  o.validate_before_restore = false;
  o.selections.sessions = {"B"};
  auto r = f->restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f->keys("B"), (std::set<std::string>{"b1"}));
  EXPECT_FALSE(f->session("D"));  // not chosen
  EXPECT_FALSE(doc("Y"));         // documents are chosen by `prompts`
  EXPECT_EQ(r->bytes_verified, 0u);
}

/// An archive of a small session B and sessions "big" and "big2" of about 4 MB each (several frames
/// of their own).
std::filesystem::path large_archive(RestoreFixture& source) {
  source.ingest("app", "B", {line("B", "b1", 3)});
  for (const std::string id : {"big", "big2"}) {
    std::vector<std::string> big;
    for (int i = 0; i < 8000; ++i)
      big.push_back(line(id, "u" + std::to_string(i), i % 60, "/w/app",
                         ",\"pad\":\"" + std::to_string(i * 7919) + std::string(400, 'x') + "\""));
    source.ingest("app", id, big);
  }
  return source.backup();
}

TEST(SelectiveRestore, reads_only_the_chosen_sessions_frames_of_a_large_archive) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  const auto archive = large_archive(source);
  RestoreFixture target(dir, "target");
  restore::RestoreOptions o;
  o.mode = Mode::selective;
  o.validate_before_restore = false;
  o.selections.sessions = {"B"};
  auto r = target.restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.keys("B"), (std::set<std::string>{"b1"}));
  EXPECT_FALSE(target.session("big"));
  EXPECT_LT(r->bytes_read * 4, std::filesystem::file_size(archive));
}

TEST(SelectiveRestore, validation_checks_the_frames_it_will_read_before_writing_anything) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  const auto archive = large_archive(source);
  // Damage the first frame of session big's entries (a frame no catalogue section shares). A restore
  // of big reads neither big2's frames: it checks its own frames, not the whole file.
  std::uint64_t at = 0;
  std::size_t frame = 0;
  {
    auto reader = format::ArchiveReader::open(archive);
    ASSERT_TRUE(reader) << reader.error().message;
    for (const auto& s : (*reader)->sections())
      if (s.key.collection == "entries" && s.key.session_id == "big") frame = s.first_frame;
    for (const auto& s : (*reader)->sections())
      if (s.key.collection != "entries") ASSERT_NE(s.first_frame, frame);
    const auto& f = (*reader)->frames()[frame];
    at = f.offset + f.stored_size / 2;
  }
  {
    std::fstream file(archive, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(at));
    file.put(static_cast<char>(c ^ 0x20));
  }
  RestoreFixture target(dir, "target");
  restore::RestoreOptions o;
  o.mode = Mode::selective;
  o.selections.sessions = {"big"};
  for (Strategy strategy : {Strategy::skip, Strategy::overwrite}) {
    o.on_conflict = strategy;
    auto r = target.restore(archive, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupted);
    EXPECT_NE(r.error().message.find("frame " + std::to_string(frame)), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(target.counts().sessions, 0);
  std::int64_t history = 0;  // refused before the transaction: not even a failed attempt is recorded
  ASSERT_TRUE(target.reader()->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord&) {
    ++history;
    return true;
  }));
  EXPECT_EQ(history, 0);
  // Session B's frames are intact: its restore checks them, not the damaged one...
  o.selections.sessions = {"B"};
  auto b = target.restore(archive, o);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(target.keys("B"), (std::set<std::string>{"b1"}));
  EXPECT_LT(b->bytes_verified * 4, std::filesystem::file_size(archive));  // B shares the catalogue's frame
  // ... unless asked to check the whole file.
  o.verify_all = true;
  auto all = target.restore(archive, o);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, Errc::corrupted);
}

TEST_F(Semantics, history_records_success_and_failed_attempts) {
  restore::RestoreOptions o;
  auto ok = f->restore(archive, o);
  ASSERT_TRUE(ok);
  std::atomic<bool> cancel{true};
  o.cancel = &cancel;
  o.validate_before_restore = false;
  auto cancelled = f->restore(archive, o);
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code, Errc::cancelled);
  std::vector<std::string> statuses;
  ASSERT_TRUE(f->reader()->for_each_system(store::SystemTable::restores, [&](const store::SystemRecord& rec) {
    statuses.push_back(rec.status);
    EXPECT_NE(rec.json.find("\"documents_restored\""), std::string::npos);
    return true;
  }));
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<std::string>{"failed", "success"}));
}

}  // namespace
}  // namespace claudelens::testing
