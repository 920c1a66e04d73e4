// ArchiveReader::read_ahead (a second thread loads the next frame) and verify without decompression:
// the same documents in any reading order, plaintext and encrypted, damage found as without them,
// and the padding after each document that lets a restore parse lines in place; without read-ahead,
// the frame read before the current one is kept (a restore goes back to the catalogue's last frame).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "archive_test_support.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"

namespace claudelens::format {
namespace {

/// Several sessions over many small frames (4 KiB), some sharing frames, one spanning several.
std::vector<test::SectionInput> many_frames_input() {
  auto in = test::small_vector_input();
  for (int s = 0; s < 12; ++s) {
    test::SectionInput sec{
        {"messages", "owner-1", "proj-" + std::to_string(s % 3), "sess-x" + std::to_string(s)}, {}, {}};
    const int n = s == 5 ? 300 : 7 * (s + 1);
    for (int i = 0; i < n; ++i)
      sec.documents.push_back(R"({"uuid":"s)" + std::to_string(s) + "-" + std::to_string(i) +
                              R"(","text":"a line of a session, long enough to fill frames quickly"})");
    in.push_back(sec);
  }
  return in;
}

WriterOptions small_frames() {
  WriterOptions o;
  o.frame_bytes = 4096;
  return o;
}

/// Every document of the sections at `order`, read with read-ahead on or off; the last byte after
/// each document must be its newline and the k_document_padding bytes after a frame's last one zeros.
std::vector<std::string> read_sections(ArchiveReader& reader, const std::vector<std::size_t>& order) {
  std::vector<std::string> docs;
  for (std::size_t i : order) {
    Status s = reader.read_section(reader.sections()[i], [&](std::string_view d) {
      docs.emplace_back(d);
      EXPECT_EQ(d.data()[d.size()], '\n');
      return true;
    });
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  }
  return docs;
}

TEST(ArchiveReadAhead, gives_the_same_documents_in_order_and_out_of_order) {
  const auto dir = test::scratch_dir();
  const auto input = many_frames_input();
  const WrittenArchive w = test::write_archive(dir / "a.clbk", input, small_frames());
  ASSERT_GT(w.frames, 10u);
  auto plain = ArchiveReader::open(dir / "a.clbk");
  auto ahead = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(plain.has_value() && ahead.has_value());
  (*ahead)->read_ahead(true);
  std::vector<std::size_t> in_order(input.size());
  for (std::size_t i = 0; i < in_order.size(); ++i) in_order[i] = i;
  const std::vector<std::size_t> shuffled = {7, 2, 15, 0, 5, 5, 14, 3, 1, 9, 12, 4};
  EXPECT_EQ(read_sections(**ahead, in_order), read_sections(**plain, in_order));
  EXPECT_EQ(read_sections(**ahead, shuffled), read_sections(**plain, shuffled));
  std::vector<std::string> expected;
  for (const auto& s : input) expected.insert(expected.end(), s.documents.begin(), s.documents.end());
  EXPECT_EQ(read_sections(**ahead, in_order), expected);
  // verify (with and without decompression) runs through the read-ahead thread too.
  auto v = (*ahead)->verify();
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->sha256_hex, w.sha256_hex);
  EXPECT_EQ(v->documents, expected.size());
  auto quick = (*ahead)->verify({}, /*decompress=*/false);
  ASSERT_TRUE(quick.has_value()) << quick.error().message;
  EXPECT_EQ(quick->sha256_hex, w.sha256_hex);
  EXPECT_EQ(quick->frames, w.frames);
  EXPECT_EQ(read_sections(**ahead, shuffled), read_sections(**plain, shuffled));  // usable afterwards
}

TEST(ArchiveReadAhead, without_it_the_frame_read_before_is_kept_and_not_read_again) {
  const auto dir = test::scratch_dir();
  // Sections of about 1.5 KB in 4 KiB frames: many lie inside one frame.
  std::vector<test::SectionInput> input;
  for (int s = 0; s < 12; ++s) {
    test::SectionInput sec{{"messages", "owner-1", "proj", "sess-" + std::to_string(s)}, {}, {}};
    for (int i = 0; i < 15; ++i)
      sec.documents.push_back(R"({"uuid":")" + std::to_string(s) + "-" + std::to_string(i) +
                              R"(","text":"a line of a session, long enough to fill frames quickly"})");
    input.push_back(sec);
  }
  test::write_archive(dir / "a.clbk", input, small_frames());
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  // Three sections in one frame each, three different frames.
  std::vector<std::size_t> picked;
  std::vector<std::uint64_t> frames;
  for (std::size_t i = 0; i < input.size() && picked.size() < 3; ++i) {
    const SectionInfo s = (*reader)->sections()[i];
    if (s.frame_count != 1 || std::find(frames.begin(), frames.end(), s.first_frame) != frames.end()) continue;
    picked.push_back(i);
    frames.push_back(s.first_frame);
  }
  ASSERT_EQ(picked.size(), 3u);
  const std::size_t a = picked[0], b = picked[1], c = picked[2];
  const auto docs_a = read_sections(**reader, {a});
  const auto docs_b = read_sections(**reader, {b});
  const std::uint64_t after_two = (*reader)->bytes_read();
  EXPECT_EQ(read_sections(**reader, {a}), docs_a);  // the frame before: kept
  EXPECT_EQ(read_sections(**reader, {b}), docs_b);
  EXPECT_EQ((*reader)->bytes_read(), after_two);
  read_sections(**reader, {c});
  const std::uint64_t after_c = (*reader)->bytes_read();
  EXPECT_GT(after_c, after_two);
  EXPECT_EQ(read_sections(**reader, {a}), docs_a);  // two frames back: read again
  EXPECT_GT((*reader)->bytes_read(), after_c);
  // With read-ahead (its own buffers), no earlier frame is kept.
  (*reader)->read_ahead(true);
  read_sections(**reader, {a, b});
  const std::uint64_t ahead = (*reader)->bytes_read();
  EXPECT_EQ(read_sections(**reader, {a}), docs_a);
  EXPECT_GT((*reader)->bytes_read(), ahead);
}

