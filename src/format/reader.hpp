// ArchiveReader: opens a backup archive (docs/archive-format.md), exposes its header, manifest and
// section index, reads one section's documents touching only that section's frames, and verifies the
// whole file. Every length read from the file is bounds-checked: a damaged or hostile file yields
// Errc::corrupted (naming the frame and offset), never a crash, a hang or an unbounded allocation.
// Memory: the index (sections and frames) plus two frame-sized buffers, whatever the archive's size.
// Thread-safety: not thread-safe; open one reader per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "format/index.hpp"

namespace claudelens::format {

/// What verify() checked.
struct VerifyReport {
  std::uint64_t file_size = 0;
  std::string sha256_hex;  ///< SHA-256 of the whole file (compare with the backup's metadata checksum).
  std::uint64_t frames = 0;
  std::uint64_t sections = 0;
  std::uint64_t documents = 0;
  std::uint64_t uncompressed_bytes = 0;
};

/// Called with (bytes verified so far, file size); return false to cancel (Errc::cancelled).
using VerifyProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;
/// Called with each document (one JSON line, without its newline); return false to stop early.
using DocumentSink = std::function<bool(std::string_view document)>;
using SectionDocumentSink = std::function<bool(const SectionInfo& section, std::string_view document)>;

class ArchiveReader {
 public:
  /// Reads the trailer, header, index and manifest and checks their own checksums and structure.
  /// Cheap: no data frame is read. not_found for a missing file, corrupted for damage,
  /// incompatible_version for a format version other than 1..k_format_version, unknown header flags,
  /// or an encrypted archive (this build implements no decryption).
  static Result<std::unique_ptr<ArchiveReader>> open(const std::filesystem::path& path);

  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  int format_version() const;
  int format_minor() const;                  ///< The trailer's minor revision (0 for archives of 1.0 writers).
  const std::string& header_json() const;    ///< The writer's header object.
  const std::string& manifest_json() const;  ///< The writer's manifest object.
  /// True when the data frames are encrypted. Always false today: open() refuses encrypted archives
  /// until decryption is implemented.
  bool encrypted() const;
  const std::vector<SectionInfo>& sections() const;
  const std::vector<FrameInfo>& frames() const;
  std::uint64_t file_size() const;

  /// Calls `sink` with each document of `section` (one of sections()), reading only its frames and
  /// checking their checksums.
  Status read_section(const SectionInfo& section, const DocumentSink& sink);
  /// Every document of every section, in archive order.
  Status read_all(const SectionDocumentSink& sink);
  /// Checks every frame's checksum and content, the trailer's digest of the body, and computes the
  /// whole file's SHA-256. Damage is Errc::corrupted naming the frame and offset.
  Result<VerifyReport> verify(const VerifyProgress& progress = {});

  /// Checks the checksums of the data frames `frames` (indexes into frames(), any order, repeats
  /// allowed), reading only those frames; returns the bytes checked. Damage is Errc::corrupted naming
  /// the frame and offset. What a restore of part of an archive checks before its first write: with the
  /// index's own checks at open(), every byte it will read has then been checked.
  Result<std::uint64_t> verify_frames(const std::vector<std::size_t>& frames, const VerifyProgress& progress = {});

  /// Bytes read from the file since open (open's own reads included).
  std::uint64_t bytes_read() const;

 private:
  struct Impl;
  explicit ArchiveReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

/// open() + verify(): any damage, including damage that makes open() fail, is an error.
Result<VerifyReport> verify_archive(const std::filesystem::path& path, const VerifyProgress& progress = {});

}  // namespace claudelens::format
