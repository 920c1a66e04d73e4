// The scheduler on an injected clock with a real SQLite store and a real job service: the slot claim
// (one store operation: claimed twice → one runs; two stores on one file → one winner per slot), missed
// slots (three missed → one run), a slot while the previous run is still going (skipped), restarts,
// paused schedules, retention after scheduled backups and its event, the quota and storage.low.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "backup/metadata.hpp"
#include "schedule/quota.hpp"
#include "schedule/scheduler.hpp"
#include "schedule/schedules.hpp"
#include "schedule/settings.hpp"
#include "support/temp_dir.hpp"
#include "unit/backup/backup_test_support.hpp"

namespace claudelens::schedule {
namespace {

namespace json = boost::json;
using claudelens::testing::TempDir;

TimeMs at(const char* iso) {
  return parse_iso8601(iso).value();
}

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs t) : m_now(t) {}
  TimeMs now_ms() const override { return m_now.load(); }
  void set(TimeMs t) { m_now = t; }

 private:
  std::atomic<TimeMs> m_now;
};

CronExpr cron(const char* text) {
  return parse_cron(text).value();
}

// ---- due_slot ----------------------------------------------------------------------------------------

TEST(DueSlot, the_latest_slot_after_the_last_one_up_to_now) {
  const auto every = cron("* * * * *");
  EXPECT_FALSE(due_slot(every, at("2026-11-27T10:00:30Z"), at("2026-11-27T10:00:59Z")));
  EXPECT_EQ(due_slot(every, at("2026-11-27T10:00:30Z"), at("2026-11-27T10:01:00Z")), at("2026-11-27T10:01:00Z"));
  // Slot 10:01 done; three slots missed (10:02, 10:03, 10:04): one is due, the latest.
  EXPECT_EQ(due_slot(every, at("2026-11-27T10:01:00Z"), at("2026-11-27T10:04:10Z")), at("2026-11-27T10:04:00Z"));
  EXPECT_FALSE(due_slot(every, at("2026-11-27T10:04:00Z"), at("2026-11-27T10:04:59Z")));
  const auto nightly = cron("0 3 * * *");
  EXPECT_EQ(due_slot(nightly, at("2026-01-01T04:00:00Z"), at("2026-03-01T03:00:00Z")), at("2026-03-01T03:00:00Z"));
  EXPECT_EQ(due_slot(nightly, at("2026-01-01T04:00:00Z"), at("2026-03-01T02:59:59Z")), at("2026-02-28T03:00:00Z"));
  EXPECT_FALSE(due_slot(nightly, at("2026-03-01T03:00:00Z"), at("2026-03-01T12:00:00Z")));
  // A year of `* * * * *` missed: still one slot, the latest, found without walking the year.
  EXPECT_EQ(due_slot(every, at("2025-11-27T10:00:00Z"), at("2026-11-27T10:00:30Z")), at("2026-11-27T10:00:00Z"));
  // Rare slots far back (29 February) are found too.
  EXPECT_EQ(due_slot(cron("0 0 29 2 *"), at("2023-01-01T00:00:00Z"), at("2026-11-27T00:00:00Z")),
            at("2024-02-29T00:00:00Z"));
}

TEST(DueSlot, agrees_with_a_brute_force_walk) {
  std::mt19937_64 rng(11);
  const char* exprs[] = {"* * * * *", "*/7 * * * *", "0 3 * * 1-5", "15 */2 * * *", "0 0 13 * 5", "@monthly"};
  for (const char* text : exprs) {
    const auto c = cron(text);
    for (int i = 0; i < 40; ++i) {
      const TimeMs after = at("2026-01-01T00:00:00Z") + static_cast<TimeMs>(rng() % (200LL * 86'400'000));
      const TimeMs now = after + static_cast<TimeMs>(rng() % (40LL * 86'400'000));
      std::optional<TimeMs> expected;
      for (auto t = cron_next(c, after); t && *t <= now; t = cron_next(c, *t)) expected = *t;
      EXPECT_EQ(due_slot(c, after, now), expected)
          << text << " after " << format_iso8601(after) << " now " << format_iso8601(now);
    }
  }
}

// ---- the claim ---------------------------------------------------------------------------------------

