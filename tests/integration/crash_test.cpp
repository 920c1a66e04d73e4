// SIGKILL during `ingest` and `backup create`, on the real transcripts: the real binary kills itself
// (CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS, core/test_hooks.hpp) at several points, then the store must
// pass `PRAGMA integrity_check`, an ingest re-run must leave exactly what an uninterrupted ingest
// leaves (nothing lost, nothing doubled), and a killed backup must leave no file that passes for an
// archive, its temporary file removed and its record marked failed by the next run, which verifies.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";
constexpr int k_killed = 128 + 9;

/// Runs `claudelens --db sqlite:<db> --backup-dir <backups> args...`, killed after `kill_after`
/// documents when it is set.
CliResult cli(const fs::path& db, const fs::path& backups, std::vector<std::string> args,
              std::optional<std::int64_t> kill_after = std::nullopt) {
  args.insert(args.begin(), {"--db", "sqlite:" + db.string(), "--backup-dir", backups.string()});
  if (kill_after) ::setenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS", std::to_string(*kill_after).c_str(), 1);
  CliResult r = run_cli(args);
  ::unsetenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS");
  return r;
}

json::value cli_json(const fs::path& db, const fs::path& backups, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  const CliResult r = cli(db, backups, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json::value();
}

std::string sqlite3(const fs::path& db, const std::string& sql) {
  const CliResult r = run_program("/usr/bin/sqlite3", {db.string(), sql});
  EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
  return r.out;
}

std::int64_t field(const json::value& v, std::string_view name) {
  return v.as_object().at(name).to_number<std::int64_t>();
}

/// What a person can see of a store, without what differs between two stores that were given the same
/// transcripts (random project ids, the admin user's id, clock times): counts, projects by name,
/// sessions with their project's name, every session's export, and the key of every entry.
std::string content(const fs::path& db) {
  const fs::path none = "/nonexistent";
  std::string out = json::serialize(cli_json(db, none, {"stats"})) + "\n";
  std::map<std::string, std::string> project_names;
  const json::value projects = cli_json(db, none, {"projects"});
  for (auto p : projects.as_array()) {
    auto& o = p.as_object();
    project_names[std::string(o.at("_id").as_string())] = std::string(o.at("name").as_string());
    for (const char* k : {"_id", "owner_id", "created_at", "updated_at"}) o.erase(k);
    out += json::serialize(o) + "\n";
  }
  std::vector<std::string> sessions;
  const json::value all_sessions = cli_json(db, none, {"sessions"});
  for (auto s : all_sessions.as_array()) {
    auto& o = s.as_object();
    sessions.emplace_back(o.at("_id").as_string());
    o["project_id"] = project_names[std::string(o.at("project_id").as_string())];
    o.erase("owner_id");
    out += json::serialize(o) + "\n";
  }
  for (const auto& id : sessions) {
    const CliResult e = cli(db, none, {"export", "--session", id});
    EXPECT_EQ(e.exit_code, 0) << e.err;
    out += "== " + id + "\n" + e.out;
  }
  return out + sqlite3(db, "SELECT session_id, key FROM entries ORDER BY session_id, seq;");
}

/// The records an ingest killed before record `after` + 1 has committed: those of every file it
/// finished (files are read in name order per project, as the walker reads them).
std::int64_t committed_when_killed_after(std::int64_t after) {
  std::int64_t done = 0, n = 0;
  for (const fs::path& f : read_transcripts(k_transcripts).files) {
    for (const std::string& line : split_lines(read_file(f)))
      if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
    if (n > after) break;
    done = n;
  }
  return done;
}

void expect_intact(const fs::path& db, const std::string& context) {
  EXPECT_EQ(sqlite3(db, "PRAGMA integrity_check;"), "ok\n") << context;
}

/// The transcripts read independently, and one uninterrupted ingest of them, shared by the tests.
class Crash : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(fs::path(CLAUDELENS_TEST_TMP) / ("integration_crash-" + std::to_string(::getpid())));
    fs::remove_all(*s_dir);
    fs::create_directories(*s_dir);
    s_records = read_transcripts(k_transcripts).records;
    const json::value r = cli_json(db(), *s_dir / "backups", {"ingest", k_transcripts.string()});
    s_report = new json::value(r);
    s_content = new std::string(content(db()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*s_dir);
    delete s_dir;
    delete s_report;
    delete s_content;
  }
  static fs::path db() { return *s_dir / "reference.sqlite"; }

  static inline fs::path* s_dir = nullptr;
  static inline std::int64_t s_records = 0;
  static inline json::value* s_report = nullptr;   ///< the uninterrupted ingest's --json report
  static inline std::string* s_content = nullptr;  ///< content() of the uninterrupted ingest's store
};

