// `claudelens restore` end to end, on the real transcripts of ../shared/data/claude-transcripts: the
// round trip into an empty store, dry runs that leave the database file byte for byte as it was,
// SIGKILL inside the transaction, damaged archives, selective reads and the exit codes; and, on six
// copies of the transcripts in other project folders sharing their cwds, project identity and the
// validation of exactly the frames a selective restore reads.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "crypto/sha256.hpp"
#include "format/reader.hpp"
#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";

std::string db_url(const fs::path& dir, const std::string& name) {
  return "sqlite:" + (dir / name).string();
}

CliResult cli(const std::string& db, const fs::path& backups, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db, "--backup-dir", backups.string()});
  return run_cli(args);
}

json::value cli_json(const std::string& db, const fs::path& backups, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  const CliResult r = cli(db, backups, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json::value();
}

std::vector<std::string> session_ids(const std::string& db) {
  std::vector<std::string> ids;
  const json::value all = cli_json(db, "/nonexistent", {"sessions"});
  for (const auto& s : all.as_array()) ids.emplace_back(s.as_object().at("_id").as_string());
  return ids;
}

/// Everything a person can see of a store: stats, projects, sessions and every session's export.
std::string snapshot(const std::string& db) {
  std::string out = json::serialize(cli_json(db, "/nonexistent", {"stats"})) + "\n" +
                    json::serialize(cli_json(db, "/nonexistent", {"projects"})) + "\n" +
                    json::serialize(cli_json(db, "/nonexistent", {"sessions"})) + "\n";
  for (const auto& id : session_ids(db)) out += cli(db, "/nonexistent", {"export", "--session", id}).out;
  return out;
}

std::string file_sha(const fs::path& p) {
  if (!fs::exists(p)) return "absent";
  return crypto::sha256_hex(read_file(p));
}

int sqlite3_cli(const fs::path& db, const std::string& sql, std::string* out = nullptr) {
  const CliResult r = run_program("/usr/bin/sqlite3", {db.string(), sql});
  if (out) *out = r.out;
  return r.exit_code;
}

/// One ingest of all the real transcripts and one full backup of them, shared by the tests.
class RestoreCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(fs::path(CLAUDELENS_TEST_TMP) / ("integration_restore_shared-" + std::to_string(::getpid())));
    fs::remove_all(*s_dir);
    fs::create_directories(*s_dir);
    s_source = new std::string(db_url(*s_dir, "source.sqlite"));
    s_backups = new fs::path(*s_dir / "backups");
    cli_json(*s_source, *s_backups, {"ingest", k_transcripts.string()});
    const json::value meta = cli_json(*s_source, *s_backups, {"backup", "create", "--name", "everything"});
    s_archive = new fs::path(*s_backups / std::string(meta.as_object().at("filename").as_string()));
    s_backup_id = new std::string(meta.as_object().at("_id").as_string());
  }
  static void TearDownTestSuite() {
    delete s_dir;
    delete s_source;
    delete s_backups;
    delete s_archive;
    delete s_backup_id;
  }
  static fs::path* s_dir;
  static std::string* s_source;
  static fs::path* s_backups;
  static fs::path* s_archive;
  static std::string* s_backup_id;
};
fs::path* RestoreCli::s_dir = nullptr;
std::string* RestoreCli::s_source = nullptr;
fs::path* RestoreCli::s_backups = nullptr;
fs::path* RestoreCli::s_archive = nullptr;
std::string* RestoreCli::s_backup_id = nullptr;

TEST_F(RestoreCli, round_trip_into_an_empty_store_gives_back_every_record) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "empty.sqlite");
  const json::value r = cli_json(target, *s_backups, {"restore", s_archive->string()});
  const auto expected = read_transcripts(k_transcripts);
  EXPECT_EQ(r.at("status").as_string(), "success");
  EXPECT_EQ(r.at("messages_restored").to_number<std::int64_t>() + r.at("records_restored").to_number<std::int64_t>(),
            expected.records);
  EXPECT_EQ(r.at("failed_documents").to_number<std::int64_t>(), 0);
  // Every session's export: the same lines, byte for byte and as JSON values, in file order.
  ASSERT_EQ(session_ids(target).size(), expected.sessions.size());
  for (const auto& [id, lines] : expected.sessions) {
    const CliResult e = cli(target, *s_backups, {"export", "--session", id});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    const auto got = split_lines(e.out);
    ASSERT_EQ(got.size(), lines.size()) << id;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i], lines[i].bytes) << id << " line " << i;
      EXPECT_EQ(json::parse(got[i]), lines[i].value) << id << " line " << i;
    }
  }
  EXPECT_EQ(snapshot(target), snapshot(*s_source));
}

