// Incremental chains applied member by member (restore/chain.hpp): each link of a chain restored into an
// empty store equals the store when that link was taken, through an entry deleted in one increment and
// added back in a later one, a session deleted and ingested again, a session whose newest copy is in
// an older member; every mode against a populated store (merge keeps what the chain deleted but the
// store had; full makes the store equal the leaf); a selective restore of one session; a damaged member
// leaves the store as it was, whether validation refuses it first or the restore rolls back.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <random>

#include "backup/catalog.hpp"
#include "backup/chain.hpp"
#include "backup/metadata.hpp"
#include "backup/runner.hpp"
#include "restore/chain.hpp"
#include "restore/preview.hpp"
#include "restore_test_support.hpp"
#include "store/audit.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

/// Everything a restore puts back, as text: projects (name, path), sessions (project, counts, summary)
/// and each session's entries (key → line), documents.
std::string dump(store::Store& st) {
  auto r = st.read().value();
  std::string out;
  std::map<std::string, std::string> project_names;
  EXPECT_TRUE(r->for_each_project({}, [&](const store::Project& p) {
    project_names[p.id] = p.name;
    out += fmt::format("project {} {} {} {}\n", p.name, p.path, p.sessions_count, p.records_count);
    return true;
  }));
  std::vector<store::Session> sessions;
  EXPECT_TRUE(r->for_each_session({}, [&](const store::Session& s) {
    sessions.push_back(s);
    return true;
  }));
  std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& s : sessions) {
    out += fmt::format("session {} in {} messages {} records {} summary {}\n", s.id, project_names[s.project_id],
                       s.message_count, s.records_count, s.summary);
    std::map<std::string, std::string> entries;
    EXPECT_TRUE(r->for_each_entry({.session_id = s.id}, [&](const store::Entry& e) {
      entries[e.key] = e.json;
      return true;
    }));
    for (const auto& [k, j] : entries) out += fmt::format("  {} {}\n", k, j);
  }
  for (store::Collection c : {store::Collection::prompts, store::Collection::prompt_folders}) {
    EXPECT_TRUE(r->for_each_document(c, std::nullopt, [&](const store::Document& d) {
      out += fmt::format("document {} {} {}\n", store::collection_name(c), d.id, d.json);
      return true;
    }));
  }
  return out;
}

struct ChainFixture {
  TempDir dir;
  RestoreFixture src{dir, "source"};
  fs::path backups = dir.path() / "backups";
  std::vector<fs::path> links;
  std::vector<std::string> ids;     ///< each link's backup id
  std::vector<std::string> states;  ///< dump of the source when each link was taken
  int targets = 0;

  /// With `oracles`, each link is followed by a full backup of the same moment (oracles[i]), and each
  /// incremental names the previous link as its parent.
  bool with_oracles = false;
  std::vector<fs::path> oracles;

  void take(backup::BackupType type) {
    backup::BackupRequest req;
    req.name = fmt::format("link {}", links.size());
    req.type = type;
    if (with_oracles && type == backup::BackupType::incremental) req.parent_backup_id = ids.back();
    auto m = src.run_backup(std::move(req), backups);
    ASSERT_TRUE(m) << m.error().message;
    links.push_back(backups / m->filepath);
    ids.push_back(m->id);
    states.push_back(dump(*src.store));
    if (!with_oracles) return;
    backup::BackupRequest full;
    full.name = fmt::format("oracle {}", oracles.size());
    full.type = backup::BackupType::full;
    auto o = src.run_backup(std::move(full), backups);
    ASSERT_TRUE(o) << o.error().message;
    oracles.push_back(backups / o->filepath);
  }

  std::unique_ptr<store::Store> fresh() {
    return store::open_store("sqlite:" + (dir.path() / fmt::format("target-{}.sqlite", ++targets)).string()).value();
  }

  void delete_entry(const std::string& session, const std::string& key) {
    auto w = src.writer();
    ASSERT_TRUE(w->delete_entry(session, key));
    ASSERT_TRUE(w->refresh_session_stats(session));
    ASSERT_TRUE(w->refresh_project_stats(w->get_session(session).value()->project_id));
    ASSERT_TRUE(w->commit());
  }

  void delete_session(const std::string& session) {
    auto w = src.writer();
    const std::string project = w->get_session(session).value()->project_id;
    ASSERT_TRUE(w->delete_session(session));
    ASSERT_TRUE(w->refresh_project_stats(project));
    ASSERT_TRUE(w->commit());
  }

