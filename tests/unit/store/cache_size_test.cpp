// The page cache of a connection stays within its 8 MiB (db.cpp: size_cache) on a store created with
// 64 KiB pages: SQLite sizes a cache given in KiB by the page size of the moment and keeps that page
// count when the page size changes, which had made it 2,048 pages of 16 KiB (32 MiB) per connection
// (it would be 128 MiB with 64 KiB pages).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/sqlite/db.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store::sqlite {

Status open_schema(Connection& conn, std::string_view path);  // migrations.cpp

namespace {

using claudelens::testing::TempDir;

/// The highest page-cache memory of the connection after writing `mib` MiB of rows in one transaction.
int cache_highwater_after_writing(Connection& conn, int mib) {
  EXPECT_TRUE(conn.exec("CREATE TABLE filler(id INTEGER PRIMARY KEY, body TEXT NOT NULL)").has_value());
  EXPECT_TRUE(conn.exec("BEGIN IMMEDIATE").has_value());
  const std::string body(4000, 'x');
  auto st = conn.prepare("INSERT INTO filler(body) VALUES(?)");
  EXPECT_TRUE(st.has_value());
  for (int i = 0; i < mib * 256; ++i) {
    (*st)->bind(body);
    EXPECT_TRUE(conn.run(**st, "insert").has_value());
  }
  int current = 0;
  int highwater = 0;
  EXPECT_EQ(sqlite3_db_status(conn.db(), SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0), SQLITE_OK);
  EXPECT_TRUE(conn.exec("COMMIT").has_value());
  return current;
}

TEST(StoreCacheSize, a_new_stores_connection_keeps_8_MiB_of_pages) {
  TempDir dir;
  const auto file = (dir / "new.db").string();
  Connection conn;
  ASSERT_TRUE(conn.open(file, true, 1000).has_value());
  ASSERT_TRUE(open_schema(conn, file).has_value());  // sets 64 KiB pages on the empty file
  int page_size = 0;
  {
    auto st = conn.prepare("PRAGMA page_size");
    ASSERT_TRUE(st.has_value());
    ASSERT_EQ((*st)->step(), SQLITE_ROW);
    page_size = static_cast<int>((*st)->i64(0));
    (*st)->reset();
  }
  EXPECT_EQ(page_size, 65536);
  {  // the WAL is checkpointed at 16 MiB, as with SQLite's 1,000 pages of 16 KiB (not 64 MiB)
    auto st = conn.prepare("PRAGMA wal_autocheckpoint");
    ASSERT_TRUE(st.has_value());
    ASSERT_EQ((*st)->step(), SQLITE_ROW);
    EXPECT_EQ((*st)->i64(0), 256);
    (*st)->reset();
  }
  const int used = cache_highwater_after_writing(conn, 48);  // far more than the cache holds
  EXPECT_GT(used, 4 << 20);
  EXPECT_LE(used, 9 << 20) << "the page cache holds " << used / 1024 << " KiB (8 MiB expected)";
}

TEST(StoreCacheSize, an_existing_stores_connection_keeps_8_MiB_of_pages) {
  TempDir dir;
  const auto file = (dir / "old.db").string();
  {
    Connection first;
    ASSERT_TRUE(first.open(file, true, 1000).has_value());
    ASSERT_TRUE(open_schema(first, file).has_value());
  }
  Connection conn;
  ASSERT_TRUE(conn.open(file, false, 1000).has_value());
  ASSERT_TRUE(open_schema(conn, file).has_value());
  const int used = cache_highwater_after_writing(conn, 48);
  EXPECT_LE(used, 9 << 20) << "the page cache holds " << used / 1024 << " KiB (8 MiB expected)";
}

}  // namespace
}  // namespace claudelens::store::sqlite
