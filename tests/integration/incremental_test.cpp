// Incremental backups end to end (SPEC §6, issue 10), with the real binary on copies of the real
// transcripts in a scratch folder: a chain full → incremental → incremental → incremental after new
// sessions and projects, appended lines, deletions (a full restore of the first backup deletes what it
// lacks) and lines added back; each link restored into an empty store equals the store as it was when
// that link was taken (every session's export, `sessions --json`, `projects --json`, `stats`). No change:
// an incremental that holds nothing and is small. Deleting a needed parent is refused (exit 4) unless
// --force, which deletes the dependents too and says so first. verify finds a replaced or missing
// parent (exit 3), restore refuses it and writes nothing. Bad parents are refused. Encrypted chains work.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";
// dagster-io__erk's 60-line session: the first 30 lines are ingested, the rest appended later.
const std::string k_erk_session = "dc2f576f-81dd-4f52-8708-126e301daf57";

/// What a store holds, as the CLI shows it.
struct Snapshot {
  std::map<std::string, std::string> exports;  ///< session id → `export --session`
  std::string sessions, projects, stats;
};

struct Env {
  TempDir tmp;
  fs::path scratch = tmp.path() / "projects";
  std::string db = "sqlite:" + (tmp.path() / "source.db").string();
  fs::path backups = tmp.path() / "backups";
  int targets = 0;

  CliResult cli(const std::string& db_url, std::vector<std::string> args) const {
    args.insert(args.begin(), {"--db", db_url, "--backup-dir", backups.string()});
    return run_cli(args);
  }
  CliResult src(std::vector<std::string> args) const { return cli(db, std::move(args)); }
  std::string new_target() {
    return "sqlite:" + (tmp.path() / ("target-" + std::to_string(++targets) + ".db")).string();
  }

  Snapshot snapshot(const std::string& db_url) const {
    Snapshot s;
    s.sessions = cli(db_url, {"--json", "sessions"}).out;
    s.projects = cli(db_url, {"--json", "projects"}).out;
    s.stats = cli(db_url, {"--json", "stats"}).out;
    const json::value sessions = json::parse(s.sessions);
    for (const auto& v : sessions.as_array()) {
      const std::string id(v.at("_id").as_string());
      s.exports[id] = cli(db_url, {"export", "--session", id}).out;
    }
    return s;
  }

