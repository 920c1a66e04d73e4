// The archive's index: what sections it holds (a section = the documents of one key: collection,
// owner, project, session) and which data frames hold each. The writer appends records as it goes
// (frames as they are written, sections as they end). The reader scans them once at open and then
// keeps the frame table and a page directory (PagedIndex): section records are read again from the
// file, a page at a time, so that its memory does not follow the number of sections.
// Record encoding: pure functions, thread-safe. PagedIndex: not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "format/grammar.hpp"

namespace claudelens::format {

/// Names a section. The strings are the caller's (collection name, owner id, project id, session id);
/// any may be empty. Each is at most k_max_key_bytes.
struct SectionKey {
  std::string collection;
  std::string owner_id;
  std::string project_id;
  std::string session_id;
  friend bool operator==(const SectionKey&, const SectionKey&) = default;
};

/// One data frame as the index records it.
struct FrameInfo {
  std::uint64_t offset = 0;                                    ///< Where the frame starts in the file.
  std::uint32_t stored_size = 0;                               ///< Bytes of the frame on disk (the zstd frame, whole).
  std::uint32_t content_size = 0;                              ///< Bytes of NDJSON it decompresses to.
  std::uint32_t documents = 0;                                 ///< Lines in it.
  std::array<std::uint8_t, k_frame_checksum_size> checksum{};  ///< SHA-256 prefix of the stored bytes.
};

/// One section as the index records it.
struct SectionInfo {
  SectionKey key;
  std::uint64_t documents = 0;
  std::optional<TimeMs> min_time;  ///< Smallest timestamp given to append(); none when none was.
  std::optional<TimeMs> max_time;
  std::uint64_t first_frame = 0;  ///< Index of its first frame in the frame table.
  std::uint64_t frame_count = 0;
  /// Its bytes within the concatenated content of its frames: the writer packs small sections into
  /// shared frames, so a section may start inside its first frame and end inside its last.
  std::uint64_t content_offset = 0;
  std::uint64_t content_size = 0;
};

/// Appends the index record of `frame` to `out`.
void encode_frame_record(const FrameInfo& frame, std::string& out);
/// Appends the index record of `section` to `out`; invalid_argument when a key string is too long.
Status encode_section_record(const SectionInfo& section, std::string& out);

/// Reads `n` bytes of the index payload (its plaintext, for an encrypted archive) starting at payload
/// byte `offset` into `out` (replaced); the caller checks that the range lies inside the payload.
using PayloadReader = std::function<Status(std::uint64_t offset, std::size_t n, std::string& out)>;

struct IndexOptions {
  /// Section records per page: the unit read from the file, checked and decoded. Default: 64 (about
  /// 10 KB of records on ClaudeLens backups)
  std::size_t sections_per_page = 64;
  /// Decoded pages kept (least recently used goes first). Default: 16 (1,024 sections)
  std::size_t cached_pages = 16;
  /// Bytes read from the file at a time while scanning the index at open. Default: 256 KiB
  std::size_t scan_bytes = 256u << 10;
};

/// The index as a reader keeps it, in memory that does not follow the number of sections: the frame
/// table (48 bytes a data frame, about 24 KB per GB of documents), a page directory (one entry of 40
/// bytes per `sections_per_page` sections: where the page's records lie in the payload, the first 16
/// bytes of their SHA-256 and which collections they hold), at most `cached_pages` decoded pages, and 8 bytes a section
/// for find() (a sorted table of 32-bit hashes of (collection, session id) with the section's number, made by the scan
/// at open). Section records are read from the file again, a page at a time, when asked for; a page whose bytes are not
/// those scanned at open is Errc::corrupted. Not thread-safe.
class PagedIndex {
 public:
  /// Scans the index payload (`payload_size` bytes: tag, counts, records, digest) once in pieces of
  /// `scan_bytes`: checks its digest and its structure (docs/archive-format.md: the frames tile
  /// [data_begin, data_end), every section lies inside the frame table, the counts) and builds the page
  /// directory. Errc::corrupted names what is wrong.
  static Result<std::unique_ptr<PagedIndex>> open(PayloadReader read, std::uint64_t payload_size,
                                                  std::uint64_t data_begin, std::uint64_t data_end,
                                                  const IndexOptions& options = {});
  /// An index with no frames and no sections (an encrypted archive opened without its key).
  PagedIndex() = default;
  ~PagedIndex();
  PagedIndex(const PagedIndex&) = delete;
  PagedIndex& operator=(const PagedIndex&) = delete;

  const std::vector<FrameInfo>& frames() const { return m_frames; }
  std::uint64_t section_count() const { return m_section_count; }
  /// Section `i` (< section_count()); reads its page unless it is cached.
  Result<SectionInfo> section(std::uint64_t i);
  /// Called with each section from `first` on, in index order; return false to stop. The visitor may
  /// use this index (section(), find()) meanwhile.
  using SectionVisit = std::function<bool(std::uint64_t index, const SectionInfo& section)>;
  Status for_each_section(std::uint64_t first, const SectionVisit& visit);
  /// Called with each section whose collection is not `collection`, in index order; return false to
  /// stop. Reads only the pages that hold such a section: the scan at open notes which collections
  /// each page holds (a bit for each of the first 63 collection names met, one bit shared by the
  /// others), so that the catalogue sections of a ClaudeLens backup are found without reading the
  /// pages of its entries sections again.
  Status for_each_section_except(std::string_view collection, const SectionVisit& visit);
  /// The first section (in index order) whose key has this collection and session id: a binary search
  /// of the key hashes, then the candidates' pages.
  Result<std::optional<std::uint64_t>> find(std::string_view collection, std::string_view session_id);

  /// Bytes this index holds in memory now (frame table, page directory, cached pages with their
  /// strings, the lookup table): what tests and docs/performance.md check against the section count.
  std::size_t memory_bytes() const;
  /// Pages read from the file since open (scan excluded).
  std::uint64_t pages_read() const { return m_pages_read; }

 private:
  struct Page;
  struct PageRef {
    std::uint64_t offset = 0;  ///< of the page's first section record in the payload
    std::uint32_t size = 0;    ///< bytes up to the next page (or the end of the records)
    std::array<std::uint8_t, 16> digest{};
    std::uint64_t collections = 0;  ///< a bit per collection of its sections (collection_bit)
  };
  /// The bit of `collection` in PageRef::collections: its place among the names met by the scan (the
  /// last bit for every name after the 63rd), 0 for a name no section has.
  std::uint64_t collection_bit(std::string_view collection) const;
  /// The bit of `collection`, adding it to the names met when new (the scan at open).
  std::uint64_t note_collection(std::string_view collection);
  friend class IndexScan;
  Result<std::shared_ptr<const Page>> page(std::uint64_t p);

  PayloadReader m_read;
  IndexOptions m_options;
  std::vector<FrameInfo> m_frames;
  std::uint64_t m_section_count = 0;
  std::vector<PageRef> m_pages;
  std::vector<std::shared_ptr<const Page>> m_cache;  ///< most recently used last
  std::vector<std::uint64_t> m_lookup;               ///< (32-bit key hash << 32 | section index), sorted
  std::vector<std::string> m_collections;            ///< the first 63 collection names met, in order
  std::uint64_t m_pages_read = 0;
};

}  // namespace claudelens::format
