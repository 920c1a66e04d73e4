// GET /backups query handling and GET /backups/statistics: validation per parameter, filters, sort,
// pages, the summary over everything visible, and the statistics' buckets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/backup_list.hpp"
#include "http/backup_statistics.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

TimeMs at(const char* iso) {
  return *parse_iso8601(iso);
}

backup::BackupMetadata meta(const std::string& id, const std::string& name, const char* created, std::int64_t size,
                            backup::BackupType type = backup::BackupType::full,
                            backup::BackupStatus status = backup::BackupStatus::completed) {
  backup::BackupMetadata m;
  m.id = id;
  m.name = name;
  m.description = "about " + name;
  m.created_at = at(created);
  m.size_bytes = size;
  m.compressed_size_bytes = size / 4;
  m.type = type;
  m.status = status;
  return m;
}

std::vector<backup::BackupMetadata> sample() {
  return {meta("a1", "alpha", "2026-01-01T10:00:00Z", 100),
          meta("b2", "Bravo nightly", "2026-01-02T10:00:00Z", 300, backup::BackupType::selective),
          meta("c3", "charlie", "2026-01-03T10:00:00Z", 200, backup::BackupType::full, backup::BackupStatus::failed),
          meta("d4", "delta nightly", "2026-01-04T10:00:00Z", 400),
          meta("e5", "echo", "2026-01-05T10:00:00Z", 50, backup::BackupType::selective)};
}

json::object item(const backup::BackupMetadata& m) {
  return json::object{{"_id", m.id}};
}

std::vector<std::string> ids(const json::object& answer) {
  std::vector<std::string> out;
  for (const auto& i : answer.at("items").as_array()) out.emplace_back(i.at("_id").as_string());
  return out;
}

TEST(ListQuery, defaults_newest_first_in_pages) {
  auto q = parse_list_query({});
  ASSERT_TRUE(q);
  EXPECT_EQ(q.value->page, 1);
  EXPECT_EQ(q.value->size, 20);
  auto answer = list_backups(sample(), *q.value, item);
  EXPECT_EQ(ids(answer), (std::vector<std::string>{"e5", "d4", "c3", "b2", "a1"}));

  q = parse_list_query({{"page", "2"}, {"size", "2"}});
  ASSERT_TRUE(q);
  answer = list_backups(sample(), *q.value, item);
  EXPECT_EQ(ids(answer), (std::vector<std::string>{"c3", "b2"}));
  const auto& p = answer.at("pagination").as_object();
  EXPECT_EQ(p.at("total_items").as_int64(), 5);
  EXPECT_EQ(p.at("total_pages").as_int64(), 3);
  EXPECT_EQ(p.at("current_page").as_int64(), 2);
  EXPECT_EQ(p.at("page_size").as_int64(), 2);
  EXPECT_TRUE(p.at("has_next").as_bool());
  EXPECT_TRUE(p.at("has_previous").as_bool());

  q = parse_list_query({{"page", "9"}});
  answer = list_backups(sample(), *q.value, item);
  EXPECT_TRUE(ids(answer).empty());
  EXPECT_FALSE(answer.at("pagination").at("has_next").as_bool());
}

TEST(ListQuery, sort_fields_and_directions) {
  auto by = [](const char* sort) {
    auto q = parse_list_query({{"sort", sort}});
    EXPECT_TRUE(q) << sort;
    return ids(list_backups(sample(), *q.value, item));
  };
  EXPECT_EQ(by("name,asc"), (std::vector<std::string>{"a1", "b2", "c3", "d4", "e5"}));  // case-insensitive
  EXPECT_EQ(by("size_bytes,desc"), (std::vector<std::string>{"d4", "b2", "c3", "a1", "e5"}));
  EXPECT_EQ(by("created_at,asc"), (std::vector<std::string>{"a1", "b2", "c3", "d4", "e5"}));
}