  /// `backup create --json` with `args`; the metadata.
  json::object backup(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--json", "backup", "create"});
    const CliResult r = src(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return {};
    return json::parse(r.out).as_object();
  }
};

void copy_lines(const fs::path& from, const fs::path& to, std::size_t first, std::size_t last, bool append) {
  const auto lines = split_lines(read_file(from));
  fs::create_directories(to.parent_path());
  std::ofstream out(to, append ? std::ios::binary | std::ios::app : std::ios::binary);
  for (std::size_t i = first; i < last && i < lines.size(); ++i) out << lines[i] << '\n';
}

std::string id_of(const json::object& meta) {
  return meta.contains("_id") ? std::string(meta.at("_id").as_string()) : std::string();
}

/// The archive file of a backup: how another store (which does not know the backup ids) names it.
std::string file_of(const Env& e, const json::object& meta) {
  return (e.backups / std::string(meta.at("filepath").as_string())).string();
}

void expect_equal(const Snapshot& want, const Snapshot& got, const std::string& link) {
  EXPECT_EQ(want.stats, got.stats) << link;
  EXPECT_EQ(want.projects, got.projects) << link;
  EXPECT_EQ(want.sessions, got.sessions) << link;
  ASSERT_EQ(want.exports.size(), got.exports.size()) << link;
  for (const auto& [id, text] : want.exports) {
    const auto it = got.exports.find(id);
    ASSERT_NE(it, got.exports.end()) << link << ": session " << id << " missing";
    EXPECT_EQ(text, it->second) << link << ": session " << id;
  }
}

std::int64_t records_of(const std::string& stats) {
  return json::parse(stats).at("records").as_int64();
}

/// A chain on the real transcripts: F (full), I1 (appends, a new session, a new project), I2 (the
/// store put back to F by a full restore: deletions of entries, a session and a project), I3 (the
/// appended lines ingested again), I4 (no change). `snaps[i]` is the store when link i was taken.
struct Chain {
  Env env;
  std::vector<json::object> links;
  std::vector<Snapshot> snaps;
};

/// `extra`: more flags for every `backup create`; `restore_extra`: for the restore that puts the store back.
void build_chain(Chain& c, std::vector<std::string> extra = {}, std::vector<std::string> restore_extra = {}) {
  Env& e = c.env;
  const fs::path erk = k_transcripts / "dagster-io__erk";
  fs::create_directories(e.scratch);
  fs::copy(k_transcripts / "chiphuyen__sniffly", e.scratch / "chiphuyen__sniffly", fs::copy_options::recursive);
  copy_lines(erk / "f1f46916-1ef2-4125-aa69-8d5c136f8e8e.jsonl", e.scratch / "dagster-io__erk" / "f1f46916.jsonl", 0,
             1000, false);
  copy_lines(erk / (k_erk_session + ".jsonl"), e.scratch / "dagster-io__erk" / (k_erk_session + ".jsonl"), 0, 30,
             false);
  ASSERT_EQ(e.src({"ingest", e.scratch.string()}).exit_code, 0);
  auto create = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"--name", name});
    args.insert(args.end(), extra.begin(), extra.end());
    c.links.push_back(e.backup(args));
    c.snaps.push_back(e.snapshot(e.db));
  };
  create("full", {});
  ASSERT_FALSE(id_of(c.links[0]).empty());

  // I1: 30 appended lines, a new session in an existing project, a new project.
  copy_lines(erk / (k_erk_session + ".jsonl"), e.scratch / "dagster-io__erk" / (k_erk_session + ".jsonl"), 30, 1000,
             true);
  copy_lines(k_transcripts / "marot__spotter" / "short.jsonl", e.scratch / "chiphuyen__sniffly" / "short.jsonl", 0,
             1000, false);
  fs::copy(k_transcripts / "d-kimuson__claude-code-viewer", e.scratch / "d-kimuson__claude-code-viewer",
           fs::copy_options::recursive);
  ASSERT_EQ(e.src({"ingest", e.scratch.string()}).exit_code, 0);
  create("first increment", {"--type", "incremental"});

  // I2: the store put back as F had it: the appended lines, the new session and project are deleted.
  std::vector<std::string> back_args{"restore", id_of(c.links[0]), "--mode", "full", "--yes"};
  back_args.insert(back_args.end(), restore_extra.begin(), restore_extra.end());
  const CliResult back = e.src(back_args);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  create("second increment", {"--type", "incremental"});

  // I3: the erk file ingested again (its deleted lines come back), the rest as it was.
  fs::remove_all(e.scratch / "d-kimuson__claude-code-viewer");
  fs::remove(e.scratch / "chiphuyen__sniffly" / "short.jsonl");
  ASSERT_EQ(e.src({"ingest", (e.scratch / "dagster-io__erk").string()}).exit_code, 0);
  create("third increment", {"--type", "incremental"});

  // I4: nothing changed.
  create("fourth increment", {"--type", "incremental"});
}

