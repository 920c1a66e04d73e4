// The ingest, stats, projects, sessions and export commands on the real transcripts of
// ../shared/data/claude-transcripts, checked against an independent reading of the files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path k_transcripts = fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";

fs::path scratch(const std::string& name) {
  // One folder per process: ctest runs each test in its own process, several at a time.
  const fs::path p = fs::path(CLAUDELENS_TEST_TMP) / ("integration_ingest-" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string db_flag(const fs::path& dir) {
  return "sqlite:" + (dir / "db.sqlite").string();
}

json::value run_json(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db, "--json"});
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

std::int64_t num(const json::value& v, std::string_view key) {
  return v.as_object().at(key).to_number<std::int64_t>();
}

/// Every row of every table, as sorted text: the database's logical content.
std::vector<std::string> dump_db(const fs::path& file) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> tables, rows;
  auto each_row = [&](const std::string& sql, auto&& fn) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(st) == SQLITE_ROW) fn(st);
    sqlite3_finalize(st);
  };
  each_row("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
           [&](sqlite3_stmt* st) { tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))); });
  for (const auto& t : tables) {
    each_row("SELECT * FROM \"" + t + "\"", [&](sqlite3_stmt* st) {
      std::string row = t;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
        row += '\x1f';
        row.append(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
      }
      rows.push_back(std::move(row));
    });
  }
  sqlite3_close(db);
  std::sort(rows.begin(), rows.end());
  EXPECT_GT(rows.size(), 100u);
  return rows;
}

/// One ingest of the whole shared folder, shared by the read-only tests below.
class RealTranscripts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(scratch("shared"));
    s_db = new std::string(db_flag(*s_dir));
    s_expected = new TranscriptSet(read_transcripts(k_transcripts));
    s_report = new json::value(run_json(*s_db, {"ingest", k_transcripts.string()}));
  }
  static void TearDownTestSuite() {
    delete s_report;
    delete s_expected;
    delete s_db;
    delete s_dir;
  }
  static fs::path* s_dir;
  static std::string* s_db;
  static TranscriptSet* s_expected;
  static json::value* s_report;
};
fs::path* RealTranscripts::s_dir = nullptr;
std::string* RealTranscripts::s_db = nullptr;
TranscriptSet* RealTranscripts::s_expected = nullptr;
json::value* RealTranscripts::s_report = nullptr;

TEST_F(RealTranscripts, ingest_report_counts_every_file_and_line) {
  const auto& r = *s_report;
  EXPECT_EQ(num(r, "files"), static_cast<std::int64_t>(s_expected->files.size()));
  EXPECT_EQ(num(r, "records"), s_expected->records);
  EXPECT_EQ(num(r, "new_records"), s_expected->records);
  EXPECT_EQ(num(r, "skipped_lines"), 0);
  EXPECT_TRUE(r.at("errors").as_array().empty());
}

TEST_F(RealTranscripts, stats_equal_an_independent_reading_of_the_files) {
  const json::value stats = run_json(*s_db, {"stats"});
  EXPECT_EQ(num(stats, "projects"), static_cast<std::int64_t>(s_expected->projects.size()));
  EXPECT_EQ(num(stats, "sessions"), static_cast<std::int64_t>(s_expected->sessions.size()));
  EXPECT_EQ(num(stats, "messages"), static_cast<std::int64_t>(s_expected->messages.size()));
  EXPECT_EQ(num(stats, "records"), s_expected->records);
  EXPECT_EQ(num(stats, "bytes"), s_expected->bytes);
  for (const char* key : {"prompts", "prompt_folders", "ai_settings", "users"})
    EXPECT_TRUE(stats.as_object().contains(key));
  // The folder holds what FORMAT.md says it does: 27 files, 5 projects.
  EXPECT_EQ(s_expected->files.size(), 27u);
  EXPECT_EQ(s_expected->projects.size(), 5u);
}

TEST_F(RealTranscripts, export_of_every_session_equals_its_records_in_file_order) {
  std::size_t sessions = 0;
  for (const auto& [id, lines] : s_expected->sessions) {
    const CliResult r = run_cli({"--db", *s_db, "export", "--session", id});
    ASSERT_EQ(r.exit_code, 0) << id << ": " << r.err;
    const std::vector<std::string> got = split_lines(r.out);
    ASSERT_EQ(got.size(), lines.size()) << id;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(json::parse(got[i]), lines[i].value) << id << " record " << i;
      EXPECT_EQ(got[i], lines[i].bytes) << id << " record " << i << " is not byte-identical";
    }
    ++sessions;
  }
  EXPECT_EQ(sessions, s_expected->sessions.size());
}

