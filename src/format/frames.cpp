#include "format/frames.hpp"

#include <cstring>

#include "format/bytes.hpp"

namespace claudelens::format {
namespace {

std::string_view as_view(const crypto::Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

/// Appends SHA-256(out[from..]) to out.
void append_digest(std::string& out, std::size_t from) {
  out.append(as_view(crypto::sha256(std::string_view(out).substr(from))));
}

/// Splits `payload` into covered bytes and trailing digest, checking the digest and the tag.
Result<std::string_view> checked_body(std::string_view payload, std::string_view tag, std::string_view what) {
  if (payload.size() < k_tag_size + k_digest_size)
    return fail(Errc::corrupted, std::string(what) + " frame is too short");
  const std::string_view covered = payload.substr(0, payload.size() - k_digest_size);
  if (covered.substr(0, k_tag_size) != tag)
    return fail(Errc::corrupted, std::string(what) + " frame has the wrong tag");
  if (k_check_digests && as_view(crypto::sha256(covered)) != payload.substr(covered.size()))
    return fail(Errc::corrupted, std::string(what) + " frame: checksum mismatch");
  return covered.substr(k_tag_size);
}

}  // namespace

std::string skippable_frame_header(std::uint32_t payload_size) {
  std::string out;
  ByteSink o(out);
  o.u32(k_skippable_magic);
  o.u32(payload_size);
  return out;
}

Result<std::uint32_t> parse_skippable_frame_header(std::string_view eight_bytes, std::string_view what) {
  ByteSource in(eight_bytes);
  std::uint32_t magic = 0;
  std::uint32_t size = 0;
  if (!in.u32(magic) || !in.u32(size)) return fail(Errc::corrupted, std::string(what) + " frame header is truncated");
  if (magic != k_skippable_magic)
    return fail(Errc::corrupted, std::string(what) + " frame: bad magic (not a ClaudeLens archive?)");
  return size;
}

Status check_format_version(std::uint16_t version) {
  if (version >= 1 && version <= k_format_version) return {};
  return fail(Errc::incompatible_version, "incompatible archive format version " + std::to_string(version) +
                                              ", this build reads versions 1 to " + std::to_string(k_format_version));
}

std::string encode_header_frame(const Header& header) {
  std::string payload;
  ByteSink o(payload);
  o.bytes(k_tag_header);
  o.u16(header.version);
  o.u16(header.flags);
  o.u32(static_cast<std::uint32_t>(header.json.size()));
  o.bytes(header.json);
  append_digest(payload, 0);
  return skippable_frame_header(static_cast<std::uint32_t>(payload.size())) + payload;
}

Result<Header> decode_header_payload(std::string_view payload) {
  CL_TRY(body, checked_body(payload, k_tag_header, "header"));
  ByteSource in(body);
  Header h;
  std::uint32_t json_size = 0;
  std::string_view json;
  if (!in.u16(h.version) || !in.u16(h.flags) || !in.u32(json_size) || json_size > k_max_json_bytes ||
      !in.bytes(json_size, json))
    return fail(Errc::corrupted, "header frame is truncated");
  CL_CHECK(check_format_version(h.version));
  if ((h.flags & ~k_known_flags) != 0)
    return fail(Errc::incompatible_version, "archive uses header flags this ClaudeLens does not know");
  h.json.assign(json);
  return h;
}

std::string encode_manifest_frame(std::string_view json) {
  std::string payload;
  ByteSink o(payload);
  o.bytes(k_tag_manifest);
  o.u32(static_cast<std::uint32_t>(json.size()));
  o.bytes(json);
  append_digest(payload, 0);
  return skippable_frame_header(static_cast<std::uint32_t>(payload.size())) + payload;
}

Result<std::string> decode_manifest_payload(std::string_view payload) {
  CL_TRY(body, checked_body(payload, k_tag_manifest, "manifest"));
  ByteSource in(body);
  std::uint32_t json_size = 0;
  std::string_view json;
  if (!in.u32(json_size) || json_size > k_max_json_bytes || !in.bytes(json_size, json))
    return fail(Errc::corrupted, "manifest frame is truncated");
  return std::string(json);
}

std::string encode_index_prefix(std::uint64_t frame_count, std::uint64_t section_count, std::uint64_t records_size) {
  const std::uint64_t payload = k_index_fixed_size + records_size;
  std::string out = skippable_frame_header(static_cast<std::uint32_t>(payload));
  ByteSink o(out);
  o.bytes(k_tag_index);
  o.u64(frame_count);
  o.u64(section_count);
  return out;
}

std::string encode_trailer(const Trailer& t) {
  std::string out = skippable_frame_header(static_cast<std::uint32_t>(k_trailer_payload_size));
  ByteSink o(out);
  o.bytes(k_tag_trailer);
  o.u16(t.version);
  o.u16(t.minor);
  o.u64(t.index_offset);
  o.u64(t.index_frame_size);
  o.u64(t.manifest_offset);
  o.u64(t.manifest_frame_size);
  o.u64(t.data_frame_count);
  o.bytes(as_view(t.body_digest));
  append_digest(out, k_frame_header_size);
  return out;
}

Result<Trailer> decode_trailer(std::string_view bytes) {
  if (bytes.size() != k_trailer_size) return fail(Errc::corrupted, "trailer: file too short to hold one");
  CL_TRY(payload_size, parse_skippable_frame_header(bytes.substr(0, k_frame_header_size), "trailer"));
  if (payload_size != k_trailer_payload_size)
    return fail(Errc::corrupted, "trailer: wrong size (truncated or appended bytes?)");
  CL_TRY(body, checked_body(bytes.substr(k_frame_header_size), k_tag_trailer, "trailer"));
  ByteSource in(body);
  Trailer t;
  std::string_view digest;
  if (!in.u16(t.version) || !in.u16(t.minor) || !in.u64(t.index_offset) || !in.u64(t.index_frame_size) ||
      !in.u64(t.manifest_offset) || !in.u64(t.manifest_frame_size) || !in.u64(t.data_frame_count) ||
      !in.bytes(k_digest_size, digest))
    return fail(Errc::corrupted, "trailer is truncated");
  CL_CHECK(check_format_version(t.version));
  std::memcpy(t.body_digest.data(), digest.data(), digest.size());
  return t;
}

}  // namespace claudelens::format
