// The checked-in vector tests/vectors/archive-v1.1-small.clbk pins the format's bytes. If this test
// fails after a change, the format drifted: either revert, or (deliberately, with a version-policy
// review) regenerate with CLAUDELENS_UPDATE_VECTORS=1 and explain the change in docs/archive-format.md.
// tests/vectors/archive-v1.0-small.clbk, the same input written by the 1.0 writer (data frames without
// zstd checksums), is never regenerated: it proves that today's reader still reads 1.0 archives.
// Both hold the documents of tests/vectors/archive-small.jsonl.
// The data frames are zstd 1.5.x output at level 3; a different zstd may compress differently, in
// which case only the byte-identity test fails while the reading tests still pass.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <string>

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

const char* const k_current = "archive-v1.1-small";
const char* const k_legacy = "archive-v1.0-small";  // written by the 1.0 writer; never regenerated

std::filesystem::path vector_file(std::string_view name, std::string_view ext) {
  return k_vectors / (std::string(name) + ext.data());
}

/// The byte after the zstd magic of the first data frame: its Frame_Header_Descriptor.
unsigned char first_data_frame_descriptor(const std::string& bytes) {
  ByteSource head(bytes);
  std::uint32_t magic = 0;
  std::uint32_t size = 0;
  EXPECT_TRUE(head.u32(magic) && head.u32(size));
  return static_cast<unsigned char>(bytes.at(8 + size + 4));
}

TEST(ArchiveGolden, writer_reproduces_the_checked_in_vector_byte_for_byte) {
  const auto dir = test::scratch_dir();
  const WrittenArchive w =
      test::write_archive(dir / "small.clbk", test::small_vector_input(), WriterOptions{.threads = 2});
  const std::string bytes = test::read_file(dir / "small.clbk");
  const std::string sha_line = w.sha256_hex + "  " + k_current + ".clbk\n";
  if (std::getenv("CLAUDELENS_UPDATE_VECTORS") != nullptr) {
    test::write_file(vector_file(k_current, ".clbk"), bytes);
    test::write_file(k_vectors / "archive-small.jsonl", expected_jsonl());
    test::write_file(vector_file(k_current, ".sha256"), sha_line);
  }
  EXPECT_EQ(bytes, test::read_file(vector_file(k_current, ".clbk")));
  EXPECT_EQ(sha_line, test::read_file(vector_file(k_current, ".sha256")));
}

TEST(ArchiveGolden, checked_in_vectors_read_back_their_documents_both_revisions) {
  EXPECT_EQ(test::read_file(k_vectors / "archive-small.jsonl"), expected_jsonl());
  for (const char* name : {k_current, k_legacy}) {
    std::string got;
    for (const auto& d : test::read_all_documents(vector_file(name, ".clbk"))) got += d + "\n";
    EXPECT_EQ(got, expected_jsonl()) << name;
    auto report = verify_archive(vector_file(name, ".clbk"));
    ASSERT_TRUE(report.has_value()) << name << ": " << report.error().message;
    EXPECT_EQ(report->sha256_hex + "  " + name + ".clbk\n", test::read_file(vector_file(name, ".sha256")));
  }
  auto current = ArchiveReader::open(vector_file(k_current, ".clbk"));
  auto legacy = ArchiveReader::open(vector_file(k_legacy, ".clbk"));
  ASSERT_TRUE(current.has_value() && legacy.has_value());
  EXPECT_EQ((*current)->format_minor(), 1);
  EXPECT_EQ((*legacy)->format_minor(), 0);
}

TEST(ArchiveGolden, data_frames_carry_zstd_checksums_since_revision_one) {
  // Content_Checksum_flag is bit 2 of the descriptor (RFC 8878 §3.1.1.1.1).
  EXPECT_NE(first_data_frame_descriptor(test::read_file(vector_file(k_current, ".clbk"))) & 0x04, 0);
  EXPECT_EQ(first_data_frame_descriptor(test::read_file(vector_file(k_legacy, ".clbk"))) & 0x04, 0);
}

TEST(ArchiveGolden, checked_in_vector_has_the_documented_layout) {
  const std::string bytes = test::read_file(vector_file(k_current, ".clbk"));
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

/// Runs `zstd -q -dc` on `archive` into `out`; returns its exit status.
int zstd_dc(const std::filesystem::path& archive, const std::filesystem::path& out) {
  const std::string cmd = "zstd -q -dc '" + archive.string() + "' > '" + out.string() + "' 2>/dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ArchiveGolden, zstd_command_line_prints_the_vector_documents) {
  const auto dir = test::scratch_dir();
  for (const char* name : {k_current, k_legacy}) {
    ASSERT_EQ(zstd_dc(vector_file(name, ".clbk"), dir / "out"), 0) << name;
    EXPECT_EQ(test::read_file(dir / "out"), expected_jsonl()) << name;
  }
}

TEST(ArchiveGolden, zstd_command_line_fails_on_any_damaged_data_byte) {
  // Every byte of the data frames after their 6-byte frame headers, flipped in turn: `zstd -dc` must
  // exit non-zero (zstd's own content checksum). Damage to the skippable frames is not zstd's to see.
  const auto dir = test::scratch_dir();
  const std::string bytes = test::read_file(vector_file(k_current, ".clbk"));
  auto reader = ArchiveReader::open(vector_file(k_current, ".clbk"));
  ASSERT_TRUE(reader.has_value());
  int checked = 0;
  for (const FrameInfo& f : (*reader)->frames()) {
    for (std::uint64_t at = f.offset + 6; at < f.offset + f.stored_size; ++at) {
      std::string bad = bytes;
      bad[at] = static_cast<char>(bad[at] ^ 0x10);
      test::write_file(dir / "bad.clbk", bad);
      EXPECT_NE(zstd_dc(dir / "bad.clbk", dir / "out"), 0) << "byte " << at << " flipped";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace claudelens::format