TEST_F(RestoreCli, dry_run_leaves_the_database_file_byte_for_byte_unchanged) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "db.sqlite");
  const fs::path file = dir / "db.sqlite";
  // A store that differs from the backup: one project only, restored, plus a session of its own.
  const json::value projects = cli_json(*s_source, *s_backups, {"projects"});
  cli_json(target, *s_backups,
           {"restore", s_archive->string(), "--mode", "selective", "--project",
            std::string(projects.as_array()[0].at("_id").as_string())});
  ASSERT_EQ(sqlite3_cli(file, "PRAGMA wal_checkpoint(TRUNCATE);"), 0);
  const std::string db_before = file_sha(file), wal_before = file_sha(dir / "db.sqlite-wal");
  for (const char* mode : {"merge", "full"}) {
    for (const char* strategy : {"skip", "overwrite", "rename", "merge"}) {
      const json::value r = cli_json(
          target, *s_backups, {"restore", s_archive->string(), "--mode", mode, "--on-conflict", strategy, "--dry-run"});
      EXPECT_TRUE(r.at("dry_run").as_bool());
      EXPECT_GT(r.at("total_documents").to_number<std::int64_t>(), 0) << mode << " " << strategy;
    }
  }
  ASSERT_EQ(sqlite3_cli(file, "PRAGMA wal_checkpoint(TRUNCATE);"), 0);
  EXPECT_EQ(file_sha(file), db_before);
  EXPECT_EQ(file_sha(dir / "db.sqlite-wal"), wal_before);
}

TEST_F(RestoreCli, sigkill_inside_the_transaction_leaves_the_store_as_before) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "db.sqlite");
  const fs::path file = dir / "db.sqlite";
  const auto first_session = session_ids(*s_source).front();
  cli_json(target, *s_backups, {"restore", s_archive->string(), "--session", first_session});
  const std::string before = snapshot(target);
  for (const char* after : {"0", "1", "50", "700", "3000"}) {
    ::setenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS", after, 1);
    const CliResult r =
        cli(target, *s_backups, {"restore", s_archive->string(), "--mode", "merge", "--on-conflict", "overwrite"});
    ::unsetenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS");
    EXPECT_EQ(r.exit_code, 128 + 9) << "killed after " << after << " documents: " << r.err;
    std::string check;
    EXPECT_EQ(sqlite3_cli(file, "PRAGMA integrity_check;", &check), 0);
    EXPECT_EQ(check, "ok\n");
    EXPECT_EQ(snapshot(target), before) << "killed after " << after;
  }
  // And the restore still works afterwards.
  const json::value ok = cli_json(target, *s_backups, {"restore", s_archive->string()});
  EXPECT_EQ(ok.at("status").as_string(), "success");
}

