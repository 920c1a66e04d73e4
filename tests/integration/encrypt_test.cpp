// Encrypted backups end to end (SPEC §5.7, issue 10), on the real transcripts: the archive's bytes
// show no message text, project path or session id; verify works without the key (structure and
// SHA-256) and with it (every chunk); a missing or wrong key is exit 1 with a message that says
// which, damage is exit 3; backup → restore into an empty store gives every session's export back.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";

struct Env {
  TempDir tmp;
  std::string db = "sqlite:" + (tmp.path() / "source.db").string();
  fs::path backups = tmp.path() / "backups";
  fs::path key = tmp.path() / "key";
  fs::path wrong = tmp.path() / "wrong-key";
  fs::path archive;
  std::string backup_id;

  CliResult cli(const std::string& db_url, std::vector<std::string> args) const {
    args.insert(args.begin(), {"--db", db_url, "--backup-dir", backups.string()});
    return run_cli(args);
  }
};

void write(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

/// Ingests the real transcripts and makes one encrypted full backup.
void set_up(Env& e) {
  write(e.key, "a long passphrase for the tests\n");
  write(e.wrong, "not the passphrase\n");
  ASSERT_EQ(e.cli(e.db, {"ingest", k_transcripts.string()}).exit_code, 0);
  const CliResult r =
      e.cli(e.db, {"--json", "backup", "create", "--name", "encrypted", "--encrypt", "--key-file", e.key.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object meta = json::parse(r.out).as_object();
  e.backup_id = std::string(meta.at("_id").as_string());
  e.archive = e.backups / std::string(meta.at("filepath").as_string());
  const json::object& enc = meta.at("encryption").as_object();
  EXPECT_TRUE(enc.at("enabled").as_bool());
  EXPECT_EQ(enc.at("algorithm").as_string(), "aes-256-gcm");
  EXPECT_EQ(enc.at("key_id").as_string().size(), 16u);
}

TEST(EncryptedBackup, the_file_shows_no_message_text_no_project_path_no_session_id) {
  Env e;
  set_up(e);
  const TranscriptSet t = read_transcripts(k_transcripts);
  const std::string bytes = read_file(e.archive);
  std::size_t checked = 0;
  for (const auto& [session, lines] : t.sessions) {
    EXPECT_EQ(bytes.find(session), std::string::npos) << "session id " << session;
    for (const auto& l : lines) {
      const auto& o = l.value.as_object();
      const auto* m = o.if_contains("message");
      if (m == nullptr || !m->is_object()) continue;
      const auto* c = m->as_object().if_contains("content");
      if (c != nullptr && c->is_string() && c->as_string().size() >= 24) {
        const std::string text(c->as_string().subview().substr(0, 24));
        EXPECT_EQ(bytes.find(text), std::string::npos) << "message text " << text;
        ++checked;
      }
    }
  }
  for (const auto& [project, cwds] : t.cwds)
    for (const auto& [cwd, n] : cwds) EXPECT_EQ(bytes.find(cwd), std::string::npos) << "project path " << cwd;
  EXPECT_GT(checked, 50u);
  // zstd sees only skippable frames: nothing to print.
  const CliResult z = run_program("/bin/sh", {"-c", "zstd -dc '" + e.archive.string() + "' | wc -c"});
  EXPECT_EQ(z.out, "0\n");
}

TEST(EncryptedBackup, verify_without_key_with_key_wrong_key_and_damage_exit_codes) {
  Env e;
  set_up(e);
  CliResult r = e.cli(e.db, {"backup", "verify", e.backup_id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("without its key"), std::string::npos) << r.out;
  const json::object shown = json::parse(e.cli(e.db, {"--json", "backup", "show", e.backup_id}).out).as_object();
  EXPECT_TRUE(shown.at("validation_status").as_object().at("is_valid").as_bool());
  EXPECT_EQ(shown.at("validation_status").as_object().at("warnings").as_array().size(), 1u);
  r = e.cli(e.db, {"backup", "verify", e.backup_id, "--key-file", e.key.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("every chunk authenticated"), std::string::npos) << r.out;
  r = e.cli(e.db, {"backup", "verify", e.backup_id, "--key-file", e.wrong.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong key"), std::string::npos) << r.err;
  const std::string empty_db = "sqlite:" + (e.tmp.path() / "empty.db").string();
  r = e.cli(empty_db, {"restore", e.archive.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no key was given"), std::string::npos) << r.err;
  r = e.cli(empty_db, {"restore", e.archive.string(), "--key-file", e.wrong.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong key"), std::string::npos) << r.err;
  r = e.cli(empty_db, {"restore", e.archive.string(), "--preview"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  // Damage in the middle of the data: exit 3 with and without the key, and the backup is marked.
  std::string bytes = read_file(e.archive);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  write(e.archive, bytes);
  r = e.cli(e.db, {"backup", "verify", e.backup_id});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = e.cli(e.db, {"backup", "verify", e.backup_id, "--key-file", e.key.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = e.cli(empty_db, {"restore", e.archive.string(), "--key-file", e.key.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST(EncryptedBackup, restore_into_an_empty_store_equals_every_sessions_export) {
  Env e;
  set_up(e);
  const std::string target = "sqlite:" + (e.tmp.path() / "target.db").string();
  // The key from the environment; a preview with it lists the sessions.
  ::setenv("CLAUDELENS_KEY_FILE", e.key.string().c_str(), 1);
  const CliResult preview = e.cli(target, {"restore", e.archive.string(), "--preview", "--detailed"});
  const CliResult r = e.cli(target, {"restore", e.archive.string()});
  ::unsetenv("CLAUDELENS_KEY_FILE");
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::value sessions = json::parse(e.cli(e.db, {"--json", "sessions"}).out);
  ASSERT_GT(sessions.as_array().size(), 10u);
  EXPECT_NE(preview.out.find(R"("can_restore":true)"), std::string::npos) << preview.out.substr(0, 400);
  for (const auto& s : sessions.as_array()) {
    const std::string id(s.as_object().at("_id").as_string());
    EXPECT_NE(preview.out.find(id), std::string::npos) << id;
    const CliResult a = e.cli(e.db, {"export", "--session", id});
    const CliResult b = e.cli(target, {"export", "--session", id});
    ASSERT_EQ(a.exit_code, 0);
    EXPECT_EQ(a.out, b.out) << id;
  }
  EXPECT_EQ(e.cli(e.db, {"stats"}).out, e.cli(target, {"stats"}).out);
}

}  // namespace
}  // namespace claudelens::testing
