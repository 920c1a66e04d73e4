#include <gtest/gtest.h>

#include "ingest/line_reader.hpp"
#include "temp_dir.hpp"

namespace claudelens::ingest {
namespace {

using testing::TempDir;

struct Read {
  std::string text;
  std::int64_t number;
  bool too_long;
};

std::vector<Read> read_all(const std::filesystem::path& p, std::size_t max_line = LineReader::k_default_max_line) {
  auto r = LineReader::open(p, 64, max_line);
  EXPECT_TRUE(r);
  std::vector<Read> out;
  for (;;) {
    auto line = r->next();
    EXPECT_TRUE(line);
    if (!line || !*line) break;
    if (!(*line)->too_long) EXPECT_GE((*line)->capacity, (*line)->text.size() + 64);
    out.push_back({std::string((*line)->text), (*line)->number, (*line)->too_long});
  }
  return out;
}

TEST(LineReader, splits_on_newline_and_keeps_an_unterminated_last_line) {
  TempDir t;
  const auto v = read_all(t.write("a.jsonl", "one\ntwo\r\n\nlast"));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].text, "one");
  EXPECT_EQ(v[1].text, "two\r");  // only "\n" is the line end
  EXPECT_EQ(v[2].text, "");
  EXPECT_EQ(v[3].text, "last");
  EXPECT_EQ(v[3].number, 4);
}

TEST(LineReader, empty_file_has_no_lines) {
  TempDir t;
  EXPECT_TRUE(read_all(t.write("e.jsonl", "")).empty());
}

TEST(LineReader, lines_longer_than_the_initial_buffer_come_back_whole) {
  TempDir t;
  const std::string big(3 * 1024 * 1024 + 17, 'x');
  const auto v = read_all(t.write("b.jsonl", "a\n" + big + "\nb\n"));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].text, big);
  EXPECT_EQ(v[2].text, "b");
}

TEST(LineReader, overlong_lines_are_flagged_and_skipped) {
  TempDir t;
  const std::string big(5000, 'x');
  const auto v = read_all(t.write("c.jsonl", "a\n" + big + "\nb\n" + big), 1000);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].text, "a");
  EXPECT_TRUE(v[1].too_long);
  EXPECT_EQ(v[2].text, "b");
  EXPECT_EQ(v[2].number, 3);
  EXPECT_TRUE(v[3].too_long);
}

TEST(LineReader, missing_file_is_not_found) {
  auto r = LineReader::open("/nonexistent/x.jsonl", 64);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
}

}  // namespace
}  // namespace claudelens::ingest