TEST_F(RestoreCli, damaged_archive_exits_3_and_leaves_the_store_untouched) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "db.sqlite");
  cli_json(target, *s_backups, {"restore", s_archive->string(), "--session", session_ids(*s_source).front()});
  const std::string before = snapshot(target);
  const std::string bytes = read_file(*s_archive);
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir / name, std::ios::binary) << content;
    return (dir / name).string();
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x01;
  const std::string damaged[] = {write("flipped.claudelens", flipped),
                                 write("truncated.claudelens", bytes.substr(0, bytes.size() - 100)),
                                 write("half.claudelens", bytes.substr(0, bytes.size() / 2))};
  for (const auto& f : damaged) {
    const CliResult r = cli(target, *s_backups, {"restore", f});
    EXPECT_EQ(r.exit_code, 3) << f << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
    EXPECT_EQ(snapshot(target), before) << f;
  }
  // Without validation the flipped frame is still caught by its checksum, and the transaction rolls back.
  const CliResult r = cli(target, *s_backups, {"restore", damaged[0], "--no-validate", "--on-conflict", "overwrite"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(snapshot(target), before);
}

TEST_F(RestoreCli, restore_by_backup_id_skips_what_exists_and_is_recorded) {
  const std::string before = snapshot(*s_source);
  const json::value r = cli_json(*s_source, *s_backups, {"restore", *s_backup_id});
  EXPECT_EQ(r.at("backup_id").as_string(), *s_backup_id);
  EXPECT_EQ(r.at("total_documents").to_number<std::int64_t>(), 0);
  EXPECT_GT(r.at("skipped_duplicates").to_number<std::int64_t>(), 3000);
  EXPECT_EQ(snapshot(*s_source), before);
  std::string history;
  ASSERT_EQ(sqlite3_cli(*s_dir / "source.sqlite", "SELECT status, json FROM restores;", &history), 0);
  EXPECT_NE(history.find("success|"), std::string::npos) << history;
  EXPECT_NE(history.find(*s_backup_id), std::string::npos);
}

TEST_F(RestoreCli, preview_lists_contents_and_conflicts_without_writing) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "db.sqlite");
  const auto id = session_ids(*s_source).front();
  cli_json(target, *s_backups, {"restore", s_archive->string(), "--session", id});
  const json::value p = cli_json(target, *s_backups, {"restore", s_archive->string(), "--preview", "--detailed"});
  const auto& analysis = p.at("restore_analysis");
  EXPECT_TRUE(analysis.at("can_restore").as_bool());
  EXPECT_TRUE(analysis.at("has_conflicts").as_bool());
  bool session_conflict = false;
  for (const auto& c : analysis.at("conflicts").as_array())
    session_conflict |= c.at("type").as_string() == "session" && c.at("backup_id").as_string() == id;
  EXPECT_TRUE(session_conflict);
  EXPECT_EQ(p.at("contents").at("sessions_summary").at("total").to_number<std::int64_t>(),
            static_cast<std::int64_t>(session_ids(*s_source).size()));
  EXPECT_GT(analysis.at("required_space_bytes").to_number<std::int64_t>(), 0);
  // Against an empty store: no conflicts and no entry frame read.
  const json::value empty =
      cli_json(db_url(dir, "empty.sqlite"), *s_backups, {"restore", s_archive->string(), "--preview"});
  EXPECT_FALSE(empty.at("restore_analysis").at("has_conflicts").as_bool());
  EXPECT_LT(empty.at("bytes_read").to_number<std::int64_t>() * 4, static_cast<std::int64_t>(fs::file_size(*s_archive)));
}

TEST_F(RestoreCli, full_restore_that_deletes_needs_yes_and_bad_usage_exits_2) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const std::string target = db_url(dir, "db.sqlite");
  cli_json(target, *s_backups, {"restore", s_archive->string()});
  cli_json(target, *s_backups,
           {"restore", s_archive->string(), "--session", session_ids(*s_source).front(), "--on-conflict",
            "rename"});  // a copy the backup lacks
  const std::string before = snapshot(target);
  const CliResult refused = cli(target, *s_backups, {"restore", s_archive->string(), "--mode", "full"});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos);
  EXPECT_EQ(snapshot(target), before);
  const json::value r = cli_json(target, *s_backups, {"restore", s_archive->string(), "--mode", "full", "--yes"});
  EXPECT_EQ(r.at("collections").at("sessions").at("deleted").to_number<std::int64_t>(), 1);
  EXPECT_EQ(snapshot(target), snapshot(*s_source));
  for (std::vector<std::string> bad : {std::vector<std::string>{"restore", s_archive->string(), "--mode", "everything"},
                                       {"restore", s_archive->string(), "--on-conflict", "ask"},
                                       {"restore", s_archive->string(), "--mode", "selective"},
                                       {"restore", s_archive->string(), "--from", "yesterday"},
                                       {"restore"}})
    EXPECT_EQ(cli(target, *s_backups, bad).exit_code, 2) << bad[1];
}

