// demo-data against a real SQLite store: exact counts, determinism, line shapes, sizes and timestamps.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "core/time.hpp"
#include "demo/demo_data.hpp"

namespace claudelens::demo {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<store::Store> fresh_store(const std::string& name) {
  const fs::path dir = fs::path(CLAUDELENS_TEST_TMP) / "demo";
  fs::create_directories(dir);
  const fs::path db = dir / (name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  auto opened = store::open_store("sqlite:" + db.string());
  EXPECT_TRUE(opened) << (opened ? "" : opened.error().message);
  return std::move(opened).value();
}

DemoSummary generate_into(store::Store& s, std::int64_t messages, std::uint64_t seed) {
  DemoOptions options;
  options.messages = messages;
  options.seed = seed;
  options.batch_entries = 700;  // several batches, so sessions span commits
  auto summary = generate(s, "owner-1", options);
  EXPECT_TRUE(summary) << (summary ? "" : summary.error().message);
  return summary.value();
}

/// Every entry's key and JSON, and every document, in store order: what "export" would give.
std::string dump(store::Store& s) {
  auto reader = std::move(s.read()).value();
  std::string out;
  EXPECT_TRUE(reader->for_each_entry({}, [&](const store::Entry& e) {
    out += e.session_id + " " + e.key + " " + e.json + "\n";
    return true;
  }));
  for (auto c : {store::Collection::prompts, store::Collection::prompt_folders, store::Collection::ai_settings}) {
    EXPECT_TRUE(reader->for_each_document(c, std::nullopt, [&](const store::Document& d) {
      out += d.id + " " + d.json + "\n";
      return true;
    }));
  }
  return out;
}

TEST(DemoData, same_seed_gives_byte_identical_documents_and_other_seed_differs) {
  auto a = fresh_store("det-a"), b = fresh_store("det-b"), c = fresh_store("det-c");
  generate_into(*a, 3000, 7);
  generate_into(*b, 3000, 7);
  generate_into(*c, 3000, 8);
  const std::string da = dump(*a);
  EXPECT_GT(da.size(), 1'000'000u);
  EXPECT_EQ(da, dump(*b));
  EXPECT_NE(da, dump(*c));
}

TEST(DemoData, reaches_the_requested_message_count_exactly_and_fills_every_collection) {
  for (std::int64_t n : {1, 17, 5003}) {
    auto s = fresh_store("count");
    const DemoSummary summary = generate_into(*s, n, 3);
    EXPECT_EQ(summary.messages, n);
    auto reader = std::move(s->read()).value();
    const store::Counts counts = reader->counts(std::nullopt).value();
    EXPECT_EQ(counts.messages, n);
    EXPECT_EQ(counts.records, summary.records);
    EXPECT_EQ(counts.sessions, summary.sessions);
    EXPECT_EQ(counts.projects, summary.projects);
    EXPECT_GT(counts.projects, 0);
    EXPECT_GT(counts.prompts, 0);
    EXPECT_GT(counts.prompt_folders, 0);
    EXPECT_GT(counts.ai_settings, 0);
    EXPECT_EQ(counts.prompts, summary.prompts);
  }
}

TEST(DemoData, rejects_a_non_positive_message_count) {
  auto s = fresh_store("bad");
  DemoOptions options;
  options.messages = 0;
  auto r = generate(*s, "owner-1", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

class DemoLines : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_store = fresh_store("lines").release();
    s_summary = generate_into(*s_store, 20'000, 11);
  }
  static void TearDownTestSuite() { delete s_store; }
  static store::Store* s_store;
  static DemoSummary s_summary;
};
store::Store* DemoLines::s_store = nullptr;
DemoSummary DemoLines::s_summary;

TEST_F(DemoLines, every_line_is_json_with_the_envelope_and_entry_fields_match_it) {
  auto reader = std::move(s_store->read()).value();
  std::map<std::string, std::int64_t> types;
  std::int64_t sidechain = 0, with_tool_result = 0, assistants_with_usage = 0;
  ASSERT_TRUE(reader->for_each_entry({}, [&](const store::Entry& e) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(e.json, ec);
    EXPECT_FALSE(ec) << e.json.substr(0, 200);
    if (ec) return false;
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("type").as_string(), e.type);
    ++types[e.type];
    if (e.has_uuid) {
      EXPECT_EQ(o.at("uuid").as_string(), e.key);
      EXPECT_EQ(o.at("sessionId").as_string(), e.session_id);
      for (const char* field : {"parentUuid", "timestamp", "cwd", "version", "isSidechain", "userType"})
        EXPECT_TRUE(o.contains(field)) << field << " missing in " << e.json.substr(0, 200);
      const auto ts = parse_iso8601(o.at("timestamp").as_string());
      EXPECT_TRUE(ts && e.timestamp == ts);
      EXPECT_EQ(o.at("timestamp").as_string().size(), 24u);  // 2025-06-14T12:34:56.789Z
      EXPECT_EQ(o.at("cwd").as_string(), e.cwd);
      if (o.at("isSidechain").as_bool()) ++sidechain;
      if (o.contains("toolUseResult")) ++with_tool_result;
    } else {
      EXPECT_EQ(e.key.substr(0, 1), "~");
      EXPECT_EQ(e.key.size(), 35u);  // "~" + 32 hex + ":1"
    }
    if (e.type == "assistant") {
      const auto& m = o.at("message").as_object();
      EXPECT_EQ(m.at("id").as_string(), e.message_id);
      EXPECT_EQ(m.at("usage").as_object().at("output_tokens").as_int64(), e.usage.output_tokens);
      if (e.usage.output_tokens > 0 && e.usage.cost_usd > 0) ++assistants_with_usage;
    }
    return true;
  }));
  for (const char* t : {"user", "assistant", "progress", "system", "summary", "file-history-snapshot",
                        "queue-operation", "attachment", "last-prompt"})
    EXPECT_GT(types[t], 0) << t;
  EXPECT_GT(sidechain, 0);
  EXPECT_GT(with_tool_result, 1000);
  EXPECT_GT(assistants_with_usage, 3000);
}

TEST_F(DemoLines, sizes_follow_the_model_with_a_long_tail) {
  auto reader = std::move(s_store->read()).value();
  std::int64_t lines = 0, bytes = 0, over_20k = 0, under_1k = 0;
  ASSERT_TRUE(reader->for_each_entry({}, [&](const store::Entry& e) {
    ++lines;
    bytes += static_cast<std::int64_t>(e.json.size());
    over_20k += e.json.size() > 20'000 ? 1 : 0;
    under_1k += e.json.size() < 1000 ? 1 : 0;
    return true;
  }));
  const double mean = static_cast<double>(bytes) / static_cast<double>(lines);
  EXPECT_GT(mean, 1000);  // real: 1,923 B (1,680 without the two image lines)
  EXPECT_LT(mean, 4000);
  EXPECT_GT(over_20k, 20);                                                     // real: 0.75% of lines are over 20 KB
  EXPECT_GT(static_cast<double>(under_1k) / static_cast<double>(lines), 0.4);  // real: 70%
}

TEST_F(DemoLines, timestamps_never_go_back_within_a_session_and_sessions_link_parents) {
  auto reader = std::move(s_store->read()).value();
  std::string session;
  TimeMs last = 0;
  std::int64_t roots = 0, children = 0;
  ASSERT_TRUE(reader->for_each_entry({}, [&](const store::Entry& e) {
    if (e.session_id != session) {
      session = e.session_id;
      last = 0;
    }
    if (e.timestamp) {
      EXPECT_GE(*e.timestamp, last) << e.session_id;
      last = *e.timestamp;
    }
    if (e.has_uuid) {
      const auto v = boost::json::parse(e.json);
      (v.as_object().at("parentUuid").is_null() ? roots : children) += 1;
    }
    return true;
  }));
  EXPECT_GT(children, roots * 10);
}

}  // namespace
}  // namespace claudelens::demo
