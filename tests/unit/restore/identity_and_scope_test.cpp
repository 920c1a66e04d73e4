// What "the same project" and "the backup's scope" mean to a restore (SPEC §7, docs/restore.md):
// projects are matched by id, else owner + folder name, never by path, and only against what the store
// held before the restore began; the strategies' "exists" cells with the archived side newer (merge)
// and the archived row replacing the stored one (overwrite); and a full restore of a selective or
// date-ranged backup, which deletes only inside the backup's scope.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {
namespace {

using restore::Mode;
using restore::Strategy;

/// (name, path, sessions_count) of every project, by id.
std::map<std::string, std::tuple<std::string, std::string, std::int64_t>> projects(RestoreFixture& f) {
  std::map<std::string, std::tuple<std::string, std::string, std::int64_t>> out;
  EXPECT_TRUE(f.reader()->for_each_project({}, [&](const store::Project& p) {
    out[p.id] = {p.name, p.path, p.sessions_count};
    return true;
  }));
  return out;
}

/// session id → project id.
std::map<std::string, std::string> session_projects(RestoreFixture& f) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(f.reader()->for_each_session({}, [&](const store::Session& s) {
    out[s.id] = s.project_id;
    return true;
  }));
  return out;
}

/// Three copies of one project folder (as a second machine or a replicated data set gives): other
/// folder names and session ids, the same cwd; and a project of its own path.
void three_copies_sharing_a_cwd(RestoreFixture& f) {
  for (const std::string copy : {"1", "2", "3"})
    f.ingest("app-copy" + copy, "S" + copy, {line("S" + copy, "u1", 1, "/w/app"), line("S" + copy, "u2", 2, "/w/app")});
  f.ingest("other", "T", {line("T", "t1", 3, "/w/other")});
}

TEST(Identity, projects_sharing_a_path_come_back_as_they_were) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  three_copies_sharing_a_cwd(source);
  ASSERT_EQ(projects(source).size(), 4u);
  const auto archive = source.backup();

  RestoreFixture target(dir, "target");
  for (Mode mode : {Mode::merge, Mode::full}) {
    restore::RestoreOptions o;
    o.mode = mode;
    auto r = target.restore(archive, o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(projects(target), projects(source)) << restore::mode_name(mode);  // ids, names, paths, counts
    EXPECT_EQ(session_projects(target), session_projects(source));
    for (const std::string s : {"S1", "S2", "S3", "T"}) EXPECT_EQ(target.entries(s), source.entries(s)) << s;
    EXPECT_EQ(target.counts().records, source.counts().records);
    if (mode == Mode::merge) {  // into the empty store: nothing existed, nothing conflicts
      EXPECT_EQ(r->tally("projects").restored, 4);
      EXPECT_EQ(r->conflicts_count, 0);
      EXPECT_EQ(r->id_mappings, (std::map<std::string, std::string>{{source.admin.id, target.admin.id}}));
    } else {  // again, over the restored store: each project is itself (by id), nothing deleted
      EXPECT_EQ(r->tally("projects").skipped, 4);
      EXPECT_EQ(r->tally("projects").deleted + r->tally("sessions").deleted, 0);
    }
  }
}

TEST(Identity, a_project_matches_by_id_first_and_each_stored_project_once) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  three_copies_sharing_a_cwd(source);
  const auto archive = source.backup();
  const std::string copy1 = source.project_named("app-copy1")->id;
  const std::string copy2 = source.project_named("app-copy2")->id;

  // The target holds copy1's id under copy2's folder name (as if that folder had been renamed), and
  // copy3's folder under another id (ingested there on its own).
  RestoreFixture target(dir, "target");
  {
    auto w = target.writer();
    store::Project p;
    p.id = copy1;
    p.owner_id = target.admin.id;
    p.name = "app-copy2";
    p.path = "/w/app";
    ASSERT_TRUE(w->put_project(p));
    ASSERT_TRUE(w->commit());
  }
  target.ingest("app-copy3", "X", {line("X", "x1", 9, "/w/app")});
  const std::string stored_copy3 = target.project_named("app-copy3")->id;

  auto r = target.restore(archive, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.session("S1")->project_id, copy1);         // by id, whatever its name
  EXPECT_EQ(target.session("S3")->project_id, stored_copy3);  // by owner + folder name
  // copy2's name is held by the project copy1 is: copy2 is not folded into it, it comes in with its
  // own id under a free name.
  EXPECT_EQ(target.session("S2")->project_id, copy2);
  const auto renamed = target.reader()->get_project(copy2);
  ASSERT_TRUE(renamed && *renamed);
  EXPECT_EQ((*renamed)->name, "app-copy2_restored");
  EXPECT_EQ(target.counts().projects, 4);
  EXPECT_EQ(target.project_named("app-copy2")->id, copy1);
}