/// `copies` copies of the real transcripts below `out`: each project folder again as
/// `<name>-<copy>`, each session id (inside the lines and in the file name) with "-c<copy>" appended.
/// The copies share their cwds with the originals, as several users' or machines' folders do.
void write_copies(const fs::path& out, int copies) {
  for (int copy = 0; copy < copies; ++copy) {
    for (const auto& project : fs::directory_iterator(k_transcripts)) {
      if (!project.is_directory()) continue;
      const fs::path out_dir = out / (project.path().filename().string() + "-" + std::to_string(copy));
      fs::create_directories(out_dir);
      for (const auto& f : fs::directory_iterator(project.path())) {
        if (f.path().extension() != ".jsonl") continue;
        std::string text = read_file(f.path());
        for (std::size_t at = text.find("\"sessionId\":\""); at != std::string::npos;
             at = text.find("\"sessionId\":\"", at + 1)) {
          const std::size_t end = text.find('"', at + 13);
          if (end != std::string::npos) text.insert(end, "-c" + std::to_string(copy));
        }
        std::ofstream(out_dir / (f.path().stem().string() + "-c" + std::to_string(copy) + ".jsonl"), std::ios::binary)
            << text;
      }
    }
  }
}

/// The real transcripts plus six copies of them (write_copies) in one store, and a full backup of it:
/// 35 project folders, of which 7 share each cwd, in an archive of many frames.
class RestoreCopiesCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(fs::path(CLAUDELENS_TEST_TMP) / ("integration_restore_copies-" + std::to_string(::getpid())));
    fs::remove_all(*s_dir);
    write_copies(*s_dir / "copies", 6);
    s_source = new std::string(db_url(*s_dir, "source.sqlite"));
    s_backups = new fs::path(*s_dir / "backups");
    cli_json(*s_source, *s_backups, {"ingest", k_transcripts.string(), (*s_dir / "copies").string()});
    const json::value meta = cli_json(*s_source, *s_backups, {"backup", "create", "--name", "copies"});
    s_archive = new fs::path(*s_backups / std::string(meta.at("filename").as_string()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*s_dir);
    delete s_dir;
    delete s_source;
    delete s_backups;
    delete s_archive;
  }

  /// The archive's sections of `collection` other than entries, and every entries section, by session.
  struct Layout {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> catalogue_frames;  ///< [first, end) per section
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> session_frames;
    std::vector<format::FrameInfo> frames;
  };
  static Layout layout(const fs::path& archive) {
    Layout l;
    auto reader = format::ArchiveReader::open(archive);
    EXPECT_TRUE(reader) << reader.error().message;
    for (const auto& s : (*reader)->sections()) {
      const std::pair<std::uint64_t, std::uint64_t> range{s.first_frame, s.first_frame + s.frame_count};
      if (s.key.collection == "entries")
        l.session_frames[s.key.session_id] = range;
      else
        l.catalogue_frames.push_back(range);
    }
    l.frames = (*reader)->frames();
    return l;
  }

  static std::int64_t restores_recorded(const fs::path& db) {
    std::string out;
    EXPECT_EQ(sqlite3_cli(db, "SELECT COUNT(*) FROM restores;", &out), 0);
    return std::atoll(out.c_str());
  }

  static fs::path* s_dir;
  static std::string* s_source;
  static fs::path* s_backups;
  static fs::path* s_archive;
};
fs::path* RestoreCopiesCli::s_dir = nullptr;
std::string* RestoreCopiesCli::s_source = nullptr;
fs::path* RestoreCopiesCli::s_backups = nullptr;
fs::path* RestoreCopiesCli::s_archive = nullptr;

