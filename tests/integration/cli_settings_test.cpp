// Settings (SPEC §3): every setting has a flag, an environment variable and a default; flags win over
// the environment. And the CLI's own usage errors exit 2 with a message on stderr.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "integration/run_cli.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class CliSettings : public ::testing::Test {
 protected:
  fs::path dir = fs::path(CLAUDELENS_TEST_TMP) / ("integration_cli_settings-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    ::unsetenv("CLAUDELENS_DB");
    ::unsetenv("CLAUDELENS_BACKUP_DIR");
    fs::remove_all(dir);
  }
  static std::size_t keys_in(const std::vector<std::string>& db_args) {
    std::vector<std::string> args = db_args;
    args.insert(args.end(), {"keys", "list", "--json"});
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out).as_array().size();
  }
};

TEST_F(CliSettings, the_environment_sets_the_store_and_a_flag_wins_over_it) {
  const std::string env_db = "sqlite:" + (dir / "env.sqlite").string();
  const std::string flag_db = "sqlite:" + (dir / "flag.sqlite").string();
  ::setenv("CLAUDELENS_DB", env_db.c_str(), 1);
  ASSERT_EQ(run_cli({"keys", "create", "--name", "from-env", "--role", "user"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir / "env.sqlite"));
  EXPECT_EQ(keys_in({}), 1u);
  EXPECT_EQ(keys_in({"--db", flag_db}), 0u);  // the flag wins
  ::unsetenv("CLAUDELENS_DB");
  EXPECT_EQ(keys_in({"--db", env_db}), 1u);
}

TEST_F(CliSettings, the_backup_directory_comes_from_the_environment_or_the_flag) {
  const std::string db = "sqlite:" + (dir / "db.sqlite").string();
  ::setenv("CLAUDELENS_BACKUP_DIR", (dir / "env-backups").c_str(), 1);
  ASSERT_EQ(run_cli({"--db", db, "backup", "create", "--name", "env dir"}).exit_code, 0);
  ASSERT_EQ(
      run_cli({"--db", db, "--backup-dir", (dir / "flag-backups").string(), "backup", "create", "--name", "flag dir"})
          .exit_code,
      0);
  auto archives = [](const fs::path& d) {
    std::size_t n = 0;
    if (fs::exists(d))
      for (const auto& e : fs::directory_iterator(d)) n += e.path().extension() == ".claudelens";
    return n;
  };
  EXPECT_EQ(archives(dir / "env-backups"), 1u);
  EXPECT_EQ(archives(dir / "flag-backups"), 1u);
}

TEST_F(CliSettings, usage_errors_exit_2_with_a_message_and_version_prints) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"no-such-command"}, {"backup"}, {"stats", "--no-such-flag"}, {"export"}}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "(no args)" : args[0]);
    EXPECT_FALSE(r.err.empty() && r.out.empty());
  }
  const CliResult v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find('.'), std::string::npos);
  const CliResult bad_db = run_cli({"--db", "mysql://localhost/x", "stats"});
  EXPECT_EQ(bad_db.exit_code, 2);
  EXPECT_NE(bad_db.err.find("mysql://"), std::string::npos);
}

}  // namespace
}  // namespace claudelens::testing
