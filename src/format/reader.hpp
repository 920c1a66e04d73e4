// ArchiveReader: opens a backup archive (docs/archive-format.md), exposes its header, manifest and
// section index, reads one section's documents touching only that section's frames, and verifies the
// whole file. Every length read from the file is bounds-checked: a damaged or hostile file yields
// Errc::corrupted (naming the frame and offset), never a crash, a hang or an unbounded allocation.
// Memory: the frame table (48 bytes a data frame) and a bounded cache of index pages (PagedIndex: section
// records are read from the file again when asked for, never held all at once), plus three frame-sized
// buffers (the stored frame, its content and the content of the frame read before it, kept so that a
// restore that goes back to a frame does not decompress it again; four for an encrypted archive: the
// decrypted zstd frame); with read_ahead, two sets of the stored, decrypted and content buffers and
// no earlier frame kept; whatever the number of sections. Encrypted archives: docs/archive-format.md. Thread-safety:
// not thread-safe; open one reader per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/encryption.hpp"
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
  bool encrypted = false;
  /// Every data frame was decompressed and (when encrypted) every chunk authenticated. False only for
  /// an encrypted archive verified without its key: then the whole-file SHA-256, the trailer's digest
  /// and the structure (frame sizes, tags, chunk layouts) were checked, and documents/sections are 0.
  bool authenticated = true;
};

struct ReadOptions {
  /// The passphrase of an encrypted archive (crypto::read_key_file); ignored for a plaintext one. Must
  /// outlive open() (the reader keeps only the derived key). Default: null.
  const crypto::Secret* passphrase = nullptr;
  /// Open an encrypted archive without its key ("locked"): the clear header, the structure and
  /// verify() work; sections() and frames() are empty and manifest_json() is "{}". Without this,
  /// opening an encrypted archive without a key is Errc::wrong_key ("needs its key"). Default: false.
  bool allow_locked = false;
  /// Read and check the trailer and the header only (their digests, the format version, where the
  /// header ends), not the index or the manifest: for callers that need the header's JSON alone (which
  /// registered backup a file is, an incremental's links), so that they do not scan the index a restore
  /// scans again. header_json(), format_version(), encrypted() and key_id() work; there are no sections
  /// and no frames, manifest_json() is "{}", an encrypted archive is not unlocked (no key is derived:
  /// locked() is true), and verify() is Errc::invalid_argument. Default: false.
  bool header_only = false;
};

/// Called with (bytes verified so far, file size); return false to cancel (Errc::cancelled).
using VerifyProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;
/// Every document a sink sees is followed by at least this many readable bytes (its newline, the
/// documents after it, then zeros), so that a SIMD parser (simdjson) can parse it in place.
inline constexpr std::size_t k_document_padding = 64;
/// Called with each document (one JSON line, without its newline); return false to stop early.
using DocumentSink = std::function<bool(std::string_view document)>;
using SectionDocumentSink = std::function<bool(const SectionInfo& section, std::string_view document)>;

class ArchiveReader;

/// The archive's sections as a sequence (for code written when the reader held them in a vector): each
/// element is read from the reader's index pages when asked for, and returned by value. A page that
/// cannot be read again (an I/O error, the file changed since open) gives an empty SectionInfo whose
/// frames do not exist, and makes every later read_section(), read_all() and verify() of the reader
/// fail with that error. New code uses ArchiveReader::section(), for_each_section() and find_section().
class SectionList {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = SectionInfo;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = SectionInfo;
    SectionInfo operator*() const;
    iterator& operator++() {
      ++m_i;
      return *this;
    }
    bool operator==(const iterator& o) const { return m_i == o.m_i; }
    bool operator!=(const iterator& o) const { return m_i != o.m_i; }

   private:
    friend class SectionList;
    iterator(ArchiveReader* r, std::uint64_t i) : m_reader(r), m_i(i) {}
    ArchiveReader* m_reader;
    std::uint64_t m_i;
  };
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  SectionInfo operator[](std::size_t i) const;
  SectionInfo back() const { return (*this)[size() - 1]; }
  iterator begin() const { return {m_reader, 0}; }
  iterator end() const { return {m_reader, size()}; }

 private:
  friend class ArchiveReader;
  explicit SectionList(ArchiveReader* r) : m_reader(r) {}
  ArchiveReader* m_reader;
};

