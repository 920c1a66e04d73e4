#include <gtest/gtest.h>

#include <string>

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
  for (std::size_t i = 0; i < frame.size(); ++i) {
    std::string bad = frame;
    bad[i] ^= 0x40;
    (void)d.decompress(bad, input.size(), out);  // must simply return
  }
}

}  // namespace
}  // namespace claudelens::codec
