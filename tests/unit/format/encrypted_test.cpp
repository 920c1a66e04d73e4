// Encrypted archives (docs/archive-format.md "Encrypted archives"): round trip, no plaintext in the
// bytes, wrong and missing keys told apart from damage, every flipped bit / truncation / appended
// byte found, chunks that are swapped, dropped or moved between streams refused, and the golden
// vector tests/vectors/archive-v1.1-encrypted-small.clbk (fixed test salt, documented).
#include <gtest/gtest.h>

#include <string>

#include "archive_test_support.hpp"
#include "format/reader.hpp"
#include "format/sealed.hpp"
#include "format/writer.hpp"

namespace claudelens::format {
namespace {

const std::filesystem::path k_vectors = std::filesystem::path(CLAUDELENS_SOURCE_DIR) / "tests" / "vectors";
const char* const k_vector = "archive-v1.1-encrypted-small";
const char* const k_vector_passphrase = "claudelens test vector passphrase";

crypto::Salt fixed_salt() {
  crypto::Salt s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(i);
  return s;
}

/// Cheap Argon2id costs for tests that open an archive thousands of times.
constexpr crypto::KdfParams k_cheap{.t_cost = 1, .m_cost_kib = 64, .parallelism = 1};

WriterOptions encrypted_options(const crypto::Secret& pass, crypto::KdfParams kdf = k_cheap, std::size_t chunk = 4096) {
  WriterOptions o;
  o.threads = 2;
  o.frame_bytes = 4096;
  o.encryption.passphrase = &pass;
  o.encryption.kdf = kdf;
  o.encryption.chunk_bytes = chunk;
  return o;
}

/// The small vector plus one larger session: several frames, several chunks per frame.
std::vector<test::SectionInput> larger_input() {
  auto in = test::small_vector_input();
  test::SectionInput big{{"messages", "owner-9", "/home/alice/secret-project", "6f1c0d2e-session-big"}, {}, {}};
  for (int i = 0; i < 400; ++i)
    big.documents.push_back(R"({"uuid":"u)" + std::to_string(i) + R"(","text":"confidential message number )" +
                            std::to_string(i) + R"( about the quarterly numbers"})");
  in.push_back(big);
  return in;
}

std::vector<std::string> read_all(const std::filesystem::path& path, const crypto::Secret* pass) {
  std::vector<std::string> docs;
  auto reader = ArchiveReader::open(path, {.passphrase = pass});
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return docs;
  Status s = (*reader)->read_all([&](const SectionInfo&, std::string_view d) {
    docs.emplace_back(d);
    return true;
  });
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return docs;
}

std::vector<std::string> all_documents(const std::vector<test::SectionInput>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) out.insert(out.end(), s.documents.begin(), s.documents.end());
  return out;
}

TEST(EncryptedArchive, round_trip_reads_every_document_header_and_manifest_with_the_key) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("correct horse battery staple");
  const auto input = larger_input();
  const WrittenArchive w = test::write_archive(dir / "e.clbk", input, encrypted_options(pass));
  EXPECT_EQ(w.key_id.size(), 16u);
  EXPECT_GT(w.frames, 3u);
  EXPECT_EQ(read_all(dir / "e.clbk", &pass), all_documents(input));
  auto reader = ArchiveReader::open(dir / "e.clbk", {.passphrase = &pass});
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  EXPECT_TRUE((*reader)->encrypted());
  EXPECT_FALSE((*reader)->locked());
  EXPECT_EQ((*reader)->key_id(), w.key_id);
  EXPECT_NE((*reader)->header_json().find(R"("creator":"claudelens-test")"), std::string::npos);
  EXPECT_NE((*reader)->header_json().find(R"("algorithm":"aes-256-gcm")"), std::string::npos);
  EXPECT_NE((*reader)->manifest_json().find(R"("counts":{"messages":4,"prompts":2})"), std::string::npos);
  ASSERT_EQ((*reader)->sections().size(), input.size());
  EXPECT_EQ((*reader)->sections().back().key.session_id, "6f1c0d2e-session-big");
  auto v = (*reader)->verify();
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(v->authenticated);
  EXPECT_TRUE(v->encrypted);
  EXPECT_EQ(v->sha256_hex, w.sha256_hex);
  EXPECT_EQ(v->documents, all_documents(input).size());
}

