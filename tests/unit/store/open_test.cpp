// Opening a store: another application's database is refused untouched, errors name the file and
// what to do, and opening (or reading) never waits for a writer.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {
namespace {

using claudelens::testing::TempDir;
namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void run_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(StoreOpen, another_applications_database_is_refused_untouched) {
  TempDir dir;
  const fs::path file = dir / "other-app.db";
  run_sql(file,
          "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);"
          "INSERT INTO users(email) VALUES('a@example.com'),('b@example.com');");
  const std::string before = read_bytes(file);
  ASSERT_FALSE(before.empty());
  auto st = open_store("sqlite:" + file.string());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::invalid_argument);
  EXPECT_NE(st.error().message.find(file.string()), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("not a ClaudeLens store"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("users"), std::string::npos) << st.error().message;
  // Not a byte changed, no WAL switch, no journal left.
  EXPECT_EQ(read_bytes(file), before);
  EXPECT_FALSE(fs::exists(fs::path(file.string() + "-wal")));
  EXPECT_FALSE(fs::exists(fs::path(file.string() + "-shm")));
  // A database with a `meta` table of its own is not taken for a store either.
  run_sql(file, "CREATE TABLE meta(k TEXT, v TEXT); INSERT INTO meta VALUES('schema_version','1');");
  const std::string with_meta = read_bytes(file);
  auto again = open_store("sqlite:" + file.string());
  ASSERT_FALSE(again);
  EXPECT_EQ(read_bytes(file), with_meta);
  // Nor one whose meta(key, value) has a schema_version like ours.
  run_sql(file,
          "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
          "DROP TABLE meta; CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
          "INSERT INTO meta VALUES('schema_version', '1');");
  const std::string like_ours = read_bytes(file);
  auto third = open_store("sqlite:" + file.string());
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Errc::invalid_argument);
  EXPECT_EQ(read_bytes(file), like_ours);
}

TEST(StoreOpen, a_file_that_is_not_a_database_is_named_with_what_to_do) {
  TempDir dir;
  const fs::path file = dir.write("notes.txt", std::string(4096, 'x'));
  auto st = open_store("sqlite:" + file.string());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find(file.string()), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("--db"), std::string::npos) << st.error().message;
  EXPECT_EQ(read_bytes(file), std::string(4096, 'x'));
}

TEST(StoreOpen, empty_file_and_new_file_become_stores) {
  TempDir dir;
  const fs::path empty = dir.write("empty.db", "");
  for (const fs::path& p : {empty, dir / "new.db"}) {
    auto st = open_store("sqlite:" + p.string());
    ASSERT_TRUE(st) << st.error().message;
    auto w = (*st)->write().value();
    ASSERT_TRUE(w->put_user({"u1", "alice", Role::admin, 1}));
    ASSERT_TRUE(w->commit());
  }
}

TEST(StoreOpen, newer_schema_is_refused_with_the_path_and_what_to_do) {
  TempDir dir;
  const fs::path file = dir / "db.sqlite";
  ASSERT_TRUE(open_store("sqlite:" + file.string()));
  run_sql(file, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  auto st = open_store("sqlite:" + file.string());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::incompatible_version);
  EXPECT_NE(st.error().message.find(file.string()), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("schema version 99 is newer"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("upgrade claudelens"), std::string::npos) << st.error().message;
}

TEST(StoreOpen, busy_errors_name_the_file_and_what_to_do) {
  TempDir dir;
  const fs::path file = dir / "db.sqlite";
  auto first = open_store("sqlite:" + file.string()).value();
  auto held = first->write().value();
  auto second = open_store("sqlite:" + file.string(), {.busy_timeout_ms = 50}).value();
  auto w = second->write();
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::busy);
  EXPECT_NE(w.error().message.find(file.string()), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("another process is writing"), std::string::npos) << w.error().message;
}

TEST(StoreOpen, opening_and_reading_run_beside_a_bulk_writer) {
  TempDir dir;
  const fs::path file = dir / "db.sqlite";
  auto first = open_store("sqlite:" + file.string()).value();
  {
    auto w = first->write().value();
    const std::string pid = w->ensure_project("o", "-w", 1).value();
    ASSERT_TRUE(w->ensure_session("s1", pid, "o", 1));
    ASSERT_TRUE(w->commit());
  }
  // A long bulk transaction (a restore) that has written 12 MB, more than a page cache of 8 MiB.
  auto writer = first->write(WriteMode::bulk).value();
  const std::string big(4000, 'x');
  for (int i = 0; i < 3'000; ++i) {
    Entry e;
    e.session_id = "s1";
    e.key = "u" + std::to_string(i);
    e.has_uuid = true;
    e.json = R"({"pad":")" + big + R"("})";
    ASSERT_TRUE(writer->insert_entry(e, OnExisting::keep));
  }
  // Another opener (as another process would: its own connections) opens and reads at once.
  const auto start = std::chrono::steady_clock::now();
  auto other = open_store("sqlite:" + file.string(), {.busy_timeout_ms = 3'000});
  ASSERT_TRUE(other) << other.error().message;
  auto reader = (*other)->read();
  ASSERT_TRUE(reader) << reader.error().message;
  auto counts = (*reader)->counts(std::nullopt);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->sessions, 1);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(2));
  ASSERT_TRUE(writer->commit());
}

TEST(StoreOpen, a_backup_reads_the_document_collections_in_its_order_without_sorting_them) {
  // The backup walks each document collection `ORDER BY created_at, id` (sqlite_store.cpp); with no
  // index for that order SQLite sorted every document in memory (up to the page cache's 8 MiB), a cost
  // that grew with the collections (SPEC §5 item 1). Migration 7's indexes give the order.
  TempDir dir;
  const fs::path file = dir / "db.sqlite";
  { ASSERT_TRUE(open_store("sqlite:" + file.string())); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  for (const std::string table : {"prompts", "prompt_folders", "ai_settings"}) {
    const std::string sql = "EXPLAIN QUERY PLAN SELECT * FROM " + table + " ORDER BY created_at, id";
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW)
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("; ");
    sqlite3_finalize(st);
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << ": " << plan;
    EXPECT_NE(plan.find(table + "_created"), std::string::npos) << sql << ": " << plan;
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace claudelens::store
