// Sealed streams: how an encrypted archive stores a byte string (a zstd data frame, the index, the
// manifest) as AES-256-GCM chunks (docs/archive-format.md "Encrypted archives"), and the encryption
// parameters its header carries. A stream of P plaintext bytes is cut into chunks of `chunk_bytes`
// (the last one shorter, or empty when P = 0); each chunk is stored as ciphertext || 16-byte tag, so
// the stored size is P + 16 × max(1, ceil(P / chunk_bytes)), and the chunk layout follows from the
// stored size alone (a reader without the key can check it). Pure functions and a small streaming
// sealer; not thread-safe per object, any number of objects at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/encryption.hpp"

namespace claudelens::format {

/// Chunk sizes a writer may choose and a reader accepts.
inline constexpr std::size_t k_min_chunk_bytes = 4u << 10;
inline constexpr std::size_t k_max_chunk_bytes = 1u << 20;
inline constexpr std::size_t k_default_chunk_bytes = 64u << 10;

/// The `encryption` object of an encrypted archive's header.
struct EncryptionParams {
  std::size_t chunk_bytes = k_default_chunk_bytes;
  crypto::KdfParams kdf;
  crypto::Salt salt{};
  crypto::KeyCheck key_check{};
};

/// {"algorithm":"aes-256-gcm","chunk_bytes":N,"kdf":"argon2id","kdf_params":{"t_cost","m_cost_kib",
/// "parallelism"},"salt":HEX,"key_check":HEX,"key_id":HEX} (compact JSON, fields in this order).
std::string encryption_params_json(const EncryptionParams& p, std::string_view key_id);
/// Parses that object (given as compact JSON); corrupted when a field is missing, malformed or out of
/// bounds, incompatible_version for another algorithm or KDF.
Result<EncryptionParams> parse_encryption_params(std::string_view json);

/// Stored size of a sealed stream of `plain` bytes.
std::uint64_t sealed_size(std::uint64_t plain, std::size_t chunk_bytes);
/// Plaintext size of a sealed stream of `sealed` bytes; corrupted when no chunk layout gives it.
Result<std::uint64_t> plain_size(std::uint64_t sealed, std::size_t chunk_bytes);

/// Seals all of `plain` as stream (kind, stream), appending to `out`.
Status seal_stream(const crypto::ChunkCipher& cipher, crypto::StreamKind kind, std::uint64_t stream,
                   std::string_view plain, std::size_t chunk_bytes, std::string& out);
/// Opens a whole sealed stream into `out` (replaced). corrupted naming the chunk that fails.
Status open_stream(const crypto::ChunkCipher& cipher, crypto::StreamKind kind, std::uint64_t stream,
                   std::string_view sealed, std::size_t chunk_bytes, std::string& out);

/// Seals a stream whose total size is known up front, fed in pieces of any size: each update()
/// appends the chunks it completes to `out`; the chunk that reaches `total` is the final one.
class StreamSealer {
 public:
  StreamSealer(const crypto::ChunkCipher& cipher, crypto::StreamKind kind, std::uint64_t stream, std::uint64_t total,
               std::size_t chunk_bytes)
      : m_cipher(cipher), m_kind(kind), m_stream(stream), m_total(total), m_chunk_bytes(chunk_bytes) {}
  /// invalid_argument when more than `total` bytes are fed.
  Status update(std::string_view bytes, std::string& out);
  /// internal unless exactly `total` bytes were fed; seals the empty final chunk when total = 0.
  Status finish(std::string& out);

 private:
  const crypto::ChunkCipher& m_cipher;
  crypto::StreamKind m_kind;
  std::uint64_t m_stream;
  std::uint64_t m_total;
  std::size_t m_chunk_bytes;
  std::uint64_t m_fed = 0;
  std::uint32_t m_chunk = 0;
  bool m_final_done = false;
  std::string m_buffer;
};

}  // namespace claudelens::format
