#include "format/index.hpp"

#include <cstring>

#include "format/bytes.hpp"

namespace claudelens::format {
namespace {

Failure bad(const std::string& what) {
  return fail(Errc::corrupted, "archive index: " + what);
}

bool read_key_string(ByteSource& in, std::string& s) {
  std::uint16_t n = 0;
  std::string_view v;
  if (!in.u16(n) || n > k_max_key_bytes || !in.bytes(n, v)) return false;
  s.assign(v);
  return true;
}

Status check_frames(const std::vector<FrameInfo>& frames, std::uint64_t data_begin, std::uint64_t data_end) {
  std::uint64_t expect = data_begin;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const FrameInfo& f = frames[i];
    if (f.offset != expect)
      return bad("frame " + std::to_string(i) + " does not start where frame " + std::to_string(i) + "-1 ends");
    if (f.stored_size == 0 || f.stored_size > data_end - expect)
      return bad("frame " + std::to_string(i) + " runs past the data");
    if (f.content_size > k_max_frame_content)
      return bad("frame " + std::to_string(i) + " content size is beyond the limit");
    expect += f.stored_size;
  }
  if (expect != data_end) return bad("frames do not cover the data region exactly");
  return {};
}

Status check_section(const SectionInfo& s, std::size_t i, const std::vector<std::uint64_t>& content_prefix) {
  const std::string which = "section " + std::to_string(i);
  const std::uint64_t frames = content_prefix.size() - 1;
  if (s.first_frame > frames || s.frame_count > frames - s.first_frame)
    return bad(which + " names frames that do not exist");
  const std::uint64_t content = content_prefix[s.first_frame + s.frame_count] - content_prefix[s.first_frame];
  if (s.content_offset > content || s.content_size > content - s.content_offset)
    return bad(which + " content range is outside its frames");
  if (s.min_time.has_value() && *s.min_time > *s.max_time) return bad(which + " has min time after max time");
  return {};
}

Status parse_frame(std::string_view body, Index& index) {
  ByteSource in(body);
  FrameInfo f;
  std::string_view sum;
  if (!in.u64(f.offset) || !in.u32(f.stored_size) || !in.u32(f.content_size) || !in.u32(f.documents) ||
      !in.bytes(k_frame_checksum_size, sum))
    return bad("truncated frame record");
  std::memcpy(f.checksum.data(), sum.data(), sum.size());
  index.frames.push_back(f);
  return {};
}

Status parse_section(std::string_view body, Index& index) {
  ByteSource in(body);
  SectionInfo s;
  std::uint8_t has_time = 0;
  std::int64_t min_t = 0;
  std::int64_t max_t = 0;
  if (!read_key_string(in, s.key.collection) || !read_key_string(in, s.key.owner_id) ||
      !read_key_string(in, s.key.project_id) || !read_key_string(in, s.key.session_id) || !in.u64(s.documents) ||
      !in.u8(has_time) || !in.i64(min_t) || !in.i64(max_t) || !in.u64(s.first_frame) || !in.u64(s.frame_count) ||
      !in.u64(s.content_offset) || !in.u64(s.content_size))
    return bad("truncated section record");
  if (has_time > 1) return bad("bad time flag in a section record");
  if (has_time == 1) {
    s.min_time = min_t;
    s.max_time = max_t;
  }
  index.sections.push_back(std::move(s));
  return {};
}

void begin_record(std::uint8_t kind, std::size_t body_size, std::string& out) {
  ByteSink o(out);
  o.u8(kind);
  o.u32(static_cast<std::uint32_t>(body_size));
}

}  // namespace

void encode_frame_record(const FrameInfo& frame, std::string& out) {
  begin_record(k_record_frame, k_frame_record_size, out);
  ByteSink o(out);
  o.u64(frame.offset);
  o.u32(frame.stored_size);
  o.u32(frame.content_size);
  o.u32(frame.documents);
  o.bytes(std::string_view(reinterpret_cast<const char*>(frame.checksum.data()), frame.checksum.size()));
}

Status encode_section_record(const SectionInfo& section, std::string& out) {
  const std::string* keys[] = {&section.key.collection, &section.key.owner_id, &section.key.project_id,
                               &section.key.session_id};
  std::size_t body = k_section_record_fixed_size;
  for (const std::string* s : keys) {
    if (s->size() > k_max_key_bytes) return fail(Errc::invalid_argument, "section key string longer than 4096 bytes");
    body += 2 + s->size();
  }
  begin_record(k_record_section, body, out);
  ByteSink o(out);
  for (const std::string* s : keys) {
    o.u16(static_cast<std::uint16_t>(s->size()));
    o.bytes(*s);
  }
  o.u64(section.documents);
  o.u8(section.min_time.has_value() ? 1 : 0);
  o.i64(section.min_time.value_or(0));
  o.i64(section.max_time.value_or(0));
  o.u64(section.first_frame);
  o.u64(section.frame_count);
  o.u64(section.content_offset);
  o.u64(section.content_size);
  return {};
}

Result<Index> parse_index_records(std::string_view records, std::uint64_t frame_count, std::uint64_t section_count,
                                  std::uint64_t data_begin, std::uint64_t data_end) {
  // Every record takes at least its fixed size, so the counts cannot exceed what the bytes can hold:
  // this bounds the vectors before reserving them.
  if (frame_count > records.size() / (k_record_header_size + k_frame_record_size) ||
      section_count > records.size() / (k_record_header_size + k_section_record_fixed_size))
    return bad("record counts exceed the index size");
  Index index;
  index.frames.reserve(frame_count);
  index.sections.reserve(section_count);
  ByteSource in(records);
  while (in.remaining() > 0) {
    std::uint8_t kind = 0;
    std::uint32_t size = 0;
    std::string_view body;
    const std::size_t at = in.position();
    if (!in.u8(kind) || !in.u32(size) || !in.bytes(size, body))
      return bad("truncated record at index byte " + std::to_string(at));
    if (kind == k_record_frame) {
      if (index.frames.size() == frame_count) return bad("more frame records than counted");
      CL_CHECK(parse_frame(body, index));
    } else if (kind == k_record_section) {
      if (index.sections.size() == section_count) return bad("more section records than counted");
      CL_CHECK(parse_section(body, index));
    }
    // Other kinds are records a later writer added: skipped (see the version policy).
  }
  if (index.frames.size() != frame_count || index.sections.size() != section_count)
    return bad("fewer records than counted");
  CL_CHECK(check_frames(index.frames, data_begin, data_end));
  std::vector<std::uint64_t> prefix(index.frames.size() + 1, 0);
  for (std::size_t i = 0; i < index.frames.size(); ++i) prefix[i + 1] = prefix[i] + index.frames[i].content_size;
  for (std::size_t i = 0; i < index.sections.size(); ++i) CL_CHECK(check_section(index.sections[i], i, prefix));
  return index;
}

}  // namespace claudelens::format
