#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "archive_test_support.hpp"
#include "crypto/sha256.hpp"

namespace claudelens::format {
namespace {

using test::SectionInput;

std::string synthetic_document(std::mt19937_64& rng, std::size_t i) {
  std::string text;
  const std::size_t words = rng() % 60;
  for (std::size_t w = 0; w < words; ++w)
    text += (rng() % 7 == 0) ? "ünïcödé " : "word" + std::to_string(rng() % 1000) + " ";
  return R"({"uuid":"u)" + std::to_string(i) + R"(","type":"assistant","message":{"content":")" + text + R"("}})";
}

/// Many sections, many documents (enough for several frames), one 1 MB line, raw UTF-8.
std::vector<SectionInput> large_input() {
  std::mt19937_64 rng(42);
  std::vector<SectionInput> in;
  std::size_t n = 0;
  for (int s = 0; s < 40; ++s) {
    SectionInput sec{{"messages", "owner", "proj-" + std::to_string(s % 5), "sess-" + std::to_string(s)}, {}, {}};
    const int docs = (s == 7) ? 6000 : 1 + static_cast<int>(rng() % 200);
    for (int d = 0; d < docs; ++d) {
      sec.documents.push_back(synthetic_document(rng, n++));
      sec.times.push_back(1700000000000 + static_cast<TimeMs>(rng() % 1000000));
    }
    if (s == 3) sec.documents.push_back(R"({"big":")" + std::string(1 << 20, 'x') + R"("})");
    in.push_back(std::move(sec));
  }
  return in;
}

std::vector<std::string> flatten(const std::vector<SectionInput>& in) {
  std::vector<std::string> all;
  for (const auto& s : in) all.insert(all.end(), s.documents.begin(), s.documents.end());
  return all;
}

TEST(ArchiveRoundTrip, reads_back_every_document_header_and_manifest) {
  const auto dir = test::scratch_dir();
  const auto input = large_input();
  WriterOptions options;
  options.frame_bytes = 64 << 10;
  options.threads = 2;
  const WrittenArchive w = test::write_archive(dir / "a.clbk", input, options);
  EXPECT_EQ(w.documents, flatten(input).size());
  EXPECT_GT(w.frames, 40u);
  EXPECT_EQ(w.sections, input.size());
  EXPECT_EQ(w.file_size, std::filesystem::file_size(dir / "a.clbk"));
  EXPECT_EQ(w.sha256_hex, crypto::sha256_hex(test::read_file(dir / "a.clbk")));

  EXPECT_EQ(test::read_all_documents(dir / "a.clbk"), flatten(input));
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->format_version(), 1);
  EXPECT_EQ((*reader)->manifest_json(), test::small_vector_manifest());
  EXPECT_NE((*reader)->header_json().find(R"("backup_id":"0123456789abcdef01234567")"), std::string::npos);
  EXPECT_NE((*reader)->header_json().find(R"("encryption":null)"), std::string::npos);
  EXPECT_NE((*reader)->header_json().find(R"("parent_backup_id":null)"), std::string::npos);
  EXPECT_FALSE((*reader)->encrypted());
  ASSERT_EQ((*reader)->sections().size(), input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    const SectionInfo& s = (*reader)->sections()[i];
    EXPECT_EQ(s.key, input[i].key);
    EXPECT_EQ(s.documents, input[i].documents.size());
    ASSERT_TRUE(s.min_time.has_value());
    EXPECT_EQ(*s.min_time, *std::min_element(input[i].times.begin(), input[i].times.end()));
    EXPECT_EQ(*s.max_time, *std::max_element(input[i].times.begin(), input[i].times.end()));
  }
  auto report = (*reader)->verify();
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->sha256_hex, w.sha256_hex);
  EXPECT_EQ(report->documents, w.documents);
  EXPECT_EQ(report->uncompressed_bytes, w.uncompressed_bytes);
}

TEST(ArchiveRoundTrip, output_is_identical_for_any_thread_count) {
  const auto dir = test::scratch_dir();
  const auto input = large_input();
  WriterOptions one;
  one.threads = 1;
  one.frame_bytes = 32 << 10;
  WriterOptions four = one;
  four.threads = 4;
  const auto a = test::write_archive(dir / "one.clbk", input, one);
  const auto b = test::write_archive(dir / "four.clbk", input, four);
  EXPECT_EQ(a.sha256_hex, b.sha256_hex);
}

