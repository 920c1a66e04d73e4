#include <gtest/gtest.h>

#include "crypto/sha256.hpp"

namespace claudelens::crypto {
namespace {

TEST(Sha256, matches_fips_180_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, incremental_equals_one_shot_and_digest_can_continue) {
  Sha256 h;
  h.update("ab");
  const Digest partial = h.digest();
  EXPECT_EQ(digest_hex(partial), sha256_hex("ab"));
  h.update("c");
  EXPECT_EQ(digest_hex(h.digest()), sha256_hex("abc"));
}

}  // namespace
}  // namespace claudelens::crypto
