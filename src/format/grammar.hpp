// The archive grammar: every magic number, tag, size and limit of the ClaudeLens backup format, in one
// place (docs/archive-format.md is the prose twin of this header; tests/unit/format/golden_test.cpp
// fails if the bytes drift). Constants only; thread-safe by construction.
//
//   file     := header_frame data_frame* index_frame manifest_frame trailer_frame
//   *_frame  := u32le skippable magic, u32le payload size, payload       (zstd skips these)
//   data     := standard zstd frames of NDJSON lines (or, when encrypted, skippable "CLED" frames)
//
// All integers are little-endian. Offsets are absolute byte offsets from the start of the file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace claudelens::format {

/// The version this library writes (header and trailer `format_version`). A reader opens every
/// version from 1 to this one and refuses any other with Errc::incompatible_version. Additive changes
/// (new JSON fields, new index record kinds, new trailing record fields) do not bump it: they bump the
/// minor revision below.
inline constexpr std::uint16_t k_format_version = 1;
/// The minor revision this library writes, in the trailer's u16 after the version (written as 0, then
/// "reserved", by 1.0 writers). Informational: a reader reads every minor revision of its major version
/// the same way and never refuses one. 1.0: data frames without zstd checksums; 1.1: every data frame
/// carries zstd's content checksum.
inline constexpr std::uint16_t k_format_minor = 1;
/// "MAJOR.MINOR.0" for k_format_version.k_format_minor, the shape the API's `version` fields use.
inline constexpr std::string_view k_format_version_string = "1.1.0";

/// The zstd skippable-frame magic all ClaudeLens metadata frames use (zstd reserves 0x184D2A50..5F).
inline constexpr std::uint32_t k_skippable_magic = 0x184D2A5C;
/// A standard zstd frame starts with this magic (data frames of unencrypted archives).
inline constexpr std::uint32_t k_zstd_magic = 0xFD2FB528;
/// Bytes of a skippable frame's own header: magic + payload size.
inline constexpr std::size_t k_frame_header_size = 8;

/// Kind tags: the first four payload bytes of each ClaudeLens skippable frame, as ASCII.
inline constexpr std::string_view k_tag_header = "CLHD";
inline constexpr std::string_view k_tag_index = "CLIX";
inline constexpr std::string_view k_tag_manifest = "CLMF";
inline constexpr std::string_view k_tag_trailer = "CLTR";
/// Reserved for encrypted archives: a data frame stored as AES-256-GCM chunks (SPEC §5.7).
inline constexpr std::string_view k_tag_encrypted_data = "CLED";
inline constexpr std::size_t k_tag_size = 4;

/// Header flags (u16). A reader refuses bits it does not know (incompatible_version).
inline constexpr std::uint16_t k_flag_encrypted = 0x0001;
inline constexpr std::uint16_t k_known_flags = k_flag_encrypted;

/// Full SHA-256 digests protect the metadata frames and the whole file; data frames carry the first
/// k_frame_checksum_size bytes of the SHA-256 of their stored bytes (enough to detect damage; the
/// trailer's full digest is the integrity root).
inline constexpr std::size_t k_digest_size = 32;
inline constexpr std::size_t k_frame_checksum_size = 16;

/// Header payload: tag, u16 version, u16 flags, u32 json size, json, digest(tag..json).
inline constexpr std::size_t k_header_fixed_size = k_tag_size + 2 + 2 + 4 + k_digest_size;
/// Manifest payload: tag, u32 json size, json, digest(tag..json).
inline constexpr std::size_t k_manifest_fixed_size = k_tag_size + 4 + k_digest_size;
/// Index payload: tag, u64 frame count, u64 section count, records, digest(tag..records).
inline constexpr std::size_t k_index_fixed_size = k_tag_size + 8 + 8 + k_digest_size;

/// Index records: u8 kind, u32le body size, body. A reader skips kinds it does not know and ignores
/// body bytes after the fields it knows, so later writers can add records and fields.
inline constexpr std::size_t k_record_header_size = 1 + 4;
inline constexpr std::uint8_t k_record_frame = 1;
inline constexpr std::uint8_t k_record_section = 2;
/// Frame record body: u64 offset, u32 stored size, u32 content size, u32 documents, checksum.
inline constexpr std::size_t k_frame_record_size = 8 + 4 + 4 + 4 + k_frame_checksum_size;
/// Section record body: the four u16-length-prefixed key strings, then
/// u64 documents, u8 has_time, i64 min, i64 max, u64 first_frame, u64 frame_count,
/// u64 content_offset, u64 content_size.
inline constexpr std::size_t k_section_record_fixed_size = 8 + 1 + 8 + 8 + 8 + 8 + 8 + 8;

/// Trailer payload (fixed): tag, u16 version, u16 minor revision, u64 index offset, u64 index frame size,
/// u64 manifest offset, u64 manifest frame size, u64 data frame count, digest of bytes
/// [0, trailer offset), digest(tag..previous field).
inline constexpr std::size_t k_trailer_payload_size = k_tag_size + 2 + 2 + 8 * 5 + k_digest_size + k_digest_size;
inline constexpr std::size_t k_trailer_size = k_frame_header_size + k_trailer_payload_size;

/// Fuzz builds (scripts/fuzz: CLAUDELENS_FUZZ defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
/// name libFuzzer and OSS-Fuzz use) accept any stored digest or frame checksum, so that mutated inputs
/// get past the SHA-256 comparisons to the parsers behind them. Every other build checks them all
/// (tests/unit/format/damage_test.cpp asserts it).
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
inline constexpr bool k_check_digests = false;
#else
inline constexpr bool k_check_digests = true;
#endif

/// Limits every reader enforces on lengths read from the file (anything above is Errc::corrupted),
/// so that a damaged or hostile archive can never make a reader allocate without bound.
inline constexpr std::size_t k_max_document_bytes = 64u << 20;  ///< One JSON document.
inline constexpr std::size_t k_max_frame_content = 128u << 20;  ///< One data frame's content.
inline constexpr std::size_t k_max_json_bytes = 16u << 20;      ///< Header or manifest JSON.
inline constexpr std::size_t k_max_key_bytes = 4096;            ///< One section key string.
inline constexpr std::uint64_t k_max_index_bytes = 1ull << 30;  ///< The index payload.

/// Temporary files are named ".<final name>.partial-<16 hex>" in the final file's directory.
inline constexpr std::string_view k_partial_infix = ".partial-";

}  // namespace claudelens::format