TEST_F(Crash, the_reference_ingest_read_every_record) {
  ASSERT_GT(s_records, 3000);
  EXPECT_EQ(field(*s_report, "records"), s_records);
  EXPECT_EQ(field(*s_report, "new_records"), s_records);
  EXPECT_EQ(field(*s_report, "skipped_lines"), 0);
}

TEST_F(Crash, ingest_killed_anywhere_then_rerun_stores_exactly_what_one_ingest_stores) {
  for (const std::int64_t after : {std::int64_t{0}, std::int64_t{1}, std::int64_t{137}, s_records / 2, s_records - 1}) {
    const std::string ctx = "killed after " + std::to_string(after) + " records";
    const TempDir tmp;
    const fs::path store = tmp / "db.sqlite";
    const CliResult killed = cli(store, tmp / "backups", {"ingest", "--json", k_transcripts.string()}, after);
    ASSERT_EQ(killed.exit_code, k_killed) << ctx << ": " << killed.err;
    EXPECT_TRUE(killed.out.empty()) << ctx;
    expect_intact(store, ctx);
    // Every file read before the kill is committed, nothing of the file being read.
    const std::int64_t kept = field(cli_json(store, "/nonexistent", {"stats"}), "records");  // every entry
    EXPECT_EQ(kept, committed_when_killed_after(after)) << ctx;
    const json::value again = cli_json(store, tmp / "backups", {"ingest", k_transcripts.string()});
    EXPECT_EQ(field(again, "records"), s_records) << ctx;
    EXPECT_EQ(field(again, "new_records"), s_records - kept) << ctx;
    EXPECT_EQ(field(again, "skipped_lines"), 0) << ctx;
    EXPECT_EQ(content(store), *s_content) << ctx;
  }
}

TEST_F(Crash, ingest_killed_twice_then_rerun_twice_doubles_nothing) {
  const TempDir tmp;
  const fs::path store = tmp / "db.sqlite";
  const std::vector<std::string> args{"ingest", k_transcripts.string()};
  // The switch counts every record given to the store, stored already or not: the second run dies later.
  ASSERT_EQ(cli(store, tmp / "backups", args, s_records / 3).exit_code, k_killed);
  ASSERT_EQ(cli(store, tmp / "backups", args, s_records * 2 / 3).exit_code, k_killed);
  expect_intact(store, "after two kills");
  EXPECT_EQ(field(cli_json(store, "/nonexistent", {"stats"}), "records"),
            committed_when_killed_after(s_records * 2 / 3));
  ASSERT_EQ(cli(store, tmp / "backups", args).exit_code, 0);
  const json::value last = cli_json(store, tmp / "backups", {"ingest", k_transcripts.string()});
  EXPECT_EQ(field(last, "new_records"), 0);
  EXPECT_EQ(content(store), *s_content);
}

/// A backup run's own liveness lock, `.claudelens-run-<id>.lock` (docs/backup.md).
bool is_run_lock(const std::string& name) {
  return name.starts_with(".claudelens-run-") && name.ends_with(".lock");
}

/// The files of a backup directory (the directory's lock file and the job service's liveness locks in
/// `.jobs/` aside, docs/jobs.md; run locks too unless asked).
std::set<std::string> files_in(const fs::path& dir, bool with_run_locks = false) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == ".claudelens.lock" || name == ".jobs" || (!with_run_locks && is_run_lock(name))) continue;
    out.insert(name);
  }
  return out;
}