TEST_F(RealTranscripts, projects_carry_folder_name_majority_cwd_and_counts) {
  const json::value projects = run_json(*s_db, {"projects"});
  ASSERT_EQ(projects.as_array().size(), s_expected->projects.size());
  std::map<std::string, std::int64_t> sessions_per_project, records_per_project, messages_per_project;
  for (const auto& [sid, lines] : s_expected->sessions) {
    const std::string& p = s_expected->session_project.at(sid);
    ++sessions_per_project[p];
    records_per_project[p] += static_cast<std::int64_t>(lines.size());
  }
  for (const auto& [sid, uuid] : s_expected->messages) ++messages_per_project[s_expected->session_project.at(sid)];
  for (const auto& v : projects.as_array()) {
    const auto& o = v.as_object();
    for (const char* key : {"_id", "name", "path", "sessions_count", "messages_count", "records_count"})
      EXPECT_TRUE(o.contains(key)) << key;
    const std::string name(o.at("name").as_string());
    ASSERT_TRUE(s_expected->projects.count(name)) << name;
    EXPECT_EQ(o.at("path").as_string(), majority_cwd(s_expected->cwds[name])) << name;
    EXPECT_EQ(num(v, "sessions_count"), sessions_per_project[name]) << name;
    EXPECT_EQ(num(v, "messages_count"), messages_per_project[name]) << name;
    EXPECT_EQ(num(v, "records_count"), records_per_project[name]) << name;
  }
}

TEST_F(RealTranscripts, sessions_list_times_counts_and_project_filter) {
  const json::value all = run_json(*s_db, {"sessions"});
  ASSERT_EQ(all.as_array().size(), s_expected->sessions.size());
  for (const auto& v : all.as_array()) {
    const auto& o = v.as_object();
    for (const char* key : {"_id", "project_id", "started_at", "ended_at", "message_count", "records_count", "summary"})
      EXPECT_TRUE(o.contains(key)) << key;
    const std::string id(o.at("_id").as_string());
    const auto& lines = s_expected->sessions.at(id);
    EXPECT_EQ(num(v, "records_count"), static_cast<std::int64_t>(lines.size())) << id;
    std::string first, last;  // ISO-8601 "...Z" strings with ms sort as times
    for (const auto& l : lines)
      if (auto* ts = l.value.as_object().if_contains("timestamp"); ts && ts->is_string()) {
        const std::string t(ts->as_string());
        if (first.empty() || t < first) first = t;
        if (last.empty() || t > last) last = t;
      }
    if (first.empty()) {
      EXPECT_TRUE(o.at("started_at").is_null()) << id;
    } else {
      EXPECT_EQ(o.at("started_at").as_string(), first) << id;
      EXPECT_EQ(o.at("ended_at").as_string(), last) << id;
    }
  }
  // --project by folder name, by path and by id all select the same sessions.
  const json::value projects = run_json(*s_db, {"projects"});
  for (const auto& p : projects.as_array()) {
    const std::string name(p.at("name").as_string());
    const std::string id(p.at("_id").as_string());
    const json::value by_name = run_json(*s_db, {"sessions", "--project", name});
    EXPECT_EQ(by_name, run_json(*s_db, {"sessions", "--project", id}));
    EXPECT_EQ(by_name, run_json(*s_db, {"sessions", "--project", std::string(p.at("path").as_string())}));
    EXPECT_EQ(static_cast<std::int64_t>(by_name.as_array().size()), num(p, "sessions_count"));
    for (const auto& s : by_name.as_array()) EXPECT_EQ(s.at("project_id").as_string(), id);
  }
  const CliResult unknown = run_cli({"--db", *s_db, "--json", "sessions", "--project", "no-such-project"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no-such-project"), std::string::npos);
}

TEST_F(RealTranscripts, summaries_come_from_summary_records) {
  const json::value all = run_json(*s_db, {"sessions"});
  int with_summary = 0;
  for (const auto& v : all.as_array()) {
    const std::string id(v.at("_id").as_string());
    std::set<std::string> texts;
    for (const auto& l : s_expected->sessions.at(id))
      if (auto* s = l.value.as_object().if_contains("summary"); s && s->is_string() && l.value.at("type") == "summary")
        texts.insert(std::string(s->as_string()));
    const std::string summary(v.at("summary").as_string());
    if (texts.empty()) {
      EXPECT_EQ(summary, "") << id;
    } else {
      EXPECT_TRUE(texts.count(summary)) << id << ": " << summary;
      ++with_summary;
    }
  }
  EXPECT_GE(with_summary, 5);
}

TEST_F(RealTranscripts, export_of_an_unknown_session_fails) {
  const CliResult r = run_cli({"--db", *s_db, "export", "--session", "no-such-session"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("session no-such-session not found"), std::string::npos) << r.err;
}

TEST(Ingest, second_ingest_changes_nothing) {
  const fs::path dir = scratch("twice");
  const std::string db = db_flag(dir);
  run_json(db, {"ingest", k_transcripts.string()});
  const json::value stats1 = run_json(db, {"stats"});
  const auto rows1 = dump_db(dir / "db.sqlite");
  const json::value again = run_json(db, {"ingest", k_transcripts.string()});
  EXPECT_EQ(num(again, "new_records"), 0);
  EXPECT_EQ(num(again, "records"), num(stats1, "records"));
  EXPECT_EQ(run_json(db, {"stats"}), stats1);
  EXPECT_EQ(dump_db(dir / "db.sqlite"), rows1);
}

TEST(Ingest, malformed_line_is_reported_with_file_and_line_and_the_rest_is_kept) {
  const fs::path dir = scratch("malformed");
  const fs::path src = k_transcripts / "handgemacht-ai__claude-code-log" / "fe869ecb-c176-478f-9734-7e4b8ef12cff.jsonl";
  std::vector<std::string> lines = split_lines(read_file(src));
  ASSERT_GT(lines.size(), 20u);
  const fs::path copy = dir / "projects" / "-copied" / src.filename();
  fs::create_directories(copy.parent_path());
  {
    std::ofstream out(copy, std::ios::binary);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i == 9) out << "{\"type\":\"user\",\"uuid\":\"half-written\n";  // becomes line 10
      out << lines[i] << "\n";
    }
  }
  const std::string db = db_flag(dir);
  const json::value r = run_json(db, {"ingest", (dir / "projects").string()});
  EXPECT_EQ(num(r, "skipped_lines"), 1);
  EXPECT_EQ(num(r, "records"), static_cast<std::int64_t>(lines.size()));
  ASSERT_EQ(r.at("errors").as_array().size(), 1u);
  const auto& e = r.at("errors").as_array()[0].as_object();
  EXPECT_EQ(e.at("file").as_string(), copy.string());
  EXPECT_EQ(e.at("line").to_number<std::int64_t>(), 10);
  EXPECT_FALSE(e.at("message").as_string().empty());
  // Every other line is stored; together the sessions hold exactly the file's lines.
  std::size_t stored = 0;
  const json::value sessions = run_json(db, {"sessions"});
  for (const auto& s : sessions.as_array()) {
    const CliResult x = run_cli({"--db", db, "export", "--session", std::string(s.at("_id").as_string())});
    ASSERT_EQ(x.exit_code, 0);
    for (const auto& l : split_lines(x.out)) {
      EXPECT_NE(std::find(lines.begin(), lines.end(), l), lines.end());
      ++stored;
    }
  }
  EXPECT_EQ(stored, lines.size());
  // The human form names file and line on stderr and still exits 0.
  const CliResult human = run_cli({"--db", db, "ingest", copy.string()});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.err.find(copy.string() + ":10:"), std::string::npos) << human.err;
}