TEST(ArchiveRoundTrip, reading_one_section_touches_only_its_frames) {
  const auto dir = test::scratch_dir();
  const auto input = large_input();
  WriterOptions options;
  options.frame_bytes = 64 << 10;
  test::write_archive(dir / "a.clbk", input, options);
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  const SectionInfo s = (*reader)->sections()[12];  // read from its index page
  const std::uint64_t after_open = (*reader)->bytes_read();
  std::vector<std::string> docs;
  ASSERT_TRUE((*reader)
                  ->read_section(s,
                                 [&](std::string_view d) {
                                   docs.emplace_back(d);
                                   return true;
                                 })
                  .has_value());
  EXPECT_EQ(docs, input[12].documents);
  std::uint64_t section_bytes = 0;
  for (std::uint64_t f = s.first_frame; f < s.first_frame + s.frame_count; ++f)
    section_bytes += (*reader)->frames()[f].stored_size;
  EXPECT_EQ((*reader)->bytes_read() - after_open, section_bytes);
  EXPECT_LT((*reader)->bytes_read(), (*reader)->file_size() / 10);
}

TEST(ArchiveRoundTrip, sections_tile_the_frames_small_ones_share_a_frame_and_large_ones_span_frames) {
  const auto dir = test::scratch_dir();
  WriterOptions options;
  options.frame_bytes = 64 << 10;
  test::write_archive(dir / "a.clbk", large_input(), options);
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  const auto& frames = (*reader)->frames();
  // Each section starts where the previous one ended: in the same frame when it had room left.
  std::uint64_t frame = 0, offset = 0, total = 0;
  for (const SectionInfo& s : (*reader)->sections()) {
    if (s.documents == 0) continue;
    if (frame < frames.size() && offset == frames[frame].content_size) ++frame, offset = 0;
    EXPECT_EQ(s.first_frame, frame);
    EXPECT_EQ(s.content_offset, offset);
    std::uint64_t end = offset + s.content_size, last = s.first_frame;
    while (end > frames[last].content_size) end -= frames[last++].content_size;
    EXPECT_EQ(s.first_frame + s.frame_count, last + 1);
    frame = last;
    offset = end;
    total += s.content_size;
  }
  std::uint64_t content = 0;
  for (const FrameInfo& f : frames) content += f.content_size;
  EXPECT_EQ(total, content);
  int shared = 0;  // consecutive sections whose boundary lies inside a frame
  const auto& sections = (*reader)->sections();
  for (std::size_t i = 1; i < sections.size(); ++i)
    shared += sections[i].content_offset > 0 &&
              sections[i].first_frame + 1 == sections[i - 1].first_frame + sections[i - 1].frame_count;
  EXPECT_GT(shared, 10);                                // small sections shared frames
  EXPECT_GT((*reader)->sections()[7].frame_count, 5u);  // 6000 documents
  for (const FrameInfo& f : frames) EXPECT_LE(f.content_size, (64u << 10) + (1u << 20) + 16);
}

TEST(ArchiveRoundTrip, a_section_from_elsewhere_is_refused_not_read_out_of_bounds) {
  const auto dir = test::scratch_dir();
  test::write_archive(dir / "a.clbk", test::small_vector_input());
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  SectionInfo foreign;
  foreign.first_frame = 1000;
  foreign.frame_count = 3;
  Status s = (*reader)->read_section(foreign, [](std::string_view) { return true; });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
}

TEST(ArchiveRoundTrip, read_stops_when_the_sink_returns_false) {
  const auto dir = test::scratch_dir();
  test::write_archive(dir / "a.clbk", large_input());
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  int seen = 0;
  ASSERT_TRUE((*reader)->read_all([&](const SectionInfo&, std::string_view) { return ++seen < 5; }).has_value());
  EXPECT_EQ(seen, 5);
}

TEST(ArchiveRoundTrip, zstd_command_line_prints_every_document) {
  const auto dir = test::scratch_dir();
  const auto input = large_input();
  WriterOptions options;
  options.frame_bytes = 64 << 10;
  test::write_archive(dir / "a.clbk", input, options);
  const std::string cmd = "zstd -q -dc '" + (dir / "a.clbk").string() + "' > '" + (dir / "out.jsonl").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string expected;
  for (const auto& d : flatten(input)) expected += d + "\n";
  EXPECT_EQ(test::read_file(dir / "out.jsonl"), expected);
}

TEST(ArchiveRoundTrip, empty_archive_and_empty_sections_round_trip) {
  const auto dir = test::scratch_dir();
  std::vector<SectionInput> input{{{"messages", "o", "p", "s"}, {}, {}}};
  const auto w = test::write_archive(dir / "a.clbk", input);
  EXPECT_EQ(w.frames, 0u);
  auto report = verify_archive(dir / "a.clbk");
  ASSERT_TRUE(report.has_value()) << report.error().message;
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  ASSERT_EQ((*reader)->sections().size(), 1u);
  EXPECT_FALSE((*reader)->sections()[0].min_time.has_value());
  EXPECT_TRUE(test::read_all_documents(dir / "a.clbk").empty());
}

