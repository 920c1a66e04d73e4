// The outbox's store operations on a real SQLite file: claims are exclusive leases, an attempt is
// recorded only by its own claimant, and pruning keeps what is still pending.
#include <gtest/gtest.h>

#include "unit/notify/notify_test_support.hpp"

namespace claudelens::notify::testing {
namespace {

store::OutboxRow row(const std::string& id, TimeMs due) {
  store::OutboxRow r;
  r.id = id;
  r.event_type = "backup.completed";
  r.channel = "webhook";
  r.payload = R"({"type":"backup.completed"})";
  r.next_attempt_at = due;
  r.created_at = r.updated_at = due;
  return r;
}

TEST(OutboxStore, a_claim_is_a_lease_and_only_its_claimant_records_the_attempt) {
  TempDir dir;
  auto st = open_db(dir / "db.sqlite");
  ASSERT_TRUE(st->insert_outbox(row("later", 100'000)));
  ASSERT_TRUE(st->insert_outbox(row("first", 1000)));
  EXPECT_FALSE(st->insert_outbox(row("first", 1000))) << "a taken id";

  // Nothing is due before its time; then the row due first.
  EXPECT_FALSE(st->claim_outbox({.claimant = "a", .now = 999, .lease_until = 60'000}).value());
  auto claimed = st->claim_outbox({.claimant = "a", .now = 1500, .lease_until = 61'500}).value();
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, "first");
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(claimed->claimed_by, "a");
  EXPECT_EQ(claimed->next_attempt_at, 61'500);
  // While leased nobody else gets it.
  EXPECT_FALSE(st->claim_outbox({.claimant = "b", .now = 1600, .lease_until = 61'600}).value());
  // The lease runs out (claimant "a" died): "b" takes it over, and "a"'s late result is not recorded.
  auto taken = st->claim_outbox({.claimant = "b", .now = 61'500, .lease_until = 121'500}).value();
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->id, "first");
  EXPECT_EQ(taken->attempts, 2);
  claimed->status = "delivered";
  EXPECT_FALSE(st->update_outbox_if(*claimed).value());
  taken->status = "delivered";
  taken->updated_at = 61'600;
  EXPECT_TRUE(st->update_outbox_if(*taken).value());

  std::vector<std::string> pending;
  ASSERT_TRUE(st->for_each_outbox({"pending"}, [&](const store::OutboxRow& r) {
    pending.push_back(r.id);
    return true;
  }));
  EXPECT_EQ(pending, std::vector<std::string>{"later"});

  // Pruning removes finished rows older than the cut, never pending ones.
  EXPECT_EQ(st->prune_outbox(61'600).value(), 0);
  EXPECT_EQ(st->prune_outbox(1'000'000).value(), 1);
  EXPECT_EQ(outbox(*st).size(), 1u);
  EXPECT_EQ(outbox(*st)[0].id, "later");
}

}  // namespace
}  // namespace claudelens::notify::testing