TEST(Identity, a_project_of_another_owner_with_the_archived_id_is_not_the_same_project) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  source.ingest("app", "A", {line("A", "a1", 1)});
  const auto archive = source.backup();
  const std::string app = source.project_named("app")->id;
  RestoreFixture target(dir, "target");
  const store::User someone{new_id(), "someone", store::Role::user, 1};
  {
    auto w = target.writer();
    ASSERT_TRUE(w->put_user(someone));
    store::Project theirs;
    theirs.id = app;
    theirs.owner_id = someone.id;
    theirs.name = "app";
    ASSERT_TRUE(w->put_project(theirs));
    ASSERT_TRUE(w->commit());
  }
  auto r = target.restore(archive, {});
  ASSERT_TRUE(r) << r.error().message;
  const auto mine = target.project_named("app");
  ASSERT_TRUE(mine);
  EXPECT_NE(mine->id, app);
  EXPECT_EQ(r->id_mappings.at(app), mine->id);
  EXPECT_EQ(target.session("A")->project_id, mine->id);
  EXPECT_EQ((*target.reader()->get_project(app))->owner_id, someone.id);  // theirs is untouched
  EXPECT_EQ((*target.reader()->get_project(app))->sessions_count, 0);
}

// ---- an archive that lists a key twice ----------------------------------------------------------------

TEST(Identity, an_archive_listing_a_project_a_session_or_a_document_twice_is_refused) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  source.ingest("app", "A", {line("A", "a1", 1)});
  source.ingest("lib", "D", {line("D", "d1", 2, "/w/lib")});
  {
    auto w = source.writer();
    ASSERT_TRUE(w->put_document(store::Collection::prompts, {"X", source.admin.id, "X", 1, 1, "{}"}));
    ASSERT_TRUE(w->commit());
  }
  const auto archive = source.backup();
  RestoreFixture target(dir, "target");
  for (const std::string collection : {"projects", "sessions", "prompts"}) {
    const auto twice = dir.path() / (collection + "-twice.claudelens");
    write_with_a_duplicate(archive, collection, twice);
    auto r = target.restore(twice, {});
    ASSERT_FALSE(r) << collection;
    EXPECT_EQ(r.error().code, Errc::corrupted) << r.error().message;
    EXPECT_NE(r.error().message.find("twice"), std::string::npos) << r.error().message;
    EXPECT_EQ(target.counts().projects + target.counts().sessions + target.counts().prompts, 0) << collection;
  }
}

// ---- an archive whose entry documents hold a member after the line ------------------------------------

TEST(Identity, entry_documents_with_a_member_after_the_line_restore_the_line_alone) {
  // Another writer may add members after "d": the restore parses the line without walking it first
  // (LineCheck::parsed_by_caller) and must then fall back to the whole check, not fail or keep the extra.
  TempDir dir;
  RestoreFixture source(dir, "source");
  source.ingest("app", "A", {line("A", "a1", 1), line("A", "a2", 2)});
  const auto archive = source.backup();
  const auto extra = dir.path() / "extra.claudelens";
  {
    auto reader = format::ArchiveReader::open(archive);
    ASSERT_TRUE(reader) << reader.error().message;
    auto writer = format::ArchiveWriter::create(extra, (*reader)->header_json());
    ASSERT_TRUE(writer) << writer.error().message;
    int changed = 0;
    for (const auto& section : (*reader)->sections()) {
      ASSERT_TRUE((*writer)->begin_section(section.key));
      ASSERT_TRUE((*reader)->read_section(section, [&](std::string_view doc) {
        std::string copy(doc);
        if (doc.starts_with(R"({"_c":"messages")")) {
          copy.insert(copy.size() - 1, R"(,"note":{"x":"}"})");
          ++changed;
        }
        return (*writer)->append(copy).has_value();
      }));
    }
    ASSERT_EQ(changed, 2);
    ASSERT_TRUE((*writer)->finish((*reader)->manifest_json()));
  }
  RestoreFixture target(dir, "target");
  auto r = target.restore(extra, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.entries("A"), source.entries("A"));  // the lines, byte for byte, without the note
}