TEST(ArchiveReadAhead, a_frames_last_document_is_followed_by_zeroed_padding) {
  const auto dir = test::scratch_dir();
  test::write_archive(dir / "a.clbk", many_frames_input(), small_frames());
  auto reader = ArchiveReader::open(dir / "a.clbk");
  ASSERT_TRUE(reader.has_value());
  (*reader)->read_ahead(true);
  const auto& frames = (*reader)->frames();
  std::size_t checked = 0;
  for (const auto& sec : (*reader)->sections()) {
    std::string_view last;
    ASSERT_TRUE((*reader)->read_section(sec, [&](std::string_view d) {
      last = d;
      return true;
    }));
    if (last.empty() || sec.frame_count == 0) continue;
    // The section's last document ends its last frame when the section ends where that frame does.
    std::uint64_t content = 0;
    for (std::uint64_t f = sec.first_frame; f < sec.first_frame + sec.frame_count; ++f)
      content += frames[f].content_size;
    if (sec.content_offset + sec.content_size != content) continue;
    for (std::size_t i = 1; i <= k_document_padding; ++i) ASSERT_EQ(last.data()[last.size() + i], '\0');
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(ArchiveReadAhead, every_damaged_data_frame_is_found_reading_and_verifying) {
  const auto dir = test::scratch_dir();
  test::write_archive(dir / "a.clbk", many_frames_input(), small_frames());
  const std::string good = test::read_file(dir / "a.clbk");
  std::vector<FrameInfo> frames;
  {
    auto reader = ArchiveReader::open(dir / "a.clbk");
    ASSERT_TRUE(reader.has_value());
    frames = (*reader)->frames();
  }
  for (std::size_t i = 0; i < frames.size(); ++i) {
    std::string bad = good;
    const std::size_t at = frames[i].offset + frames[i].stored_size / 2;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    test::write_file(dir / "bad.clbk", bad);
    for (bool decompress : {true, false}) {
      auto reader = ArchiveReader::open(dir / "bad.clbk");
      ASSERT_TRUE(reader.has_value());
      (*reader)->read_ahead(true);
      auto v = (*reader)->verify({}, decompress);
      ASSERT_FALSE(v.has_value()) << "frame " << i << " damaged, verify passed";
      EXPECT_EQ(v.error().code, Errc::corrupted);
      EXPECT_NE(v.error().message.find("frame " + std::to_string(i) + " "), std::string::npos) << v.error().message;
    }
    auto reader = ArchiveReader::open(dir / "bad.clbk");
    ASSERT_TRUE(reader.has_value());
    (*reader)->read_ahead(true);
    Status read = (*reader)->read_all([](const SectionInfo&, std::string_view) { return true; });
    ASSERT_FALSE(read.has_value()) << "frame " << i << " damaged, read_all passed";
    EXPECT_EQ(read.error().code, Errc::corrupted);
  }
}

TEST(ArchiveReadAhead, encrypted_archives_read_the_same) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("read ahead");
  WriterOptions o = small_frames();
  o.encryption.passphrase = &pass;
  o.encryption.kdf = {.t_cost = 1, .m_cost_kib = 64, .parallelism = 1};
  o.encryption.chunk_bytes = 4096;
  const auto input = many_frames_input();
  test::write_archive(dir / "e.clbk", input, o);
  auto reader = ArchiveReader::open(dir / "e.clbk", {.passphrase = &pass});
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  (*reader)->read_ahead(true);
  std::vector<std::size_t> order(input.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::string> expected;
  for (const auto& s : input) expected.insert(expected.end(), s.documents.begin(), s.documents.end());
  EXPECT_EQ(read_sections(**reader, order), expected);
  auto v = (*reader)->verify({}, false);
  ASSERT_TRUE(v.has_value()) << v.error().message;
}

}  // namespace
}  // namespace claudelens::format
