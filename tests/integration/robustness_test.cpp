// The real binary against odd input and hostile conditions (issue 7): unknown commands, names and
// lines that are not UTF-8, another application's SQLite file, readers beside a writer, a full store.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "backup/metadata.hpp"
#include "backup/runner.hpp"
#include "core/json_text.hpp"
#include "integration/run_cli.hpp"
#include "store/store.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

/// The binary under test: CLAUDELENS_BIN, or $CLAUDELENS_TEST_BIN when set (to run these tests
/// against an older build and see them fail there).
CliResult run_bin(const std::vector<std::string>& args) {
  const char* other = std::getenv("CLAUDELENS_TEST_BIN");
  return run_program(other && *other ? other : CLAUDELENS_BIN, args);
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::path(CLAUDELENS_TEST_TMP) / ("integration_robustness-" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

/// Runs claudelens with `--db sqlite:DIR/db.sqlite --backup-dir DIR/backups` before `args`.
CliResult cli(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(),
              {"--db", "sqlite:" + (dir / "db.sqlite").string(), "--backup-dir", (dir / "backups").string()});
  return run_bin(args);
}

json::value parse_json(const CliResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(is_valid_utf8(r.out)) << r.out;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << r.out;
  return v;
}

std::string user_line(const std::string& uuid, const std::string& session, const std::string& cwd,
                      const std::string& text) {
  return R"({"type":"user","uuid":")" + uuid + R"(","sessionId":")" + session + R"(","cwd":")" + cwd +
         R"(","timestamp":"2025-06-14T12:00:00.093Z","message":{"role":"user","content":")" + text + R"("}})";
}

// ---- defect 4: unknown commands --------------------------------------------------------------------

