// The reader's memory does not follow the number of sections (SPEC §5 item 1): an archive of 40,000
// sections (about 6 MB of index records, ~13 MB once parsed into SectionInfo values) is opened, walked
// and searched while every allocation made through operator new is counted. A reader that loads the
// whole index again fails here; so does one that reads the sealed index of an encrypted archive whole.
// The counter (tests/support/counting_new.hpp) replaces the global operator new/delete of this test
// executable (unit_format): it adds the usable size of each block to a live total and keeps the peak.
#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "support/counting_new.hpp"

namespace claudelens::format {
namespace {

constexpr int k_sections = 40'000;

/// A session id of the usual 36 characters for section i.
std::string session_id(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", static_cast<unsigned>(i * 2654435761u),
                static_cast<unsigned>(i));
  return buf;
}

/// 40,000 one-document "entries" sections keyed like a ClaudeLens backup's, in 64 KiB frames (so that
/// the frame buffers stay small beside the index), and a final "sessions" section.
void write_many_sections(const std::filesystem::path& path, const WriterOptions& options) {
  auto w = ArchiveWriter::create(path, R"({"backup_id":"many"})", options);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  for (int i = 0; i < k_sections; ++i) {
    const std::string id = session_id(i);
    ASSERT_TRUE((*w)->begin_section({"entries", "0123456789abcdef01234567", "project-" + std::to_string(i / 9), id})
                    .has_value());
    ASSERT_TRUE(
        (*w)->append(R"({"_c":"messages","s":")" + id + R"(","k":"u)" + std::to_string(i) + R"(","d":{"type":"user"}})",
                     1700000000000 + i)
            .has_value());
  }
  ASSERT_TRUE((*w)->begin_section({"sessions", "", "", ""}).has_value());
  ASSERT_TRUE((*w)->append(R"({"_c":"sessions","_id":"x"})").has_value());
  ASSERT_TRUE((*w)->finish(R"({"counts":{}})").has_value());
}

WriterOptions small_frames() {
  WriterOptions o;
  o.frame_bytes = 64u << 10;
  o.threads = 2;
  return o;
}

/// Opens `path`, walks every section, reads the last entries section and counts; returns the peak of
/// live operator-new bytes above what was live before the open.
std::int64_t peak_while_reading(const std::filesystem::path& path, const ReadOptions& options) {
  const std::int64_t before = claudelens::testing::start_counting();
  auto reader = ArchiveReader::open(path, options);
  EXPECT_TRUE(reader.has_value()) << reader.error().message;
  if (!reader) return -1;
  std::uint64_t sections = 0, documents = 0;
  std::string last;
  for (const SectionInfo& s : (*reader)->sections()) {
    ++sections;
    documents += s.documents;
    if (s.key.collection == "entries") last = s.key.session_id;
  }
  EXPECT_EQ(sections, static_cast<std::uint64_t>(k_sections + 1));
  EXPECT_EQ(documents, static_cast<std::uint64_t>(k_sections + 1));
  EXPECT_EQ(last, session_id(k_sections - 1));
  const SectionInfo s = (*reader)->sections()[k_sections - 1];
  std::string doc;
  EXPECT_TRUE((*reader)
                  ->read_section(s,
                                 [&](std::string_view d) {
                                   doc = d;
                                   return true;
                                 })
                  .has_value());
  EXPECT_NE(doc.find(session_id(k_sections - 1)), std::string::npos);
  const std::int64_t peak = claudelens::testing::peak_since(before);
  ::testing::Test::RecordProperty("peak_bytes", std::to_string(peak));
  reader->reset();
  return peak;
}

// The old reader parsed the whole index at open: ~13 MB of SectionInfo for these 40,000 sections,
// plus the 6 MB payload it was parsed from. The paged one holds the frame table, a page directory
// and 16 decoded pages, a 256 KiB scan buffer and two 64 KiB frames: well under 2 MiB.
constexpr std::int64_t k_bound = 2 << 20;

TEST(IndexMemory, opening_and_walking_forty_thousand_sections_stays_under_two_mebibytes) {
  const auto dir = test::scratch_dir();
  write_many_sections(dir / "many.clbk", small_frames());
  const std::int64_t peak = peak_while_reading(dir / "many.clbk", {});
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, k_bound) << "peak " << peak << " bytes of operator new while reading the index";
}

TEST(IndexMemory, the_sealed_index_of_an_encrypted_archive_is_opened_a_chunk_at_a_time) {
  const auto dir = test::scratch_dir();
  const crypto::Secret passphrase("index memory test passphrase");
  WriterOptions o = small_frames();
  o.encryption.passphrase = &passphrase;
  o.encryption.kdf = crypto::KdfParams{.t_cost = 1, .m_cost_kib = 64, .parallelism = 1};
  write_many_sections(dir / "sealed.clbk", o);
  const std::int64_t peak = peak_while_reading(dir / "sealed.clbk", {.passphrase = &passphrase});
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, k_bound) << "peak " << peak << " bytes of operator new while reading the sealed index";
}

