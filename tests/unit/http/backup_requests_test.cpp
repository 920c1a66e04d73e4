// POST /backups and POST /restore bodies: what is accepted, and one validation error per bad field
// with the envelope code of API.md.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/time.hpp"
#include "http/backup_requests.hpp"

namespace claudelens::http {
namespace {

const TimeMs k_now = *parse_iso8601("2026-06-01T00:00:00Z");

std::vector<std::string> fields(const ApiError& r) {
  std::vector<std::string> out;
  for (const auto& e : r.validation_errors) out.push_back(e.field);
  return out;
}

TEST(BackupCreate, accepts_a_full_and_a_selective_request) {
  auto full = parse_backup_create(R"({"name":"nightly 1","description":"d","type":"full",
      "options":{"compress":true,"compression_level":6,"encrypt":false,"include_metadata":true,"include_analytics":false}})",
                                  k_now);
  ASSERT_TRUE(full) << full.error.message;
  EXPECT_EQ(full.value->name, "nightly 1");
  EXPECT_EQ(full.value->type, backup::BackupType::full);
  EXPECT_EQ(full.value->compression_level, 6);

  auto sel = parse_backup_create(R"({"name":"api_only","filters":{"projects":["/home/me/api"],
      "date_range":{"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"},"min_message_count":2}})",
                                 k_now);
  ASSERT_TRUE(sel) << sel.error.message;
  EXPECT_EQ(sel.value->type, backup::BackupType::selective);  // inferred from the filters
  ASSERT_TRUE(sel.value->filters.date_range);
  EXPECT_EQ(sel.value->filters.projects.size(), 1u);
  EXPECT_EQ(*sel.value->filters.min_message_count, 2);
}

TEST(BackupCreate, malformed_json_and_non_objects_are_invalid_request) {
  for (const char* body : {"", "{", "[1,2]", "\"name\"", "{\"name\":\"abc\",}"}) {
    auto r = parse_backup_create(body, k_now);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error.code, "INVALID_REQUEST") << body;
  }
}

TEST(BackupCreate, one_error_per_bad_field_by_dotted_path) {
  auto r = parse_backup_create(R"({"name":"x!","description":5,"type":"selective",
      "filters":{"projects":[""],"min_message_count":0,"max_message_count":"9","colour":"red"},
      "options":{"compression_level":12},"extra":true})",
                               k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "VALIDATION_FAILED");
  const auto f = fields(r.error);
  for (const char* expected : {"name", "description", "filters.projects[0]", "filters.min_message_count",
                               "filters.max_message_count", "filters.colour", "options.compression_level", "extra"})
    EXPECT_NE(std::find(f.begin(), f.end(), expected), f.end()) << expected;
  // The value sent is echoed.
  for (const auto& e : r.error.validation_errors)
    if (e.field == "options.compression_level") {
      EXPECT_EQ(e.value, boost::json::value(12));
    }
}

TEST(BackupCreate, name_rules) {
  for (const char* name : {"ab", "a/b/c", "../etc", "tab\\there", "naïve"}) {
    auto r = parse_backup_create(std::string(R"({"name":")") + name + "\"}", k_now);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(fields(r.error), std::vector<std::string>{"name"}) << name;
  }
  EXPECT_FALSE(parse_backup_create(R"({"type":"full"})", k_now));
  EXPECT_TRUE(parse_backup_create(R"({"name":")" + std::string(100, 'a') + "\"}", k_now));
  EXPECT_FALSE(parse_backup_create(R"({"name":")" + std::string(101, 'a') + "\"}", k_now));
  EXPECT_FALSE(parse_backup_create(R"({"name":"abc","description":")" + std::string(501, 'd') + "\"}", k_now));
  EXPECT_TRUE(parse_backup_create(R"({"name":"abc","description":")" + std::string(500, 'd') + "\"}", k_now));
}

