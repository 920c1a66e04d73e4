// Store::data_version: it moves with every commit, from this Store's own connections and from another
// Store on the same file (as another process would write), and stays put when nothing was committed.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {
namespace {

using claudelens::testing::TempDir;

std::int64_t version_of(Store& s) {
  auto v = s.data_version();
  EXPECT_TRUE(v) << (v ? "" : v.error().message);
  EXPECT_TRUE(v && v->has_value());
  return v && *v ? **v : -1;
}

void put_backup_record(Store& s, const std::string& id, const std::string& status) {
  auto w = s.write().value();
  ASSERT_TRUE(w->put_system(SystemTable::backups, SystemRecord{id, "u1", "full", status, 1, 2, "{}"}));
  ASSERT_TRUE(w->commit());
}

TEST(DataVersion, stays_while_nothing_is_committed) {
  TempDir dir;
  auto s = open_in(dir);
  const auto v = version_of(*s);
  EXPECT_EQ(version_of(*s), v);
  {
    auto r = s->read().value();  // a read changes nothing
    ASSERT_TRUE(r->get_system(SystemTable::backups, "x"));
  }
  {
    auto w = s->write().value();  // a write transaction rolled back changes nothing either
    ASSERT_TRUE(w->put_system(SystemTable::backups, SystemRecord{"x", "u1", "full", "completed", 1, 2, "{}"}));
  }
  EXPECT_EQ(version_of(*s), v);
}

TEST(DataVersion, moves_with_a_commit_of_this_store) {
  TempDir dir;
  auto s = open_in(dir);
  const auto v = version_of(*s);
  put_backup_record(*s, "b1", "completed");
  const auto after = version_of(*s);
  EXPECT_NE(after, v);
  put_backup_record(*s, "b1", "failed");  // the same row again: still a commit
  EXPECT_NE(version_of(*s), after);
}

TEST(DataVersion, moves_with_a_commit_of_another_store_on_the_same_file) {
  TempDir dir;
  auto mine = open_in(dir);
  auto other = open_in(dir);  // its own connections, as another process has
  const auto v = version_of(*mine);
  put_backup_record(*other, "b1", "completed");
  EXPECT_NE(version_of(*mine), v);
  const auto v2 = version_of(*mine);
  auto w = other->write().value();
  ASSERT_TRUE(w->put_system(SystemTable::restores, SystemRecord{"r1", "u1", "", "success", 1, 2, "{}"}));
  EXPECT_EQ(version_of(*mine), v2);  // an open, uncommitted write is not a change yet
  ASSERT_TRUE(w->commit());
  EXPECT_NE(version_of(*mine), v2);
}

}  // namespace
}  // namespace claudelens::store