TEST(IndexMemory, finding_sections_by_session_id_keeps_eight_bytes_a_section) {
  const auto dir = test::scratch_dir();
  write_many_sections(dir / "many.clbk", small_frames());
  auto reader = ArchiveReader::open(dir / "many.clbk");
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  for (int i : {0, 1, 12345, k_sections - 1}) {
    auto found = (*reader)->find_section("entries", session_id(i));
    ASSERT_TRUE(found.has_value()) << found.error().message;
    ASSERT_TRUE(found->has_value()) << i;
    EXPECT_EQ(**found, static_cast<std::uint64_t>(i));
  }
  auto missing = (*reader)->find_section("entries", "no-such-session");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  auto wrong_collection = (*reader)->find_section("tombstones", session_id(7));
  ASSERT_TRUE(wrong_collection.has_value());
  EXPECT_FALSE(wrong_collection->has_value());
  // The table of key hashes, the frame table, the page directory and the cached pages.
  EXPECT_LT((*reader)->index_memory_bytes(), static_cast<std::size_t>(k_sections) * 8 + (600u << 10));
}

TEST(IndexMemory, the_sections_of_other_collections_are_found_without_reading_the_entries_pages) {
  const auto dir = test::scratch_dir();
  write_many_sections(dir / "many.clbk", small_frames());
  auto reader = ArchiveReader::open(dir / "many.clbk");
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  const std::uint64_t opened = (*reader)->bytes_read();
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE((*reader)->for_each_section_except("entries", [&](std::uint64_t i, const SectionInfo& s) {
    EXPECT_EQ(s.key.collection, "sessions");
    seen.push_back(i);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{k_sections}));
  // One page of records (64 sections, about 10 KB), not the 6 MB of the 40,000 entries records.
  EXPECT_LT((*reader)->bytes_read() - opened, 16u << 10);
  // The other way round: every entries section, in index order, none of the sessions one.
  std::uint64_t next = 0;
  ASSERT_TRUE((*reader)->for_each_section_except("sessions", [&](std::uint64_t i, const SectionInfo& s) {
    EXPECT_EQ(i, next++);
    EXPECT_EQ(s.key.session_id, session_id(static_cast<int>(i)));
    return true;
  }));
  EXPECT_EQ(next, static_cast<std::uint64_t>(k_sections));
}

TEST(IndexMemory, pages_of_more_than_63_collections_share_a_bit_and_are_still_read) {
  // 70 collections, two sections each, in pages of 64: the names after the 63rd share the last bit,
  // so their pages are read for any of them; every answer must be exactly the sections of the others.
  const auto dir = test::scratch_dir();
  std::vector<test::SectionInput> input;
  for (int round = 0; round < 2; ++round)
    for (int c = 0; c < 70; ++c) {
      std::string name = "c";
      name += std::to_string(c);
      input.push_back({{name, "", "", std::to_string(round)}, {R"({"x":1})"}, {}});
    }
  test::write_archive(dir / "mixed.clbk", input);
  auto reader = ArchiveReader::open(dir / "mixed.clbk");
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  for (const std::string except : {"c0", "c5", "c62", "c63", "c69", "absent"}) {
    std::vector<std::uint64_t> seen, expected;
    for (std::uint64_t i = 0; i < input.size(); ++i)
      if (input[i].key.collection != except) expected.push_back(i);
    ASSERT_TRUE((*reader)->for_each_section_except(except, [&](std::uint64_t i, const SectionInfo& s) {
      EXPECT_EQ(s.key, input[i].key);
      seen.push_back(i);
      return true;
    }));
    EXPECT_EQ(seen, expected) << except;
  }
}

TEST(IndexMemory, a_page_changed_after_open_is_damage_not_a_wrong_answer) {
  const auto dir = test::scratch_dir();
  write_many_sections(dir / "many.clbk", small_frames());
  auto reader = ArchiveReader::open(dir / "many.clbk");
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  // Overwrite one byte of a session id in the index (found in the file's last megabytes) after open.
  std::string bytes = test::read_file(dir / "many.clbk");
  const std::string id = session_id(30000);
  const std::size_t at = bytes.rfind(id);
  ASSERT_NE(at, std::string::npos);
  bytes[at] = bytes[at] == 'f' ? 'e' : 'f';
  test::write_file(dir / "many.clbk", bytes);
  auto s = (*reader)->section(30000);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::corrupted);
  EXPECT_NE(s.error().message.find("page"), std::string::npos) << s.error().message;
  // Through the SectionList view: an empty section, and every later read fails with the same error.
  const SectionInfo viewed = (*reader)->sections()[30000];
  EXPECT_TRUE(viewed.key.session_id.empty());
  auto first = (*reader)->section(0);
  ASSERT_TRUE(first.has_value());
  const Status read = (*reader)->read_section(*first, [](std::string_view) { return true; });
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, Errc::corrupted);
}

}  // namespace
}  // namespace claudelens::format