TEST(SlotClaim, a_slot_is_claimed_once_and_slots_only_move_forward) {
  TempDir dir;
  auto st = backup::testing::open_store_in(dir);
  const TimeMs slot = at("2026-11-27T10:01:00Z");
  EXPECT_FALSE(st->last_slot_claim("s1").value());
  EXPECT_TRUE(st->claim_slot({"s1", slot, "worker-a", slot + 5}).value());
  EXPECT_FALSE(st->claim_slot({"s1", slot, "worker-b", slot + 6}).value()) << "claimed twice: one runs";
  EXPECT_FALSE(st->claim_slot({"s1", slot - 60'000, "worker-b", slot + 6}).value()) << "an earlier slot is done";
  const auto claim = st->last_slot_claim("s1").value();
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->slot, slot);
  EXPECT_EQ(claim->claimed_by, "worker-a");
  EXPECT_TRUE(st->claim_slot({"s2", slot, "worker-b", slot}).value()) << "schedules are independent";
  EXPECT_TRUE(st->claim_slot({"s1", slot + 60'000, "worker-b", slot + 60'000}).value());
  EXPECT_EQ(st->last_slot_claim("s1").value()->claimed_by, "worker-b");
  EXPECT_FALSE(st->claim_slot({"s1", slot, "", slot})) << "a claim needs a claimant";
}

TEST(SlotClaim, two_stores_on_one_file_elect_one_winner_per_slot) {
  TempDir dir;
  auto a = backup::testing::open_store_in(dir);
  auto b = backup::testing::open_store_in(dir);
  constexpr int k_slots = 200;
  std::array<std::atomic<int>, k_slots> wins{};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      store::Store& st = t % 2 ? *b : *a;
      for (int i = 0; i < k_slots; ++i) {
        auto won = st.claim_slot({"nightly", TimeMs{i} * 60'000, fmt::format("worker-{}", t), 0});
        ASSERT_TRUE(won) << won.error().message;
        if (*won) ++wins[static_cast<std::size_t>(i)];
      }
    });
  }
  for (auto& t : threads) t.join();
  // No slot was won twice. (A slot may be won by nobody when a later one was claimed first: it is past.)
  int total = 0;
  for (int i = 0; i < k_slots; ++i) {
    EXPECT_LE(wins[static_cast<std::size_t>(i)].load(), 1) << "slot " << i;
    total += wins[static_cast<std::size_t>(i)];
  }
  EXPECT_GE(total, 1);
  EXPECT_EQ(a->last_slot_claim("nightly").value()->slot, TimeMs{k_slots - 1} * 60'000);
  // Each slot once: replaying every slot on either store wins nothing.
  for (int i = 0; i < k_slots; ++i) EXPECT_FALSE(b->claim_slot({"nightly", TimeMs{i} * 60'000, "late", 0}).value());
}

// ---- the scheduler -------------------------------------------------------------------------------------

const TimeMs k_created = at("2026-11-27T10:00:30Z");

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_store = backup::testing::open_store_in(m_dir);
    backup::testing::seed(*m_store);
    auto w = m_store->write().value();
    ASSERT_TRUE(w->put_user({"admin1", "admin", store::Role::admin, 1}));
    ASSERT_TRUE(w->commit());
  }

  std::unique_ptr<jobs::JobService> service(store::Store& st, bool start = true) {
    jobs::ServiceOptions o;
    o.backup_dir = m_dir / "backups";
    o.clock = &m_clock;
    o.workers = 1;
    o.poll_interval = std::chrono::milliseconds(20);
    o.admit_backup = quota_admission(st, m_dir / "backups");
    auto s = jobs::JobService::open(st, o);
    EXPECT_TRUE(s) << s.error().message;
    if (start) {
      EXPECT_TRUE((*s)->start());
    }
    return std::move(s).value();
  }

  std::unique_ptr<Scheduler> scheduler(store::Store& st, jobs::JobService& js, const std::string& claimant = {}) {
    SchedulerOptions o;
    o.backup_dir = m_dir / "backups";
    o.clock = &m_clock;
    o.claimant = claimant;
    o.storage_check_interval = std::chrono::milliseconds(0);
    o.on_event = [this](std::string_view type, const json::object& payload) {
      std::lock_guard lock(m_events_mutex);
      m_events.emplace_back(std::string(type), payload);
    };
    return std::make_unique<Scheduler>(st, js, o);
  }

  std::string add_schedule(const char* expr, const char* name = "every minute") {
    ScheduleRequest r;
    r.name = name;
    r.cron = expr;
    r.created_by = "admin1";
    auto s = make_schedule(r, k_created).value();
    auto w = m_store->write().value();
    EXPECT_TRUE(save_schedule(*w, s));
    EXPECT_TRUE(w->commit());
    return s.id;
  }

  void put_settings(const char* text) {
    auto w = m_store->write().value();
    ASSERT_TRUE(save_backup_settings(*w, json::parse(text).as_object(), k_created));
    ASSERT_TRUE(w->commit());
  }

  Schedule stored(const std::string& id) { return load_schedule(*m_store->read().value(), id).value().value(); }

  std::size_t backup_jobs(jobs::JobService& js) {
    jobs::JobFilter f;
    f.type = jobs::JobType::backup;
    return js.list(f).value().size();
  }

  /// Waits until every job in the store is final.
  static void wait_all(jobs::JobService& js) {
    const auto all = js.list({}).value();
    for (const auto& j : all) ASSERT_TRUE(jobs::is_final(js.wait(j.id, std::chrono::seconds(30)).value().status));
  }

  std::vector<std::pair<std::string, json::object>> events() {
    std::lock_guard lock(m_events_mutex);
    return m_events;
  }

  TempDir m_dir;
  ManualClock m_clock{k_created};
  std::unique_ptr<store::Store> m_store;
  std::mutex m_events_mutex;
  std::vector<std::pair<std::string, json::object>> m_events;
};

TEST_F(SchedulerTest, runs_each_slot_once_as_a_backup_job_and_records_last_run) {
  const auto id = add_schedule("* * * * *");
  auto js = service(*m_store);
  auto sched = scheduler(*m_store, *js);
  m_clock.set(at("2026-11-27T10:00:50Z"));
  EXPECT_TRUE(sched->tick().value().queued.empty()) << "no slot between creation and now";
  m_clock.set(at("2026-11-27T10:01:01Z"));
  const auto first = sched->tick().value();
  ASSERT_EQ(first.queued.size(), 1u);
  m_clock.set(at("2026-11-27T10:01:40Z"));
  EXPECT_TRUE(sched->tick().value().queued.empty()) << "the same slot never runs twice";
  const auto job = js->wait(first.queued[0], std::chrono::seconds(30)).value();
  EXPECT_EQ(job.status, jobs::JobStatus::completed) << (job.error ? job.error->message : "");
  EXPECT_EQ(job.owner_id, "admin1");
  ASSERT_TRUE(job.backup);
  EXPECT_EQ(job.backup->name, "every minute");
  EXPECT_FALSE(job.backup->owner_scope) << "an admin's schedule backs up every owner";
  const auto s = stored(id);
  EXPECT_EQ(s.last_run, at("2026-11-27T10:01:01Z"));
  EXPECT_EQ(s.last_slot, at("2026-11-27T10:01:00Z"));
  EXPECT_EQ(s.last_outcome, "queued");
  EXPECT_EQ(s.last_job_id, first.queued[0]);
  EXPECT_EQ(with_next_run(s, m_clock.now_ms()).next_run, at("2026-11-27T10:02:00Z"));
  EXPECT_EQ(backup_jobs(*js), 1u);
}

TEST_F(SchedulerTest, three_missed_slots_run_once_and_a_restart_does_not_run_a_slot_again) {
  const auto id = add_schedule("* * * * *");
  auto js = service(*m_store);
  {
    auto sched = scheduler(*m_store, *js);
    m_clock.set(at("2026-11-27T10:01:02Z"));
    const auto r = sched->tick().value();
    ASSERT_EQ(r.queued.size(), 1u);
    ASSERT_EQ(js->wait(r.queued[0], std::chrono::seconds(30)).value().status, jobs::JobStatus::completed);
  }
  // Down from 10:01:30 to 10:04:20: slots 10:02, 10:03 and 10:04 were missed.
  m_clock.set(at("2026-11-27T10:04:20Z"));
  auto restarted = scheduler(*m_store, *js);
  const auto r = restarted->tick().value();
  EXPECT_EQ(r.queued.size(), 1u) << "one run for the missed slots, not three";
  EXPECT_EQ(stored(id).last_slot, at("2026-11-27T10:04:00Z"));
  // Another restart within the same minute: slot 10:04 is done.
  auto again = scheduler(*m_store, *js);
  EXPECT_TRUE(again->tick().value().queued.empty());
  wait_all(*js);
  EXPECT_EQ(backup_jobs(*js), 2u);
}

TEST_F(SchedulerTest, two_servers_on_one_database_run_a_slot_once) {
  add_schedule("* * * * *");
  auto other_store = backup::testing::open_store_in(m_dir);
  auto js_a = service(*m_store);
  auto js_b = service(*other_store);
  auto a = scheduler(*m_store, *js_a, "server-a");
  auto b = scheduler(*other_store, *js_b, "server-b");
  // (time, how many backups the two servers queue together at that time)
  const std::vector<std::pair<const char*, std::size_t>> ticks = {{"2026-11-27T10:01:00Z", 1},
                                                                  {"2026-11-27T10:01:30Z", 0},
                                                                  {"2026-11-27T10:02:00Z", 1},
                                                                  {"2026-11-27T10:03:05Z", 1}};
  for (const auto& [t, expected] : ticks) {
    m_clock.set(at(t));
    // Both tick at the same moment, from two threads.
    Result<TickReport> ra = fail(Errc::internal, ""), rb = fail(Errc::internal, "");
    std::thread ta([&] { ra = a->tick(); });
    std::thread tb([&] { rb = b->tick(); });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(ra->queued.size() + rb->queued.size(), expected) << t;
    // The other one lost the claim, or saw the slot claimed already and did not try.
    EXPECT_LE(ra->lost.size() + rb->lost.size(), expected) << t;
    wait_all(*js_a);  // the run is over before the next slot (else that slot is skipped)
  }
  EXPECT_EQ(m_store->last_slot_claim(add_schedule("@yearly", "unrelated")).value(), std::nullopt);
  EXPECT_EQ(backup_jobs(*js_a), 3u);
}

TEST_F(SchedulerTest, a_slot_while_the_previous_run_is_still_going_is_skipped_and_recorded) {
  const auto id = add_schedule("* * * * *");
  auto js = service(*m_store, false);  // a pool that is not started: queued jobs stay pending
  auto sched = scheduler(*m_store, *js);
  m_clock.set(at("2026-11-27T10:01:00Z"));
  const auto first = sched->tick().value();
  ASSERT_EQ(first.queued.size(), 1u);
  m_clock.set(at("2026-11-27T10:02:00Z"));
  const auto second = sched->tick().value();
  EXPECT_TRUE(second.queued.empty());
  EXPECT_EQ(second.skipped, std::vector<std::string>{id});
  auto s = stored(id);
  EXPECT_EQ(s.last_outcome, "skipped");
  EXPECT_NE(s.last_message.find(first.queued[0]), std::string::npos) << s.last_message;
  EXPECT_EQ(s.last_run, at("2026-11-27T10:01:00Z")) << "a skipped slot is not a run";
  EXPECT_EQ(backup_jobs(*js), 1u);
  // Once the previous run is over, the next slot runs (the skipped one is not made up for).
  ASSERT_TRUE(js->start());
  ASSERT_EQ(js->wait(first.queued[0], std::chrono::seconds(30)).value().status, jobs::JobStatus::completed);
  m_clock.set(at("2026-11-27T10:03:00Z"));
  EXPECT_EQ(sched->tick().value().queued.size(), 1u);
  EXPECT_EQ(stored(id).last_slot, at("2026-11-27T10:03:00Z"));
}

TEST_F(SchedulerTest, paused_schedules_and_the_global_switch_run_nothing_and_owe_nothing) {
  const auto id = add_schedule("* * * * *");
  auto js = service(*m_store, false);
  auto sched = scheduler(*m_store, *js);
  m_clock.set(at("2026-11-27T10:03:00Z"));
  ASSERT_TRUE(set_schedule_enabled(*m_store, id, false, m_clock.now_ms()));
  m_clock.set(at("2026-11-27T10:10:00Z"));
  EXPECT_TRUE(sched->tick().value().queued.empty());
  ASSERT_TRUE(set_schedule_enabled(*m_store, id, true, at("2026-11-27T10:10:30Z")));
  m_clock.set(at("2026-11-27T10:10:40Z"));
  EXPECT_TRUE(sched->tick().value().queued.empty()) << "slots while paused are not owed";
  put_settings(R"({"scheduling":{"enabled":false}})");
  m_clock.set(at("2026-11-27T10:11:00Z"));
  EXPECT_TRUE(sched->tick().value().queued.empty()) << "scheduling.enabled false stops them all";
  put_settings(R"({"scheduling":{"enabled":true}})");
  m_clock.set(at("2026-11-27T10:12:00Z"));
  EXPECT_EQ(sched->tick().value().queued.size(), 1u);
}

TEST_F(SchedulerTest, auto_cleanup_applies_retention_after_a_scheduled_backup_and_emits_retention_deleted) {
  put_settings(R"({"retention":{"enabled":true,"auto_cleanup":true,"max_backups":1}})");
  add_schedule("* * * * *");
  auto js = service(*m_store);
  auto sched = scheduler(*m_store, *js);
  std::vector<std::string> jobs_run;
  for (const char* t : {"2026-11-27T10:01:00Z", "2026-11-27T10:02:00Z"}) {
    m_clock.set(at(t));
    auto r = sched->tick().value();
    ASSERT_EQ(r.queued.size(), 1u);
    jobs_run.push_back(r.queued[0]);
    ASSERT_EQ(js->wait(r.queued[0], std::chrono::seconds(30)).value().status, jobs::JobStatus::completed);
  }
  // The tick after a scheduled backup finished applies retention: max_backups 1 keeps the newest.
  m_clock.set(at("2026-11-27T10:02:20Z"));
  const auto r = sched->tick().value();
  // (The tick at 10:02 saw the first backup finished and ran a pass then: with one completed backup
  // it deleted nothing.)
  EXPECT_EQ(r.retention_runs, 1) << "one pass per finished scheduled backup";
  const auto first_backup = js->get(jobs_run[0]).value()->backup_id;
  const auto second_backup = js->get(jobs_run[1]).value()->backup_id;
  auto reader = m_store->read().value();
  EXPECT_FALSE(backup::load_metadata(*reader, first_backup).value()) << "the older backup was deleted";
  EXPECT_TRUE(backup::load_metadata(*reader, second_backup).value()) << "never the newest completed backup";
  const auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].first, "retention.deleted");
  const auto& p = ev[0].second;
  EXPECT_EQ(p.at("type").as_string(), "retention.deleted");
  EXPECT_EQ(p.at("trigger").as_string(), "auto_cleanup");
  ASSERT_EQ(p.at("deleted").as_array().size(), 1u);
  EXPECT_EQ(p.at("deleted").as_array()[0].at("_id").as_string(), first_backup);
  EXPECT_GT(p.at("freed_bytes").as_int64(), 0);
  EXPECT_EQ(p.at("timestamp").as_string(), "2026-11-27T10:02:20Z");
  EXPECT_EQ(p.at("backup_names").as_array()[0].as_string(), "every minute");
  // The audit log names the deletion, by no user (a scheduled cleanup).
  store::AuditQuery q;
  q.action = "backup.deleted";
  const auto page = reader->query_audit(q).value();
  ASSERT_EQ(page.total, 1);
  EXPECT_EQ(page.items[0].target_id, first_backup);
  EXPECT_EQ(page.items[0].user_id, "");
  EXPECT_NE(page.items[0].details.find("auto_cleanup"), std::string::npos) << page.items[0].details;
}

TEST_F(SchedulerTest, the_cleanup_schedule_runs_retention_at_its_slots_once) {
  // Two completed backups made outside any schedule.
  auto js = service(*m_store);
  backup::BackupRequest req;
  req.name = "manual";
  req.created_by = "admin1";
  for (int i = 0; i < 2; ++i) {
    m_clock.set(k_created + i * 1000);
    auto sub = js->submit_backup(req).value();
    ASSERT_EQ(js->wait(sub.job.id, std::chrono::seconds(30)).value().status, jobs::JobStatus::completed);
  }
  put_settings(R"({"retention":{"enabled":true,"max_backups":1,"cleanup_schedule":"0 4 * * *"}})");
  auto sched = scheduler(*m_store, *js);
  m_clock.set(at("2026-11-28T03:59:00Z"));
  EXPECT_EQ(sched->tick().value().retention_runs, 0);
  m_clock.set(at("2026-11-28T04:00:01Z"));
  EXPECT_EQ(sched->tick().value().retention_runs, 1);
  auto other = scheduler(*m_store, *js, "another-server");
  EXPECT_EQ(other->tick().value().retention_runs, 0) << "the cleanup slot is claimed once";
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0].second.at("trigger").as_string(), "cleanup_schedule");
  EXPECT_EQ(events()[0].second.at("deleted").as_array().size(), 1u);
  // Retention off: the slots pass without deleting.
  put_settings(R"({"retention":{"enabled":false,"max_backups":1,"cleanup_schedule":"0 4 * * *"}})");
  m_clock.set(at("2026-11-29T04:00:01Z"));
  EXPECT_EQ(sched->tick().value().retention_runs, 0);
}

