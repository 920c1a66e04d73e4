#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <set>

#include "backup/catalog.hpp"
#include "backup/documents.hpp"
#include "backup/runner.hpp"
#include "backup_test_support.hpp"
#include "format/partial_files.hpp"
#include "format/reader.hpp"

namespace claudelens::backup {
namespace {

using claudelens::testing::TempDir;
using testing::k_day;
using testing::k_t0;

/// What an archive holds, per collection: document ids ("_id", or "session/key" for entries).
std::map<std::string, std::set<std::string>> archive_contents(const std::filesystem::path& file) {
  auto reader = format::ArchiveReader::open(file);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
  std::map<std::string, std::set<std::string>> out;
  EXPECT_TRUE((*reader)->read_all([&](const format::SectionInfo&, std::string_view doc) {
    const std::string c(document_collection(doc).value());
    if (c == k_messages || c == k_records) {
      auto e = decode_entry(doc).value();
      out[c].insert(e.session_id + "/" + e.key);
    } else {
      out[c].insert(std::string(boost::json::parse(doc).as_object().at("_id").as_string()));
    }
    return true;
  }));
  return out;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> store = testing::open_store_in(dir);
  std::filesystem::path backups = dir / "backups";
  Fixture() { testing::seed(*store); }

  Result<BackupMetadata> run(BackupRequest r, RunOptions o = {}) {
    if (r.name.empty()) r.name = "test backup";
    r.created_by = "alice";
    o.backup_dir = backups;
    return run_backup(*store, r, o);
  }
  Result<BackupMetadata> selective(Filters f) {
    BackupRequest r;
    r.type = BackupType::selective;
    r.filters = std::move(f);
    return run(r);
  }
  std::set<std::string> sessions_of(const BackupMetadata& m) {
    auto contents = archive_contents(backups / m.filepath);
    return contents[std::string(k_sessions)];
  }
};

TEST(BackupRunner, full_backup_holds_every_collection_with_counts_from_what_was_written) {
  Fixture f;
  auto m = f.run({});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->status, BackupStatus::completed);
  EXPECT_EQ(m->contents.projects_count, 3);
  EXPECT_EQ(m->contents.sessions_count, 4);
  EXPECT_EQ(m->contents.messages_count, 19);
  EXPECT_EQ(m->contents.records_count, 4);
  EXPECT_EQ(m->contents.prompts_count, 1);
  EXPECT_EQ(m->contents.ai_settings_count, 1);
  EXPECT_EQ(m->contents.users_count, 2);
  EXPECT_EQ(m->contents.total_documents, 3 + 4 + 19 + 4 + 1 + 1 + 2);
  EXPECT_EQ(m->contents.earliest, k_t0);
  EXPECT_EQ(m->contents.latest, k_t0 + 6 * k_day);
  auto contents = archive_contents(f.backups / m->filepath);
  EXPECT_EQ(contents["messages"].size(), 19u);
  EXPECT_EQ(contents["records"].size(), 4u);
  EXPECT_EQ(contents["sessions"], (std::set<std::string>{"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(contents["prompts"], std::set<std::string>{"p1"});
  EXPECT_EQ(contents["users"], (std::set<std::string>{"alice", "bob"}));
  // The record agrees with the file.
  auto verified = format::verify_archive(f.backups / m->filepath);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->sha256_hex, m->checksum);
  EXPECT_EQ(static_cast<std::int64_t>(verified->file_size), m->compressed_size_bytes);
  auto reader = f.store->read().value();
  auto saved = load_metadata(*reader, m->id).value();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->status, BackupStatus::completed);
  EXPECT_EQ(saved->checksum, m->checksum);
}

/// Each entries section holds its session's entries in store order, each document exactly the canonical
/// encode_entry of the store's entry (the runner assembles it from a per-session prefix, the key and the
/// line as the store's row holds it), messages and records alike.
TEST(BackupRunner, entry_documents_are_the_canonical_encoding_of_the_stored_entries) {
  Fixture f;
  auto m = f.run({});
  ASSERT_TRUE(m) << m.error().message;
  auto archive = format::ArchiveReader::open(f.backups / m->filepath);
  ASSERT_TRUE(archive);
  auto store_reader = f.store->read().value();
  std::vector<std::string> written, expected;
  std::set<std::string> kinds;
  ASSERT_TRUE((*archive)->read_all([&](const format::SectionInfo& section, std::string_view doc) {
    if (section.key.collection != k_entries) return true;
    written.emplace_back(doc);
    return true;
  }));
  for (const auto& section : (*archive)->sections()) {
    if (section.key.collection != k_entries) continue;
    EXPECT_TRUE(store_reader->for_each_entry({.session_id = section.key.session_id}, [&](const store::Entry& e) {
      std::string doc;
      encode_entry(e, doc);
      expected.push_back(std::move(doc));
      kinds.insert(e.has_uuid ? "messages" : "records");
      return true;
    }));
  }
  EXPECT_EQ(written.size(), 19u + 4u);
  EXPECT_EQ(written, expected);
  EXPECT_EQ(kinds, (std::set<std::string>{"messages", "records"}));
}

TEST(BackupRunner, project_filter_accepts_id_path_or_folder_name) {
  Fixture f;
  for (std::string name : {"-w-api", "/w/api"}) {
    auto m = f.selective({.projects = {name}});
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(f.sessions_of(*m), (std::set<std::string>{"s1", "s2"})) << name;
    EXPECT_EQ(m->contents.projects_count, 1);
    EXPECT_EQ(m->contents.prompts_count, 0);  // selective backups hold conversations only
  }
  auto unknown = f.selective({.projects = {"/nowhere"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
}

TEST(BackupRunner, session_and_message_count_filters_select_whole_sessions) {
  Fixture f;
  auto m = f.selective({.sessions = {"s3", "s4"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), (std::set<std::string>{"s3", "s4"}));
  EXPECT_EQ(m->contents.records_count, 2);  // their records without a uuid come along
  m = f.selective({.min_message_count = 4, .max_message_count = 9});
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), std::set<std::string>{"s3"});
  m = f.selective({.min_message_count = 3});
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), (std::set<std::string>{"s1", "s2", "s3"}));
}

TEST(BackupRunner, patterns_include_and_exclude_projects) {
  Fixture f;
  auto m = f.selective({.include_patterns = {"/w/*"}, .exclude_patterns = {"*web*"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), (std::set<std::string>{"s1", "s2", "s4"}));
  m = f.selective({.include_patterns = {"/nothing/*"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->contents.sessions_count, 0);
  EXPECT_EQ(m->contents.messages_count, 0);
}

TEST(BackupRunner, date_range_selects_entries_inside_and_untimed_records_of_those_sessions) {
  Fixture f;
  // s2 runs from day 2 for 10 minutes: take its minutes 3..6, plus all of s3 (day 4).
  const TimeMs start = k_t0 + 2 * k_day + 3 * 60'000;
  auto m = f.selective({.date_range = DateRange{start, k_t0 + 5 * k_day}});
  ASSERT_TRUE(m) << m.error().message;
  auto contents = archive_contents(f.backups / m->filepath);
  std::set<std::string> expected;
  for (int i = 3; i < 10; ++i) expected.insert("s2/s2-u" + std::to_string(i));
  for (int i = 0; i < 5; ++i) expected.insert("s3/s3-u" + std::to_string(i));
  EXPECT_EQ(contents["messages"], expected);
  EXPECT_EQ(contents["records"], (std::set<std::string>{"s2/~s2:1", "s3/~s3:1"}));
  EXPECT_EQ(contents["sessions"], (std::set<std::string>{"s2", "s3"}));
  EXPECT_EQ(m->contents.messages_count, 12);
  EXPECT_EQ(m->contents.earliest, start);
}

TEST(BackupRunner, filters_combine_with_and) {
  Fixture f;
  auto m = f.selective({.projects = {"-w-api"}, .min_message_count = 5});
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), std::set<std::string>{"s2"});
}

TEST(BackupRunner, owner_scope_limits_a_user_to_their_own_data) {
  Fixture f;
  BackupRequest r;
  r.owner_scope = "bob";
  auto m = f.run(r);
  ASSERT_TRUE(m);
  EXPECT_EQ(f.sessions_of(*m), std::set<std::string>{"s4"});
  EXPECT_EQ(m->contents.prompts_count, 0);
  EXPECT_EQ(m->contents.users_count, 1);
  BackupRequest other;
  other.owner_scope = "bob";
  other.type = BackupType::selective;
  other.filters.sessions = {"s1"};  // alice's
  auto refused = f.run(other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::not_found);
}

TEST(BackupRunner, invalid_requests_are_refused_before_anything_is_written) {
  Fixture f;
  BackupRequest r;
  r.name = "x/";
  auto bad_name = f.run(r);
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, Errc::invalid_argument);
  BackupRequest level;
  level.compression_level = 12;
  EXPECT_FALSE(f.run(level));
  BackupRequest sel;
  sel.type = BackupType::selective;
  EXPECT_FALSE(f.run(sel));
  EXPECT_FALSE(std::filesystem::exists(f.backups) && !std::filesystem::is_empty(f.backups));
  auto reader = f.store->read().value();
  int records = 0;
  ASSERT_TRUE(for_each_metadata(*reader, [&](const BackupMetadata&) { return ++records, true; }));
  EXPECT_EQ(records, 0);
}

TEST(BackupRunner, cancel_removes_the_partial_file_and_records_failure) {
  Fixture f;
  std::atomic<bool> cancel{true};
  RunOptions o;
  o.cancel = &cancel;
  auto m = f.run({}, o);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::cancelled);
  EXPECT_TRUE(format::find_partial_files(f.backups).value().empty());
  for (const auto& e : std::filesystem::directory_iterator(f.backups))
    EXPECT_FALSE(e.path().extension() == ".claudelens") << e.path();
  auto reader = f.store->read().value();
  std::vector<BackupMetadata> all;
  ASSERT_TRUE(for_each_metadata(*reader, [&](const BackupMetadata& x) { return all.push_back(x), true; }));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, BackupStatus::failed);
  EXPECT_NE(all[0].error_message.find("cancel"), std::string::npos);
}