TEST_F(RestoreCopiesCli, folders_sharing_a_cwd_come_back_as_the_same_projects_ids_names_paths) {
  const TempDir tmp;
  const std::string target = db_url(tmp.path(), "empty.sqlite");
  const json::value source_projects = cli_json(*s_source, *s_backups, {"projects"});
  ASSERT_EQ(source_projects.as_array().size(), 35u);  // one per folder, though only 5 cwds
  const json::value r = cli_json(target, *s_backups, {"restore", s_archive->string()});
  EXPECT_EQ(r.at("projects_restored").to_number<std::int64_t>(), 35);
  EXPECT_EQ(r.at("conflicts_count").to_number<std::int64_t>(), 0);
  EXPECT_TRUE(r.at("id_mappings").as_object().empty());
  // ids, names, paths, descriptions, counts; every session's row; every session's export.
  EXPECT_EQ(cli_json(target, *s_backups, {"projects"}), source_projects);
  EXPECT_EQ(snapshot(target), snapshot(*s_source));
  // A merge into the restored store finds each project itself (by id): nothing new, nothing folded.
  const json::value again = cli_json(target, *s_backups, {"restore", s_archive->string()});
  EXPECT_EQ(again.at("projects_restored").to_number<std::int64_t>(), 0);
  EXPECT_EQ(again.at("total_documents").to_number<std::int64_t>(), 0);
  EXPECT_EQ(cli_json(target, *s_backups, {"projects"}), source_projects);
}

TEST_F(RestoreCopiesCli, selective_restore_of_one_session_reads_and_validates_only_its_frames) {
  const TempDir tmp;
  const std::string target = db_url(tmp.path(), "db.sqlite");
  // A session none of whose frames holds a catalogue section: those frames are checked as the catalogue
  // is read, so the validation proper has the session's frames only to check.
  const Layout l = layout(*s_archive);
  auto shares_a_catalogue_frame = [&](const std::pair<std::uint64_t, std::uint64_t>& range) {
    return std::any_of(l.catalogue_frames.begin(), l.catalogue_frames.end(),
                       [&](const auto& c) { return c.first < range.second && range.first < c.second; });
  };
  const auto it = std::find_if(l.session_frames.begin(), l.session_frames.end(), [&](const auto& s) {
    return s.second.second > s.second.first && !shares_a_catalogue_frame(s.second);
  });
  ASSERT_NE(it, l.session_frames.end());
  const std::string id = it->first;
  const json::value r =
      cli_json(target, *s_backups, {"restore", s_archive->string(), "--mode", "selective", "--session", id});
  EXPECT_EQ(r.at("sessions_restored").to_number<std::int64_t>(), 1);
  EXPECT_EQ(session_ids(target), std::vector<std::string>{id});
  const auto read = r.at("bytes_read").to_number<std::int64_t>();
  const auto verified = r.at("bytes_verified").to_number<std::int64_t>();
  const auto size = static_cast<std::int64_t>(fs::file_size(*s_archive));
  EXPECT_GT(size, 5 << 20);
  // What it may read: the catalogue's frames once, the session's frames twice (checked before anything
  // is written, then restored), and what is not a data frame (header, index, manifest, trailer) at most
  // twice (the index is read whole at open, then by pages as sections are looked up).
  std::set<std::uint64_t> needed;
  for (std::uint64_t f = it->second.first; f < it->second.second; ++f) needed.insert(f);
  const std::set<std::uint64_t> session_frames = needed;
  for (const auto& c : l.catalogue_frames)
    for (std::uint64_t f = c.first; f < c.second; ++f) needed.insert(f);
  std::int64_t data_bytes = 0, needed_bytes = 0, session_bytes = 0;
  for (std::uint64_t f = 0; f < l.frames.size(); ++f) {
    const auto stored = static_cast<std::int64_t>(l.frames[f].stored_size);
    data_bytes += stored;
    if (needed.contains(f)) needed_bytes += stored;
    if (session_frames.contains(f)) session_bytes += stored;
  }
  ASSERT_GT(l.frames.size(), needed.size() + 3);  // most frames hold other sessions only
  EXPECT_LE(read, needed_bytes + session_bytes + 2 * (size - data_bytes)) << read << " of " << size;
  EXPECT_LT(read * 2, size) << read << " of " << size;
  EXPECT_GT(verified, 0);  // validation on (the default), of the session's frames only
  EXPECT_LE(verified, session_bytes) << verified << " of " << size;
  EXPECT_EQ(cli(target, *s_backups, {"export", "--session", id}).out,
            cli(*s_source, *s_backups, {"export", "--session", id}).out);
  // --verify-all checks the whole file.
  const json::value all = cli_json(db_url(tmp.path(), "all.sqlite"), *s_backups,
                                   {"restore", s_archive->string(), "--session", id, "--verify-all"});
  EXPECT_EQ(all.at("bytes_verified").to_number<std::int64_t>(), size);
}

