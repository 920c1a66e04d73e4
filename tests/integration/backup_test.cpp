// The backup CLI on the real transcripts: round trip through the archive reader, readability with
// zstd + jq, damage detection by `backup verify`, and every filter against an independent selection.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "backup/documents.hpp"
#include "core/time.hpp"
#include "format/reader.hpp"
#include "integration/run_cli.hpp"
#include "integration/transcripts.hpp"

namespace claudelens::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path transcripts_dir() {
  return fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts";
}

/// (session, line bytes) of every entry document in an archive, and the session catalogue.
struct ArchiveLines {
  std::multiset<std::pair<std::string, std::string>> entries;
  std::set<std::string> sessions;
  std::set<std::string> projects;
};

ArchiveLines read_archive(const fs::path& file) {
  auto reader = format::ArchiveReader::open(file);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
  ArchiveLines out;
  EXPECT_TRUE((*reader)->read_all([&](const format::SectionInfo&, std::string_view doc) {
    const auto c = backup::document_collection(doc).value();
    if (c == backup::k_messages || c == backup::k_records) {
      auto e = backup::decode_entry(doc).value();
      out.entries.emplace(e.session_id, std::string(e.line));
    } else if (c == backup::k_sessions) {
      out.sessions.insert(backup::decode_session(doc).value().id);
    } else if (c == backup::k_projects) {
      out.projects.insert(backup::decode_project(doc).value().name);
    }
    return true;
  }));
  return out;
}

class BackupOfRealTranscripts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(fs::path(CLAUDELENS_TEST_TMP) / ("integration_backup-" + std::to_string(::getpid())));
    fs::remove_all(*s_dir);
    fs::create_directories(*s_dir);
    s_expected = new TranscriptSet(read_transcripts(transcripts_dir()));
    auto r = cli({"ingest", transcripts_dir().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*s_dir);
    delete s_dir;
    delete s_expected;
  }

  static CliResult cli(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--db", "sqlite:" + (*s_dir / "db.sqlite").string(), "--backup-dir", (*s_dir / "backups").string()});
    return run_cli(args);
  }
  /// Runs `backup create --json` with extra arguments; returns the file it wrote.
  static fs::path create(const std::string& name, const std::vector<std::string>& extra, json::object* meta = nullptr) {
    std::vector<std::string> args{"backup", "create", "--json", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto v = json::parse(r.out).as_object();
    if (meta) *meta = v;
    return *s_dir / "backups" / std::string(v.at("filepath").as_string());
  }

  /// The expected entries of the sessions `pick` accepts, with only the lines `line_ok` accepts.
  template <class Pick, class LineOk>
  static std::multiset<std::pair<std::string, std::string>> expected_entries(Pick pick, LineOk line_ok) {
    std::multiset<std::pair<std::string, std::string>> out;
    for (const auto& [session, lines] : s_expected->sessions) {
      if (!pick(session, lines)) continue;
      for (const auto& l : lines)
        if (line_ok(l)) out.emplace(session, l.bytes);
    }
    return out;
  }

  static inline fs::path* s_dir = nullptr;
  static inline TranscriptSet* s_expected = nullptr;
};

auto all_lines = [](const TranscriptLine&) { return true; };

std::int64_t message_count(const std::vector<TranscriptLine>& lines) {
  std::int64_t n = 0;
  for (const auto& l : lines) {
    const auto* u = l.value.as_object().if_contains("uuid");
    n += (u && u->is_string() && !u->as_string().empty()) ? 1 : 0;
  }
  return n;
}

TEST_F(BackupOfRealTranscripts, full_backup_round_trips_every_record_byte_for_byte) {
  json::object meta;
  const fs::path file = create("full round trip", {}, &meta);
  const ArchiveLines got = read_archive(file);
  EXPECT_EQ(got.entries, expected_entries([](auto&, auto&) { return true; }, all_lines));
  EXPECT_EQ(got.sessions.size(), s_expected->sessions.size());
  EXPECT_EQ(got.projects, s_expected->projects);
  const auto& contents = meta.at("contents").as_object();
  EXPECT_EQ(contents.at("messages_count").as_int64(), static_cast<std::int64_t>(s_expected->messages.size()));
  EXPECT_EQ(contents.at("sessions_count").as_int64(), static_cast<std::int64_t>(s_expected->sessions.size()));
  EXPECT_EQ(meta.at("status").as_string(), "completed");
  EXPECT_EQ(meta.at("compressed_size_bytes").as_int64(), static_cast<std::int64_t>(fs::file_size(file)));
  // The metadata checksum is the file's SHA-256, as sha256sum computes it.
  auto sum = run_program("/usr/bin/sha256sum", {file.string()});
  ASSERT_EQ(sum.exit_code, 0);
  EXPECT_EQ(sum.out.substr(0, 64), std::string(meta.at("checksum").as_string()));
}

