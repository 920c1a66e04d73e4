// `claudelens keys`: a key is shown once, stored only as its SHA-256, listed without it, revocable.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class Keys : public ::testing::Test {
 protected:
  fs::path dir = fs::path(CLAUDELENS_TEST_TMP) / ("integration_keys-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  CliResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", "sqlite:" + (dir / "db.sqlite").string()});
    return run_cli(args);
  }
};

TEST_F(Keys, create_shows_the_key_once_and_stores_only_its_hash) {
  auto made = cli({"keys", "create", "--name", "ci-bot", "--role", "user", "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json::object key = json::parse(made.out).as_object();
  const std::string plaintext(key.at("key").as_string());
  EXPECT_EQ(plaintext.rfind("cl_", 0), 0u);
  EXPECT_EQ(plaintext.size(), 46u);
  EXPECT_EQ(plaintext.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(key.at("role").as_string(), "user");

  // Neither the list nor the database file holds the key itself.
  auto list = cli({"keys", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out.find(plaintext), std::string::npos);
  const json::value listing = json::parse(list.out);
  ASSERT_EQ(listing.as_array().size(), 1u);
  EXPECT_EQ(listing.as_array()[0].at("name").as_string(), "ci-bot");
  EXPECT_FALSE(listing.as_array()[0].at("revoked").as_bool());
  auto dump = run_program("/usr/bin/sqlite3", {(dir / "db.sqlite").string(), ".dump"});
  ASSERT_EQ(dump.exit_code, 0);
  EXPECT_EQ(dump.out.find(plaintext), std::string::npos);
  auto sum = run_program("/bin/sh", {"-c", "printf %s '" + plaintext + "' | sha256sum"});
  EXPECT_NE(dump.out.find(sum.out.substr(0, 64)), std::string::npos) << "the SHA-256 of the key is stored";

  // Two keys never repeat.
  auto second = cli({"keys", "create", "--name", "ci-bot", "--role", "user", "--json"});
  ASSERT_EQ(second.exit_code, 0);
  EXPECT_NE(json::parse(second.out).at("key").as_string(), plaintext);
}

TEST_F(Keys, revoke_marks_the_key_and_unknown_ids_fail) {
  auto made = cli({"keys", "create", "--name", "ops", "--role", "admin", "--json"});
  ASSERT_EQ(made.exit_code, 0);
  const std::string id(json::parse(made.out).at("_id").as_string());
  EXPECT_EQ(cli({"keys", "revoke", id}).exit_code, 0);
  auto list = cli({"keys", "list", "--json"});
  EXPECT_TRUE(json::parse(list.out).as_array()[0].at("revoked").as_bool());
  auto unknown = cli({"keys", "revoke", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("nope"), std::string::npos);
}

TEST_F(Keys, bad_usage_exits_2_and_creates_nothing) {
  EXPECT_EQ(cli({"keys", "create", "--name", "x", "--role", "root"}).exit_code, 2);
  EXPECT_EQ(cli({"keys", "create", "--role", "user"}).exit_code, 2);
  EXPECT_EQ(cli({"keys", "create", "--name", "", "--role", "user"}).exit_code, 2);
  auto list = cli({"keys", "list", "--json"});
  EXPECT_EQ(json::parse(list.out).as_array().size(), 0u);
  // A user name may not change role.
  ASSERT_EQ(cli({"keys", "create", "--name", "dana", "--role", "user"}).exit_code, 0);
  EXPECT_EQ(cli({"keys", "create", "--name", "dana", "--role", "admin"}).exit_code, 4);
}

}  // namespace
}  // namespace claudelens::testing