TEST(EncryptedArchive, one_section_reads_only_its_frames) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("p");
  test::write_archive(dir / "e.clbk", larger_input(), encrypted_options(pass));
  auto reader = ArchiveReader::open(dir / "e.clbk", {.passphrase = &pass});
  ASSERT_TRUE(reader.has_value());
  const SectionInfo& first = (*reader)->sections()[0];
  ASSERT_EQ(first.frame_count, 1u);
  const std::uint64_t before = (*reader)->bytes_read();
  std::size_t n = 0;
  ASSERT_TRUE((*reader)->read_section(first, [&](std::string_view) { return ++n, true; }).has_value());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ((*reader)->bytes_read() - before, (*reader)->frames()[first.first_frame].stored_size);
  EXPECT_LT((*reader)->bytes_read() - before, (*reader)->file_size() / 3);
}

TEST(EncryptedArchive, the_bytes_show_no_message_text_no_path_no_session_id_no_manifest) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("p");
  test::write_archive(dir / "e.clbk", larger_input(), encrypted_options(pass));
  const std::string bytes = test::read_file(dir / "e.clbk");
  for (const char* secret :
       {"confidential", "quarterly", "/home/alice/secret-project", "6f1c0d2e-session-big", "sess-1", "proj-a",
        "owner-1", "do the thing", "claudelens-test", "\"counts\"", "CLIX", "CLMF"})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  // The same input unencrypted does show them (the check above can fail).
  test::write_archive(dir / "plain.clbk", larger_input(), WriterOptions{.frame_bytes = 4096, .threads = 2});
  const std::string plain = test::read_file(dir / "plain.clbk");
  EXPECT_NE(plain.find("6f1c0d2e-session-big"), std::string::npos);
  EXPECT_NE(plain.find("/home/alice/secret-project"), std::string::npos);
}

TEST(EncryptedArchive, wrong_and_missing_keys_are_wrong_key_never_corrupted) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("right");
  const crypto::Secret wrong("wrong");
  test::write_archive(dir / "e.clbk", larger_input(), encrypted_options(pass));
  auto bad = ArchiveReader::open(dir / "e.clbk", {.passphrase = &wrong});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::wrong_key);
  EXPECT_NE(bad.error().message.find("wrong key"), std::string::npos) << bad.error().message;
  auto none = ArchiveReader::open(dir / "e.clbk");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, Errc::wrong_key);
  EXPECT_NE(none.error().message.find("no key was given"), std::string::npos) << none.error().message;
  auto wrong_verify = verify_archive(dir / "e.clbk", {}, &wrong);
  ASSERT_FALSE(wrong_verify.has_value());
  EXPECT_EQ(wrong_verify.error().code, Errc::wrong_key);
  // Without a key: locked, structure and SHA-256 only, and no section can be read.
  auto locked = ArchiveReader::open(dir / "e.clbk", {.allow_locked = true});
  ASSERT_TRUE(locked.has_value()) << locked.error().message;
  EXPECT_TRUE((*locked)->locked());
  EXPECT_TRUE((*locked)->sections().empty());
  EXPECT_EQ((*locked)->header_json().find("creator"), std::string::npos);
  auto v = verify_archive(dir / "e.clbk");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_FALSE(v->authenticated);
  EXPECT_GT(v->frames, 3u);
}

/// Whether the archive in `bytes` opens and verifies, with the key and without.
void expect_damage_found(const std::filesystem::path& file, const std::string& bytes, const crypto::Secret& pass,
                         const std::string& what) {
  test::write_file(file, bytes);
  auto with_key = verify_archive(file, {}, &pass);
  ASSERT_FALSE(with_key.has_value()) << what;
  EXPECT_EQ(with_key.error().code, Errc::corrupted) << what << ": " << with_key.error().message;
  auto without = verify_archive(file);
  ASSERT_FALSE(without.has_value()) << what << " (without key)";
  EXPECT_EQ(without.error().code, Errc::corrupted) << what << ": " << without.error().message;
}

TEST(EncryptedArchive, every_flipped_bit_truncation_and_appended_byte_is_damage) {
  const auto dir = test::scratch_dir();
  const crypto::Secret pass("p");
  test::write_archive(dir / "e.clbk", test::small_vector_input(), encrypted_options(pass));
  const std::string good = test::read_file(dir / "e.clbk");
  ASSERT_TRUE(verify_archive(dir / "e.clbk", {}, &pass).has_value());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    expect_damage_found(dir / "bad.clbk", bad, pass, "bit " + std::to_string(i % 8) + " of byte " + std::to_string(i));
    if (HasFatalFailure()) return;
  }
  for (std::size_t n = 0; n < good.size(); n += 7)
    expect_damage_found(dir / "bad.clbk", good.substr(0, n), pass, "truncated to " + std::to_string(n));
  expect_damage_found(dir / "bad.clbk", good + '\0', pass, "one byte appended");
}

