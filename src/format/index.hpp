// The archive's index: what sections it holds (a section = the documents of one key: collection,
// owner, project, session) and which data frames hold each. The writer appends records as it goes
// (frames as they are written, sections as they end); the reader parses them all at open.
// Plain values and pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
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

/// The parsed index.
struct Index {
  std::vector<FrameInfo> frames;
  std::vector<SectionInfo> sections;
};

/// Appends the index record of `frame` to `out`.
void encode_frame_record(const FrameInfo& frame, std::string& out);
/// Appends the index record of `section` to `out`; invalid_argument when a key string is too long.
Status encode_section_record(const SectionInfo& section, std::string& out);

/// Parses `records` (the index payload between its counts and its digest), expecting the given
/// counts, and checks the structure: frames contiguous from `data_begin` to `data_end`, sections
/// inside the frame table, content ranges inside their frames. Errc::corrupted names what is wrong.
Result<Index> parse_index_records(std::string_view records, std::uint64_t frame_count, std::uint64_t section_count,
                                  std::uint64_t data_begin, std::uint64_t data_end);

}  // namespace claudelens::format
