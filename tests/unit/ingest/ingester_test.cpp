#include <gtest/gtest.h>

#include "ingest/ingester.hpp"
#include "ingest/line_parser.hpp"
#include "temp_dir.hpp"

namespace claudelens::ingest {
namespace {

using testing::TempDir;

std::string user_line(const std::string& uuid, const std::string& session, const std::string& cwd = "/w",
                      const std::string& ts = "2025-06-14T12:00:00.000Z") {
  return R"({"type":"user","uuid":")" + uuid + R"(","sessionId":")" + session + R"(","cwd":")" + cwd +
         R"(","timestamp":")" + ts + R"(","message":{"role":"user","content":"hi"}})";
}

std::string summary_line(const std::string& text, const std::string& leaf) {
  return R"({"type":"summary","summary":")" + text + R"(","leafUuid":")" + leaf + R"("})";
}

class Ingest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store("sqlite:" + (m_tmp.path() / "db.sqlite").string());
    ASSERT_TRUE(s) << s.error().message;
    m_store = std::move(s).value();
    auto w = m_store->write();
    ASSERT_TRUE(w);
    m_owner = "owner-1";
    ASSERT_TRUE((*w)->put_user({m_owner, "admin", store::Role::admin, 0}));
    ASSERT_TRUE((*w)->commit());
  }

  IngestReport ingest(const std::vector<std::filesystem::path>& paths) {
    IngestOptions o;
    o.owner_id = m_owner;
    auto r = ingest_paths(*m_store, paths, o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::move(r).value() : IngestReport{};
  }

  store::Counts counts() {
    auto r = m_store->read();
    return *(*r)->counts(std::nullopt);
  }

  std::vector<store::Entry> entries(const std::string& session) {
    std::vector<store::Entry> out;
    auto r = m_store->read();
    store::EntryFilter f;
    f.session_id = session;
    EXPECT_TRUE((*r)->for_each_entry(f, [&](const store::Entry& e) {
      out.push_back(e);
      return true;
    }));
    return out;
  }

  std::optional<store::Session> session(const std::string& id) { return *(*m_store->read())->get_session(id); }

  std::vector<store::Project> projects() {
    std::vector<store::Project> out;
    EXPECT_TRUE((*m_store->read())->for_each_project({}, [&](const store::Project& p) {
      out.push_back(p);
      return true;
    }));
    return out;
  }

  TempDir m_tmp;
  std::unique_ptr<store::Store> m_store;
  std::string m_owner;
};

TEST_F(Ingest, stores_lines_byte_for_byte_with_project_and_session) {
  const std::string a = user_line("u1", "s1", "/home/me/app");
  const std::string b = user_line("u2", "s1", "/home/me/app", "2025-06-14T13:00:00.000Z");
  m_tmp.write("projects/-home-me-app/s1.jsonl", a + "\n" + b + "\n");
  const IngestReport r = ingest({m_tmp.path() / "projects"});
  EXPECT_EQ(r.files, 1);
  EXPECT_EQ(r.records, 2);
  EXPECT_EQ(r.new_records, 2);
  EXPECT_EQ(r.skipped_lines, 0);
  EXPECT_EQ(r.projects, 1);
  EXPECT_EQ(r.sessions, 1);
  const auto es = entries("s1");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].json, a);
  EXPECT_EQ(es[1].json, b);
  const auto ps = projects();
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].name, "-home-me-app");
  EXPECT_EQ(ps[0].path, "/home/me/app");
  EXPECT_EQ(ps[0].owner_id, m_owner);
  const auto s = session("s1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->project_id, ps[0].id);
  EXPECT_EQ(s->message_count, 2);
  EXPECT_EQ(s->started_at, parse_iso8601("2025-06-14T12:00:00.000Z"));
  EXPECT_EQ(s->ended_at, parse_iso8601("2025-06-14T13:00:00.000Z"));
}

TEST_F(Ingest, project_path_is_the_majority_cwd) {
  m_tmp.write("p/-x/s.jsonl",
              user_line("1", "s", "/a") + "\n" + user_line("2", "s", "/b") + "\n" + user_line("3", "s", "/b") + "\n");
  ingest({m_tmp.path() / "p" / "-x"});
  ASSERT_EQ(projects().size(), 1u);
  EXPECT_EQ(projects()[0].path, "/b");
}