class ArchiveReader {
 public:
  /// Reads the trailer, header, index and manifest and checks their own checksums and structure.
  /// Cheap: no data frame is read. not_found for a missing file, corrupted for damage,
  /// incompatible_version for a format version other than 1..k_format_version or unknown header flags.
  /// An encrypted archive: the key is derived (Argon2id) and checked against the header's key check
  /// (Errc::wrong_key "does not open", or "needs its key" without one and without allow_locked), then
  /// the index and manifest are decrypted.
  static Result<std::unique_ptr<ArchiveReader>> open(const std::filesystem::path& path,
                                                     const ReadOptions& options = {});

  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  int format_version() const;
  int format_minor() const;  ///< The trailer's minor revision (0 for archives of 1.0 writers).
  /// The writer's header object (an encrypted archive opened locked: the clear part only).
  const std::string& header_json() const;
  const std::string& manifest_json() const;  ///< The writer's manifest object.
  /// True when the archive is encrypted (header flag bit 0).
  bool encrypted() const;
  /// True when it is encrypted and was opened without its key (ReadOptions::allow_locked).
  bool locked() const;
  /// The encryption key's fingerprint (the header's key_id); empty for a plaintext archive.
  const std::string& key_id() const;
  /// Number of sections (0 for an encrypted archive opened locked).
  std::uint64_t section_count() const;
  /// Section `i` (< section_count()), read from the index (a page of records at a time, cached).
  /// corrupted when its page is not what open() read (the file changed), invalid_argument out of range.
  Result<SectionInfo> section(std::uint64_t i);
  /// Each section in index order, from section `first` on; return false to stop. The visitor may read
  /// sections and documents meanwhile.
  Status for_each_section(const PagedIndex::SectionVisit& visit, std::uint64_t first = 0);
  /// Each section whose collection is not `collection`, in index order (PagedIndex::for_each_section_except:
  /// the pages holding that collection's sections only are not read); return false to stop.
  Status for_each_section_except(std::string_view collection, const PagedIndex::SectionVisit& visit);
  /// The first section with this collection and session id (any owner and project), if any: a search
  /// of the key hashes taken at open (8 bytes a section), then the candidate's index page.
  Result<std::optional<std::uint64_t>> find_section(std::string_view collection, std::string_view session_id);
  /// The sections as a sequence read on demand (see SectionList).
  SectionList sections() const;
  const std::vector<FrameInfo>& frames() const;
  /// Bytes the index holds in memory now (PagedIndex::memory_bytes).
  std::size_t index_memory_bytes() const;
  std::uint64_t file_size() const;

  /// Calls `sink` with each document of `section` (one of sections()), reading only its frames and
  /// checking their checksums.
  Status read_section(const SectionInfo& section, const DocumentSink& sink);
  /// Every document of every section, in archive order.
  Status read_all(const SectionDocumentSink& sink);
  /// Checks every frame's checksum and content, the trailer's digest of the body, and computes the
  /// whole file's SHA-256. Damage is Errc::corrupted naming the frame and offset. With `decompress`
  /// false the frames are checked against their checksums only, not decompressed (their line counts
  /// are then not checked): what a restore that reads every frame afterwards needs, since it
  /// decompresses them anyway (inside its transaction) and the checksums already say the bytes are
  /// the ones written.
  Result<VerifyReport> verify(const VerifyProgress& progress = {}, bool decompress = true);

  /// Read-ahead for sequential reads (a large restore, verify): while the caller works on one data
  /// frame, a thread of the reader's own reads, checks and decompresses the next one, so that
  /// decompression and checksums run beside the caller's work. Costs one more set of frame buffers
  /// (about two frames). Off by default; a reader with fewer than two frames or opened locked ignores it.
  void read_ahead(bool on);

  /// Checks the checksums of the data frames `frames` (indexes into frames(), any order, repeats
  /// allowed), reading only those frames; returns the bytes checked. Damage is Errc::corrupted naming
  /// the frame and offset. What a restore of part of an archive checks before its first write: with the
  /// index's own checks at open(), every byte it will read has then been checked.
  Result<std::uint64_t> verify_frames(const std::vector<std::size_t>& frames, const VerifyProgress& progress = {});

  /// Frees the buffers of the last frame read (the next read loads its frame again), so that a reader
  /// kept open but idle holds its index only: the members of an incremental chain. Nothing while
  /// read-ahead is on.
  void release_buffers();

  /// Bytes read from the file since open (open's own reads included).
  std::uint64_t bytes_read() const;

 private:
  friend class SectionList;
  /// section(i), or on failure an empty section whose frames do not exist, the failure kept.
  SectionInfo section_or_fail(std::uint64_t i);
  struct Impl;
  explicit ArchiveReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

/// open() + verify(): any damage, including damage that makes open() fail, is an error. An encrypted
/// archive without `passphrase` is verified locked (VerifyReport::authenticated false).
Result<VerifyReport> verify_archive(const std::filesystem::path& path, const VerifyProgress& progress = {},
                                    const crypto::Secret* passphrase = nullptr);

}  // namespace claudelens::format