TEST_F(RestoreCopiesCli, a_damaged_frame_a_selective_restore_needs_is_refused_before_anything_is_written) {
  const TempDir tmp;
  const fs::path& dir = tmp.path();
  const Layout l = layout(*s_archive);
  auto overlaps = [](std::pair<std::uint64_t, std::uint64_t> a, std::pair<std::uint64_t, std::uint64_t> b) {
    return a.first < b.second && b.first < a.second;
  };
  // A session whose first frame holds no catalogue section (damage there must be found by the
  // restore's own check, not by reading the catalogue), and one whose frames are all elsewhere.
  std::string damaged_session, intact_session;
  std::uint64_t damaged_frame = 0;
  for (const auto& [id, range] : l.session_frames) {
    if (range.second == range.first) continue;
    const std::pair<std::uint64_t, std::uint64_t> first{range.first, range.first + 1};
    if (std::none_of(l.catalogue_frames.begin(), l.catalogue_frames.end(),
                     [&](const auto& c) { return overlaps(c, first); })) {
      damaged_session = id;
      damaged_frame = range.first;
      break;
    }
  }
  ASSERT_FALSE(damaged_session.empty());
  const std::string restored_first = session_ids(*s_source).front();
  for (const auto& [id, range] : l.session_frames)
    if (range.second > range.first && !overlaps(range, {damaged_frame, damaged_frame + 1}) && id != restored_first)
      intact_session = id;
  ASSERT_FALSE(intact_session.empty());
  std::string bytes = read_file(*s_archive);
  const auto& frame = l.frames[damaged_frame];
  bytes[frame.offset + frame.stored_size / 2] ^= 0x10;
  const fs::path damaged = dir / "damaged.claudelens";
  std::ofstream(damaged, std::ios::binary) << bytes;

  // A store with something in it: one restored session of the intact archive.
  const std::string target = db_url(dir, "db.sqlite");
  cli_json(target, *s_backups, {"restore", s_archive->string(), "--session", restored_first});
  const std::string before = snapshot(target);
  const std::int64_t history = restores_recorded(dir / "db.sqlite");
  for (const std::string strategy : {"skip", "overwrite"}) {
    const CliResult r = cli(
        target, *s_backups,
        {"restore", damaged.string(), "--mode", "selective", "--session", damaged_session, "--on-conflict", strategy});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("frame " + std::to_string(damaged_frame)), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(target), before);
    EXPECT_EQ(restores_recorded(dir / "db.sqlite"), history);  // not even a failed attempt: nothing written
  }
  // The damage is outside what a restore of another session reads: that one goes ahead...
  const json::value ok = cli_json(target, *s_backups, {"restore", damaged.string(), "--session", intact_session});
  EXPECT_EQ(ok.at("sessions_restored").to_number<std::int64_t>(), 1);
  // ... unless asked to check the whole file, and a restore of everything checks it anyway.
  const std::string after = snapshot(target);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"restore", damaged.string(), "--session", intact_session, "--verify-all"},
        {"restore", damaged.string()},
        {"restore", damaged.string(), "--mode", "full", "--yes"}}) {
    const CliResult r = cli(target, *s_backups, args);
    EXPECT_EQ(r.exit_code, 3) << args.back() << ": " << r.err;
  }
  EXPECT_EQ(snapshot(target), after);
  // `backup verify` finds damage anywhere.
  const CliResult v = cli(target, *s_backups, {"backup", "verify", damaged.string()});
  EXPECT_EQ(v.exit_code, 3) << v.out << v.err;
}

}  // namespace
}  // namespace claudelens::testing