TEST(IncrementalBackup, each_link_restored_into_an_empty_store_equals_the_store_when_it_was_taken) {
  Chain c;
  build_chain(c);
  ASSERT_EQ(c.links.size(), 5u);
  Env& e = c.env;
  // The chain's links: each names the previous one, with its checksum.
  for (std::size_t i = 1; i < c.links.size(); ++i) {
    EXPECT_EQ(c.links[i].at("type").as_string(), "incremental");
    EXPECT_EQ(c.links[i].at("parent_backup_id").as_string(), id_of(c.links[i - 1])) << i;
    EXPECT_EQ(c.links[i].at("parent_checksum").as_string(), c.links[i - 1].at("checksum").as_string()) << i;
  }
  // The states differ where the test made them differ.
  EXPECT_NE(c.snaps[0].stats, c.snaps[1].stats);
  EXPECT_EQ(c.snaps[0].exports, c.snaps[2].exports);
  EXPECT_EQ(c.snaps[1].exports.at(k_erk_session), c.snaps[3].exports.at(k_erk_session));
  EXPECT_GT(c.snaps[1].exports.size(), c.snaps[0].exports.size());
  // I1 holds exactly the lines added (appended and new), not the sessions' unchanged lines.
  const auto& c1 = c.links[1].at("contents").as_object();
  EXPECT_EQ(c1.at("messages_count").as_int64() + c1.at("records_count").as_int64(),
            records_of(c.snaps[1].stats) - records_of(c.snaps[0].stats));
  // I4: no change, nothing held, and small.
  const auto& c4 = c.links[4].at("contents").as_object();
  EXPECT_EQ(c4.at("total_documents").as_int64(), 0);
  EXPECT_EQ(c4.at("sessions_count").as_int64(), 0);
  EXPECT_LE(c.links[4].at("compressed_size_bytes").as_int64(), 4096);
  EXPECT_LT(c.links[4].at("compressed_size_bytes").as_int64() * 10, c.links[0].at("compressed_size_bytes").as_int64());

  for (std::size_t i = 0; i < c.links.size(); ++i) {
    const std::string target = e.new_target();
    const CliResult r = e.cli(target, {"--json", "restore", file_of(e, c.links[i])});
    ASSERT_EQ(r.exit_code, 0) << "link " << i << ": " << r.err;
    if (i > 0) {
      EXPECT_EQ(json::parse(r.out).at("chain").as_array().size(), i + 1) << r.out.substr(0, 300);
    }
    expect_equal(c.snaps[i], e.snapshot(target), "link " + std::to_string(i));
  }

  // Preview of an incremental: the chain and what the whole chain restores.
  const CliResult preview = e.cli(e.new_target(), {"--json", "restore", file_of(e, c.links[3]), "--preview"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  const json::object p = json::parse(preview.out).as_object();
  ASSERT_EQ(p.at("chain").as_array().size(), 4u);
  EXPECT_EQ(p.at("chain").at(0).at("_id").as_string(), id_of(c.links[0]));
  EXPECT_EQ(p.at("contents").at("sessions_summary").at("total").as_int64(),
            static_cast<std::int64_t>(c.snaps[3].exports.size()));

  // Selective restore of one session from the chain.
  const std::string one = e.new_target();
  const CliResult sel =
      e.cli(one, {"restore", file_of(e, c.links[3]), "--mode", "selective", "--session", k_erk_session});
  ASSERT_EQ(sel.exit_code, 0) << sel.err;
  EXPECT_EQ(e.cli(one, {"export", "--session", k_erk_session}).out, c.snaps[3].exports.at(k_erk_session));
  EXPECT_EQ(json::parse(e.cli(one, {"--json", "sessions"}).out).as_array().size(), 1u);
}

TEST(IncrementalBackup, deleting_a_needed_parent_is_refused_unless_forced_and_force_deletes_the_dependents) {
  Chain c;
  build_chain(c);
  ASSERT_EQ(c.links.size(), 5u);
  Env& e = c.env;
  const CliResult refused = e.src({"backup", "delete", id_of(c.links[1])});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find(id_of(c.links[2])), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(e.backups / std::string(c.links[1].at("filepath").as_string())));

  const CliResult forced = e.src({"--json", "backup", "delete", id_of(c.links[2]), "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("depend"), std::string::npos) << forced.err;  // said before deleting
  const json::object out = json::parse(forced.out).as_object();
  EXPECT_EQ(out.at("dependents_deleted").as_array().size(), 2u);
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_NE(e.src({"backup", "show", id_of(c.links[i])}).exit_code, 0) << i;
    EXPECT_FALSE(fs::exists(e.backups / std::string(c.links[i].at("filepath").as_string()))) << i;
  }
  // The rest of the chain still restores.
  const std::string target = e.new_target();
  ASSERT_EQ(e.cli(target, {"restore", file_of(e, c.links[1])}).exit_code, 0);
  expect_equal(c.snaps[1], e.snapshot(target), "link 1 after the forced delete");
}

TEST(IncrementalBackup, verify_and_restore_find_a_replaced_or_missing_parent_and_write_nothing) {
  Chain c;
  build_chain(c);
  ASSERT_EQ(c.links.size(), 5u);
  Env& e = c.env;
  const CliResult ok = e.src({"--json", "backup", "verify", id_of(c.links[2])});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(json::parse(ok.out).at("chain").as_array().size(), 3u);

  // Replaced: I1's file and record swapped for another valid backup (a new full backup's file).
  const json::object other = e.backup({"--name", "another full"});
  const fs::path i1 = e.backups / std::string(c.links[1].at("filepath").as_string());
  const fs::path other_file = e.backups / std::string(other.at("filepath").as_string());
  fs::copy_file(i1, e.tmp.path() / "i1.keep");
  fs::copy_file(other_file, i1, fs::copy_options::overwrite_existing);
  const CliResult replaced = e.src({"backup", "verify", id_of(c.links[2])});
  EXPECT_EQ(replaced.exit_code, 3) << replaced.err;
  const std::string target = e.new_target();
  const CliResult refused = e.cli(target, {"restore", file_of(e, c.links[3])});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find(id_of(c.links[1])), std::string::npos) << refused.err;  // names the member
  EXPECT_EQ(json::parse(e.cli(target, {"--json", "sessions"}).out).as_array().size(), 0u);
  // The same in the store where the chain is registered: its record's checksum matches, its file does not.
  const std::string before = e.src({"--json", "stats"}).out;
  const CliResult in_source = e.src({"restore", id_of(c.links[3]), "--mode", "full", "--yes"});
  EXPECT_NE(in_source.exit_code, 0);
  EXPECT_NE(in_source.err.find(id_of(c.links[1])), std::string::npos) << in_source.err;
  EXPECT_EQ(e.src({"--json", "stats"}).out, before);

  // Missing: I1's file gone.
  fs::remove(i1);
  const CliResult missing = e.src({"backup", "verify", id_of(c.links[2])});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_NE(missing.err.find("gone"), std::string::npos) << missing.err;
  const CliResult refused2 = e.cli(target, {"restore", file_of(e, c.links[2])});
  EXPECT_NE(refused2.exit_code, 0);
  EXPECT_NE(refused2.err.find(id_of(c.links[1])), std::string::npos) << refused2.err;
  EXPECT_EQ(json::parse(e.cli(target, {"--json", "sessions"}).out).as_array().size(), 0u);
}

TEST(IncrementalBackup, bad_parents_are_refused_with_clear_errors) {
  Env e;
  fs::create_directories(e.scratch);
  fs::copy(k_transcripts / "chiphuyen__sniffly", e.scratch / "chiphuyen__sniffly", fs::copy_options::recursive);
  ASSERT_EQ(e.src({"ingest", e.scratch.string()}).exit_code, 0);
  // No backup yet: no silent full backup.
  const CliResult none = e.src({"backup", "create", "--name", "inc", "--type", "incremental"});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("full"), std::string::npos) << none.err;
  EXPECT_EQ(e.src({"--json", "backup", "list"}).out.find("\"inc\""), std::string::npos);
  // Unknown parent.
  const CliResult unknown = e.src({"backup", "create", "--name", "inc", "--type", "incremental", "--parent", "nope"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;
  // A selective parent: the default parent needs the same filters.
  const json::object sel = e.backup({"--name", "one project", "--project", "chiphuyen__sniffly"});
  const CliResult other_filters = e.src({"backup", "create", "--name", "inc", "--type", "incremental"});
  EXPECT_EQ(other_filters.exit_code, 2) << other_filters.err;
  // Same filters: it builds on the selective backup.
  const json::object inc = e.backup({"--name", "inc", "--type", "incremental", "--project", "chiphuyen__sniffly"});
  EXPECT_EQ(inc.at("parent_backup_id").as_string(), id_of(sel));
  // --parent on a full backup is bad usage.
  EXPECT_EQ(e.src({"backup", "create", "--name", "x", "--parent", id_of(sel)}).exit_code, 2);
}

TEST(IncrementalBackup, an_encrypted_chain_restores_with_the_shared_key) {
  Chain c;  // (one scratch folder per test: the key goes in it)
  const fs::path key = c.env.tmp.path() / "key";
  std::ofstream(key) << "the chain's passphrase\n";
  build_chain(c, {"--encrypt", "--key-file", key.string()}, {"--key-file", key.string()});
  ASSERT_EQ(c.links.size(), 5u);
  Env& e = c.env;
  EXPECT_TRUE(c.links[3].at("encryption").at("enabled").as_bool());
  const std::string target = e.new_target();
  const CliResult nokey = e.cli(target, {"restore", file_of(e, c.links[3])});
  EXPECT_EQ(nokey.exit_code, 1) << nokey.err;
  const CliResult r = e.cli(target, {"restore", file_of(e, c.links[3]), "--key-file", key.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_equal(c.snaps[3], e.snapshot(target), "encrypted link 3");
  // The link checks need no key.
  EXPECT_EQ(e.src({"backup", "verify", id_of(c.links[3])}).exit_code, 0);
}

}  // namespace
}  // namespace claudelens::testing