  /// F: a (3 lines), b (3 lines), c (2 lines), d (2 lines, never changed again), a prompt.
  /// I1: 2 lines appended to a, a new session e. I2: b's line b2 deleted, c deleted, the prompt deleted.
  /// I3: b2 added back with other bytes, c ingested again (one line). I4: nothing. `big`: I1 also holds
  /// a 6 MB session, so that its entries fill a (4 MiB) frame of their own.
  void build(bool big = false) {
    src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3)});
    src.ingest("app", "b", {line("b", "b1", 1), line("b", "b2", 2), line("b", "b3", 3)});
    src.ingest("lib", "c", {line("c", "c1", 1, "/w/lib"), line("c", "c2", 2, "/w/lib")});
    src.ingest("lib", "d", {line("d", "d1", 1, "/w/lib"), line("d", "d2", 2, "/w/lib")});
    {
      auto w = src.writer();
      ASSERT_TRUE(w->put_document(store::Collection::prompts, {"p1", src.admin.id, "Review", 1, 2, R"({"x":1})"}));
      ASSERT_TRUE(w->commit());
    }
    take(backup::BackupType::full);
    src.ingest("app", "a",
               {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3), line("a", "a4", 4), line("a", "a5", 5)});
    src.ingest("app", "e", {line("e", "e1", 7), line("e", "e2", 8)});
    if (big) {
      std::vector<std::string> lines;
      const std::string pad = ",\"pad\":\"" + std::string(1200, 'x') + "\"";
      for (int i = 0; i < 5000; ++i) lines.push_back(line("big", fmt::format("big{}", i), i % 60, "/w/app", pad));
      src.ingest("app", "big", lines);
    }
    take(backup::BackupType::incremental);
    delete_entry("b", "b2");
    delete_session("c");
    {
      auto w = src.writer();
      ASSERT_TRUE(w->delete_document(store::Collection::prompts, "p1"));
      ASSERT_TRUE(w->commit());
    }
    take(backup::BackupType::incremental);
    src.put_line("b", line("b", "b2", 2, "/w/app", ",\"again\":true"));
    {
      auto w = src.writer();
      ASSERT_TRUE(w->refresh_project_stats(w->get_session("b").value()->project_id));
      ASSERT_TRUE(w->commit());
    }
    src.ingest("lib", "c", {line("c", "c9", 9, "/w/lib")});
    take(backup::BackupType::incremental);
    take(backup::BackupType::incremental);
  }
};

TEST(Chain, each_link_restored_into_an_empty_store_equals_the_store_when_it_was_taken) {
  ChainFixture f;
  f.build();
  ASSERT_EQ(f.links.size(), 5u);
  // The states differ where the chain made them differ.
  EXPECT_NE(f.states[0], f.states[1]);
  EXPECT_NE(f.states[1], f.states[2]);
  EXPECT_NE(f.states[2], f.states[3]);
  EXPECT_EQ(f.states[3], f.states[4]);
  EXPECT_NE(f.states[3].find("\"again\":true"), std::string::npos);
  for (std::size_t i = 0; i < f.links.size(); ++i) {
    auto target = f.fresh();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    auto r = restore::run_restore(*target, f.links[i], o);
    ASSERT_TRUE(r) << "link " << i << ": " << r.error().message;
    EXPECT_EQ(r->chain.size(), i == 0 ? 0u : i + 1) << i;
    EXPECT_EQ(dump(*target), f.states[i]) << "link " << i;
  }
}