TEST(ListQuery, filters_and_a_summary_over_everything_visible) {
  auto q = parse_list_query({{"type", "full"},
                             {"status", "completed"},
                             {"created_after", "2026-01-01T00:00:00Z"},
                             {"min_size", "100"},
                             {"search", "NIGHT"}});
  ASSERT_TRUE(q) << q.error.message;
  auto answer = list_backups(sample(), *q.value, item);
  EXPECT_EQ(ids(answer), std::vector<std::string>{"d4"});
  const auto& s = answer.at("summary").as_object();
  EXPECT_EQ(s.at("total_backups").as_int64(), 5);  // not just the one match
  EXPECT_EQ(s.at("total_size_bytes").as_int64(), 1050);
  EXPECT_EQ(s.at("backups_by_type").at("full").as_int64(), 3);
  EXPECT_EQ(s.at("backups_by_type").at("selective").as_int64(), 2);
  EXPECT_EQ(s.at("oldest_backup").as_string(), "2026-01-01T10:00:00Z");
  EXPECT_EQ(s.at("newest_backup").as_string(), "2026-01-05T10:00:00Z");

  q = parse_list_query({{"created_before", "2026-01-03T10:00:00Z"}, {"max_size", "100"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(ids(list_backups(sample(), *q.value, item)), std::vector<std::string>{"a1"});
}

TEST(ListQuery, one_error_per_bad_parameter) {
  auto q = parse_list_query({{"page", "0"},
                             {"size", "101"},
                             {"sort", "owner,up"},
                             {"type", "daily"},
                             {"status", "done"},
                             {"created_after", "last week"},
                             {"min_size", "-1"},
                             {"colour", "red"}});
  ASSERT_FALSE(q);
  std::vector<std::string> fields;
  for (const auto& e : q.error.validation_errors) fields.push_back(e.field);
  for (const char* f : {"page", "size", "sort", "type", "status", "created_after", "min_size", "colour"})
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f;
  EXPECT_EQ(q.error.code, "INVALID_BACKUP_TYPE");

  q = parse_list_query({{"size", "abc"}});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error.code, "VALIDATION_FAILED");
  q = parse_list_query({{"created_after", "2026-02-01T00:00:00Z"}, {"created_before", "2026-01-01T00:00:00Z"}});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error.code, "INVALID_DATE_RANGE");
  q = parse_list_query({{"min_size", "10"}, {"max_size", "5"}});
  ASSERT_FALSE(q);
}

TEST(Statistics, buckets) {
  EXPECT_EQ(bucket_start(Period::day, at("2026-03-04T15:00:00Z")), at("2026-03-04T00:00:00Z"));
  EXPECT_EQ(bucket_start(Period::week, at("2026-03-04T15:00:00Z")), at("2026-03-02T00:00:00Z"));  // a Monday
  EXPECT_EQ(bucket_start(Period::week, at("2026-03-02T00:00:00Z")), at("2026-03-02T00:00:00Z"));
  EXPECT_EQ(bucket_start(Period::month, at("2026-03-31T23:59:59Z")), at("2026-03-01T00:00:00Z"));
  EXPECT_EQ(bucket_start(Period::year, at("2024-12-31T23:00:00Z")), at("2024-01-01T00:00:00Z"));
  EXPECT_EQ(next_bucket(Period::month, at("2026-12-01T00:00:00Z")), at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(next_bucket(Period::month, at("2024-02-01T00:00:00Z")), at("2024-03-01T00:00:00Z"));
  EXPECT_EQ(bucket_start(Period::day, at("1969-12-31T12:00:00Z")), at("1969-12-31T00:00:00Z"));
}

TEST(Statistics, figures_over_a_window) {
  auto q = parse_statistics_query({{"period", "day"}, {"from", "2026-01-02T00:00:00Z"}, {"to", "2026-01-05T00:00:00Z"}},
                                  at("2026-06-01T00:00:00Z"));
  ASSERT_TRUE(q) << q.error.message;
  std::vector<RestoreFact> restores{{at("2026-01-03T12:00:00Z"), "success", 4.0},
                                    {at("2026-01-04T12:00:00Z"), "failed", 1.0},
                                    {at("2026-01-04T13:00:00Z"), "success", 2.0},
                                    {at("2026-02-01T00:00:00Z"), "success", 100.0}};
  std::vector<TimeMs> deletions{at("2026-01-03T01:00:00Z")};
  StorageFacts storage{1000, 3000, std::nullopt};
  auto s = backup_statistics(sample(), restores, deletions, storage, *q.value, at("2026-06-01T00:00:00Z"));
  const auto& summary = s.at("summary").as_object();
  EXPECT_EQ(summary.at("total_backups").as_int64(), 3);  // b2, c3, d4
  EXPECT_EQ(summary.at("total_size_bytes").as_int64(), 900);
  EXPECT_EQ(summary.at("average_size_bytes").as_int64(), 300);
  EXPECT_EQ(summary.at("largest_backup_bytes").as_int64(), 400);
  EXPECT_DOUBLE_EQ(summary.at("success_rate").as_double(), 66.7);
  EXPECT_EQ(s.at("by_type").at("selective").at("count").as_int64(), 1);
  EXPECT_EQ(s.at("by_status").at("failed").as_int64(), 1);
  const auto& data = s.at("timeline").at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].at("date").as_string(), "2026-01-02");
  EXPECT_EQ(data[0].at("backups_created").as_int64(), 1);
  EXPECT_EQ(data[1].at("backups_deleted").as_int64(), 1);
  EXPECT_EQ(data[1].at("restores_performed").as_int64(), 1);
  EXPECT_EQ(data[2].at("restores_performed").as_int64(), 2);
  EXPECT_EQ(data[2].at("total_size_bytes").as_int64(), 400);
  const auto& rs = s.at("restore_statistics").as_object();
  EXPECT_EQ(rs.at("total_restores").as_int64(), 3);
  EXPECT_EQ(rs.at("successful_restores").as_int64(), 2);
  EXPECT_EQ(rs.at("failed_restores").as_int64(), 1);
  EXPECT_DOUBLE_EQ(rs.at("average_restore_time_seconds").as_double(), 3.0);
  EXPECT_DOUBLE_EQ(s.at("storage_usage").at("percentage_used").as_double(), 25.0);
}

