// crypto/encryption.hpp: the key file's passphrase (one trailing newline removed), Argon2id with its
// key check, and AES-256-GCM chunks bound to their position and final flag.
#include "crypto/encryption.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace claudelens::crypto {
namespace {

namespace fs = std::filesystem;

fs::path scratch_file(const std::string& name, const std::string& bytes) {
  const fs::path dir = fs::path(CLAUDELENS_TEST_TMP) / ("crypto-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  return dir / name;
}

constexpr KdfParams k_cheap{.t_cost = 1, .m_cost_kib = 64, .parallelism = 1};

Salt salt_of(std::uint8_t b) {
  Salt s{};
  s.fill(b);
  return s;
}

TEST(KeyFile, one_trailing_newline_is_removed_and_no_more) {
  EXPECT_EQ(read_key_file(scratch_file("a", "secret\n")).value().view(), "secret");
  EXPECT_EQ(read_key_file(scratch_file("b", "secret\r\n")).value().view(), "secret");
  EXPECT_EQ(read_key_file(scratch_file("c", "secret\n\n")).value().view(), "secret\n");
  EXPECT_EQ(read_key_file(scratch_file("d", "  spaces kept ")).value().view(), "  spaces kept ");
  EXPECT_EQ(read_key_file(scratch_file("e", "\n")).error().code, Errc::invalid_argument);
  EXPECT_EQ(read_key_file(scratch_file("f", std::string(70000, 'x'))).error().code, Errc::invalid_argument);
  auto missing = read_key_file("/nonexistent/key");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  // The message names the file, never its content.
  EXPECT_EQ(read_key_file(scratch_file("g", "\n")).error().message.find("\n"), std::string::npos);
}

TEST(ArchiveKeyDerivation, is_deterministic_and_the_key_check_tells_keys_apart) {
  const Secret a("passphrase one");
  const Secret b("passphrase two");
  auto k1 = derive_archive_key(a, salt_of(1), k_cheap);
  auto k2 = derive_archive_key(a, salt_of(1), k_cheap);
  auto k3 = derive_archive_key(b, salt_of(1), k_cheap);
  auto k4 = derive_archive_key(a, salt_of(2), k_cheap);
  ASSERT_TRUE(k1 && k2 && k3 && k4);
  EXPECT_EQ(k1->key_check(), k2->key_check());
  EXPECT_EQ(k1->data_key(), k2->data_key());
  EXPECT_NE(k1->key_check(), k3->key_check());
  EXPECT_NE(k1->key_check(), k4->key_check());
  EXPECT_NE(k1->data_key(), k4->data_key());
  // The key check is not the key.
  EXPECT_NE(0, std::memcmp(k1->key_check().data(), k1->data_key().data(), k1->key_check().size()));
  EXPECT_EQ(k1->key_id().size(), 16u);
  EXPECT_EQ(derive_archive_key(a, salt_of(1), {.t_cost = 0}).error().code, Errc::invalid_argument);
  EXPECT_EQ(derive_archive_key(a, salt_of(1), {.t_cost = 1, .m_cost_kib = 4u << 20}).error().code,
            Errc::invalid_argument);
}

TEST(ChunkCipher, round_trips_and_refuses_any_change_of_bytes_position_or_final_flag) {
  auto key = derive_archive_key(Secret("p"), salt_of(3), k_cheap);
  ASSERT_TRUE(key.has_value());
  const ChunkCipher c(*key);
  const std::string plain = "the quick brown fox jumps over the lazy dog";
  std::string sealed;
  ASSERT_TRUE(c.seal(StreamKind::data, 7, 2, false, plain, sealed).has_value());
  ASSERT_EQ(sealed.size(), plain.size() + k_tag_size);
  EXPECT_EQ(sealed.find("quick"), std::string::npos);
  std::string out;
  ASSERT_TRUE(c.open(StreamKind::data, 7, 2, false, sealed, out).has_value());
  EXPECT_EQ(out, plain);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    out.clear();
    EXPECT_EQ(c.open(StreamKind::data, 7, 2, false, bad, out).error().code, Errc::corrupted) << i;
    EXPECT_TRUE(out.empty());  // nothing unauthenticated is handed out
  }
  EXPECT_FALSE(c.open(StreamKind::data, 7, 3, false, sealed, out).has_value());   // other chunk index
  EXPECT_FALSE(c.open(StreamKind::data, 8, 2, false, sealed, out).has_value());   // other frame
  EXPECT_FALSE(c.open(StreamKind::index, 7, 2, false, sealed, out).has_value());  // other stream kind
  EXPECT_FALSE(c.open(StreamKind::data, 7, 2, true, sealed, out).has_value());    // claimed final
  auto other = derive_archive_key(Secret("q"), salt_of(3), k_cheap);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(ChunkCipher(*other).open(StreamKind::data, 7, 2, false, sealed, out).has_value());
}

}  // namespace
}  // namespace claudelens::crypto