TEST(Chain, every_mode_against_a_populated_store_applies_tombstones_to_the_chain_only) {
  ChainFixture f;
  f.build();
  // A store holding what the chain deleted (b2's first bytes, session c) and something of its own.
  auto make_target = [&] {
    auto target = f.fresh();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    EXPECT_TRUE(restore::run_restore(*target, f.links[0], o));  // F: b2 and c are there
    return target;
  };
  {  // merge/skip: what the store holds stays, the chain's documents are added.
    auto target = make_target();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    auto r = restore::run_restore(*target, f.links[3], o);
    ASSERT_TRUE(r) << r.error().message;
    auto rd = target->read().value();
    EXPECT_TRUE(rd->get_session("c").value());      // deleted in the chain, kept in the store
    EXPECT_TRUE(rd->get_entry("a", "a5").value());  // appended in I1
    EXPECT_TRUE(rd->get_entry("e", "e1").value());  // new in I1
    EXPECT_TRUE(rd->get_entry("c", "c9").value());  // added to c in I3
    const auto b2 = rd->get_entry("b", "b2").value();
    ASSERT_TRUE(b2);
    EXPECT_EQ(b2->json.find("again"), std::string::npos);  // skip: the stored line stays
  }
  {  // merge/overwrite: the chain's newest b2 replaces the stored one.
    auto target = make_target();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    o.on_conflict = restore::Strategy::overwrite;
    ASSERT_TRUE(restore::run_restore(*target, f.links[3], o));
    const auto b2 = target->read().value()->get_entry("b", "b2").value();
    ASSERT_TRUE(b2);
    EXPECT_NE(b2->json.find("again"), std::string::npos);
  }
  {  // full: the store is made equal to the leaf, deletions included.
    auto target = make_target();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    o.mode = restore::Mode::full;
    o.on_conflict = restore::Strategy::overwrite;
    o.allow_delete = true;
    auto r = restore::run_restore(*target, f.links[2], o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(dump(*target), f.states[2]);
  }
}

TEST(Chain, a_selective_restore_of_one_session_reads_its_own_sections_and_restores_it_exactly) {
  ChainFixture f;
  f.build();
  for (const char* session : {"a", "b", "c", "d"}) {  // newest copy in I1, I3, I3 (re-added), F
    auto target = f.fresh();
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    o.mode = restore::Mode::selective;
    o.selections.sessions = {session};
    auto r = restore::run_restore(*target, f.links[4], o);
    ASSERT_TRUE(r) << session << ": " << r.error().message;
    auto rd = target->read().value();
    std::map<std::string, std::string> got, want;
    ASSERT_TRUE(rd->for_each_entry({.session_id = session}, [&](const store::Entry& e) {
      got[e.key] = e.json;
      return true;
    }));
    ASSERT_TRUE(f.src.reader()->for_each_entry({.session_id = session}, [&](const store::Entry& e) {
      want[e.key] = e.json;
      return true;
    }));
    EXPECT_EQ(got, want) << session;
    EXPECT_EQ(rd->counts(std::nullopt).value().sessions, 1) << session;
    EXPECT_EQ(r->chain.size(), 5u);
  }
  // A session the chain deleted is not restored (and is not an error).
  auto target = f.fresh();
  restore::RestoreOptions o;
  o.restored_by = f.src.admin.id;
  o.mode = restore::Mode::selective;
  o.selections.sessions = {"c"};
  auto r = restore::run_restore(*target, f.links[2], o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target->read().value()->counts(std::nullopt).value().sessions, 0);
}

TEST(Chain, sessions_in_two_incrementals_are_restored_reading_each_frame_a_bounded_number_of_times) {
  // 20 sessions: 5 lines each in F, 60 appended in I1, 60 more in I2; each line carries 1,000 letters
  // that compress little, so each incremental holds about 1.3 MB in two frames.
  ChainFixture f;
  std::mt19937 random(7);
  std::map<std::string, std::vector<std::string>> lines;
  auto grow_to = [&](int n) {
    for (int s = 0; s < 20; ++s) {
      const std::string session = fmt::format("s{:02}", s);
      auto& mine = lines[session];
      while (static_cast<int>(mine.size()) < n) {
        std::string pad = ",\"pad\":\"";
        for (int i = 0; i < 1000; ++i) pad += static_cast<char>('a' + random() % 26);
        const int i = static_cast<int>(mine.size());
        mine.push_back(line(session, fmt::format("{}-{}", session, i), i % 60, "/w/app", pad + "\""));
      }
      f.src.ingest("app", session, mine);
    }
  };
  grow_to(5);
  f.take(backup::BackupType::full);
  grow_to(65);
  f.take(backup::BackupType::incremental);
  grow_to(125);
  f.take(backup::BackupType::incremental);
  // An incremental's frames are 1 MiB (docs/backup.md "Frames of an incremental"), a full backup's 4 MiB.
  std::uint64_t files = 0;
  for (std::size_t i = 0; i < f.links.size(); ++i) {
    auto reader = format::ArchiveReader::open(f.links[i]).value();
    for (const auto& frame : reader->frames())
      if (i > 0) EXPECT_LE(frame.content_size, 1u << 20) << i;
    if (i > 0) EXPECT_EQ(reader->frames().size(), 2u) << i;
    files += reader->file_size();
  }
  auto target = f.fresh();
  restore::RestoreOptions o;
  o.restored_by = f.src.admin.id;
  o.validate_before_restore = false;  // what the restore itself reads (validation reads each frame once more)
  auto r = restore::run_restore(*target, f.links[2], o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(dump(*target), f.states[2]);
  // Each session's lines in I1 and I2 are read in turn (I2's keys first, then each part): keeping one
  // incremental's buffers at a time decompressed I1's and I2's frame again for every session.
  EXPECT_LE(r->bytes_read, 3 * files) << r->bytes_read << " of " << files;
}

/// Flips one byte in the middle of the data frames of `file` (after the header, before the index).
void damage_data(const fs::path& file) {
  auto reader = format::ArchiveReader::open(file).value();
  ASSERT_FALSE(reader->frames().empty());
  const auto& frame = reader->frames().front();
  const std::uint64_t at = frame.offset + frame.stored_size / 2;
  reader.reset();
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  io.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  io.seekp(static_cast<std::streamoff>(at));
  io.write(&c, 1);
}

TEST(Chain, a_damaged_member_leaves_the_store_as_it_was_with_and_without_validation) {
  ChainFixture f;
  f.build(/*big=*/true);
  {  // I1's first frame holds entries only: its catalogue reads, its entries do not.
    auto i1 = format::ArchiveReader::open(f.links[1]).value();
    ASSERT_GE(i1->frames().size(), 2u);
  }
  damage_data(f.links[1]);
  // The store where the chain is registered (so nothing is checked whole at open), with a session the
  // chain lacks: a full restore that got through would delete it.
  f.src.ingest("app", "z", {line("z", "z1", 1)});
  auto& target = f.src.store;
  const std::string before = dump(*target);
  for (bool validate : {true, false}) {
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    o.validate_before_restore = validate;
    o.mode = restore::Mode::full;
    o.on_conflict = restore::Strategy::overwrite;
    o.allow_delete = true;
    auto r = restore::run_restore(*target, f.links[3], o);
    ASSERT_FALSE(r) << validate;
    EXPECT_EQ(r.error().code, Errc::corrupted) << r.error().message;
    EXPECT_EQ(dump(*target), before) << validate;
  }
}

TEST(Chain, a_member_listing_a_session_twice_is_refused_as_a_single_archive_is_with_nothing_written) {
  ChainFixture f;
  f.build();
  // The store where the chain is registered (a crafted member is not checked whole at open), with a
  // session the chain lacks.
  f.src.ingest("app", "z", {line("z", "z1", 1)});
  auto& target = f.src.store;
  const std::string before = dump(*target);
  // The single archive's refusal, for comparison: the root alone, with its first session listed twice.
  const fs::path single = f.dir.path() / "single-twice.claudelens";
  write_with_a_duplicate(f.links[0], "sessions", single);
  auto refused = f.src.restore(single, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::corrupted);
  // The root (its first session, a, has a newer copy in I1), I1 (a) and the leaf I3 (b), each in turn.
  for (std::size_t k : {0u, 1u, 3u}) {
    const fs::path original = f.links[k].string() + ".orig";
    fs::rename(f.links[k], original);
    write_with_a_duplicate(original, "sessions", f.links[k]);
    for (restore::Mode mode : {restore::Mode::merge, restore::Mode::full}) {
      restore::RestoreOptions o;
      o.mode = mode;
      o.allow_delete = true;
      auto r = f.src.restore(f.links[3], o);
      ASSERT_FALSE(r) << "member " << k;
      EXPECT_EQ(r.error().code, Errc::corrupted) << r.error().message;
      // The single archive's message ("archive: session 'a' is listed twice"), naming the member.
      EXPECT_NE(r.error().message.find("archive: session '"), std::string::npos) << r.error().message;
      EXPECT_NE(r.error().message.find("' is listed twice"), std::string::npos) << r.error().message;
      if (k == 0) {
        EXPECT_EQ(r.error().message, fmt::format("chain member {}: {}", f.ids[0], refused.error().message));
      }
      EXPECT_NE(r.error().message.find(fmt::format("chain member {}: ", f.ids[k])), std::string::npos)
          << r.error().message;
      EXPECT_EQ(dump(*target), before) << "member " << k;
    }
    fs::rename(original, f.links[k]);
  }
  // Put back, the chain restores.
  auto r = f.src.restore(f.links[3], {});
  ASSERT_TRUE(r) << r.error().message;
}

TEST(Chain, a_member_listing_a_document_twice_is_refused_as_a_single_archive_is_with_nothing_written) {
  ChainFixture f;
  f.build();
  auto& target = f.src.store;
  const std::string before = dump(*target);
  const fs::path original = f.links[0].string() + ".orig";
  fs::rename(f.links[0], original);
  write_with_a_duplicate(original, "prompts", f.links[0]);  // the root lists prompt p1 twice
  auto single = f.src.restore(f.links[0], {});
  ASSERT_FALSE(single);
  for (restore::Mode mode : {restore::Mode::merge, restore::Mode::full}) {
    restore::RestoreOptions o;
    o.mode = mode;
    o.allow_delete = true;
    o.validate_before_restore = false;      // else the root's checksum, which I1 names, refuses it first
    auto r = f.src.restore(f.links[1], o);  // I1: p1 is alive
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupted) << r.error().message;
    EXPECT_EQ(r.error().message, fmt::format("chain member {}: {}", f.ids[0], single.error().message));
    EXPECT_EQ(dump(*target), before);
  }
  fs::rename(original, f.links[0]);
  ASSERT_TRUE(f.src.restore(f.links[1], {}));
}

/// The audit lines of a store, oldest first: "id action target".
std::vector<std::string> audit_lines(store::Store& st) {
  std::vector<std::string> out;
  EXPECT_TRUE(st.read().value()->for_each_audit([&](const store::AuditEvent& e) {
    out.push_back(fmt::format("{} {} {}", e.id, e.action, e.target_id));
    return true;
  }));
  return out;
}

TEST(Chain, a_full_restore_of_a_chain_adds_the_archived_audit_lines_as_a_full_restore_of_its_root_does) {
  ChainFixture f;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(store::record_audit(
        *f.src.store, store::audit_event(f.src.admin.id, "backup.created", "backup", fmt::format("b{}", i), {}),
        1'700'000'000'000 + i));
  f.build();  // the root is an admin's full backup: it carries the three lines
  const auto want = audit_lines(*f.src.store);
  ASSERT_EQ(want.size(), 3u);
  restore::RestoreOptions o;
  o.restored_by = f.src.admin.id;
  o.mode = restore::Mode::full;
  o.allow_delete = true;
  auto root_target = f.fresh();
  auto root = restore::run_restore(*root_target, f.links[0], o);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->collections["audit_log"].restored, 3);
  EXPECT_EQ(audit_lines(*root_target), want);
  for (std::size_t i = 1; i < f.links.size(); ++i) {
    auto target = f.fresh();
    auto r = restore::run_restore(*target, f.links[i], o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->collections["audit_log"].restored, 3) << "link " << i;
    EXPECT_EQ(audit_lines(*target), want) << "link " << i;
    // Again: the log is append-only, each line is there already.
    auto again = restore::run_restore(*target, f.links[i], o);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->collections["audit_log"].restored, 0);
    EXPECT_EQ(again->collections["audit_log"].skipped, 3);
    EXPECT_EQ(audit_lines(*target), want) << "link " << i;
  }
  // A merge restore of the chain adds none, as a merge restore of a full backup adds none.
  auto merged = f.fresh();
  restore::RestoreOptions m;
  m.restored_by = f.src.admin.id;
  ASSERT_TRUE(restore::run_restore(*merged, f.links[3], m));
  EXPECT_TRUE(audit_lines(*merged).empty());
}