TEST_F(SchedulerTest, storage_low_is_emitted_once_when_usage_passes_90_percent_of_the_quota) {
  auto js = service(*m_store, false);
  auto sched = scheduler(*m_store, *js);
  std::filesystem::create_directories(m_dir / "backups");
  // A quota of 1 MiB (2^20 bytes), and 800 KiB in the backup directory: 78 %.
  put_settings(R"({"storage":{"filesystem":{"max_size_gb":0.0009765625}}})");
  std::ofstream(m_dir / "backups" / "filler", std::ios::binary) << std::string(800 * 1024, 'x');
  ASSERT_TRUE(sched->tick());
  EXPECT_TRUE(events().empty());
  std::ofstream(m_dir / "backups" / "filler2", std::ios::binary) << std::string(150 * 1024, 'x');  // 92.8 %
  ASSERT_TRUE(sched->tick());
  const auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto& p = ev[0].second;
  EXPECT_EQ(ev[0].first, "storage.low");
  EXPECT_EQ(p.at("current_usage_bytes").as_int64(), 950 * 1024);
  EXPECT_EQ(p.at("max_size_bytes").as_int64(), 1 << 20);
  EXPECT_NEAR(p.at("usage_percent").as_double(), 92.77, 0.01);
  ASSERT_TRUE(sched->tick());
  EXPECT_EQ(events().size(), 1u) << "once per crossing";
  std::filesystem::remove(m_dir / "backups" / "filler2");
  ASSERT_TRUE(sched->tick());
  std::ofstream(m_dir / "backups" / "filler2", std::ios::binary) << std::string(150 * 1024, 'x');
  ASSERT_TRUE(sched->tick());
  EXPECT_EQ(events().size(), 2u) << "below and above again: a new crossing";
}