TEST_F(Ingest, second_ingest_changes_nothing) {
  m_tmp.write("p/-x/s.jsonl", user_line("1", "s") + "\n" + summary_line("T", "1") + "\n" +
                                  R"({"type":"permission-mode","permissionMode":"default","sessionId":"s"})"
                                  "\n");
  const IngestReport first = ingest({m_tmp.path() / "p"});
  const store::Counts before = counts();
  const auto entries_before = entries("s");
  const auto session_before = session("s");
  const IngestReport second = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(first.new_records, 3);
  EXPECT_EQ(second.records, 3);
  EXPECT_EQ(second.new_records, 0);
  const store::Counts after = counts();
  EXPECT_EQ(after.records, before.records);
  EXPECT_EQ(after.messages, before.messages);
  EXPECT_EQ(after.entry_bytes, before.entry_bytes);
  EXPECT_EQ(after.sessions, before.sessions);
  EXPECT_EQ(after.projects, before.projects);
  const auto entries_after = entries("s");
  ASSERT_EQ(entries_after.size(), entries_before.size());
  for (std::size_t i = 0; i < entries_after.size(); ++i) {
    EXPECT_EQ(entries_after[i].key, entries_before[i].key);
    EXPECT_EQ(entries_after[i].seq, entries_before[i].seq);
  }
  EXPECT_EQ(session("s")->updated_at, session_before->updated_at);
}

TEST_F(Ingest, identical_records_without_uuid_are_all_kept) {
  const std::string pm = R"({"type":"permission-mode","permissionMode":"default","sessionId":"s"})";
  m_tmp.write("p/-x/s.jsonl", pm + "\n" + user_line("1", "s") + "\n" + pm + "\n" + pm + "\n");
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(r.new_records, 4);
  const auto es = entries("s");
  ASSERT_EQ(es.size(), 4u);
  EXPECT_EQ(es[0].key, content_key(pm, 1));
}

TEST_F(Ingest, a_bad_line_in_the_middle_loses_nothing_else) {
  const auto f = m_tmp.write("p/-x/s.jsonl", user_line("1", "s") + "\n{\"type\":\"user\",\"uuid\":\"broken\n" +
                                                 user_line("3", "s") + "\n[1]\n\n" + user_line("5", "s") + "\n");
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(r.records, 3);
  EXPECT_EQ(r.skipped_lines, 2);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].file, f.string());
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[1].line, 4);
  EXPECT_NE(r.errors[1].message.find("not a JSON object"), std::string::npos);
  EXPECT_EQ(entries("s").size(), 3u);
}

TEST_F(Ingest, truncated_last_line_is_kept_when_it_parses_and_reported_when_not) {
  m_tmp.write("p/-x/a.jsonl", user_line("1", "a") + "\n" + user_line("2", "a"));  // no final newline
  const std::string cut = user_line("4", "b");
  m_tmp.write("p/-x/b.jsonl", user_line("3", "b") + "\n" + cut.substr(0, cut.size() / 2));
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(entries("a").size(), 2u);
  EXPECT_EQ(entries("b").size(), 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2);
}

TEST_F(Ingest, empty_and_summary_only_files) {
  m_tmp.write("p/-x/empty.jsonl", "");
  m_tmp.write("p/-x/only.jsonl", summary_line("Title A", "elsewhere") + "\n" + summary_line("Title B", "x") + "\n");
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(r.files, 2);
  EXPECT_EQ(r.records, 2);
  EXPECT_FALSE(session("empty"));  // an empty file makes no session
  const auto s = session("only");  // records without sessionId belong to the file's stem
  ASSERT_TRUE(s);
  EXPECT_EQ(s->records_count, 2);
  EXPECT_EQ(s->message_count, 0);
  EXPECT_EQ(s->summary, "Title B");  // no leaf in the session: the last summary record
}

TEST_F(Ingest, summary_prefers_the_record_whose_leaf_is_in_the_session) {
  m_tmp.write("p/-x/s.jsonl",
              summary_line("Mine", "u1") + "\n" + summary_line("Other", "zzz") + "\n" + user_line("u1", "s") + "\n");
  ingest({m_tmp.path() / "p"});
  EXPECT_EQ(session("s")->summary, "Mine");
  EXPECT_EQ(entries("s").size(), 3u);  // the summary records are kept as entries too
}