TEST(ArchiveWriterInput, refuses_bad_documents_and_options) {
  const auto dir = test::scratch_dir();
  auto bad_level = ArchiveWriter::create(dir / "x.clbk", "{}", WriterOptions{.level = 10});
  ASSERT_FALSE(bad_level.has_value());
  EXPECT_EQ(bad_level.error().code, Errc::invalid_argument);
  auto not_object = ArchiveWriter::create(dir / "x.clbk", "[1,2]", {});
  ASSERT_FALSE(not_object.has_value());
  EXPECT_EQ(not_object.error().code, Errc::invalid_argument);
  auto encrypted = ArchiveWriter::create(dir / "x.clbk", R"({"encryption":{"cipher":"aes-256-gcm"}})", {});
  ASSERT_FALSE(encrypted.has_value());
  EXPECT_EQ(encrypted.error().code, Errc::invalid_argument);

  auto w = ArchiveWriter::create(dir / "x.clbk", "{}", {});
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ((*w)->append("{}").error().code, Errc::invalid_argument);  // no section open
  ASSERT_TRUE((*w)->begin_section({"c", "", "", ""}).has_value());
  EXPECT_EQ((*w)->append("{\n}").error().code, Errc::invalid_argument);
  EXPECT_EQ((*w)->finish("not json").error().code, Errc::invalid_argument);
  ASSERT_TRUE((*w)->append("{}").has_value());
  EXPECT_EQ((*w)->documents(), 1u);
  EXPECT_TRUE((*w)->finish("{}").has_value());
}

TEST(ArchiveWriterInput, frame_bytes_range_is_4_KiB_to_64_MiB) {
  const auto dir = test::scratch_dir();
  for (std::size_t bad : {std::size_t{4095}, (std::size_t{64} << 20) + 1}) {
    auto w = ArchiveWriter::create(dir / "x.clbk", "{}", WriterOptions{.frame_bytes = bad});
    ASSERT_FALSE(w.has_value()) << bad;
    EXPECT_EQ(w.error().code, Errc::invalid_argument);
  }
  for (std::size_t good : {std::size_t{4096}, std::size_t{64} << 20}) {
    auto w =
        ArchiveWriter::create(dir / ("ok" + std::to_string(good) + ".clbk"), "{}", WriterOptions{.frame_bytes = good});
    EXPECT_TRUE(w.has_value()) << good;
  }
}

TEST(ArchiveWriterInput, frames_do_not_follow_the_compression_level) {
  // docs/archive-format.md: the frame table (what each frame holds) depends on frame_bytes only.
  const auto dir = test::scratch_dir();
  auto input = test::small_vector_input();
  // Text with some redundancy, so that the levels find different matches.
  const char* const words[] = {"frame", "level", "zstd", "archive", "section", "window", "match", "entropy"};
  std::uint32_t x = 1;
  for (int i = 0; i < 300; ++i) {
    std::string text;
    for (int w = 0; w < 12; ++w) {
      x = x * 1103515245u + 12345u;
      text += std::string(words[(x >> 16) % 8]) + std::to_string((x >> 8) % 97) + " ";
    }
    input[1].documents.push_back(R"({"uuid":"y)" + std::to_string(i) + R"(","text":")" + text + R"("})");
  }
  input[1].times.clear();
  std::vector<std::vector<FrameInfo>> tables;
  std::vector<std::vector<SectionInfo>> sections;
  for (int level : {1, 3, 9}) {
    const auto path = dir / ("level" + std::to_string(level) + ".clbk");
    test::write_archive(path, input, WriterOptions{.level = level, .frame_bytes = 4096, .threads = 2});
    auto reader = ArchiveReader::open(path);
    ASSERT_TRUE(reader.has_value());
    tables.push_back((*reader)->frames());
    const SectionList list = (*reader)->sections();
    sections.emplace_back(list.begin(), list.end());
  }
  ASSERT_GT(tables[0].size(), 3u);
  for (std::size_t l = 1; l < tables.size(); ++l) {
    ASSERT_EQ(tables[l].size(), tables[0].size());
    for (std::size_t i = 0; i < tables[0].size(); ++i) {
      EXPECT_EQ(tables[l][i].content_size, tables[0][i].content_size);
      EXPECT_EQ(tables[l][i].documents, tables[0][i].documents);
    }
    ASSERT_EQ(sections[l].size(), sections[0].size());
    for (std::size_t i = 0; i < sections[0].size(); ++i) {
      EXPECT_EQ(sections[l][i].first_frame, sections[0][i].first_frame);
      EXPECT_EQ(sections[l][i].frame_count, sections[0][i].frame_count);
      EXPECT_EQ(sections[l][i].content_offset, sections[0][i].content_offset);
    }
  }
  const auto stored = [](const std::vector<FrameInfo>& t) {
    std::uint64_t n = 0;
    for (const FrameInfo& f : t) n += f.stored_size;
    return n;
  };
  EXPECT_NE(stored(tables[0]), stored(tables[2]));  // the levels did compress differently
}

}  // namespace
}  // namespace claudelens::format
