// BackupMetadata as API.md gives it: the format version as a string, the exact message time range,
// and records written by older versions still read.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "backup/metadata.hpp"
#include "backup/runner.hpp"
#include "backup_test_support.hpp"

namespace claudelens::backup {
namespace {

using claudelens::testing::TempDir;
using testing::k_t0;

TEST(BackupMetadata, version_is_a_string_and_date_range_keeps_milliseconds) {
  TempDir dir;
  auto store = testing::open_store_in(dir);
  {
    auto w = store->write().value();
    // Messages at k_t0 + 93 ms and (1 message later) + 60 s + 93 ms: whole seconds would cut both.
    testing::add_session(*w, "alice", "-w-api", "/w/api", "s1", 2, k_t0 + 93);
    ASSERT_TRUE(w->commit());
  }
  BackupRequest r;
  r.name = "exact times";
  r.created_by = "alice";
  RunOptions o;
  o.backup_dir = dir / "backups";
  auto m = run_backup(*store, r, o);
  ASSERT_TRUE(m) << m.error().message;
  const auto j = metadata_to_json(*m);
  EXPECT_EQ(j.at("version"), boost::json::value("1.1.0"));
  const auto& range = j.at("contents").at("date_range").as_object();
  EXPECT_EQ(range.at("earliest").as_string(), format_iso8601_ms(k_t0 + 93));
  EXPECT_EQ(range.at("latest").as_string(), format_iso8601_ms(k_t0 + 60'093));
  EXPECT_TRUE(std::string_view(range.at("latest").as_string()).ends_with(".093Z"));
  // The saved record reads back the same.
  auto reader = store->read().value();
  auto saved = load_metadata(*reader, m->id).value();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->version, "1.1.0");
  EXPECT_EQ(saved->contents.earliest, k_t0 + 93);
  EXPECT_EQ(saved->contents.latest, k_t0 + 60'093);
}

TEST(BackupMetadata, old_records_with_an_integer_version_are_read) {
  auto m = metadata_from_json(
      R"({"_id":"b1","name":"old","status":"completed","version":1,)"
      R"("contents":{"date_range":{"earliest":"2025-06-15T15:06:40Z","latest":"2025-06-15T15:09:30Z"}}})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->version, "1.0.0");
  EXPECT_EQ(m->status, BackupStatus::completed);
  EXPECT_EQ(metadata_to_json(*m).at("version"), boost::json::value("1.0.0"));
  auto none = metadata_from_json(R"({"_id":"b2","status":"failed"})");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->version, "");
}

}  // namespace
}  // namespace claudelens::backup
