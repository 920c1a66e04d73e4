#include <gtest/gtest.h>

#include "archive_test_support.hpp"

namespace claudelens::format {
namespace {

// Fuzz builds skip the digest comparisons (grammar.hpp); the builds that run these tests, and ship,
// must not: every damage test below relies on them.
static_assert(k_check_digests, "FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION leaked into a non-fuzz build");

/// Opens, verifies and reads `bytes` as an archive; returns the first error (none when intact).
/// Reading must never crash or hang whatever the damage; the error code must be corrupted.
std::optional<Error> check_damaged(const std::filesystem::path& path, const std::string& bytes) {
  test::write_file(path, bytes);
  auto reader = ArchiveReader::open(path);
  if (!reader) return reader.error();
  // Reading may or may not meet the damage (it reads only what it needs); it must not crash.
  (void)(*reader)->read_all([](const SectionInfo&, std::string_view) { return true; });
  auto report = (*reader)->verify();
  if (!report) return report.error();
  return std::nullopt;
}

class ArchiveDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = test::scratch_dir();
    WriterOptions options;
    options.frame_bytes = 4096;
    auto input = test::small_vector_input();
    for (int i = 0; i < 240; ++i)  // Enough for several data frames in one section.
      input[0].documents.push_back(R"({"uuid":"x)" + std::to_string(i) + R"(","text":"some text to fill frames"})");
    input[0].times.clear();
    test::write_archive(m_dir / "good.clbk", input, options);
    m_good = test::read_file(m_dir / "good.clbk");
    auto reader = ArchiveReader::open(m_dir / "good.clbk");
    ASSERT_TRUE(reader.has_value());
    m_frames = (*reader)->frames();
    ASSERT_GE(m_frames.size(), 3u);
  }
  std::filesystem::path m_dir;
  std::string m_good;
  std::vector<FrameInfo> m_frames;
};

TEST_F(ArchiveDamage, intact_archive_verifies) {
  EXPECT_FALSE(check_damaged(m_dir / "copy.clbk", m_good).has_value());
}

TEST_F(ArchiveDamage, every_single_byte_flip_is_detected_as_corrupted) {
  for (std::size_t pos = 0; pos < m_good.size(); ++pos) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = m_good;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      const auto err = check_damaged(m_dir / "bad.clbk", bad);
      ASSERT_TRUE(err.has_value()) << "flip at " << pos << " went unnoticed";
      ASSERT_EQ(err->code, Errc::corrupted) << "flip at " << pos << ": " << err->message;
    }
  }
}

TEST_F(ArchiveDamage, a_damaged_data_frame_is_named_with_its_offset) {
  const FrameInfo& f = m_frames[1];
  std::string bad = m_good;
  bad[f.offset + f.stored_size / 2] ^= 0x10;
  const auto err = check_damaged(m_dir / "bad.clbk", bad);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, Errc::corrupted);
  EXPECT_NE(err->message.find("frame 1 at offset " + std::to_string(f.offset) + ": checksum mismatch"),
            std::string::npos)
      << err->message;
}

TEST_F(ArchiveDamage, a_header_only_open_checks_the_header_and_trailer_and_leaves_the_index_to_a_full_open) {
  auto full = ArchiveReader::open(m_dir / "good.clbk");
  ASSERT_TRUE(full.has_value());
  auto head = ArchiveReader::open(m_dir / "good.clbk", {.header_only = true});
  ASSERT_TRUE(head.has_value()) << head.error().message;
  EXPECT_EQ((*head)->header_json(), (*full)->header_json());
  EXPECT_EQ((*head)->format_version(), (*full)->format_version());
  EXPECT_EQ((*head)->section_count(), 0u);
  EXPECT_TRUE((*head)->frames().empty());
  EXPECT_EQ((*head)->manifest_json(), "{}");
  const std::uint64_t header_end = m_frames.front().offset;
  EXPECT_LE((*head)->bytes_read(), header_end + 2 * k_trailer_size);  // the header and the trailer only
  auto report = (*head)->verify();
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, Errc::invalid_argument);
  // Every flipped byte of the header frame or of the trailer is refused by a header-only open too.
  std::vector<std::size_t> places;
  for (std::size_t pos = 0; pos < header_end; ++pos) places.push_back(pos);
  for (std::size_t pos = m_good.size() - k_trailer_size; pos < m_good.size(); ++pos) places.push_back(pos);
  for (std::size_t pos : places) {
    std::string bad = m_good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    test::write_file(m_dir / "bad.clbk", bad);
    auto r = ArchiveReader::open(m_dir / "bad.clbk", {.header_only = true});
    ASSERT_FALSE(r.has_value()) << "flip at " << pos << " went unnoticed";
    ASSERT_EQ(r.error().code, Errc::corrupted) << "flip at " << pos << ": " << r.error().message;
  }
  // A flip inside the index is not what a header-only open reads: the full open that follows refuses it.
  std::string bad = m_good;
  const std::size_t in_index = m_frames.back().offset + m_frames.back().stored_size + k_frame_header_size + 30;
  bad[in_index] = static_cast<char>(bad[in_index] ^ 0x10);
  test::write_file(m_dir / "bad.clbk", bad);
  EXPECT_TRUE(ArchiveReader::open(m_dir / "bad.clbk", {.header_only = true}).has_value());
  auto whole = ArchiveReader::open(m_dir / "bad.clbk");
  ASSERT_FALSE(whole.has_value());
  EXPECT_EQ(whole.error().code, Errc::corrupted);
}

TEST_F(ArchiveDamage, every_truncation_is_detected_as_corrupted) {
  for (std::size_t len = 0; len < m_good.size(); ++len) {
    const auto err = check_damaged(m_dir / "bad.clbk", m_good.substr(0, len));
    ASSERT_TRUE(err.has_value()) << "truncation to " << len << " went unnoticed";
    ASSERT_EQ(err->code, Errc::corrupted) << "truncation to " << len << ": " << err->message;
  }
}

TEST_F(ArchiveDamage, appended_bytes_are_detected_as_corrupted) {
  const std::string trailer = m_good.substr(m_good.size() - k_trailer_size);
  for (const std::string& extra :
       {std::string(1, '\0'), std::string(1, 'x'), std::string(4096, 'y'), trailer, m_good.substr(0, 100)}) {
    const auto err = check_damaged(m_dir / "bad.clbk", m_good + extra);
    ASSERT_TRUE(err.has_value()) << "appending " << extra.size() << " bytes went unnoticed";
    EXPECT_EQ(err->code, Errc::corrupted) << err->message;
  }
}

TEST_F(ArchiveDamage, swapped_data_frames_are_detected) {
  const FrameInfo& a = m_frames[0];
  const FrameInfo& b = m_frames[1];
  std::string bad = m_good.substr(0, a.offset) + m_good.substr(b.offset, b.stored_size) +
                    m_good.substr(a.offset, a.stored_size) + m_good.substr(b.offset + b.stored_size);
  const auto err = check_damaged(m_dir / "bad.clbk", bad);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, Errc::corrupted);
}

TEST_F(ArchiveDamage, a_file_that_is_not_an_archive_is_corrupted_and_a_missing_one_not_found) {
  for (const std::string& junk : {std::string(), std::string("{\"a\":1}\n"), std::string(10000, '\0')}) {
    const auto err = check_damaged(m_dir / "junk.clbk", junk);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->code, Errc::corrupted) << err->message;
  }
  auto missing = ArchiveReader::open(m_dir / "missing.clbk");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

}  // namespace
}  // namespace claudelens::format
