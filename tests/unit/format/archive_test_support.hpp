// Helpers shared by the archive format tests: a scratch directory per test, whole-file reads and
// writes, and a deterministic small archive used by several tests and by the checked-in vectors.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "format/reader.hpp"
#include "format/writer.hpp"

namespace claudelens::format::test {

/// A fresh directory under CLAUDELENS_TEST_TMP named after the running test.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(CLAUDELENS_TEST_TMP) / "format" /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// One section's input.
struct SectionInput {
  SectionKey key;
  std::vector<std::string> documents;
  std::vector<TimeMs> times;  ///< Parallel to documents; empty for none.
};

/// The fixed input of the small test vector: three sessions in two projects, one prompt section,
/// one empty section, raw UTF-8 and escapes.
inline std::vector<SectionInput> small_vector_input() {
  std::vector<SectionInput> in;
  in.push_back({{"messages", "owner-1", "proj-a", "sess-1"},
                {R"({"uuid":"m1","type":"user","text":"héllo wörld ✓ 日本語"})",
                 R"({"uuid":"m2","type":"assistant","text":"line\nbreak \"quoted\""})",
                 R"({"uuid":"m3","type":"assistant","text":"🚀 emoji"})"},
                {1700000000000, 1700000001000, 1700000002000}});
  in.push_back({{"messages", "owner-1", "proj-a", "sess-2"},
                {R"({"uuid":"m4","type":"user","text":"second session"})"},
                {1700000100000}});
  in.push_back({{"messages", "owner-2", "proj-b", "sess-3"}, {}, {}});
  in.push_back({{"prompts", "owner-1", "", ""},
                {R"({"id":"p1","prompt":"do the thing"})", R"({"id":"p2","prompt":"again"})"},
                {}});
  return in;
}

inline const char* small_vector_header() {
  return R"({"backup_id":"0123456789abcdef01234567","type":"full","creator":"claudelens-test"})";
}
inline const char* small_vector_manifest() {
  return R"({"format_version":1,"creator_version":"0.1.0","counts":{"messages":4,"prompts":2},"date_range":{"start":"2023-11-14T22:13:20Z","end":"2023-11-14T22:15:00Z"}})";
}

/// Writes `input` to `path`; fails the test on any error.
inline WrittenArchive write_archive(const std::filesystem::path& path, const std::vector<SectionInput>& input,
                                    WriterOptions options = {}, const std::string& header = small_vector_header(),
                                    const std::string& manifest = small_vector_manifest()) {
  auto writer = ArchiveWriter::create(path, header, options);
  EXPECT_TRUE(writer.has_value()) << (writer ? "" : writer.error().message);
  if (!writer) return {};
  for (const SectionInput& s : input) {
    EXPECT_TRUE((*writer)->begin_section(s.key).has_value());
    for (std::size_t i = 0; i < s.documents.size(); ++i) {
      std::optional<TimeMs> t;
      if (i < s.times.size()) t = s.times[i];
      Status st = (*writer)->append(s.documents[i], t);
      EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().message);
    }
    EXPECT_TRUE((*writer)->end_section().has_value());
  }
  auto written = (*writer)->finish(manifest);
  EXPECT_TRUE(written.has_value()) << (written ? "" : written.error().message);
  return written ? *written : WrittenArchive{};
}

/// Every document of the archive at `path`, in order.
inline std::vector<std::string> read_all_documents(const std::filesystem::path& path) {
  std::vector<std::string> docs;
  auto reader = ArchiveReader::open(path);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return docs;
  Status s = (*reader)->read_all([&](const SectionInfo&, std::string_view d) {
    docs.emplace_back(d);
    return true;
  });
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return docs;
}

}  // namespace claudelens::format::test