// ---- the preview of a chain ------------------------------------------------------------------------------

/// A preview's contents and analysis with every list in a fixed order (a chain lists the sessions the
/// increments added after the root's, a full backup in the store's order).
json::value normalized(json::value v) {
  if (v.is_object()) {
    json::object out;
    for (auto& [k, x] : v.as_object()) out[k] = normalized(x);
    return out;
  }
  if (v.is_array()) {
    std::vector<std::string> items;
    for (auto& x : v.as_array()) items.push_back(json::serialize(normalized(x)));
    std::sort(items.begin(), items.end());
    json::array out;
    for (const auto& t : items) out.push_back(json::parse(t));
    return out;
  }
  return v;
}

json::object preview(store::Store& st, const fs::path& archive, const fs::path& backups,
                     bool message_conflicts = true) {
  restore::PreviewOptions o;
  o.detailed = true;
  o.check_message_conflicts = message_conflicts;
  o.backup_dir = backups;
  auto p = restore::preview_restore(st, archive, o);
  EXPECT_TRUE(p) << p.error().message;
  return p ? *p : json::object{};
}

TEST(ChainPreview, equals_the_preview_of_a_full_backup_of_the_same_moment_against_empty_partial_and_full_stores) {
  ChainFixture f;
  f.with_oracles = true;
  f.build();
  ASSERT_EQ(f.oracles.size(), 5u);
  auto empty = f.fresh();
  auto partial = f.fresh();  // the store as the root holds it: b2's first bytes and session c are there
  {
    restore::RestoreOptions o;
    o.restored_by = f.src.admin.id;
    ASSERT_TRUE(restore::run_restore(*partial, f.links[0], o));
  }
  int compared = 0;
  for (std::size_t i = 1; i < f.links.size(); ++i) {
    for (store::Store* st : {empty.get(), partial.get(), f.src.store.get()}) {
      const json::object chain = preview(*st, f.links[i], f.backups);
      const json::object full = preview(*st, f.oracles[i], f.backups);
      ASSERT_TRUE(chain.contains("chain")) << i;
      EXPECT_EQ(chain.at("chain").as_array().size(), i + 1);
      EXPECT_EQ(chain.at("backup_type"), full.at("backup_type"));
      EXPECT_EQ(normalized(chain.at("contents")), normalized(full.at("contents"))) << "link " << i;
      EXPECT_EQ(normalized(chain.at("restore_analysis")), normalized(full.at("restore_analysis"))) << "link " << i;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12);
  // Against the source store everything exists: sessions, projects and messages conflict.
  const json::object p = preview(*f.src.store, f.links[3], f.backups);
  const auto& analysis = p.at("restore_analysis").as_object();
  EXPECT_GT(analysis.at("conflicts_count").as_int64(), 10);
  const auto& summary = p.at("contents").at("messages_summary").as_object();
  const store::Counts counts = f.src.counts();
  EXPECT_EQ(summary.at("total").as_int64(), counts.messages);
  EXPECT_EQ(summary.at("records_without_uuid").as_int64(), counts.records - counts.messages);
}

TEST(ChainPreview, reads_what_the_restore_reads_not_the_root_s_unchanged_entries) {
  ChainFixture f;
  // A session of 10,000 lines (8 MB, 4 frames) that no increment changes: its entries stay in the root.
  std::vector<std::string> lines;
  for (int i = 0; i < 10000; ++i)
    lines.push_back(
        line("quiet", fmt::format("q{}", i), i % 60, "/w/app", ",\"pad\":\"" + to_hex(random_bytes(400)) + "\""));
  f.src.ingest("app", "quiet", lines);
  f.build();
  // Against the store that registered the chain (another store checks each parent whole first), without
  // counting message conflicts (which read the entries of every session the store holds).
  const json::object p = preview(*f.src.store, f.links[4], f.backups, /*message_conflicts=*/false);
  std::uint64_t members = 0;
  for (const auto& l : f.links) members += fs::file_size(l);
  const auto root = fs::file_size(f.links[0]);
  ASSERT_GT(root, 4'000'000u);
  EXPECT_EQ(p.at("archive_size_bytes").to_number<std::uint64_t>(), members);
  // The index, catalogues and tombstones of each member, and the entries of the sessions an increment
  // changed (the root's frame that holds them): not the root's other frames, the quiet lines.
  EXPECT_LT(p.at("bytes_read").to_number<std::uint64_t>(), root / 2) << p.at("bytes_read") << " of " << root;
  EXPECT_EQ(p.at("contents").at("sessions_summary").at("total").as_int64(), 6);  // a, b, c (again), d, e, quiet
}

// ---- scopes that move: a session that stops (or starts) matching the filters -------------------------

/// A selective chain and, at each link, the oracle: a selective backup with the same filters taken at
/// the same moment. Restoring the chain must give what restoring the oracle gives.
struct ScopeFixture {
  TempDir dir;
  RestoreFixture src{dir, "source"};
  fs::path backups = dir.path() / "backups";
  backup::Filters filters;
  std::string leaf;  ///< the chain's newest link
  int targets = 0;

  backup::BackupMetadata take(backup::BackupType type, std::optional<std::string> parent = std::nullopt) {
    backup::BackupRequest req;
    req.name = "scope test";
    req.type = type;
    req.filters = type == backup::BackupType::incremental ? backup::Filters{} : filters;
    req.parent_backup_id = std::move(parent);
    auto m = src.run_backup(std::move(req), backups);
    EXPECT_TRUE(m) << m.error().message;
    return m ? *m : backup::BackupMetadata{};
  }

  std::string restored(const backup::BackupMetadata& m) {
    auto target =
        store::open_store("sqlite:" + (dir.path() / fmt::format("target-{}.sqlite", ++targets)).string()).value();
    restore::RestoreOptions o;
    o.restored_by = src.admin.id;
    auto r = restore::run_restore(*target, backups / m.filepath, o);
    EXPECT_TRUE(r) << r.error().message;
    return dump(*target);
  }

  void root() { leaf = take(backup::BackupType::selective).id; }

  /// An incremental on the chain and the oracle now; their restores must agree.
  void check(const std::string& what) {
    const auto inc = take(backup::BackupType::incremental, leaf);
    leaf = inc.id;
    const auto oracle = take(backup::BackupType::selective);
    const std::string want = restored(oracle);
    EXPECT_EQ(restored(inc), want) << what;
    EXPECT_NE(want, "") << what;
  }

  void delete_entries(const std::string& session, const std::vector<std::string>& keys) {
    auto w = src.writer();
    for (const auto& k : keys) ASSERT_TRUE(w->delete_entry(session, k));
    ASSERT_TRUE(w->refresh_session_stats(session));
    ASSERT_TRUE(w->refresh_project_stats(w->get_session(session).value()->project_id));
    ASSERT_TRUE(w->commit());
  }
};

TEST(ScopeMoves, a_session_over_max_message_count_leaves_and_comes_back_whole) {
  ScopeFixture f;
  f.filters.max_message_count = 3;
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2)});
  f.src.ingest("app", "b", {line("b", "b1", 1), line("b", "b2", 2), line("b", "b3", 3)});
  f.src.ingest("app", "c", {line("c", "c1", 1), line("c", "c2", 2), line("c", "c3", 3), line("c", "c4", 4)});
  f.root();
  // a grows past the limit (leaves); c shrinks under it (comes in for the first time).
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3), line("a", "a4", 4)});
  f.delete_entries("c", {"c3", "c4"});
  f.check("a left, c came in");
  // a shrinks back (comes back whole, with its lines from before it left).
  f.delete_entries("a", {"a4"});
  f.check("a came back");
}