TEST(Cli, an_unknown_command_is_named_with_the_nearest_one) {
  auto r = run_bin({"bakup"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'bakup' is not a command"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("The most similar command is backup"), std::string::npos) << r.err;
  r = run_bin({"no-such-command"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'no-such-command' is not a command"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  r = run_bin({"--json", "stast"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("The most similar command is stats"), std::string::npos) << r.err;
}

TEST(Cli, an_unknown_subcommand_is_named_with_the_nearest_one) {
  auto r = run_bin({"backup", "lst"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'lst' is not a backup command"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("The most similar command is list"), std::string::npos) << r.err;
  r = run_bin({"backup", "verfy", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("The most similar command is verify"), std::string::npos) << r.err;
  // Still as before: no command at all, and a known command with a bad flag.
  EXPECT_EQ(run_bin({}).exit_code, 2);
  r = run_bin({"stats", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("is not a command"), std::string::npos) << r.err;
}

// ---- defect 7: names and lines that are not UTF-8 --------------------------------------------------

TEST(NotUtf8, latin1_folder_and_lines_back_up_and_restore_exactly) {
  const fs::path dir = scratch("latin1");
  const fs::path projects = dir / "projects";
  // A Latin-1 folder name, and a line with a Latin-1 byte in its text (not UTF-8: JSON's rules broken).
  const std::string good = user_line("u1", "s1", "/w/caf\xc3\xa9", "caf\xc3\xa9");
  const std::string latin1 = user_line("u2", "s1", "/w/cafe", "na\xefve");
  write_bytes(projects / "caf\xe9" / "s1.jsonl", good + "\n" + latin1 + "\n");
  write_bytes(projects / "plain" / "s2.jsonl", user_line("u3", "s2", "/w/plain", "hi") + "\n");
  auto ingested = parse_json(cli(dir, {"--json", "ingest", projects.string()}));
  EXPECT_EQ(ingested.at("records").to_number<std::int64_t>(), 3);
  EXPECT_EQ(ingested.at("skipped_lines").to_number<std::int64_t>(), 0);  // nothing lost

  auto listed = parse_json(cli(dir, {"--json", "projects"}));
  std::vector<std::string> names;
  for (const auto& p : listed.as_array()) names.emplace_back(p.at("name").as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"caf%E9", "plain"}));

  // The raw line comes back as it was ingested: nothing altered.
  auto exported = cli(dir, {"export", "--session", "s1"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, good + "\n" + latin1 + "\n");

  auto created = parse_json(cli(dir, {"--json", "backup", "create", "--name", "latin one"}));
  const std::string id(created.at("_id").as_string());
  auto verified = cli(dir, {"backup", "verify", id});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;

  // Every restore of it works: a dry run, then into an empty store.
  const fs::path other = scratch("latin1-restored");
  const std::string archive = (dir / "backups" / std::string(created.at("filepath").as_string())).string();
  auto preview = parse_json(cli(other, {"--json", "restore", archive, "--preview", "--detailed"}));
  EXPECT_NE(json::serialize(preview).find("caf%E9"), std::string::npos) << json::serialize(preview);
  auto dry = cli(other, {"--json", "restore", archive, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  auto restored = cli(other, {"--json", "restore", archive});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto again = parse_json(cli(other, {"--json", "projects"}));
  std::vector<std::string> restored_names;
  for (const auto& p : again.as_array()) restored_names.emplace_back(p.at("name").as_string());
  EXPECT_EQ(restored_names, names);
  auto re_exported = cli(other, {"export", "--session", "s1"});
  ASSERT_EQ(re_exported.exit_code, 0) << re_exported.err;
  EXPECT_EQ(re_exported.out, exported.out);
}

// ---- defect 8: another application's database ------------------------------------------------------

TEST(ForeignDatabase, is_refused_untouched_with_its_path) {
  const fs::path dir = scratch("foreign");
  const fs::path file = dir / "other-app.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users(email) "
                         "VALUES('a@example.com');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = read_bytes(file);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"stats"}, {"ingest", dir.string()}, {"backup", "list"}}) {
    std::vector<std::string> full{"--db", "sqlite:" + file.string()};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run_bin(full);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not a ClaudeLens store"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_bytes(file), before);
  EXPECT_FALSE(fs::exists(dir / "other-app.db-wal"));
}

// ---- defect 9: readers beside a writer -------------------------------------------------------------

TEST(ReadersBesideAWriter, stats_and_backup_list_answer_while_another_process_writes) {
  const fs::path dir = scratch("readers");
  write_bytes(dir / "projects" / "app" / "s1.jsonl", user_line("u1", "s1", "/w/app", "hi") + "\n");
  ASSERT_EQ(cli(dir, {"ingest", (dir / "projects").string()}).exit_code, 0);
  // This process holds the write lock, as a long restore does, with a transaction larger than a cache.
  auto store = store::open_store("sqlite:" + (dir / "db.sqlite").string()).value();
  auto writer = store->write(store::WriteMode::bulk).value();
  const std::string pad(4000, 'x');
  for (int i = 0; i < 3'000; ++i) {
    store::Entry e;
    e.session_id = "s1";
    e.key = "pad-" + std::to_string(i);
    e.has_uuid = true;
    e.json = R"({"pad":")" + pad + R"("})";
    ASSERT_TRUE(writer->insert_entry(e, store::OnExisting::keep));
  }
  const auto start = std::chrono::steady_clock::now();
  auto stats = parse_json(cli(dir, {"--json", "stats"}));
  EXPECT_EQ(stats.at("messages").to_number<std::int64_t>(), 1);  // the committed state
  auto list = cli(dir, {"--json", "backup", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(5));
  // A second writer is told who holds the store and what to do (after the busy timeout).
  ASSERT_TRUE(writer->commit());
}

// ---- defect 6: two backup directories on one store -------------------------------------------------

TEST(TwoBackupDirs, a_backup_in_another_dir_does_not_fail_a_live_one) {
  const fs::path dir = scratch("two-dirs");
  write_bytes(dir / "projects" / "app" / "s1.jsonl", user_line("u1", "s1", "/w/app", "hi") + "\n");
  ASSERT_EQ(cli(dir, {"ingest", (dir / "projects").string()}).exit_code, 0);
  auto store = store::open_store("sqlite:" + (dir / "db.sqlite").string()).value();
  backup::BackupRequest request;
  request.name = "live in A";
  request.created_by = "admin";
  backup::RunOptions options;
  options.backup_dir = dir / "backups-a";
  options.backup_id = "live-a";
  CliResult other;
  std::string status_meanwhile;
  options.on_progress = [&](const backup::Progress& p) {
    if (p.operation != "writing catalogue" || other.exit_code != -1) return;
    // While this process's backup runs, another process backs up into directory B (its start-up
    // recovery runs first).
    other = run_bin({"--db", "sqlite:" + (dir / "db.sqlite").string(), "--backup-dir", (dir / "backups-b").string(),
                     "backup", "create", "--name", "other dir"});
    auto reader = store->read().value();
    status_meanwhile = backup::backup_status_name(backup::load_metadata(*reader, "live-a").value()->status);
  };
  auto live = backup::run_backup(*store, request, options);
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(status_meanwhile, "in_progress");
  ASSERT_TRUE(live) << live.error().message;
  auto list = parse_json(cli(dir, {"--json", "backup", "list"}));
  ASSERT_EQ(list.as_array().size(), 2u);
  for (const auto& m : list.as_array()) EXPECT_EQ(m.at("status"), "completed") << json::serialize(m);
}

// ---- defect 5 (ingest and restore): a full store loses nothing -------------------------------------

TEST(FullStore, ingest_and_restore_on_a_full_store_fail_cleanly_and_lose_nothing) {
  const fs::path dir = scratch("full");
  const fs::path small = dir / "small";
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{small};
  const std::string db = "sqlite:" + (small / "db.sqlite").string();
  const std::string backups = (dir / "backups").string();
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db, "--backup-dir", backups});
    return run_bin(args);
  };
  // A first project, backed up.
  write_bytes(dir / "p1" / "app" / "s1.jsonl", user_line("u1", "s1", "/w/app", "first") + "\n");
  ASSERT_EQ(run({"ingest", (dir / "p1").string()}).exit_code, 0);
  auto created = run({"--json", "backup", "create", "--name", "before full"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string archive = backups + "/" + std::string(json::parse(created.out).at("filepath").as_string());
  // A second project of 2 MB lines, ingested into a store with no room left.
  std::string big;
  for (int i = 0; i < 40; ++i)
    big += user_line("big" + std::to_string(i), "s2", "/w/big", std::string(50'000, 'b')) + "\n";
  write_bytes(dir / "p2" / "big" / "s2.jsonl", big);
  {
    std::ofstream filler(small / "filler", std::ios::binary);
    const std::string chunk(16 * 1024, 'f');
    while (filler.write(chunk.data(), chunk.size()) && filler.flush()) {
    }
  }
  auto full = run({"ingest", (dir / "p2").string()});
  EXPECT_NE(full.exit_code, 0);
  EXPECT_NE(full.err.find("full"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find((small / "db.sqlite").string()), std::string::npos) << full.err;  // names the store
  // A restore into another (empty) store on the full file system: all or nothing.
  const std::vector<std::string> other{"--db", "sqlite:" + (small / "other.db").string()};
  auto with_other = [&](std::vector<std::string> args) {
    args.insert(args.begin(), other.begin(), other.end());
    return run_bin(args);
  };
  auto restored = with_other({"restore", archive});
  fs::remove(small / "filler");
  auto other_stats = with_other({"--json", "stats"});
  if (other_stats.exit_code == 0) {
    const auto messages = json::parse(other_stats.out).at("messages").to_number<std::int64_t>();
    EXPECT_EQ(messages, restored.exit_code == 0 ? 1 : 0) << restored.err;
  }
  ASSERT_EQ(with_other({"restore", archive}).exit_code, 0);
  other_stats = with_other({"--json", "stats"});
  ASSERT_EQ(other_stats.exit_code, 0) << other_stats.err;
  EXPECT_EQ(json::parse(other_stats.out).at("messages").to_number<std::int64_t>(), 1);
  auto stats = run({"--json", "stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(json::parse(stats.out).at("messages").to_number<std::int64_t>(), 1);  // the first project, whole
  // With room again, the same ingest brings everything: nothing was lost.
  auto ingest_again = run({"--json", "ingest", (dir / "p2").string()});
  ASSERT_EQ(ingest_again.exit_code, 0) << ingest_again.err;
  stats = run({"--json", "stats"});
  EXPECT_EQ(json::parse(stats.out).at("messages").to_number<std::int64_t>(), 41);
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open((small / "db.sqlite").c_str(), &handle), SQLITE_OK);
  sqlite3_stmt* check = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(handle);
}

}  // namespace
}  // namespace claudelens::testing