TEST_F(Ingest, summary_leaf_arriving_in_a_later_file_updates_the_choice) {
  m_tmp.write("p/-x/s.jsonl", summary_line("First", "late") + "\n" + summary_line("Second", "zzz") + "\n");
  ingest({m_tmp.path() / "p"});
  EXPECT_EQ(session("s")->summary, "Second");
  m_tmp.write("p/-x/other.jsonl", user_line("late", "s") + "\n");
  ingest({m_tmp.path() / "p"});
  EXPECT_EQ(session("s")->summary, "First");
}

TEST_F(Ingest, subagent_layouts_belong_to_the_parent_session_and_project) {
  m_tmp.write("p/-proj/parent.jsonl", user_line("1", "parent", "/proj") + "\n");
  m_tmp.write("p/-proj/agent-1234abcd.jsonl", user_line("2", "parent", "/proj") + "\n");
  m_tmp.write("p/-proj/parent/subagents/agent-a1b2c3d.jsonl", user_line("3", "parent", "/proj") + "\n" +
                                                                  R"({"type":"queue-operation"})"
                                                                  "\n");
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(r.files, 3);
  EXPECT_EQ(r.sessions, 1);
  const auto s = session("parent");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->records_count, 4);  // the sessionId-less queue-operation falls back to the <session> folder
  EXPECT_EQ(projects().size(), 1u);
  EXPECT_EQ(projects()[0].sessions_count, 1);
}

TEST_F(Ingest, subagent_file_given_alone_goes_to_the_project_above_its_session) {
  const auto f = m_tmp.write("p/-proj/parent/subagents/agent-a1.jsonl", R"({"type":"summary","summary":"s"})"
                                                                        "\n");
  ingest({f});
  ASSERT_EQ(projects().size(), 1u);
  EXPECT_EQ(projects()[0].name, "-proj");
  EXPECT_TRUE(session("parent"));
}

TEST_F(Ingest, one_megabyte_line) {
  const std::string data(1 << 20, 'Q');
  const std::string line = R"({"type":"user","uuid":"big","sessionId":"s","message":{"content":[{"type":"image",)"
                           R"("source":{"type":"base64","media_type":"image/png","data":")" +
                           data + "\"}}]}}";
  m_tmp.write("p/-x/s.jsonl", user_line("a", "s") + "\n" + line + "\n" + user_line("b", "s") + "\n");
  const IngestReport r = ingest({m_tmp.path() / "p"});
  EXPECT_EQ(r.records, 3);
  const auto es = entries("s");
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[1].json, line);
}

TEST_F(Ingest, missing_path_fails_before_writing) {
  m_tmp.write("p/-x/s.jsonl", user_line("1", "s") + "\n");
  IngestOptions o;
  o.owner_id = m_owner;
  auto r = ingest_paths(*m_store, {m_tmp.path() / "p", m_tmp.path() / "missing"}, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_EQ(counts().records, 0);
}

TEST_F(Ingest, errors_list_is_capped_but_all_are_counted) {
  std::string bad;
  for (int i = 0; i < 50; ++i) bad += "nope\n";
  m_tmp.write("p/-x/s.jsonl", bad);
  IngestOptions o;
  o.owner_id = m_owner;
  o.max_errors = 10;
  auto r = ingest_paths(*m_store, {m_tmp.path() / "p"}, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->skipped_lines, 50);
  EXPECT_EQ(r->errors.size(), 10u);
  EXPECT_TRUE(r->errors_truncated);
}

TEST_F(Ingest, usage_is_summed_once_per_message_id) {
  auto line = [](const std::string& uuid, int out) {
    return R"({"type":"assistant","uuid":")" + uuid +
           R"(","sessionId":"s","message":{"id":"msg_1","model":)"
           R"("claude-sonnet-4-20250514","usage":{"input_tokens":10,"output_tokens":)" +
           std::to_string(out) + "}}}";
  };
  m_tmp.write("p/-x/s.jsonl", line("a", 1) + "\n" + line("b", 50) + "\n");
  ingest({m_tmp.path() / "p"});
  const auto s = session("s");
  EXPECT_EQ(s->usage.input_tokens, 10);
  EXPECT_EQ(s->usage.output_tokens, 50);
  EXPECT_NEAR(s->usage.cost_usd, (10 * 3 + 50 * 15) * 1e-6, 1e-12);
}

}  // namespace
}  // namespace claudelens::ingest
