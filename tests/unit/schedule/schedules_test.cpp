// Schedules: validation, the JSON record round trip, next_run from the clock, store operations.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "schedule/schedules.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::schedule {
namespace {

TimeMs at(const char* iso) {
  return parse_iso8601(iso).value();
}

TEST(Schedules, make_validates_every_field_and_derives_type_and_next_run) {
  ScheduleRequest r;
  r.name = "nightly";
  r.cron = " 0 3 * * * ";
  r.filters.projects = {"p1"};
  auto s = make_schedule(r, at("2026-11-27T12:00:00Z"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->type, backup::BackupType::selective);
  EXPECT_EQ(s->cron, "0 3 * * *");
  EXPECT_EQ(s->next_run, at("2026-11-28T03:00:00Z"));
  EXPECT_EQ(s->id.size(), 24u);

  r.name = "no";
  r.cron = "0 3 * * 9";
  r.compression_level = 0;
  auto bad = make_schedule(r, 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  for (const char* part : {"name", "schedule: day-of-week field '9'", "options.compression_level"})
    EXPECT_NE(bad.error().message.find(part), std::string::npos) << bad.error().message;
}

TEST(Schedules, json_round_trip_keeps_every_field) {
  ScheduleRequest r;
  r.name = "weekly full";
  r.cron = "@weekly";
  r.compression_level = 7;
  auto s = make_schedule(r, at("2026-11-27T12:00:00Z"));
  ASSERT_TRUE(s);
  s->last_run = at("2026-11-22T00:00:00Z");
  s->enabled = false;
  const auto text = boost::json::serialize(schedule_to_json(*s));
  auto back = schedule_from_json(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, s->id);
  EXPECT_EQ(back->name, s->name);
  EXPECT_EQ(back->cron, "@weekly");
  EXPECT_EQ(back->type, backup::BackupType::full);
  EXPECT_EQ(back->compression_level, 7);
  EXPECT_EQ(back->last_run, s->last_run);
  EXPECT_FALSE(back->enabled);
  EXPECT_FALSE(with_next_run(*back, at("2026-11-27T12:00:00Z")).next_run);
  back->enabled = true;
  EXPECT_EQ(with_next_run(*back, at("2026-11-27T12:00:00Z")).next_run, at("2026-11-29T00:00:00Z"));
  EXPECT_FALSE(schedule_from_json("[1,2]"));
}

TEST(Schedules, next_runs_json_is_the_preview_endpoints_answer) {
  auto doc = next_runs_json("0 3 * * mon-fri", at("2026-11-27T12:00:00Z"), 2);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(boost::json::serialize(*doc),
            R"({"cron":"0 3 * * mon-fri","runs":["2026-11-30T03:00:00Z","2026-12-01T03:00:00Z"],)"
            R"("description":"at 03:00 on Monday to Friday"})");
  for (const int bad_count : {0, 51}) {
    auto bad = next_runs_json("@daily", 0, bad_count);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("count: ", 0), 0u) << bad.error().message;
  }
  auto bad = next_runs_json("0 0 31 2 *", 0, 5);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("cron: day-of-month field '31'", 0), 0u) << bad.error().message;
}

TEST(Schedules, stored_pause_resume_delete) {
  testing::TempDir tmp;
  auto st = store::open_store("sqlite:" + (tmp / "db.sqlite").string());
  ASSERT_TRUE(st);
  ScheduleRequest r;
  r.name = "hourly";
  r.cron = "@hourly";
  auto s = make_schedule(r, at("2026-11-27T12:00:00Z"));
  ASSERT_TRUE(s);
  {
    auto w = (*st)->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE(save_schedule(**w, *s));
    ASSERT_TRUE((*w)->commit());
  }
  auto paused = set_schedule_enabled(**st, s->id, false, at("2026-11-27T12:30:00Z"));
  ASSERT_TRUE(paused);
  EXPECT_FALSE(paused->next_run);
  auto resumed = set_schedule_enabled(**st, s->id, true, at("2026-11-27T12:30:00Z"));
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->next_run, at("2026-11-27T13:00:00Z"));
  {
    auto reader = (*st)->read();
    ASSERT_TRUE(reader);
    int n = 0;
    ASSERT_TRUE(for_each_schedule(**reader, [&](const Schedule& x) {
      EXPECT_TRUE(x.enabled);
      ++n;
      return true;
    }));
    EXPECT_EQ(n, 1);
  }
  ASSERT_TRUE(delete_schedule(**st, s->id));
  auto again = delete_schedule(**st, s->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found);
  EXPECT_EQ(set_schedule_enabled(**st, s->id, true, 0).error().code, Errc::not_found);
}

}  // namespace
}  // namespace claudelens::schedule