TEST(BackupRunner, progress_reaches_one_hundred_percent) {
  Fixture f;
  std::vector<Progress> seen;
  RunOptions o;
  o.on_progress = [&](const Progress& p) { seen.push_back(p); };
  auto m = f.run({}, o);
  ASSERT_TRUE(m);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().percentage, 100.0);
  EXPECT_EQ(seen.back().documents_processed, m->contents.total_documents);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].documents_processed, seen[i - 1].documents_processed);
}

TEST(BackupRunner, startup_recovery_removes_leftovers_and_fails_interrupted_records) {
  Fixture f;
  std::filesystem::create_directories(f.backups);
  const auto leftover = format::partial_path_for(f.backups / "backup-x.claudelens");
  std::ofstream(leftover) << "half";
  BackupMetadata stale;
  stale.id = "stale";
  stale.name = "stale one";
  stale.status = BackupStatus::in_progress;
  {
    auto w = f.store->write().value();
    ASSERT_TRUE(save_metadata(*w, stale, 1));
    ASSERT_TRUE(w->commit());
  }
  auto marked = recover_interrupted(*f.store, f.backups, 5);
  ASSERT_TRUE(marked);
  EXPECT_EQ(*marked, 1);
  EXPECT_FALSE(std::filesystem::exists(leftover));
  auto reader = f.store->read().value();
  auto m = load_metadata(*reader, "stale").value();
  EXPECT_EQ(m->status, BackupStatus::failed);
  EXPECT_NE(m->error_message.find("interrupted"), std::string::npos);
}