TEST(ScopeMoves, a_session_under_min_message_count_leaves_and_comes_back_whole) {
  ScopeFixture f;
  f.filters.min_message_count = 3;
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3)});
  f.src.ingest("app", "b", {line("b", "b1", 1), line("b", "b2", 2), line("b", "b3", 3), line("b", "b4", 4)});
  f.root();
  f.delete_entries("a", {"a3"});
  f.check("a left");
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a5", 5)});
  f.check("a came back");
}

TEST(ScopeMoves, a_project_whose_path_stops_matching_the_pattern_leaves_with_its_sessions) {
  ScopeFixture f;
  f.filters.include_patterns = {"/w/app*"};
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2)});
  f.src.ingest("app", "b", {line("b", "b1", 1)});
  f.src.ingest("lib", "c", {line("c", "c1", 1, "/w/lib")});
  f.src.ingest("lib", "d", {line("d", "d1", 1, "/w/lib")});
  f.root();
  // lib's path becomes /w/app2 (most of its lines' cwd): lib comes in, d unchanged (whole).
  f.src.ingest("lib", "c",
               {line("c", "c1", 1, "/w/lib"), line("c", "c2", 2, "/w/app2"), line("c", "c3", 3, "/w/app2")});
  f.check("lib came in");
  // app's path becomes /w/other: app leaves, its sessions with it (b did not change).
  f.src.ingest("app", "a",
               {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3, "/w/other"), line("a", "a4", 4, "/w/other"),
                line("a", "a5", 5, "/w/other"), line("a", "a6", 6, "/w/other")});
  f.check("app left");
  // And comes back.
  f.src.ingest("app", "b", {line("b", "b1", 1), line("b", "b7", 7), line("b", "b8", 8), line("b", "b9", 9)});
  f.check("app came back");
}