// ---- the "exists" cells, observed field by field ----------------------------------------------------

/// Session A in project app, prompt X, in a store of their own; `text` tells the copies apart, and the
/// rows' times are set to `updated` (created_at to `updated` - 1).
void one_of_each(RestoreFixture& f, const std::string& text, int second, TimeMs updated) {
  f.ingest("app", "A", {line("A", "a1", second, "/w/app", ",\"text\":\"" + text + "\"")});
  auto w = f.writer();
  auto s = *w->get_session("A");
  s->summary = "summary " + text;
  s->created_at = updated - 1;
  s->updated_at = updated;
  ASSERT_TRUE(w->put_session(*s));
  auto p = *w->find_project_by_name(f.admin.id, "app");
  p->description = "description " + text;
  p->created_at = updated - 1;
  p->updated_at = updated;
  ASSERT_TRUE(w->put_project(*p));
  store::Document x{"X", f.admin.id, "prompt " + text, updated - 1, updated, "{\"text\":\"" + text + "\"}"};
  ASSERT_TRUE(w->put_document(store::Collection::prompts, x));
  ASSERT_TRUE(w->commit());
}

/// Checks that `f` holds the copy one_of_each(…, text, second, updated) wrote, field by field, in the
/// project of id `app_id` (a matched project keeps the stored id).
void expect_copy(RestoreFixture& f, const std::string& text, int second, TimeMs updated, const std::string& app_id) {
  EXPECT_EQ(f.entries("A").at("a1"), line("A", "a1", second, "/w/app", ",\"text\":\"" + text + "\""));
  const auto s = f.session("A");
  EXPECT_EQ(s->summary, "summary " + text);
  EXPECT_EQ(s->created_at, updated - 1);
  EXPECT_EQ(s->ended_at, *parse_iso8601(fmt::format("2025-01-01T00:00:{:02}Z", second)));  // from the entry
  const auto app = f.project_named("app");
  EXPECT_EQ(app->id, app_id);
  EXPECT_EQ(app->description, "description " + text);
  EXPECT_EQ(app->created_at, updated - 1);
  const auto x = *f.reader()->get_document(store::Collection::prompts, "X");
  EXPECT_EQ(x->json, "{\"text\":\"" + text + "\"}");
  EXPECT_EQ(x->name, "prompt " + text);
}

constexpr TimeMs k_older = 1'800'000'000'000;  // 2027: later than every entry timestamp (2025)
constexpr TimeMs k_newer = 1'900'000'000'000;

TEST(ExistsCells, merge_takes_the_archived_side_where_it_is_newer) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  one_of_each(source, "archived", 9, k_newer);
  const auto archive = source.backup();
  RestoreFixture target(dir, "target");
  one_of_each(target, "stored", 1, k_older);
  const std::string stored_app = target.project_named("app")->id;

  restore::RestoreOptions o;
  o.on_conflict = Strategy::merge;
  auto r = target.restore(archive, o);
  ASSERT_TRUE(r) << r.error().message;
  // The entry is later (second 9 against 1); the rows' and the document's updated_at are newer.
  expect_copy(target, "archived", 9, k_newer, stored_app);
  EXPECT_EQ(r->tally("messages").updated, 1);
  EXPECT_EQ(r->tally("sessions").updated, 1);
  EXPECT_EQ(r->tally("projects").updated, 1);
  EXPECT_EQ(r->tally("prompts").updated, 1);
}

TEST(ExistsCells, overwrite_replaces_the_rows_even_when_the_stored_ones_are_newer) {
  TempDir dir;
  RestoreFixture source(dir, "source");
  one_of_each(source, "archived", 1, k_older);
  const auto archive = source.backup();
  for (Strategy strategy : {Strategy::overwrite, Strategy::merge}) {
    RestoreFixture target(dir, std::string(restore::strategy_name(strategy)));
    one_of_each(target, "stored", 9, k_newer);
    const std::string stored_app = target.project_named("app")->id;
    restore::RestoreOptions o;
    o.on_conflict = strategy;
    auto r = target.restore(archive, o);
    ASSERT_TRUE(r) << r.error().message;
    if (strategy == Strategy::overwrite)
      expect_copy(target, "archived", 1, k_older, stored_app);
    else  // merge keeps every stored (newer) side
      expect_copy(target, "stored", 9, k_newer, stored_app);
  }
}

