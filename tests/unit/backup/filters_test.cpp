#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "backup/filters.hpp"

namespace claudelens::backup {
namespace {

constexpr TimeMs k_now = 1'800'000'000'000;

std::vector<std::string> fields(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field + "/" + e.code);
  return out;
}

TEST(Filters, selective_needs_a_filter_and_full_takes_none) {
  Filters none;
  EXPECT_EQ(fields(validate_filters(none, BackupType::selective, k_now)),
            std::vector<std::string>{"filters/VALIDATION_FAILED"});
  EXPECT_TRUE(validate_filters(none, BackupType::full, k_now).empty());
  Filters some;
  some.projects = {"p"};
  EXPECT_TRUE(validate_filters(some, BackupType::selective, k_now).empty());
  EXPECT_EQ(validate_filters(some, BackupType::full, k_now).size(), 1u);
}

TEST(Filters, date_range_must_be_ordered_and_not_in_the_future) {
  Filters f;
  f.date_range = DateRange{k_now - 10, k_now - 20};
  EXPECT_EQ(fields(validate_filters(f, BackupType::selective, k_now)),
            std::vector<std::string>{"filters.date_range.start/INVALID_DATE_RANGE"});
  f.date_range = DateRange{k_now - 10, k_now + 1000};
  EXPECT_EQ(fields(validate_filters(f, BackupType::selective, k_now)),
            std::vector<std::string>{"filters.date_range.end/INVALID_DATE_RANGE"});
}

TEST(Filters, message_counts_are_bounded_and_ordered) {
  Filters f;
  f.min_message_count = 0;
  f.max_message_count = 10001;
  EXPECT_EQ(validate_filters(f, BackupType::selective, k_now).size(), 2u);
  f.min_message_count = 50;
  f.max_message_count = 5;
  EXPECT_EQ(fields(validate_filters(f, BackupType::selective, k_now)),
            std::vector<std::string>{"filters.max_message_count/VALIDATION_FAILED"});
}

TEST(Filters, names_follow_the_api_rule) {
  EXPECT_FALSE(validate_backup_name("nightly_backup-2 x"));
  EXPECT_TRUE(validate_backup_name("ab"));
  EXPECT_TRUE(validate_backup_name(std::string(101, 'a')));
  EXPECT_TRUE(validate_backup_name("../etc/passwd"));
  EXPECT_TRUE(validate_backup_name("name;rm"));
}

TEST(Filters, globs_match_project_path_or_name) {
  Filters f;
  f.include_patterns = {"/home/*/work/*"};
  EXPECT_TRUE(project_passes_patterns(f, "/home/ann/work/app", "-home-ann-work-app"));
  EXPECT_FALSE(project_passes_patterns(f, "/srv/app", "-srv-app"));
  f.include_patterns = {"*app*"};
  f.exclude_patterns = {"-srv-*"};
  EXPECT_TRUE(project_passes_patterns(f, "/home/ann/app", "-home-ann-app"));
  EXPECT_FALSE(project_passes_patterns(f, "/srv/app", "-srv-app"));
}

TEST(Filters, json_round_trip_and_type_errors) {
  Filters f;
  f.projects = {"a"};
  f.date_range = DateRange{1000, 2000};
  f.min_message_count = 3;
  std::vector<FieldError> errors;
  auto back = filters_from_json(filters_to_json(f), errors);
  ASSERT_TRUE(back);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(back->projects, f.projects);
  EXPECT_EQ(back->date_range->end, 2000);
  EXPECT_EQ(back->min_message_count, 3);

  auto bad = boost::json::parse(R"({"projects":"x","min_message_count":"3","date_range":{"start":"yesterday"}})");
  errors.clear();
  (void)filters_from_json(bad, errors);
  EXPECT_EQ(fields(errors),
            (std::vector<std::string>{
                "filters.projects/VALIDATION_FAILED", "filters.min_message_count/VALIDATION_FAILED",
                "filters.date_range.start/INVALID_DATE_RANGE", "filters.date_range.end/INVALID_DATE_RANGE"}));
}

}  // namespace
}  // namespace claudelens::backup