TEST(BackupRunner, a_backup_is_one_snapshot_while_the_store_changes) {
  Fixture f;
  bool changed = false;
  RunOptions o;
  o.on_progress = [&](const Progress& p) {
    if (changed || p.operation != "writing sessions") return;
    // Another writer commits a new session and deletes one while the backup reads.
    auto w = f.store->write().value();
    testing::add_session(*w, "alice", "-w-api", "/w/api", "s9", 4, k_t0 + 8 * k_day);
    ASSERT_TRUE(w->delete_session("s4"));
    ASSERT_TRUE(w->commit());
    changed = true;
  };
  auto m = f.run({}, o);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_TRUE(changed);
  EXPECT_EQ(f.sessions_of(*m), (std::set<std::string>{"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(m->contents.messages_count, 19);
  EXPECT_EQ(f.store->read().value()->get_session("s9").value()->message_count, 4);
}

TEST(BackupRunner, not_enough_free_space_is_refused_before_anything_is_written) {
  Fixture f;
  RunOptions o;
  o.reserve_bytes = std::int64_t{1} << 60;  // more than any disk has free
  auto m = f.run({}, o);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::no_space);
  EXPECT_NE(m.error().message.find("free space"), std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(f.backups))
    EXPECT_EQ(e.path().filename().string().find(".claudelens"), std::string::npos) << e.path();
  auto reader = f.store->read().value();
  int records = 0;
  ASSERT_TRUE(for_each_metadata(*reader, [&](const BackupMetadata&) { return ++records, true; }));
  EXPECT_EQ(records, 0);
}

TEST(BackupRunner, an_unusable_backup_directory_is_an_io_error) {
  Fixture f;
  std::ofstream(f.dir / "a-file") << "not a directory";
  RunOptions o;
  o.backup_dir = f.dir / "a-file" / "backups";
  BackupRequest r;
  r.name = "test backup";
  r.created_by = "alice";
  auto m = run_backup(*f.store, r, o);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::io);
  EXPECT_NE(m.error().message.find("a-file"), std::string::npos);
}

TEST(BackupRunner, startup_recovery_leaves_a_live_backup_alone) {
  Fixture f;
  std::filesystem::create_directories(f.backups);
  const auto live = format::partial_path_for(f.backups / "backup-live.claudelens");
  std::ofstream(live) << "being written";
  // Another process's running backup holds the directory lock shared.
  const int fd = ::open((f.backups / ".claudelens.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH), 0);
  auto marked = recover_interrupted(*f.store, f.backups, 5);
  ASSERT_TRUE(marked);
  EXPECT_EQ(*marked, 0);
  EXPECT_TRUE(std::filesystem::exists(live));
  ::close(fd);
  ASSERT_TRUE(recover_interrupted(*f.store, f.backups, 6));
  EXPECT_FALSE(std::filesystem::exists(live));
}

TEST(BackupCatalog, verify_detects_damage_and_marks_the_backup_corrupted) {
  Fixture f;
  auto m = f.run({});
  ASSERT_TRUE(m);
  auto resolved = resolve_backup(*f.store, f.backups, m->id);
  ASSERT_TRUE(resolved);
  ASSERT_TRUE(verify_backup(*f.store, *resolved, 10));
  {
    std::fstream file(resolved->file, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(200);
    file.put('\x7f');
  }
  auto damaged = verify_backup(*f.store, *resolved, 11);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, Errc::corrupted);
  auto reader = f.store->read().value();
  auto saved = load_metadata(*reader, m->id).value();
  EXPECT_EQ(saved->status, BackupStatus::corrupted);
  ASSERT_TRUE(saved->validation);
  EXPECT_FALSE(saved->validation->is_valid);
}

TEST(BackupCatalog, delete_frees_the_file_and_forgets_the_record) {
  Fixture f;
  auto m = f.run({});
  ASSERT_TRUE(m);
  auto out = delete_backup(*f.store, f.backups, m->id, 20);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->freed_bytes, m->compressed_size_bytes);
  EXPECT_EQ(out->files_deleted, 1);
  EXPECT_FALSE(std::filesystem::exists(f.backups / m->filepath));
  EXPECT_EQ(delete_backup(*f.store, f.backups, m->id, 21).error().code, Errc::not_found);
  EXPECT_EQ(resolve_backup(*f.store, f.backups, m->id).error().code, Errc::not_found);
}

TEST(BackupCatalog, a_deletion_is_recorded_with_its_owner_and_time_and_a_refused_one_is_not) {
  Fixture f;
  auto m = f.run({});
  ASSERT_TRUE(m);
  auto deletions = [&] {
    std::vector<Deletion> out;
    auto reader = f.store->read().value();
    EXPECT_TRUE(for_each_deletion(*reader, [&](const Deletion& d) {
      out.push_back(d);
      return true;
    }));
    return out;
  };
  EXPECT_TRUE(deletions().empty());
  ASSERT_TRUE(delete_backup(*f.store, f.backups, m->id, 20));
  ASSERT_FALSE(delete_backup(*f.store, f.backups, m->id, 21));  // not found: nothing more recorded
  const auto seen = deletions();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].backup_id, m->id);
  EXPECT_EQ(seen[0].owner_id, m->created_by);
  EXPECT_EQ(seen[0].deleted_at, 20);
  // The record shares the settings table, under its own id: the settings record is not it.
  auto reader = f.store->read().value();
  EXPECT_FALSE(reader->get_system(store::SystemTable::settings, "backup").value());
}

}  // namespace
}  // namespace claudelens::backup
