// The checked-in vector tests/vectors/archive-v1-small.clbk pins the format's bytes. If this test
// fails after a change, the format drifted: either revert, or (deliberately, with a version-policy
// review) regenerate with CLAUDELENS_UPDATE_VECTORS=1 and explain the change in docs/archive-format.md.
// The data frames are zstd 1.5.x output at level 3; a different zstd may compress differently, in
// which case only the byte-identity test fails while the reading tests still pass.
#include <gtest/gtest.h>

#include <cstdlib>

#include "archive_test_support.hpp"
#include "format/bytes.hpp"

namespace claudelens::format {
namespace {

const std::filesystem::path k_vectors = std::filesystem::path(CLAUDELENS_SOURCE_DIR) / "tests" / "vectors";

std::string expected_jsonl() {
  std::string out;
  for (const auto& s : test::small_vector_input())
    for (const auto& d : s.documents) out += d + "\n";
  return out;
}

TEST(ArchiveGolden, writer_reproduces_the_checked_in_vector_byte_for_byte) {
  const auto dir = test::scratch_dir();
  const WrittenArchive w =
      test::write_archive(dir / "small.clbk", test::small_vector_input(), WriterOptions{.threads = 2});
  const std::string bytes = test::read_file(dir / "small.clbk");
  if (std::getenv("CLAUDELENS_UPDATE_VECTORS") != nullptr) {
    test::write_file(k_vectors / "archive-v1-small.clbk", bytes);
    test::write_file(k_vectors / "archive-v1-small.jsonl", expected_jsonl());
    test::write_file(k_vectors / "archive-v1-small.sha256", w.sha256_hex + "  archive-v1-small.clbk\n");
  }
  EXPECT_EQ(bytes, test::read_file(k_vectors / "archive-v1-small.clbk"));
  EXPECT_EQ(w.sha256_hex + "  archive-v1-small.clbk\n", test::read_file(k_vectors / "archive-v1-small.sha256"));
}

TEST(ArchiveGolden, checked_in_vector_reads_back_its_documents) {
  EXPECT_EQ(test::read_file(k_vectors / "archive-v1-small.jsonl"), expected_jsonl());
  std::string got;
  for (const auto& d : test::read_all_documents(k_vectors / "archive-v1-small.clbk")) got += d + "\n";
  EXPECT_EQ(got, expected_jsonl());
  auto report = verify_archive(k_vectors / "archive-v1-small.clbk");
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->sha256_hex + "  archive-v1-small.clbk\n", test::read_file(k_vectors / "archive-v1-small.sha256"));
}

TEST(ArchiveGolden, checked_in_vector_has_the_documented_layout) {
  const std::string bytes = test::read_file(k_vectors / "archive-v1-small.clbk");
  ASSERT_GT(bytes.size(), k_trailer_size + 20);
  ByteSource head(bytes);
  std::uint32_t magic = 0;
  std::uint32_t size = 0;
  std::string_view tag;
  std::uint16_t version = 0;
  std::uint16_t flags = 0;
  ASSERT_TRUE(head.u32(magic) && head.u32(size) && head.bytes(4, tag) && head.u16(version) && head.u16(flags));
  EXPECT_EQ(magic, 0x184D2A5Cu);
  EXPECT_EQ(tag, "CLHD");
  EXPECT_EQ(version, 1);
  EXPECT_EQ(flags, 0);
  // The first data frame is a plain zstd frame right after the header.
  ByteSource data(std::string_view(bytes).substr(8 + size));
  ASSERT_TRUE(data.u32(magic));
  EXPECT_EQ(magic, 0xFD2FB528u);
  // The trailer is the last 120 bytes.
  ByteSource tail(std::string_view(bytes).substr(bytes.size() - 120));
  ASSERT_TRUE(tail.u32(magic) && tail.u32(size) && tail.bytes(4, tag));
  EXPECT_EQ(magic, 0x184D2A5Cu);
  EXPECT_EQ(size, 112u);
  EXPECT_EQ(tag, "CLTR");
}

TEST(ArchiveGolden, zstd_command_line_prints_the_vector_documents) {
  const auto dir = test::scratch_dir();
  const std::string cmd =
      "zstd -q -dc '" + (k_vectors / "archive-v1-small.clbk").string() + "' > '" + (dir / "out").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(test::read_file(dir / "out"), expected_jsonl());
}

}  // namespace
}  // namespace claudelens::format
