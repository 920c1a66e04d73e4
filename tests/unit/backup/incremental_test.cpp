// Incremental backups in the engine (SPEC §6): the parent chosen by default and by id, the parents
// refused (unknown, another owner's, not completed, failed, without a change sequence, other filters),
// and what the archive holds: the changed entries and sessions, tombstones for deletions, nothing when
// nothing changed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "backup/documents.hpp"
#include "backup/metadata.hpp"
#include "backup/planner.hpp"
#include "backup/runner.hpp"
#include "backup_test_support.hpp"
#include "format/reader.hpp"

namespace claudelens::backup {
namespace {

using claudelens::testing::TempDir;
using testing::open_store_in;
using testing::seed;

BackupRequest request(BackupType type, std::optional<std::string> parent = std::nullopt) {
  BackupRequest r;
  r.name = "test backup";
  r.type = type;
  r.created_by = "admin";
  r.parent_backup_id = std::move(parent);
  return r;
}

/// Every document of an archive, by collection ("_c").
std::map<std::string, std::vector<std::string>> documents_of(const std::filesystem::path& file) {
  std::map<std::string, std::vector<std::string>> out;
  auto reader = format::ArchiveReader::open(file).value();
  EXPECT_TRUE(reader->read_all([&](const format::SectionInfo&, std::string_view doc) {
    out[std::string(document_collection(doc).value())].emplace_back(doc);
    return true;
  }));
  return out;
}

void save(store::Store& st, const BackupMetadata& m) {
  auto w = st.write().value();
  ASSERT_TRUE(save_metadata(*w, m, 1));
  ASSERT_TRUE(w->commit());
}

TEST(IncrementalBackup, holds_what_changed_and_tombstones_and_nothing_after_no_change) {
  TempDir dir;
  auto st = open_store_in(dir);
  seed(*st);
  RunOptions ro;
  ro.backup_dir = dir / "backups";
  const auto full = run_backup(*st, request(BackupType::full), ro);
  ASSERT_TRUE(full) << full.error().message;
  ASSERT_TRUE(full->change_seq);

  const auto none = run_backup(*st, request(BackupType::incremental), ro);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->parent_backup_id, full->id);
  EXPECT_EQ(none->parent_checksum, full->checksum);
  EXPECT_EQ(none->contents.total_documents, 0);
  EXPECT_TRUE(documents_of(ro.backup_dir / none->filepath).empty());

  {  // one appended message in s2, one deleted in s1, session s3 deleted, the prompt deleted
    auto w = st->write().value();
    testing::add_session(*w, "alice", "-w-api", "/w/api", "s2", 11, testing::k_t0 + 2 * testing::k_day);
    ASSERT_TRUE(w->delete_entry("s1", "s1-u0"));
    ASSERT_TRUE(w->refresh_session_stats("s1"));
    ASSERT_TRUE(w->delete_session("s3"));
    ASSERT_TRUE(w->delete_document(store::Collection::prompts, "p1"));
    ASSERT_TRUE(w->commit());
  }
  const auto inc = run_backup(*st, request(BackupType::incremental), ro);
  ASSERT_TRUE(inc) << inc.error().message;
  EXPECT_EQ(inc->parent_backup_id, none->id);  // the newest completed backup of the same filters
  const auto docs = documents_of(ro.backup_dir / inc->filepath);
  ASSERT_EQ(docs.at("messages").size(), 1u);
  EXPECT_NE(docs.at("messages")[0].find("s2-u10"), std::string::npos);
  EXPECT_EQ(docs.count("records"), 0u);
  EXPECT_EQ(docs.at("sessions").size(), 2u);  // s1 (its statistics) and s2
  ASSERT_EQ(docs.at("tombstones").size(), 3u);
  std::set<std::string> kinds;
  for (const auto& d : docs.at("tombstones")) kinds.insert(decode_tombstone(d).value().kind);
  EXPECT_EQ(kinds, (std::set<std::string>{"entry", "session", "prompts"}));
  EXPECT_EQ(docs.count("ai_settings"), 0u);  // unchanged
}

TEST(IncrementalBackup, refuses_parents_it_cannot_build_on) {
  TempDir dir;
  auto st = open_store_in(dir);
  seed(*st);
  RunOptions ro;
  ro.backup_dir = dir / "backups";
  auto reader = [&] { return st->read().value(); };
  // Nothing to build on yet.
  auto first = choose_parent(*reader(), request(BackupType::incremental));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Errc::invalid_argument);
  EXPECT_NE(first.error().message.find("full"), std::string::npos) << first.error().message;

  const auto full = run_backup(*st, request(BackupType::full), ro);
  ASSERT_TRUE(full);
  EXPECT_EQ(choose_parent(*reader(), request(BackupType::incremental)).value().id, full->id);
  // Unknown id; another owner's backup (a user's request).
  EXPECT_EQ(choose_parent(*reader(), request(BackupType::incremental, "nope")).error().code, Errc::not_found);
  auto alice = request(BackupType::incremental, full->id);
  alice.owner_scope = "alice";
  EXPECT_EQ(choose_parent(*reader(), alice).error().code, Errc::not_found);
  // Failed, in progress, without a change sequence (an upload), other filters.
  BackupMetadata failed = *full;
  failed.id = "failed-one";
  failed.status = BackupStatus::failed;
  save(*st, failed);
  BackupMetadata running = *full;
  running.id = "running-one";
  running.status = BackupStatus::in_progress;
  save(*st, running);
  BackupMetadata upload = *full;
  upload.id = "upload-one";
  upload.change_seq.reset();
  save(*st, upload);
  for (const char* id : {"failed-one", "running-one", "upload-one"}) {
    auto r = choose_parent(*reader(), request(BackupType::incremental, id));
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << id;
    EXPECT_NE(r.error().message.find(id), std::string::npos) << r.error().message;
  }
  auto other = request(BackupType::incremental, full->id);
  other.filters.projects = {"-w-api"};
  EXPECT_EQ(choose_parent(*reader(), other).error().code, Errc::invalid_argument);
  // The default parent skips them: still the full backup (the upload has no sequence, the rest are not
  // completed).
  EXPECT_EQ(choose_parent(*reader(), request(BackupType::incremental)).value().id, full->id);
}

}  // namespace
}  // namespace claudelens::backup