TEST(ScopeMoves, an_exclude_pattern_and_a_project_named_by_name_follow_the_path_too) {
  ScopeFixture f;
  f.filters.projects = {"app", "lib"};
  f.filters.exclude_patterns = {"/w/old*"};
  f.src.ingest("app", "a", {line("a", "a1", 1)});
  f.src.ingest("lib", "c", {line("c", "c1", 1, "/w/lib")});
  f.root();
  f.src.ingest("lib", "c", {line("c", "c1", 1, "/w/lib"), line("c", "c2", 2, "/w/old"), line("c", "c3", 3, "/w/old")});
  f.check("lib excluded now");
}

TEST(ScopeMoves, a_session_with_no_entry_left_in_the_date_range_leaves_and_one_that_gains_one_comes_in) {
  ScopeFixture f;
  // line() stamps second N of 2025-01-01: the range holds seconds 0-29.
  const TimeMs start = parse_iso8601("2025-01-01T00:00:00Z").value();
  f.filters.date_range = backup::DateRange{start, start + 30'000};
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a40", 40)});
  f.src.ingest("app", "b", {line("b", "b40", 40), line("b", "b50", 50)});
  f.src.ingest("app", "e", {line("e", "e5", 5)});
  f.root();
  f.delete_entries("a", {"a1", "a2"});
  f.src.ingest("app", "b", {line("b", "b40", 40), line("b", "b50", 50), line("b", "b7", 7)});
  f.check("a left, b came in");
}

// ---- pruning tombstones ------------------------------------------------------------------------------

std::vector<store::Tombstone> tombstones(store::Store& st) {
  std::vector<store::Tombstone> out;
  EXPECT_TRUE(st.read().value()->for_each_tombstone(0, std::nullopt, [&](const store::Tombstone& t) {
    out.push_back(t);
    return true;
  }));
  return out;
}

TEST(PruneTombstones, a_deleted_oldest_backup_takes_the_tombstones_no_parent_needs_and_the_chain_still_restores) {
  ChainFixture f;
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3)});
  f.src.ingest("app", "b", {line("b", "b1", 1), line("b", "b2", 2)});
  f.src.ingest("lib", "c", {line("c", "c1", 1, "/w/lib")});
  f.take(backup::BackupType::full);         // F1
  f.delete_entry("a", "a1");                // D1: needed by an incremental on F1 only
  f.take(backup::BackupType::full);         // F2
  f.take(backup::BackupType::incremental);  // I1 on F2
  f.delete_entry("a", "a2");                // D2: needed by an incremental on F2 or I1
  f.delete_session("c");
  const auto before = tombstones(*f.src.store);
  ASSERT_EQ(before.size(), 3u);
  auto meta = [&](std::size_t link) {
    auto r = f.src.reader();
    std::optional<backup::BackupMetadata> found;
    EXPECT_TRUE(backup::for_each_metadata(*r, [&](const backup::BackupMetadata& m) {
      if (f.backups / m.filepath == f.links[link]) found = m;
      return true;
    }));
    return found.value();
  };
  const auto f1 = meta(0), f2 = meta(1);
  // Within the grace period nothing goes (a backup's snapshot may be older than its record).
  ASSERT_TRUE(backup::delete_backup(*f.src.store, f.backups, f1.id, system_clock().now_ms()));
  EXPECT_EQ(tombstones(*f.src.store).size(), 3u);
  // Past it (a later deletion, an hour on): up to the lowest sequence a registered backup holds (F2's).
  f.take(backup::BackupType::full);  // F3, deleted at once
  const auto f3 = meta(3);
  ASSERT_TRUE(backup::delete_backup(*f.src.store, f.backups, f3.id, system_clock().now_ms() + 2 * 3'600'000));
  const auto after = tombstones(*f.src.store);
  ASSERT_EQ(after.size(), 2u);  // D1 is gone; D2 (the entry and the session) stays
  for (const auto& t : after) EXPECT_GT(t.change_seq, *f2.change_seq);
  for (const auto& t : before)
    if (t.change_seq <= *f2.change_seq) {
      EXPECT_EQ(t.id, "a1");
    }
  // The chain built across the prune: I2 on I1 holds D2, and restores exactly.
  f.links.erase(f.links.begin() + 3);  // F3's file is gone
  f.states.erase(f.states.begin() + 3);
  f.take(backup::BackupType::incremental);
  auto target = f.fresh();
  restore::RestoreOptions o;
  o.restored_by = f.src.admin.id;
  auto r = restore::run_restore(*target, f.links.back(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->chain.size(), 3u);
  EXPECT_EQ(dump(*target), f.states.back());
  EXPECT_FALSE(target->read().value()->get_session("c").value());
}

