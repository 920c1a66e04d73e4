// Encoding and decoding of the archive's skippable metadata frames: header, index, manifest and
// trailer (grammar.hpp has the byte layout). Decoders take bytes read from an untrusted file and
// check every length and digest; damage is Errc::corrupted, a newer version incompatible_version.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/sha256.hpp"
#include "format/index.hpp"

namespace claudelens::format {

/// What the header frame holds.
struct Header {
  std::uint16_t version = k_format_version;
  std::uint16_t flags = 0;
  std::string json;  ///< The caller's header object (see ArchiveWriter::create).
};

/// What the trailer frame holds.
struct Trailer {
  std::uint16_t version = k_format_version;
  std::uint16_t minor = k_format_minor;  ///< 0 in archives of 1.0 writers (the field was "reserved").
  std::uint64_t index_offset = 0;
  std::uint64_t index_frame_size = 0;  ///< Whole frame, its 8-byte skippable header included.
  std::uint64_t manifest_offset = 0;
  std::uint64_t manifest_frame_size = 0;
  std::uint64_t data_frame_count = 0;
  crypto::Digest body_digest{};  ///< SHA-256 of every byte before the trailer.
};

/// The 8-byte skippable frame header for a payload of `payload_size` bytes.
std::string skippable_frame_header(std::uint32_t payload_size);
/// Parses an 8-byte skippable frame header; corrupted unless the magic is ClaudeLens's.
Result<std::uint32_t> parse_skippable_frame_header(std::string_view eight_bytes, std::string_view what);

/// The whole header frame.
std::string encode_header_frame(const Header& header);
/// incompatible_version unless 1 <= `version` <= k_format_version, with the one message header and
/// trailer share: "incompatible archive format version N, this build reads versions 1 to M".
Status check_format_version(std::uint16_t version);

/// Parses a header frame's payload (after the 8-byte frame header). A version check_format_version()
/// refuses, or unknown flags, are incompatible_version.
Result<Header> decode_header_payload(std::string_view payload);

/// The whole manifest frame.
std::string encode_manifest_frame(std::string_view json);
/// The manifest JSON from a manifest frame's payload.
Result<std::string> decode_manifest_payload(std::string_view payload);

/// The first bytes of an index frame whose records take `records_size` bytes: frame header, tag and
/// counts. The frame continues with the records and then the SHA-256 of tag..records.
std::string encode_index_prefix(std::uint64_t frame_count, std::uint64_t section_count, std::uint64_t records_size);

/// The whole trailer frame (k_trailer_size bytes).
std::string encode_trailer(const Trailer& trailer);
/// Parses the last k_trailer_size bytes of a file; its version goes through check_format_version(),
/// its minor revision is any value.
Result<Trailer> decode_trailer(std::string_view bytes);

}  // namespace claudelens::format