json::object backup_record(const fs::path& db, const std::string& name) {
  const json::value all = cli_json(db, "/nonexistent", {"backup", "list"});
  for (const auto& m : all.as_array())
    if (m.as_object().at("name").as_string() == name) return m.as_object();
  ADD_FAILURE() << "no backup record named " << name;
  return {};
}

TEST_F(Crash, backup_killed_anywhere_leaves_no_archive_and_the_next_run_cleans_up_and_verifies) {
  // A store of its own (the backup records go into it), and the size of a full backup of it.
  const TempDir tmp;
  const fs::path store = tmp / "db.sqlite";
  sqlite3(db(), ".backup '" + store.string() + "'");
  const json::value full = cli_json(store, tmp / "reference-backups", {"backup", "create", "--name", "reference"});
  const std::int64_t documents = field(full.at("contents"), "total_documents");
  ASSERT_GT(documents, s_records);
  for (const std::int64_t after : {std::int64_t{0}, std::int64_t{1}, std::int64_t{1000}, documents / 2,
                                   documents - 1}) {  // the last one: inside the catalogue
    const std::string ctx = "killed after " + std::to_string(after) + " documents";
    const std::string name = "crash-" + std::to_string(after);
    const fs::path backups = tmp / ("backups-" + std::to_string(after));
    const CliResult killed = cli(store, backups, {"backup", "create", "--json", "--name", name}, after);
    ASSERT_EQ(killed.exit_code, k_killed) << ctx << ": " << killed.err;
    expect_intact(store, ctx);
    // Only the temporary file is there (beside the killed run's lock), and nothing passes for an archive.
    const auto left = files_in(backups);
    ASSERT_EQ(left.size(), 1u) << ctx;
    EXPECT_EQ(left.begin()->front(), '.') << ctx << ": " << *left.begin();
    EXPECT_FALSE(left.begin()->ends_with(".claudelens")) << ctx << ": " << *left.begin();
    EXPECT_EQ(cli(store, backups, {"backup", "verify", (backups / *left.begin()).string()}).exit_code, 3) << ctx;
    const json::object crashed = backup_record(store, name);
    EXPECT_EQ(crashed.at("status").as_string(), "in_progress") << ctx;
    EXPECT_EQ(cli(store, backups, {"backup", "verify", std::string(crashed.at("_id").as_string())}).exit_code, 1)
        << ctx;  // its record names no file that exists
    // The next run removes the temporary file, marks the record failed, and writes a good archive.
    const json::value next = cli_json(store, backups, {"backup", "create", "--name", "after-" + name});
    // ...and the killed run's liveness lock is gone with its temporary file.
    EXPECT_EQ(files_in(backups, true), std::set<std::string>{std::string(next.at("filename").as_string())}) << ctx;
    const json::object marked = backup_record(store, name);
    EXPECT_EQ(marked.at("status").as_string(), "failed") << ctx;
    const json::value& reason = marked.at("error_message");
    EXPECT_TRUE(reason.is_string() && reason.as_string().find("interrupted") != json::string::npos)
        << ctx << ": " << reason;
    EXPECT_FALSE(marked.at("can_restore").as_bool()) << ctx;
    const CliResult verified = cli(store, backups, {"backup", "verify", std::string(next.at("_id").as_string())});
    EXPECT_EQ(verified.exit_code, 0) << ctx << ": " << verified.err;
    // The same documents, but for the audit log, which gained a line for each backup created since.
    const auto documents_but_audit = [](const json::value& m) {
      return field(m.at("contents"), "total_documents") - field(m.at("contents"), "audit_log_count");
    };
    EXPECT_EQ(documents_but_audit(next), documents_but_audit(full)) << ctx;
    EXPECT_GT(field(next.at("contents"), "audit_log_count"), field(full.at("contents"), "audit_log_count")) << ctx;
    EXPECT_EQ(next.at("contents").at("sessions_count"), full.at("contents").at("sessions_count")) << ctx;
    expect_intact(store, ctx + ", after the next run");
  }
}

}  // namespace
}  // namespace claudelens::testing