TEST_F(BackupOfRealTranscripts, zstd_and_jq_read_every_document_without_claudelens) {
  json::object meta;
  const fs::path file = create("readable by zstd", {}, &meta);
  const fs::path out = *s_dir / "jq.out";
  auto r = run_program("/bin/sh", {"-c", "zstd -dc '" + file.string() + "' | jq -c . > '" + out.string() + "'"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = split_lines(read_file(out));
  EXPECT_EQ(static_cast<std::int64_t>(lines.size()), meta.at("contents").as_object().at("total_documents").as_int64());
  // Every original line is inside, as the "d" of an entry document (compared as JSON values).
  std::multiset<std::string> from_jq, expected;
  for (const auto& l : lines) {
    const json::object v = json::parse(l).as_object();
    if (v.at("_c") == "messages" || v.at("_c") == "records") from_jq.insert(json::serialize(v.at("d")));
  }
  for (const auto& [s, ls] : s_expected->sessions)
    for (const auto& l : ls) expected.insert(json::serialize(l.value));
  EXPECT_EQ(from_jq, expected);
}

TEST_F(BackupOfRealTranscripts, verify_exits_3_on_any_flipped_byte_truncation_or_appended_byte) {
  const fs::path file = create("damage source", {});
  const std::string bytes = read_file(file);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(cli({"backup", "verify", file.string()}).exit_code, 0);
  const fs::path bad = *s_dir / "damaged.claudelens";
  auto write = [&](const std::string& content) { std::ofstream(bad, std::ios::binary | std::ios::trunc) << content; };
  // Positions spread over the whole file, including the first and last bytes (header, frames, index, trailer).
  std::vector<std::size_t> positions{0,
                                     1,
                                     4,
                                     8,
                                     13,
                                     40,
                                     100,
                                     bytes.size() - 1,
                                     bytes.size() - 8,
                                     bytes.size() - 40,
                                     bytes.size() - 100,
                                     bytes.size() - 200};
  for (int i = 1; i < 40; ++i) positions.push_back(bytes.size() * static_cast<std::size_t>(i) / 40);
  for (std::size_t pos : positions) {
    std::string copy = bytes;
    copy[pos] = static_cast<char>(copy[pos] ^ 0x01);
    write(copy);
    auto r = cli({"backup", "verify", bad.string()});
    EXPECT_EQ(r.exit_code, 3) << "flip at " << pos << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}, bytes.size() / 3,
                          bytes.size() / 2, bytes.size() - 100, bytes.size() - 1}) {
    write(bytes.substr(0, len));
    EXPECT_EQ(cli({"backup", "verify", bad.string()}).exit_code, 3) << "truncated to " << len;
  }
  write(bytes + "x");
  EXPECT_EQ(cli({"backup", "verify", bad.string()}).exit_code, 3) << "one byte appended";
  write(bytes + bytes);
  EXPECT_EQ(cli({"backup", "verify", bad.string()}).exit_code, 3) << "file doubled";
}

TEST_F(BackupOfRealTranscripts, project_filter_selects_that_folders_sessions) {
  const std::string project = "handgemacht-ai__claude-code-log";
  const ArchiveLines got = read_archive(create("one project", {"--project", project}));
  EXPECT_EQ(got.entries,
            expected_entries([&](const std::string& s, auto&) { return s_expected->session_project.at(s) == project; },
                             all_lines));
  EXPECT_EQ(got.projects, std::set<std::string>{project});
}

TEST_F(BackupOfRealTranscripts, session_filter_selects_exactly_those_sessions) {
  std::vector<std::string> picked;
  for (const auto& [s, lines] : s_expected->sessions)
    if (picked.size() < 2 && lines.size() > 5) picked.push_back(s);
  const ArchiveLines got = read_archive(create("two sessions", {"--session", picked[0], "--session", picked[1]}));
  EXPECT_EQ(got.sessions, std::set<std::string>(picked.begin(), picked.end()));
  EXPECT_EQ(got.entries,
            expected_entries([&](const std::string& s, auto&) { return s == picked[0] || s == picked[1]; }, all_lines));
}

TEST_F(BackupOfRealTranscripts, message_count_filters_select_sessions_by_their_messages) {
  const ArchiveLines got = read_archive(create("mid sized", {"--min-messages", "20", "--max-messages", "300"}));
  auto pick = [](const std::string&, const std::vector<TranscriptLine>& lines) {
    const auto n = message_count(lines);
    return n >= 20 && n <= 300;
  };
  EXPECT_EQ(got.entries, expected_entries(pick, all_lines));
  EXPECT_FALSE(got.entries.empty());
}