TEST(BackupCreate, type_errors) {
  auto r = parse_backup_create(R"({"name":"abc","type":"weekly"})", k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_BACKUP_TYPE");
  r = parse_backup_create(R"({"name":"abc","type":7})", k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"type"});
  // Incremental is a type (its parent is chosen when planned); a parent for another type is refused.
  r = parse_backup_create(R"({"name":"abc","type":"incremental","options":{"parent_backup_id":"b1"}})", k_now);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value->type, backup::BackupType::incremental);
  EXPECT_EQ(r.value->parent_backup_id, std::optional<std::string>("b1"));
  r = parse_backup_create(R"({"name":"abc","type":"full","options":{"parent_backup_id":"b1"}})", k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"options.parent_backup_id"});
  // Selective needs a filter; full takes none.
  r = parse_backup_create(R"({"name":"abc","type":"selective"})", k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"filters"});
  r = parse_backup_create(R"({"name":"abc","type":"full","filters":{"sessions":["s1"]}})", k_now);
  ASSERT_FALSE(r);
}

TEST(BackupCreate, date_range_errors) {
  auto r = parse_backup_create(
      R"({"name":"abc","filters":{"date_range":{"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}})",
      k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_DATE_RANGE");
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"filters.date_range.start"});
  r = parse_backup_create(
      R"({"name":"abc","filters":{"date_range":{"start":"2026-01-01T00:00:00Z","end":"2027-01-01T00:00:00Z"}}})",
      k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_DATE_RANGE");
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"filters.date_range.end"});
  r = parse_backup_create(
      R"({"name":"abc","filters":{"date_range":{"start":"yesterday","end":"2026-01-01T00:00:00Z"}}})", k_now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_DATE_RANGE");
}

TEST(BackupCreate, encrypt_is_accepted_only_when_the_server_has_a_key) {
  const std::string body = R"({"name":"abc","options":{"encrypt":true}})";
  auto without = parse_backup_create(body, k_now);
  ASSERT_FALSE(without);
  EXPECT_EQ(fields(without.error), std::vector<std::string>{"options.encrypt"});
  ASSERT_EQ(without.error.validation_errors.size(), 1u);
  EXPECT_NE(without.error.validation_errors[0].message.find("--key-file"), std::string::npos);
  auto with = parse_backup_create(body, k_now, true);
  ASSERT_TRUE(with) << with.error.message;
  EXPECT_EQ(with.value->name, "abc");
}

TEST(BackupCreate, options_the_engine_cannot_honour_are_refused_by_name) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"encrypt":true})", "options.encrypt"},
      {R"({"compress":false})", "options.compress"},
      {R"({"include_metadata":false})", "options.include_metadata"},
      {R"({"include_analytics":true})", "options.include_analytics"},
      {R"({"split_size_mb":200})", "options.split_size_mb"},
      {R"({"split_size_mb":50})", "options.split_size_mb"},
      {R"({"parent_backup_id":"abc"})", "options.parent_backup_id"},
      {R"({"compression_level":0})", "options.compression_level"},
      {R"({"compression_level":"3"})", "options.compression_level"},
      {R"({"encrypt":"yes"})", "options.encrypt"},
  };
  for (const auto& [options, field] : cases) {
    auto r = parse_backup_create(std::string(R"({"name":"abc","options":)") + options + "}", k_now);
    ASSERT_FALSE(r) << options;
    EXPECT_EQ(r.error.code, "VALIDATION_FAILED");
    EXPECT_EQ(fields(r.error), std::vector<std::string>{field}) << options;
  }
  EXPECT_TRUE(parse_backup_create(R"({"name":"abc","options":{"split_size_mb":null,"parent_backup_id":null}})", k_now));
}