TEST(Statistics, default_windows_and_errors) {
  const TimeMs now = at("2026-06-15T12:00:00Z");
  auto q = parse_statistics_query({{"period", "month"}}, now);
  ASSERT_TRUE(q);
  auto s = backup_statistics(sample(), {}, {}, {}, *q.value, now);
  const auto& data = s.at("timeline").at("data").as_array();
  ASSERT_EQ(data.size(), 12u);
  EXPECT_EQ(data.front().at("date").as_string(), "2025-07-01");
  EXPECT_EQ(data.back().at("date").as_string(), "2026-06-01");
  EXPECT_EQ(data[6].at("date").as_string(), "2026-01-01");
  EXPECT_EQ(data[6].at("backups_created").as_int64(), 5);
  EXPECT_EQ(s.at("summary").at("total_backups").as_int64(), 5);  // no window: all time

  EXPECT_FALSE(parse_statistics_query({{"period", "hour"}}, now));
  auto bad = parse_statistics_query({{"from", "2026-02-01T00:00:00Z"}, {"to", "2026-01-01T00:00:00Z"}}, now);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error.code, "INVALID_DATE_RANGE");
  EXPECT_FALSE(parse_statistics_query({{"from", "1990-01-01T00:00:00Z"}}, now));  // > 1000 daily buckets
  EXPECT_TRUE(parse_statistics_query({{"period", "year"}, {"from", "1990-01-01T00:00:00Z"}}, now));
}

}  // namespace
}  // namespace claudelens::http