TEST_F(BackupOfRealTranscripts, patterns_match_project_path_or_name) {
  // Include every project whose folder name has "__c" (claude-code-viewer, claude-code-log) but exclude "*log*".
  const ArchiveLines got = read_archive(create("patterns", {"--include", "*__c*", "--exclude", "*log*"}));
  auto pick = [&](const std::string& s, auto&) {
    const std::string& p = s_expected->session_project.at(s);
    const std::string path = majority_cwd(s_expected->cwds[p]);
    const bool included = p.find("__c") != std::string::npos || path.find("__c") != std::string::npos;
    const bool excluded = p.find("log") != std::string::npos || path.find("log") != std::string::npos;
    return included && !excluded;
  };
  EXPECT_EQ(got.entries, expected_entries(pick, all_lines));
  EXPECT_FALSE(got.entries.empty());
}

TEST_F(BackupOfRealTranscripts, date_range_selects_entries_inside_and_untimed_records_of_their_sessions) {
  const std::string from = "2025-07-01T00:00:00Z", to = "2025-12-01T00:00:00Z";
  const TimeMs start = *parse_iso8601(from), end = *parse_iso8601(to);
  auto ts = [](const TranscriptLine& l) -> std::optional<TimeMs> {
    const auto* t = l.value.as_object().if_contains("timestamp");
    if (!t || !t->is_string()) return std::nullopt;
    return parse_iso8601(std::string_view(t->as_string()));
  };
  const ArchiveLines got = read_archive(create("date range", {"--from", from, "--to", to}));
  std::multiset<std::pair<std::string, std::string>> expected;
  for (const auto& [s, lines] : s_expected->sessions) {
    bool any = false;
    for (const auto& l : lines)
      if (auto t = ts(l); t && *t >= start && *t < end) any = true;
    if (!any) continue;
    for (const auto& l : lines) {
      const auto t = ts(l);
      if (!t || (*t >= start && *t < end)) expected.emplace(s, l.bytes);
    }
  }
  EXPECT_EQ(got.entries, expected);
  EXPECT_FALSE(expected.empty());
}

TEST_F(BackupOfRealTranscripts, bad_requests_exit_2_and_write_nothing) {
  auto archives = [] {
    std::size_t n = 0;
    if (fs::exists(*s_dir / "backups"))
      for (const auto& e : fs::directory_iterator(*s_dir / "backups"))
        n += e.path().filename().string().find(".claudelens") != std::string::npos &&
             e.path().filename() != ".claudelens.lock";
    return n;
  };
  const auto before = archives();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--name", "x"},
           {"--name", "../../etc/passwd"},
           {"--name", "ok name", "--level", "12"},
           {"--name", "ok name", "--type", "weekly"},
           {"--name", "ok name", "--type", "selective"},
           {"--name", "ok name", "--type", "full", "--session", "a"},
           {"--name", "ok name", "--from", "2030-01-01T00:00:00Z"},
           {"--name", "ok name", "--from", "2025-09-01T00:00:00Z", "--to", "2025-08-01T00:00:00Z"},
           {"--name", "ok name", "--from", "last tuesday"},
           {"--name", "ok name", "--min-messages", "0"}}) {
    std::vector<std::string> full{"backup", "create"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = cli(full);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  auto unknown = cli({"backup", "create", "--name", "no such", "--project", "/no/such/project"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("/no/such/project"), std::string::npos);
  EXPECT_EQ(before, archives());
}

TEST_F(BackupOfRealTranscripts, list_show_delete_keep_the_catalogue_true) {
  json::object meta;
  const fs::path file = create("to delete", {}, &meta);
  const std::string id(meta.at("_id").as_string());
  auto list = cli({"backup", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  bool listed = false;
  const json::value listing = json::parse(list.out);
  for (const auto& b : listing.as_array()) listed |= b.at("_id").as_string() == id;
  EXPECT_TRUE(listed);
  auto show = cli({"backup", "show", id, "--json"});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(json::parse(show.out).at("checksum"), meta.at("checksum"));
  auto del = cli({"backup", "delete", id, "--json"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(json::parse(del.out).at("freed_bytes").as_int64(), meta.at("compressed_size_bytes").as_int64());
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(cli({"backup", "show", id}).exit_code, 1);
  EXPECT_EQ(cli({"backup", "verify", id}).exit_code, 1);
}

}  // namespace
}  // namespace claudelens::testing
