// Archive encryption primitives (SPEC §5.7, docs/archive-format.md "Encrypted archives"): the key
// file's passphrase, Argon2id key derivation with a key check, and AES-256-GCM over fixed-size chunks
// whose position (stream kind, frame number, chunk index) is bound into the nonce and whose
// final-chunk flag is bound into the associated data, so that reordering, truncation and splicing
// fail authentication. Key material lives only in Secret/ArchiveKey objects, which wipe it
// (OPENSSL_cleanse) when destroyed; nothing here logs or stores a key.
// Thread-safety: const member functions of ArchiveKey and ChunkCipher may be called from any number
// of threads at once (each call uses its own OpenSSL context); the free functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace claudelens::crypto {

/// Bytes that must not outlive their use: wiped on destruction and on move-from. Move-only.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string bytes) : m_bytes(std::move(bytes)) {}
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  std::string_view view() const { return m_bytes; }
  bool empty() const { return m_bytes.empty(); }

 private:
  std::string m_bytes;
};

/// The passphrase in a key file: its bytes with one trailing "\n" (or "\r\n") removed. not_found for
/// a missing file, io when it cannot be read, invalid_argument when it is empty (after the newline)
/// or larger than 64 KiB. The message names the file, never its content.
Result<Secret> read_key_file(const std::filesystem::path& path);

/// Argon2id cost parameters, stored in the archive header. Defaults: OWASP's "m=19 MiB, t=2, p=1"
/// (about 30 ms here, 19 MiB of memory: well inside a restore's 64 MiB budget).
struct KdfParams {
  std::uint32_t t_cost = 2;          ///< passes. Default: 2. A reader accepts 1–16.
  std::uint32_t m_cost_kib = 19456;  ///< memory in KiB. Default: 19456. A reader accepts 8–1048576.
  std::uint32_t parallelism = 1;     ///< lanes. Default: 1. A reader accepts 1–16.
};
/// invalid_argument unless every parameter is within the bounds above (a hostile header cannot make
/// a reader allocate gigabytes or spin for minutes).
Status check_kdf_params(const KdfParams& p);

inline constexpr std::size_t k_salt_size = 16;
inline constexpr std::size_t k_key_check_size = 16;
inline constexpr std::size_t k_tag_size = 16;    ///< GCM tag after each chunk's ciphertext.
inline constexpr std::size_t k_nonce_size = 12;  ///< GCM nonce.
using Salt = std::array<std::uint8_t, k_salt_size>;
using KeyCheck = std::array<std::uint8_t, k_key_check_size>;

/// Fresh random salt (OpenSSL's RAND_bytes).
Result<Salt> random_salt();

/// What Argon2id makes of a passphrase for one archive: the AES-256 data key and the key check
/// (HMAC-SHA-256 of the master key under two different labels; the master key itself is wiped).
/// The key check is public: it tells a wrong key from damage, and its first 8 bytes in hex are the
/// archive's `key_id`.
class ArchiveKey {
 public:
  ~ArchiveKey();
  ArchiveKey(ArchiveKey&& other) noexcept;
  ArchiveKey& operator=(ArchiveKey&&) = delete;
  ArchiveKey(const ArchiveKey&) = delete;
  ArchiveKey& operator=(const ArchiveKey&) = delete;

  const KeyCheck& key_check() const { return m_check; }
  /// First 8 bytes of the key check, 16 hex digits: a non-secret fingerprint for metadata and logs.
  std::string key_id() const;
  /// The key_id of a key check (what a reader shows before it has a key).
  static std::string key_id_of(const KeyCheck& check);
  const std::array<std::uint8_t, 32>& data_key() const { return m_data_key; }

 private:
  friend Result<ArchiveKey> derive_archive_key(const Secret&, const Salt&, const KdfParams&);
  ArchiveKey() = default;
  std::array<std::uint8_t, 32> m_data_key{};
  KeyCheck m_check{};
};

/// Argon2id(passphrase, salt, params) → ArchiveKey. invalid_argument for parameters out of bounds,
/// internal when libargon2 fails (out of memory). Fuzz builds remember the last result, so that a
/// fuzzer does not pay the KDF on every input.
Result<ArchiveKey> derive_archive_key(const Secret& passphrase, const Salt& salt, const KdfParams& params);

/// Which sealed stream a chunk belongs to: its frame number and chunk index are counted per kind.
enum class StreamKind : std::uint8_t {
  data = 1,      ///< a data frame (the stream number is the frame number)
  index = 2,     ///< the index (stream number 0)
  manifest = 3,  ///< the manifest and the caller's header (stream number 0)
};

/// AES-256-GCM over the chunks of sealed streams. Nonce (12 bytes) = u8 kind, u56 stream number
/// (little-endian), u32 chunk index (little-endian); associated data (16 bytes) = "CLAE", u8 kind,
/// u8 final (1 on the stream's last chunk, else 0), u16 0, u64 stream number. Each key is made for
/// one archive (fresh salt), so (kind, stream, chunk) never repeats under a key.
class ChunkCipher {
 public:
  explicit ChunkCipher(const ArchiveKey& key) : m_key(key) {}
  /// Appends ciphertext || tag (plaintext.size() + 16 bytes) to `out`.
  Status seal(StreamKind kind, std::uint64_t stream, std::uint32_t chunk, bool final, std::string_view plaintext,
              std::string& out) const;
  /// Appends the plaintext of `sealed` (ciphertext || tag) to `out`; Errc::corrupted when the tag does
  /// not authenticate it (damage, or a chunk moved, dropped or taken from elsewhere). Fuzz builds
  /// decrypt without comparing the tag (GCM is CTR underneath, so a mutated ciphertext byte is a
  /// mutated plaintext byte: the fuzzer reaches the parsers behind the AEAD).
  Status open(StreamKind kind, std::uint64_t stream, std::uint32_t chunk, bool final, std::string_view sealed,
              std::string& out) const;

 private:
  const ArchiveKey& m_key;
};

}  // namespace claudelens::crypto