TEST(PruneTombstones, failed_backups_do_not_hold_tombstones_and_unfinished_ones_do) {
  ChainFixture f;
  f.src.ingest("app", "a", {line("a", "a1", 1), line("a", "a2", 2), line("a", "a3", 3)});
  f.delete_entry("a", "a1");
  auto seq = [&] { return f.src.reader()->change_seq().value(); };
  auto save = [&](const std::string& id, backup::BackupStatus status, std::int64_t change_seq) {
    backup::BackupMetadata m;
    m.id = id;
    m.name = id;
    m.status = status;
    m.change_seq = change_seq;
    auto w = f.src.writer();
    ASSERT_TRUE(backup::save_metadata(*w, m, 1));
    ASSERT_TRUE(w->commit());
  };
  save("failed-early", backup::BackupStatus::failed, 0);
  save("running", backup::BackupStatus::in_progress, seq() - 1);  // before the deletion: it needs it
  const TimeMs later = system_clock().now_ms() + 2 * 3'600'000;
  {
    auto w = f.src.writer();
    EXPECT_EQ(backup::prune_tombstones(*w, later).value(), 0);
    ASSERT_TRUE(w->commit());
  }
  ASSERT_EQ(tombstones(*f.src.store).size(), 1u);
  save("running", backup::BackupStatus::failed, seq() - 1);  // it failed: never a parent
  {
    auto w = f.src.writer();
    EXPECT_EQ(backup::prune_tombstones(*w, later).value(), 1);  // no parent left: up to the store's sequence
    ASSERT_TRUE(w->commit());
  }
  EXPECT_TRUE(tombstones(*f.src.store).empty());
}

}  // namespace
}  // namespace claudelens::testing