TEST(RestoreCreate, defaults_and_mapping) {
  auto r = parse_restore_create(R"({"backup_id":"b1"})");
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_EQ(r.value->backup_id, "b1");
  EXPECT_EQ(r.value->options.mode, restore::Mode::merge);
  EXPECT_EQ(r.value->options.on_conflict, restore::Strategy::skip);
  EXPECT_TRUE(r.value->options.validate_before_restore);
  EXPECT_FALSE(r.value->options.allow_delete);

  r = parse_restore_create(R"({"backup_id":"b1","mode":"selective","target":{"project_name":"restored",
      "project_name_suffix":"_x"},"options":{"overwrite_existing":true,"dry_run":true,"maintain_ids":false},
      "selections":{"sessions":["s1"],"date_range":{"start":"2026-01-01T00:00:00Z"}}})");
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_EQ(r.value->options.mode, restore::Mode::selective);
  EXPECT_EQ(r.value->options.on_conflict, restore::Strategy::overwrite);
  EXPECT_TRUE(r.value->options.dry_run);
  EXPECT_EQ(r.value->options.target_project_name, "restored");
  EXPECT_EQ(r.value->options.name_suffix, "_x");
  EXPECT_EQ(r.value->options.selections.sessions, std::vector<std::string>{"s1"});
  EXPECT_TRUE(r.value->options.selections.from);
  EXPECT_FALSE(r.value->options.selections.to);

  r = parse_restore_create(R"({"backup_id":"b1","mode":"full"})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.value->options.allow_delete);
}

TEST(RestoreCreate, errors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({})", "backup_id"},
      {R"({"backup_id":5})", "backup_id"},
      {R"({"backup_id":"b","mode":"everything"})", "mode"},
      {R"({"backup_id":"b","options":{"on_conflict":"ask"}})", "options.on_conflict"},
      {R"({"backup_id":"b","options":{"dry_run":"true"}})", "options.dry_run"},
      {R"({"backup_id":"b","options":{"overwrite_existing":true,"on_conflict":"skip"}})", "options.overwrite_existing"},
      {R"({"backup_id":"b","options":{"skip_duplicates":false}})", "options.skip_duplicates"},
      {R"({"backup_id":"b","options":{"fast":true}})", "options.fast"},
      {R"({"backup_id":"b","mode":"selective"})", "selections"},
      {R"({"backup_id":"b","selections":{"projects":"p"}})", "selections.projects"},
      {R"({"backup_id":"b","selections":{"sessions":[1]}})", "selections.sessions[0]"},
      {R"({"backup_id":"b","target":{"project_id":"p","project_name":"n"}})", "target"},
      {R"({"backup_id":"b","mode":"full","target":{"project_name":"n"}})", "target"},
      {R"({"backup_id":"b","options":{"maintain_ids":true,"on_conflict":"rename"}})", "options"},
      {R"({"backup_id":"b","target":[]})", "target"},
  };
  for (const auto& [body, field] : cases) {
    auto r = parse_restore_create(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(fields(r.error), std::vector<std::string>{field}) << body << " → " << r.error.message;
  }
  auto r = parse_restore_create(
      R"({"backup_id":"b","mode":"selective","selections":{"date_range":{"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_DATE_RANGE");
  r = parse_restore_create(R"({"backup_id":"b","selections":{"date_range":{"start":"soon"}}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.code, "INVALID_DATE_RANGE");
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"selections.date_range.start"});
}

TEST(UploadRestoreOptions, body_form_or_options_form) {
  auto r = parse_upload_restore_options(R"({"mode":"merge","options":{"on_conflict":"rename"}})");
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_EQ(r.value->on_conflict, restore::Strategy::rename);
  r = parse_upload_restore_options(R"({"on_conflict":"overwrite","dry_run":true})");
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_EQ(r.value->on_conflict, restore::Strategy::overwrite);
  EXPECT_TRUE(r.value->dry_run);
  r = parse_upload_restore_options("not json");
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"restore_options"});
  r = parse_upload_restore_options(R"({"mode":"sideways"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"restore_options.mode"});
  r = parse_upload_restore_options(R"({"mode":"selective"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(fields(r.error), std::vector<std::string>{"restore_options.selections"});
}

}  // namespace
}  // namespace claudelens::http