TEST_F(SchedulerTest, the_quota_refuses_a_backup_before_it_starts_and_a_refused_slot_is_recorded) {
  std::filesystem::create_directories(m_dir / "backups");
  std::ofstream(m_dir / "backups" / "filler", std::ios::binary) << std::string(1 << 20, 'x');
  put_settings(R"({"storage":{"filesystem":{"max_size_gb":0.0009765625}}})");
  auto js = service(*m_store);
  backup::BackupRequest req;
  req.name = "over quota";
  req.created_by = "admin1";
  auto refused = js->submit_backup(req);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::no_space);
  EXPECT_NE(refused.error().message.find("storage quota exceeded"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(js->run_backup_now(req, {}));
  EXPECT_EQ(backup_jobs(*js), 0u) << "nothing was recorded";
  const auto id = add_schedule("* * * * *");
  auto sched = scheduler(*m_store, *js);
  m_clock.set(at("2026-11-27T10:01:00Z"));
  const auto r = sched->tick().value();
  EXPECT_EQ(r.refused, std::vector<std::string>{id});
  EXPECT_EQ(stored(id).last_outcome, "refused");
  EXPECT_NE(stored(id).last_message.find("quota"), std::string::npos);
  EXPECT_FALSE(stored(id).last_run);
  // No quota: the same backup passes.
  put_settings(R"({"storage":{"filesystem":{"max_size_gb":null}}})");
  EXPECT_TRUE(check_quota(*m_store, m_dir / "backups", 1'000'000'000));
}

TEST_F(SchedulerTest, the_loop_starts_and_stops) {
  add_schedule("* * * * *");
  auto js = service(*m_store);
  SchedulerOptions o;
  o.backup_dir = m_dir / "backups";
  o.clock = &m_clock;
  o.tick = std::chrono::milliseconds(10);
  Scheduler sched(*m_store, *js, o);
  m_clock.set(at("2026-11-27T10:01:00Z"));
  sched.start();
  for (int i = 0; i < 500 && backup_jobs(*js) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // more ticks in the same minute
  sched.stop();
  EXPECT_EQ(backup_jobs(*js), 1u);
  m_clock.set(at("2026-11-27T10:02:00Z"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(backup_jobs(*js), 1u) << "a stopped loop queues nothing";
}

}  // namespace
}  // namespace claudelens::schedule