TEST(EncryptedArchive, chunks_swapped_dropped_or_moved_fail_authentication) {
  const crypto::Secret pass("p");
  auto key = crypto::derive_archive_key(pass, fixed_salt(), k_cheap);
  ASSERT_TRUE(key.has_value());
  const crypto::ChunkCipher cipher(*key);
  std::string plain;
  for (int i = 0; i < 3 * 4096; ++i) plain.push_back(static_cast<char>('a' + i % 26));
  std::string sealed;
  ASSERT_TRUE(seal_stream(cipher, crypto::StreamKind::data, 5, plain, 4096, sealed).has_value());
  ASSERT_EQ(sealed.size(), 3 * (4096 + 16u));
  std::string out;
  ASSERT_TRUE(open_stream(cipher, crypto::StreamKind::data, 5, sealed, 4096, out).has_value());
  EXPECT_EQ(out, plain);
  const std::size_t c = 4096 + 16;
  std::string swapped = sealed.substr(c, c) + sealed.substr(0, c) + sealed.substr(2 * c);
  EXPECT_EQ(open_stream(cipher, crypto::StreamKind::data, 5, swapped, 4096, out).error().code, Errc::corrupted);
  // Dropping the last chunk leaves a stream whose last chunk was not sealed as final.
  EXPECT_EQ(open_stream(cipher, crypto::StreamKind::data, 5, sealed.substr(0, 2 * c), 4096, out).error().code,
            Errc::corrupted);
  // The same chunks under another frame number, or as the index: refused.
  EXPECT_EQ(open_stream(cipher, crypto::StreamKind::data, 6, sealed, 4096, out).error().code, Errc::corrupted);
  EXPECT_EQ(open_stream(cipher, crypto::StreamKind::index, 5, sealed, 4096, out).error().code, Errc::corrupted);
  // A chunk spliced in from another stream at the same position: refused.
  std::string other;
  ASSERT_TRUE(seal_stream(cipher, crypto::StreamKind::data, 7, plain, 4096, other).has_value());
  std::string spliced = sealed.substr(0, c) + other.substr(c, c) + sealed.substr(2 * c);
  EXPECT_EQ(open_stream(cipher, crypto::StreamKind::data, 5, spliced, 4096, out).error().code, Errc::corrupted);
  // Layout arithmetic: a sealed size no chunk layout gives is damage before any decryption.
  EXPECT_FALSE(plain_size(c + 5, 4096).has_value());
  EXPECT_FALSE(plain_size(c + 16, 4096).has_value());
  EXPECT_EQ(plain_size(16, 4096).value(), 0u);
  EXPECT_EQ(sealed_size(0, 4096), 16u);
}

TEST(EncryptedArchive, golden_vector_is_reproduced_and_reads_with_its_passphrase) {
  // The vector: the documents of tests/vectors/archive-small.jsonl, passphrase k_vector_passphrase,
  // salt 00 01 .. 0f (EncryptionOptions::test_fixed_salt, tests only), default Argon2id costs, 64 KiB
  // chunks. Regenerate deliberately with CLAUDELENS_UPDATE_VECTORS=1.
  const auto dir = test::scratch_dir();
  const crypto::Secret pass(k_vector_passphrase);
  WriterOptions o{.threads = 2};
  o.encryption.passphrase = &pass;
  o.encryption.test_fixed_salt = fixed_salt();
  const WrittenArchive w = test::write_archive(dir / "v.clbk", test::small_vector_input(), o);
  const std::string bytes = test::read_file(dir / "v.clbk");
  const std::string sha_line = w.sha256_hex + "  " + k_vector + ".clbk\n";
  const auto vec = k_vectors / (std::string(k_vector) + ".clbk");
  const auto sha = k_vectors / (std::string(k_vector) + ".sha256");
  if (std::getenv("CLAUDELENS_UPDATE_VECTORS") != nullptr) {
    test::write_file(vec, bytes);
    test::write_file(sha, sha_line);
  }
  EXPECT_EQ(bytes, test::read_file(vec));
  EXPECT_EQ(sha_line, test::read_file(sha));
  EXPECT_EQ(read_all(vec, &pass), all_documents(test::small_vector_input()));
  auto v = verify_archive(vec, {}, &pass);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(v->authenticated);
}

}  // namespace
}  // namespace claudelens::format
