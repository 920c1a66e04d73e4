#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include <zstd.h>

#include <random>

#include "codec/zstd.hpp"

namespace claudelens::codec {
namespace {

TEST(ZstdCodec, compress_then_decompress_returns_the_input_with_reused_contexts) {
  Compressor c(3);
  Decompressor d;
  std::string frame;
  std::string out;
  for (const std::string& input : {std::string(), std::string("hello\n"), std::string(1 << 20, 'z'),
                                   std::string("ünï\n") + std::string(5000, 'q')}) {
    ASSERT_TRUE(c.compress(input, frame).has_value());
    ASSERT_TRUE(d.decompress(frame, input.size(), out).has_value());
    EXPECT_EQ(out, input);
  }
}

/// compress_to writes into a caller's uninitialised buffer (the archive writer's, so that untouched pages
/// stay out of resident memory): the same frame as compress(), and a buffer below the bound that the
/// frame does not fit is an error, not an overrun.
TEST(ZstdCodec, compress_to_an_uninitialised_buffer_gives_the_same_frame) {
  Compressor c(3);
  Decompressor d;
  std::mt19937 rng(7);
  std::string input;
  for (int i = 0; i < 200000; ++i) input.push_back(static_cast<char>('a' + rng() % 26));
  std::string expected;
  ASSERT_TRUE(c.compress(input, expected).has_value());
  const std::size_t bound = compress_bound(input.size());
  auto buffer = std::make_unique_for_overwrite<char[]>(bound + 16);
  std::memset(buffer.get() + bound, 0x5a, 16);
  auto n = c.compress_to(input, buffer.get(), bound);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(std::string_view(buffer.get(), *n), expected);
  EXPECT_EQ(std::string(buffer.get() + bound, 16), std::string(16, '\x5a'));
  std::string out;
  ASSERT_TRUE(d.decompress(std::string_view(buffer.get(), *n), input.size(), out).has_value());
  EXPECT_EQ(out, input);
  // Random letters compress to about 60%: a tenth of the input is too small.
  std::memset(buffer.get() + input.size() / 10, 0x5a, 16);
  auto small = c.compress_to(input, buffer.get(), input.size() / 10);
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error().code, Errc::internal);
  EXPECT_EQ(std::string(buffer.get() + input.size() / 10, 16), std::string(16, '\x5a'));
}

TEST(ZstdCodec, levels_outside_one_to_nine_are_refused) {
  EXPECT_FALSE(zstd_level(0).has_value());
  EXPECT_FALSE(zstd_level(10).has_value());
  EXPECT_EQ(zstd_level(3).value(), 3);
}

TEST(ZstdCodec, damaged_frames_and_wrong_sizes_are_corrupted_not_crashes) {
  Compressor c(3);
  Decompressor d;
  std::string frame;
  std::string out;
  const std::string input(10000, 'a');
  ASSERT_TRUE(c.compress(input, frame).has_value());
  EXPECT_EQ(d.decompress(frame, input.size() + 1, out).error().code, Errc::corrupted);
  EXPECT_EQ(d.decompress(frame.substr(0, frame.size() - 1), input.size(), out).error().code, Errc::corrupted);
  EXPECT_EQ(d.decompress(frame + "x", input.size(), out).error().code, Errc::corrupted);
  EXPECT_EQ(d.decompress("garbage", 7, out).error().code, Errc::corrupted);
  // An empty zstd skippable frame (magic 0x184D2A5C, no payload) "decodes" to 0 bytes, which an index
  // could declare: it is not a data frame all the same.
  auto skippable = d.decompress(std::string("\x5C\x2A\x4D\x18\x00\x00\x00\x00", 8), 0, out);
  ASSERT_FALSE(skippable.has_value());
  EXPECT_EQ(skippable.error().code, Errc::corrupted);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    std::string bad = frame;
    bad[i] ^= 0x40;
    (void)d.decompress(bad, input.size(), out);  // must simply return
  }
}

/// The Content_Checksum_flag of a zstd frame: bit 2 of the Frame_Header_Descriptor, the byte after
/// the 4-byte magic (RFC 8878 §3.1.1.1.1).
bool has_checksum_flag(const std::string& frame) {
  return frame.size() > 4 && (static_cast<unsigned char>(frame[4]) & 0x04) != 0;
}

/// Bytes zstd cannot compress: stored as raw blocks, so a flipped bit inside them decodes to a
/// flipped bit of output unless the frame carries a content checksum.
std::string incompressible(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(ZstdCodec, frames_carry_zstds_content_checksum_so_any_zstd_decoder_detects_damage) {
  Compressor c(3);
  Decompressor d;
  std::string frame;
  std::string out;
  const std::string input = incompressible(20000);
  ASSERT_TRUE(c.compress(input, frame).has_value());
  EXPECT_TRUE(has_checksum_flag(frame));
  EXPECT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), input.size());
  std::string bad = frame;
  bad[frame.size() / 2] ^= 0x01;  // inside a raw block: only the checksum can notice
  auto s = d.decompress(bad, input.size(), out);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::corrupted);
  EXPECT_NE(s.error().message.find("checksum"), std::string::npos) << s.error().message;
}

TEST(ZstdCodec, frames_without_a_checksum_still_decompress) {
  // Archives of format 1.0 have data frames without zstd's checksum.
  const std::string input = incompressible(5000) + std::string(5000, 'x');
  std::string frame(ZSTD_compressBound(input.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), input.data(), input.size(), 3));
  ASSERT_FALSE(has_checksum_flag(frame));
  Decompressor d;
  std::string out;
  ASSERT_TRUE(d.decompress(frame, input.size(), out).has_value());
  EXPECT_EQ(out, input);
}

}  // namespace
}  // namespace claudelens::codec
