// Golden values for the keys of records without a uuid ("~" + the first 16 bytes of the line's SHA-256
// in hex + ":" + the occurrence among identical lines of the file). The keys are what makes a second
// ingest of the same transcripts a no-op, also across versions: a silent change of the hash input, the
// hash, its length or the counting would store every such record twice. The expected keys were
// computed outside ClaudeLens (Python hashlib) from real lines of ../shared/data/claude-transcripts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ingest/ingester.hpp"
#include "ingest/line_parser.hpp"
#include "temp_dir.hpp"

namespace claudelens::ingest {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path k_log_project =
    fs::path(CLAUDELENS_SHARED_DIR) / "data" / "claude-transcripts" / "handgemacht-ai__claude-code-log";

/// One record without a uuid: its 1-based line number in the file and the key it must get.
struct Golden {
  int line;
  std::string key;
};

struct GoldenFile {
  std::string session;  ///< the file's stem, which is also the sessionId of its lines that have one
  std::vector<Golden> records;
};

// Every record without a uuid of each file, in file order.
const std::vector<GoldenFile> k_golden = {
    // A summary record: no uuid, no sessionId.
    {"4e27c414-a885-46a0-b5c8-d58e1417377d", {{1, "~989dac2e048d96ad39c9bfa4af865c6b:1"}}},
    // file-history-snapshot records (no sessionId, no top-level timestamp). The first four lines are
    // also in the next file, another session: the count is per file, so both start at 1.
    {"03eb5929-52b3-4b13-ada3-b93ae35806b8",
     {{1, "~b1f761b192ee509da0b49c21962503cc:1"},
      {17, "~09b8ace0bd556bfc95aa6f4e6a98547e:1"},
      {24, "~76f10131277bba464d20520721451b93:1"},
      {31, "~4621bc8b19d7f4f59d2f475236791904:1"},
      {36, "~8283b238f8fd2e5483d6dfc3264f7512:1"},
      {37, "~26ced68eb6690211125edcdf155963ae:1"},
      {44, "~71586542dfad5112f935522771916406:1"},
      {51, "~2ec9d1fdb4d87e9cdd633ed5f75b6603:1"},
      {58, "~83b0f1480965ff5dbbc5e971c54ef3f8:1"}}},
    {"a95fea4a-b88a-4e49-ac07-4cc323d8700c",
     {{1, "~b1f761b192ee509da0b49c21962503cc:1"},
      {2, "~09b8ace0bd556bfc95aa6f4e6a98547e:1"},
      {3, "~76f10131277bba464d20520721451b93:1"},
      {4, "~4621bc8b19d7f4f59d2f475236791904:1"}}},
    // Identical lines: the same permission-mode record 8 times, two last-prompt records 4 and 3 times.
    {"ef958aa1-0e93-49f0-bb71-150f63befcd1",
     {{1, "~6e7f81a02d2e9a9be89cf89e8c762c46:1"},
      {4, "~c0d2b17dbfd2d14574d5dad375c6e85a:1"},
      {38, "~a16d81a3961e633c2bddad0873dbd189:1"},
      {39, "~6e7f81a02d2e9a9be89cf89e8c762c46:2"},
      {59, "~a16d81a3961e633c2bddad0873dbd189:2"},
      {60, "~6e7f81a02d2e9a9be89cf89e8c762c46:3"},
      {86, "~a16d81a3961e633c2bddad0873dbd189:3"},
      {87, "~6e7f81a02d2e9a9be89cf89e8c762c46:4"},
      {108, "~a16d81a3961e633c2bddad0873dbd189:4"},
      {109, "~6e7f81a02d2e9a9be89cf89e8c762c46:5"},
      {116, "~d950a078136157a1ab4a4bbcaacce61a:1"},
      {138, "~df61ccf6129292461fe38f92304b3c5a:1"},
      {139, "~6e7f81a02d2e9a9be89cf89e8c762c46:6"},
      {158, "~df61ccf6129292461fe38f92304b3c5a:2"},
      {159, "~6e7f81a02d2e9a9be89cf89e8c762c46:7"},
      {175, "~df61ccf6129292461fe38f92304b3c5a:3"},
      {176, "~6e7f81a02d2e9a9be89cf89e8c762c46:8"},
      {177, "~d21dd6eb25b6f4a366c084ee61d55288:1"}}},
};

/// The lines of `file` without their "\n", 1-based (element 0 is unused).
std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> out{""};
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(RecordKeys, content_key_of_real_lines_has_its_golden_value) {
  for (const GoldenFile& f : k_golden) {
    const auto lines = lines_of(k_log_project / (f.session + ".jsonl"));
    std::map<std::string, std::int64_t> seen;
    for (const Golden& g : f.records) {
      ASSERT_LT(static_cast<std::size_t>(g.line), lines.size()) << f.session;
      const std::string& line = lines[static_cast<std::size_t>(g.line)];
      EXPECT_EQ(content_key(line, ++seen[line]), g.key) << f.session << " line " << g.line;
      EXPECT_EQ(content_key_prefix(line), g.key.substr(0, g.key.find(':'))) << f.session << " line " << g.line;
    }
  }
}

TEST(RecordKeys, ingest_stores_real_records_under_their_golden_keys_and_no_others) {
  const TempDir tmp;
  auto opened = store::open_store("sqlite:" + (tmp.path() / "db.sqlite").string());
  ASSERT_TRUE(opened) << opened.error().message;
  const auto& st = *opened;
  {
    auto w = st->write();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->put_user({"owner-1", "admin", store::Role::admin, 0}));
    ASSERT_TRUE((*w)->commit());
  }
  std::vector<fs::path> files;
  for (const GoldenFile& f : k_golden) files.push_back(k_log_project / (f.session + ".jsonl"));
  IngestOptions options;
  options.owner_id = "owner-1";
  // Twice: the second ingest must find every key already stored.
  for (int round = 0; round < 2; ++round) {
    auto report = ingest_paths(*st, files, options);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->skipped_lines, 0);
    if (round == 1) EXPECT_EQ(report->new_records, 0);
  }
  auto reader = st->read();
  ASSERT_TRUE(reader);
  for (const GoldenFile& f : k_golden) {
    const auto lines = lines_of(k_log_project / (f.session + ".jsonl"));
    std::map<std::string, std::string> stored;  // key -> line, of the session's records without a uuid
    ASSERT_TRUE((*reader)->for_each_entry({.session_id = f.session}, [&](const store::Entry& e) {
      if (!e.has_uuid) stored.emplace(e.key, e.json);
      return true;
    }));
    std::map<std::string, std::string> expected;
    for (const Golden& g : f.records) expected.emplace(g.key, lines.at(static_cast<std::size_t>(g.line)));
    EXPECT_EQ(stored, expected) << f.session;
  }
}

}  // namespace
}  // namespace claudelens::ingest
