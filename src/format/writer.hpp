// ArchiveWriter: writes a backup archive (docs/archive-format.md) from a stream of JSON documents,
// in bounded memory, compressing frames on a small thread pool while the caller keeps producing.
// The file appears under its final name only when finish() succeeds (write to a temporary name in the
// same directory, fsync, rename, fsync the directory); abort() or destroying an unfinished writer
// removes the temporary.
//
// Thread-safety: one producer thread calls begin_section/append/end_section/finish/abort. The progress
// getters (bytes_written, documents) may be called from any thread at any time.
// Memory: about (threads + 2) × (frame_bytes + its compressed size) (plus the sealed frame when
// encrypting) plus one zstd context per thread, whatever the size of the archive; index records are
// spilled to an unlinked temporary file as they are made. Encryption (WriterOptions::encryption) seals each frame on
// the compression threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"
#include "crypto/encryption.hpp"
#include "format/index.hpp"

namespace claudelens::format {

/// Encryption of an archive (docs/archive-format.md "Encrypted archives").
struct EncryptionOptions {
  /// The key file's passphrase; null: a plaintext archive. Must outlive ArchiveWriter::create (the
  /// writer keeps only the derived key, and wipes it). Default: null.
  const crypto::Secret* passphrase = nullptr;
  /// Argon2id costs. Default: crypto::KdfParams{} (t=2, m=19 MiB, p=1).
  crypto::KdfParams kdf;
  /// Plaintext bytes per AES-256-GCM chunk, 4 KiB–1 MiB. Default: 64 KiB.
  std::size_t chunk_bytes = 64u << 10;
  /// TESTS ONLY (the golden vector): use this salt instead of a fresh random one. The nonces are a
  /// function of the chunk's position, so with a fixed salt and passphrase the file is reproducible;
  /// reusing a salt with the same passphrase for two different archives reuses nonces under one key.
  /// Default: none (random).
  std::optional<crypto::Salt> test_fixed_salt;
};

struct WriterOptions {
  /// Compression level 1–9 (zstd levels 1–9). Default: 3.
  int level = 3;
  /// A data frame is closed once its documents reach this many bytes (a single larger document gets a
  /// frame of its own). 4 KiB–64 MiB. Default: 4 MiB, the Compressor's window (codec::k_window_log):
  /// smaller frames lose ratio (2 MiB: +1.8% on the bench's data), larger ones cost memory in every
  /// reader and writer for little (docs/archive-format.md, "Frame size and window").
  std::size_t frame_bytes = 4u << 20;
  /// Compression threads; 0 means std::thread::hardware_concurrency(). Clamped to 1–8. The output is
  /// the same for any value. Default: 0.
  unsigned threads = 0;
  /// Default: no encryption.
  EncryptionOptions encryption;
};

/// What finish() wrote.
struct WrittenArchive {
  std::filesystem::path path;  ///< The final name.
  std::uint64_t file_size = 0;
  std::string sha256_hex;                ///< SHA-256 of the whole file (what `sha256sum` prints).
  std::uint64_t uncompressed_bytes = 0;  ///< NDJSON bytes (documents + newlines).
  std::uint64_t documents = 0;
  std::uint64_t frames = 0;
  std::uint64_t sections = 0;
  std::string key_id;  ///< The encryption key's fingerprint (16 hex digits); empty for a plaintext archive.
};

class ArchiveWriter {
 public:
  /// Starts an archive that will be published at `final_path`, which must not exist yet
  /// (already_exists). `header_json` is a JSON object stored in the header frame, readable before
  /// any document (e.g. backup id, type, creator); the fields `encryption` and `parent_backup_id`
  /// are reserved and added as null when absent. With options.encryption.passphrase the writer fills
  /// `encryption` with the parameters, stores only the fields `backup_id`, `type`, `created_at`,
  /// `parent_backup_id` and `encryption` of it in the clear, and seals the whole object with the
  /// manifest; the KDF runs here.
  static Result<std::unique_ptr<ArchiveWriter>> create(const std::filesystem::path& final_path,
                                                       std::string_view header_json, WriterOptions options = {});

  ~ArchiveWriter();  ///< abort()s when finish() has not succeeded.
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  /// Opens a section; its documents follow the previous section's in the current frame (sections share
  /// frames; a frame closes at frame_bytes). Ends the open section, if any.
  Status begin_section(const SectionKey& key);
  /// Adds one JSON document (one line: no '\n' in it, at most k_max_document_bytes) to the open
  /// section; `timestamp` feeds the section's min/max time. The document is not validated as JSON.
  Status append(std::string_view document_json, std::optional<TimeMs> timestamp = std::nullopt);
  /// The same for a document given in pieces (written one after the other, no copy to join them).
  Status append(std::initializer_list<std::string_view> parts, std::optional<TimeMs> timestamp = std::nullopt);
  /// Closes the open section (no-op when none is open).
  Status end_section();
  /// Writes the index, `manifest_json` (a JSON object: counts, date range, filters, …), the trailer,
  /// and publishes the file. After an error the writer is unusable: call abort().
  Result<WrittenArchive> finish(std::string_view manifest_json);
  /// Stops, and removes the temporary file. Idempotent; never fails.
  void abort() noexcept;

  /// Bytes of archive written so far (compressed; any thread).
  std::uint64_t bytes_written() const noexcept { return m_bytes_written.load(std::memory_order_relaxed); }
  /// Documents appended so far (any thread).
  std::uint64_t documents() const noexcept { return m_documents.load(std::memory_order_relaxed); }
  /// The encryption key's fingerprint (16 hex digits); empty for a plaintext archive.
  const std::string& key_id() const;
  /// The temporary path the archive is being written under.
  const std::filesystem::path& temporary_path() const;

 private:
  struct Impl;
  explicit ArchiveWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
  std::atomic<std::uint64_t> m_bytes_written{0};
  std::atomic<std::uint64_t> m_documents{0};
};

}  // namespace claudelens::format