// ---- a full restore of a backup whose scope is smaller than the store -------------------------------

class PartialBackup : public ::testing::Test {
 protected:
  void SetUp() override {
    f = std::make_unique<RestoreFixture>(dir);
    f->ingest("app", "A", {line("A", "a1", 1), line("A", "a2", 20), line("A", "a3", 40)});
    f->ingest("app", "B", {line("B", "b1", 25)});
    f->ingest("lib", "D", {line("D", "d1", 30, "/w/lib")});
    auto w = f->writer();
    ASSERT_TRUE(w->put_document(store::Collection::prompts, {"X", f->admin.id, "X", 1, 1, "{}"}));
    ASSERT_TRUE(w->commit());
  }

  /// The store moves on after the backup: A gains a4 (second 30) and a5 (second 50), a project and a
  /// session outside the backup appear, a prompt is added.
  void move_on() {
    f->put_line("A", line("A", "a4", 30));
    f->put_line("A", line("A", "a5", 50));
    f->ingest("lib", "E", {line("E", "e1", 31, "/w/lib")});
    f->ingest("extra", "F", {line("F", "f1", 32, "/w/extra")});
    auto w = f->writer();
    ASSERT_TRUE(w->put_document(store::Collection::prompts, {"Z", f->admin.id, "Z", 1, 1, "{}"}));
    ASSERT_TRUE(w->commit());
  }

  /// Everything outside session A is as before the restore.
  void expect_outside_untouched() {
    EXPECT_EQ(f->keys("B"), (std::set<std::string>{"b1"}));
    EXPECT_EQ(f->keys("D"), (std::set<std::string>{"d1"}));
    EXPECT_EQ(f->keys("E"), (std::set<std::string>{"e1"}));
    EXPECT_EQ(f->keys("F"), (std::set<std::string>{"f1"}));
    EXPECT_TRUE(f->project_named("lib"));
    EXPECT_TRUE(f->project_named("extra"));
    EXPECT_TRUE(*f->reader()->get_document(store::Collection::prompts, "X"));
    EXPECT_TRUE(*f->reader()->get_document(store::Collection::prompts, "Z"));
  }

  restore::RestoreReport full_restore(const std::filesystem::path& archive) {
    restore::RestoreOptions o;
    o.mode = Mode::full;
    o.allow_delete = true;
    auto r = f->restore(archive, o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : restore::RestoreReport{};
  }

  TempDir dir;
  std::unique_ptr<RestoreFixture> f;
};

TEST_F(PartialBackup, full_restore_of_a_selective_backup_deletes_only_inside_its_sessions) {
  backup::Filters only_a;
  only_a.sessions = {"A"};
  const auto archive = f->backup("only A", only_a);
  move_on();
  auto r = full_restore(archive);
  EXPECT_EQ(f->keys("A"), (std::set<std::string>{"a1", "a2", "a3"}));  // a4, a5: not in the backup
  expect_outside_untouched();
  EXPECT_EQ(r.tally("messages").deleted, 2);
  EXPECT_EQ(r.tally("sessions").deleted + r.tally("projects").deleted + r.tally("prompts").deleted, 0);
  EXPECT_TRUE(r.deleted_sessions.empty());
  EXPECT_EQ(f->session("A")->records_count, 3);
}

TEST_F(PartialBackup, full_restore_of_a_date_ranged_backup_deletes_only_inside_its_range) {
  backup::Filters range;
  range.date_range = backup::DateRange{*parse_iso8601("2025-01-01T00:00:10Z"), *parse_iso8601("2025-01-01T00:00:45Z")};
  const auto archive = f->backup("seconds 10 to 45", range);
  move_on();
  auto r = full_restore(archive);
  // In the range: a2, a3 (archived), a4 (not archived: deleted). Outside it: a1, a5 kept. Sessions B
  // and D are in the range too: their entries are all archived, nothing of theirs goes.
  EXPECT_EQ(f->keys("A"), (std::set<std::string>{"a1", "a2", "a3", "a5"}));
  expect_outside_untouched();
  EXPECT_EQ(r.tally("messages").deleted, 1);
  EXPECT_EQ(r.tally("sessions").deleted + r.tally("projects").deleted + r.tally("prompts").deleted, 0);
}

}  // namespace
}  // namespace claudelens::testing