TEST(Ingest, missing_path_exits_1_naming_it_and_bad_usage_exits_2) {
  const fs::path dir = scratch("usage");
  const std::string db = db_flag(dir);
  const CliResult missing = run_cli({"--db", db, "ingest", (dir / "nope").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.substr(0, missing.err.find('\n')).find((dir / "nope").string()) != std::string::npos, true)
      << missing.err;
  EXPECT_EQ(run_cli({"--db", db, "ingest"}).exit_code, 2);
  EXPECT_EQ(run_cli({"--db", db, "ingest", "--no-such-flag", dir.string()}).exit_code, 2);
  EXPECT_EQ(run_cli({"--db", db, "export"}).exit_code, 2);
}

TEST(Ingest, subagent_layout_from_real_files_joins_the_parent_session) {
  // The 2.1.x layout: <session>/subagents/agent-*.jsonl, built from the real 2.0.x agent file.
  const fs::path dir = scratch("subagents");
  const fs::path project = dir / "projects" / "-spotter";
  const fs::path main_src = k_transcripts / "marot__spotter" / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl";
  fs::create_directories(project / "ae4a77f8-aedd-4bc1-888f-c94edc91af04" / "subagents");
  fs::copy_file(main_src, project / main_src.filename());
  fs::copy_file(k_transcripts / "marot__spotter" / "agent-aac57f5.jsonl",
                project / "ae4a77f8-aedd-4bc1-888f-c94edc91af04" / "subagents" / "agent-aac57f5.jsonl");
  const std::string db = db_flag(dir);
  const json::value r = run_json(db, {"ingest", (dir / "projects").string()});
  EXPECT_EQ(num(r, "files"), 2);
  const json::value stats = run_json(db, {"stats"});
  EXPECT_EQ(num(stats, "projects"), 1);
  EXPECT_EQ(num(stats, "sessions"), 1);
  EXPECT_EQ(num(stats, "records"), num(r, "records"));
}

}  // namespace
}  // namespace claudelens::testing
