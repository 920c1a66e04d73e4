#include "format/index.hpp"

#include <algorithm>
#include <cstring>

#include "crypto/sha256.hpp"

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

}  // namespace claudelens::format

namespace claudelens::format {

namespace {

/// The longest record prefix a reader decodes: a section record's four key strings at their limit and
/// its fixed fields (the rest of a longer body is skipped unread).
constexpr std::size_t k_max_record_head =
    k_record_header_size + 4 * (2 + k_max_key_bytes) + k_section_record_fixed_size;

Result<FrameInfo> decode_frame(std::string_view body) {
  ByteSource in(body);
  FrameInfo f;
  std::string_view sum;
  if (!in.u64(f.offset) || !in.u32(f.stored_size) || !in.u32(f.content_size) || !in.u32(f.documents) ||
      !in.bytes(k_frame_checksum_size, sum))
    return bad("truncated frame record");
  std::memcpy(f.checksum.data(), sum.data(), sum.size());
  return f;
}

Result<SectionInfo> decode_section(std::string_view body) {
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
  return s;
}

/// Checks section `i` against the content prefix sums of the frames (prefix[k] = content of frames < k).
Status check_section(const SectionInfo& s, std::uint64_t i, const std::vector<std::uint64_t>& prefix) {
  const std::uint64_t frames = prefix.size() - 1;
  const std::string which = "section " + std::to_string(i);
  if (s.first_frame > frames || s.frame_count > frames - s.first_frame)
    return bad(which + " names frames that do not exist");
  const std::uint64_t content = prefix[s.first_frame + s.frame_count] - prefix[s.first_frame];
  if (s.content_offset > content || s.content_size > content - s.content_offset)
    return bad(which + " content range is outside its frames");
  if (s.min_time.has_value() && *s.min_time > *s.max_time) return bad(which + " has min time after max time");
  return {};
}

std::array<std::uint8_t, 16> digest16(const crypto::Digest& d) {
  std::array<std::uint8_t, 16> out{};
  std::memcpy(out.data(), d.data(), out.size());
  return out;
}

std::uint32_t key_hash(std::string_view collection, std::string_view session_id) {
  const std::size_t h =
      std::hash<std::string_view>{}(collection)*0x9E3779B97F4A7C15ull ^ std::hash<std::string_view>{}(session_id);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

/// Collection names that get a bit of their own in a page's PageRef::collections; the rest share one.
constexpr std::size_t k_named_collections = 63;

std::size_t string_heap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;  // libstdc++: 15 bytes fit in the object
}

}  // namespace

struct PagedIndex::Page {
  std::uint64_t number = 0;
  std::vector<SectionInfo> sections;
  std::size_t bytes = 0;  ///< memory held, for memory_bytes()
};

/// One sequential pass over the index payload at open: reads it in pieces of `scan_bytes`, hashes
/// every byte before the digest (and each page's bytes), decodes the records and checks the structure.
class IndexScan {
 public:
  IndexScan(PagedIndex& index, std::uint64_t payload_size, std::uint64_t data_begin, std::uint64_t data_end)
      : m_index(index), m_covered(payload_size - k_digest_size), m_data_begin(data_begin), m_data_end(data_end) {}

  Status run() {
    std::string_view head;
    CL_CHECK(take(k_tag_size + 16, head));
    if (head.substr(0, k_tag_size) != k_tag_index) return bad_tag();
    ByteSource counts(head.substr(k_tag_size));
    std::uint64_t frame_count = 0;
    counts.u64(frame_count);
    counts.u64(m_section_count);
    const std::uint64_t records = m_covered - k_tag_size - 16;
    // Every record takes at least its fixed size, so the counts cannot exceed what the bytes can hold.
    if (frame_count > records / (k_record_header_size + k_frame_record_size) ||
        m_section_count > records / (k_record_header_size + k_section_record_fixed_size))
      return finish(bad("record counts exceed the index size"));
    m_frame_count = frame_count;
    m_expect = m_data_begin;
    m_prefix.assign(1, 0);
    return finish(records_pass());
  }

  bool deferred() const { return m_deferred; }
  std::vector<std::uint64_t> take_prefix() { return std::move(m_prefix); }

 private:
  Failure bad_tag() const { return fail(Errc::corrupted, "index frame has the wrong tag"); }

  Status records_pass() {
    auto& frames = m_index.m_frames;
    const std::size_t per_page = m_index.m_options.sections_per_page;
    while (m_offset < m_covered) {
      const std::uint64_t at = m_offset;
      std::string_view h;
      if (m_covered - m_offset < k_record_header_size) return bad("truncated record at index byte " + where(at));
      CL_CHECK(peek(k_record_header_size, h));
      ByteSource hs(h);
      std::uint8_t kind = 0;
      std::uint32_t size = 0;
      hs.u8(kind);
      hs.u32(size);
      if (size > m_covered - m_offset - k_record_header_size) return bad("truncated record at index byte " + where(at));
      if (kind == k_record_section && m_sections % per_page == 0) start_page(at);
      if (kind != k_record_frame && kind != k_record_section) {
        CL_CHECK(skip(k_record_header_size + static_cast<std::uint64_t>(size)));
        continue;  // a record a later writer added: skipped (see the version policy)
      }
      const std::size_t head = std::min<std::size_t>(k_record_header_size + size, k_max_record_head);
      std::string_view record;
      CL_CHECK(take(head, record));
      const std::string_view body = record.substr(k_record_header_size);
      CL_CHECK(skip(k_record_header_size + static_cast<std::uint64_t>(size) - head));
      if (kind == k_record_frame) {
        if (frames.size() == m_frame_count) return bad("more frame records than counted");
        CL_TRY(f, decode_frame(body));
        CL_CHECK(check_frame(f, frames.size()));
        frames.push_back(f);
        m_prefix.push_back(m_prefix.back() + f.content_size);
      } else {
        if (m_sections == m_section_count) return bad("more section records than counted");
        CL_TRY(s, decode_section(body));
        m_index.m_pages.back().collections |= m_index.note_collection(s.key.collection);
        m_index.m_lookup.push_back(static_cast<std::uint64_t>(key_hash(s.key.collection, s.key.session_id)) << 32 |
                                   m_sections);
        // The writer puts a section after its frames; a section naming frames not seen yet is
        // checked in a second pass.
        if (s.first_frame + s.frame_count < s.first_frame || s.first_frame + s.frame_count > frames.size())
          m_deferred = true;
        else
          CL_CHECK(check_section(s, m_sections, m_prefix));
        ++m_sections;
      }
    }
    if (frames.size() != m_frame_count || m_sections != m_section_count) return bad("fewer records than counted");
    if (m_expect != m_data_end) return bad("frames do not cover the data region exactly");
    m_index.m_section_count = m_sections;
    std::sort(m_index.m_lookup.begin(), m_index.m_lookup.end());
    m_index.m_lookup.shrink_to_fit();
    return {};
  }

  Status check_frame(const FrameInfo& f, std::size_t i) {
    if (f.offset != m_expect)
      return bad("frame " + std::to_string(i) + " does not start where frame " + std::to_string(i) + "-1 ends");
    if (f.stored_size == 0 || f.stored_size > m_data_end - m_expect)
      return bad("frame " + std::to_string(i) + " runs past the data");
    if (f.content_size > k_max_frame_content)
      return bad("frame " + std::to_string(i) + " content size is beyond the limit");
    m_expect += f.stored_size;
    return {};
  }

  static std::string where(std::uint64_t payload_offset) {
    return std::to_string(payload_offset - k_tag_size - 16);  // as a position among the records
  }

  void start_page(std::uint64_t at) {
    hash_consumed();
    close_page(at);
    m_index.m_pages.push_back({at, 0, {}});
    m_page_hash = crypto::Sha256();
    m_page_open = true;
  }
  void close_page(std::uint64_t end) {
    if (!m_page_open) return;
    auto& p = m_index.m_pages.back();
    p.size = static_cast<std::uint32_t>(end - p.offset);
    p.digest = digest16(m_page_hash.digest());
    m_page_open = false;
  }

  /// After the records (or a failure among them): the digest decides. Damage that broke a record is
  /// reported as the digest mismatch it also is (the rest is read and hashed for that); in fuzz builds,
  /// which do not compare digests, the record's own error stands.
  Status finish(Status records) {
    hash_consumed();
    if (records) {
      close_page(m_offset);
      if (m_pages_too_large) return bad("a page of section records is larger than 4 GiB");
    } else if (!k_check_digests) {
      return records;
    } else if (Status rest = skip(m_covered - m_offset); !rest) {
      return rest;
    } else {
      hash_consumed();
    }
    std::string digest;
    CL_CHECK(m_index.m_read(m_covered, k_digest_size, digest));
    if (k_check_digests && std::memcmp(m_hash.digest().data(), digest.data(), k_digest_size) != 0)
      return fail(Errc::corrupted, "index frame: checksum mismatch");
    return records;
  }

  /// Makes `n` bytes from the current offset available in m_buffer (n <= the bytes left before the digest).
  Status fill(std::size_t n) {
    if (m_buffer.size() - m_pos >= n) return {};
    hash_consumed();
    m_buffer.erase(0, m_pos);
    m_pos = 0;
    m_hashed = 0;
    std::string piece;
    while (m_buffer.size() < n) {
      const std::uint64_t from = m_offset + m_buffer.size();
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(std::max(m_index.m_options.scan_bytes, n), m_covered - from));
      if (want == 0) return bad("truncated record at index byte " + where(m_offset));
      CL_CHECK(m_index.m_read(from, want, piece));
      if (piece.size() != want) return fail(Errc::io, "archive index: short read");
      m_buffer += piece;
    }
    return {};
  }

  /// The bytes consumed since the last call, into the digests: hashed in long runs (at a page's start,
  /// before the buffer moves on, at the end), not record by record.
  void hash_consumed() {
    const std::string_view run = std::string_view(m_buffer).substr(m_hashed, m_pos - m_hashed);
    m_hash.update(run);
    if (m_page_open) m_page_hash.update(run);
    m_hashed = m_pos;
  }

  void consumed(std::string_view bytes) {
    if (m_page_open && m_offset + bytes.size() - m_index.m_pages.back().offset > 0xFFFFFFFFull)
      m_pages_too_large = true;
    m_offset += bytes.size();
  }

  Status peek(std::size_t n, std::string_view& out) {
    CL_CHECK(fill(n));
    out = std::string_view(m_buffer).substr(m_pos, n);
    return {};
  }

  Status take(std::size_t n, std::string_view& out) {
    if (n > m_covered - m_offset) return fail(Errc::corrupted, "index frame is truncated");
    CL_CHECK(peek(n, out));
    consumed(out);
    m_pos += n;
    return {};
  }

  Status skip(std::uint64_t n) {
    while (n > 0) {
      const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, m_index.m_options.scan_bytes));
      std::string_view part;
      CL_CHECK(take(step, part));
      n -= step;
    }
    return {};
  }

  PagedIndex& m_index;
  const std::uint64_t m_covered;  ///< payload bytes before the digest
  const std::uint64_t m_data_begin;
  const std::uint64_t m_data_end;
  std::uint64_t m_frame_count = 0;
  std::uint64_t m_section_count = 0;
  std::uint64_t m_sections = 0;  ///< section records seen
  std::uint64_t m_expect = 0;    ///< where the next frame must start
  std::vector<std::uint64_t> m_prefix;
  bool m_deferred = false;
  std::uint64_t m_offset = 0;  ///< payload offset of m_buffer[m_pos]
  std::string m_buffer;
  std::size_t m_pos = 0;
  std::size_t m_hashed = 0;  ///< m_buffer[0, m_hashed) is in the digests
  crypto::Sha256 m_hash;
  crypto::Sha256 m_page_hash;
  bool m_page_open = false;
  bool m_pages_too_large = false;
};

PagedIndex::~PagedIndex() = default;

Result<std::unique_ptr<PagedIndex>> PagedIndex::open(PayloadReader read, std::uint64_t payload_size,
                                                     std::uint64_t data_begin, std::uint64_t data_end,
                                                     const IndexOptions& options) {
  if (payload_size < k_tag_size + k_digest_size) return fail(Errc::corrupted, "index frame is too short");
  if (payload_size < k_index_fixed_size) return fail(Errc::corrupted, "index frame is truncated");
  if (options.sections_per_page == 0 || options.cached_pages == 0 || options.scan_bytes == 0)
    return fail(Errc::invalid_argument, "index options: pages, cache and scan size must be positive");
  auto index = std::unique_ptr<PagedIndex>(new PagedIndex());
  index->m_read = std::move(read);
  index->m_options = options;
  IndexScan scan(*index, payload_size, data_begin, data_end);
  CL_CHECK(scan.run());
  if (scan.deferred()) {  // sections before their frames: checked now that every frame is known
    const std::vector<std::uint64_t> prefix = scan.take_prefix();
    Status bad_section;
    CL_CHECK(index->for_each_section(0, [&](std::uint64_t i, const SectionInfo& s) {
      bad_section = check_section(s, i, prefix);
      return bad_section.has_value();
    }));
    CL_CHECK(bad_section);
    index->m_cache.clear();
  }
  index->m_pages_read = 0;
  return index;
}

Result<std::shared_ptr<const PagedIndex::Page>> PagedIndex::page(std::uint64_t p) {
  for (std::size_t i = m_cache.size(); i-- > 0;) {
    if (m_cache[i]->number != p) continue;
    if (i + 1 != m_cache.size()) std::rotate(m_cache.begin() + i, m_cache.begin() + i + 1, m_cache.end());
    return m_cache.back();
  }
  const PageRef& ref = m_pages[p];
  const std::string which = "archive index: page " + std::to_string(p);
  std::string bytes;
  CL_CHECK(m_read(ref.offset, ref.size, bytes));
  ++m_pages_read;
  if (bytes.size() != ref.size || digest16(crypto::sha256(bytes)) != ref.digest)
    return fail(Errc::corrupted, which + " differs from what was read at open (the file changed?)");
  auto page = std::make_shared<Page>();
  page->number = p;
  const std::uint64_t first = p * m_options.sections_per_page;
  const std::uint64_t count = std::min<std::uint64_t>(m_options.sections_per_page, m_section_count - first);
  page->sections.reserve(count);
  ByteSource in(bytes);
  while (in.remaining() > 0) {
    std::uint8_t kind = 0;
    std::uint32_t size = 0;
    std::string_view body;
    if (!in.u8(kind) || !in.u32(size) || !in.bytes(size, body)) return fail(Errc::corrupted, which + ": truncated");
    if (kind != k_record_section || page->sections.size() == count) continue;
    CL_TRY(s, decode_section(body));
    page->sections.push_back(std::move(s));
  }
  if (page->sections.size() != count) return fail(Errc::corrupted, which + ": fewer sections than counted");
  page->bytes = sizeof(Page) + page->sections.capacity() * sizeof(SectionInfo);
  for (const SectionInfo& s : page->sections)
    page->bytes += string_heap(s.key.collection) + string_heap(s.key.owner_id) + string_heap(s.key.project_id) +
                   string_heap(s.key.session_id);
  if (m_cache.size() == m_options.cached_pages) m_cache.erase(m_cache.begin());
  m_cache.push_back(std::move(page));
  return m_cache.back();
}

Result<SectionInfo> PagedIndex::section(std::uint64_t i) {
  if (i >= m_section_count)
    return fail(Errc::invalid_argument, "section " + std::to_string(i) + " does not belong to this archive");
  CL_TRY(p, page(i / m_options.sections_per_page));
  return p->sections[i % m_options.sections_per_page];
}

Status PagedIndex::for_each_section(std::uint64_t first, const SectionVisit& visit) {
  const std::uint64_t per_page = m_options.sections_per_page;
  for (std::uint64_t i = first; i < m_section_count;) {
    CL_TRY(p, page(i / per_page));  // held: the visitor may evict it from the cache meanwhile
    for (std::uint64_t k = i % per_page; k < p->sections.size(); ++k, ++i)
      if (!visit(i, p->sections[k])) return {};
  }
  return {};
}

std::uint64_t PagedIndex::collection_bit(std::string_view collection) const {
  for (std::size_t i = 0; i < m_collections.size(); ++i)
    if (m_collections[i] == collection) return std::uint64_t{1} << i;
  return m_collections.size() == k_named_collections ? std::uint64_t{1} << k_named_collections : 0;
}

std::uint64_t PagedIndex::note_collection(std::string_view collection) {
  const std::uint64_t bit = collection_bit(collection);
  if (bit != 0) return bit;
  m_collections.emplace_back(collection);
  return std::uint64_t{1} << (m_collections.size() - 1);
}

Status PagedIndex::for_each_section_except(std::string_view collection, const SectionVisit& visit) {
  std::uint64_t skip = collection_bit(collection);
  if (skip >> k_named_collections) skip = 0;  // the shared bit: its pages may hold other names
  const std::uint64_t per_page = m_options.sections_per_page;
  for (std::uint64_t p = 0; p < m_pages.size(); ++p) {
    if (skip != 0 && (m_pages[p].collections & ~skip) == 0) continue;  // that collection's sections only
    CL_TRY(page_p, page(p));  // held: the visitor may evict it from the cache meanwhile
    for (std::size_t k = 0; k < page_p->sections.size(); ++k)
      if (page_p->sections[k].key.collection != collection && !visit(p * per_page + k, page_p->sections[k])) return {};
  }
  return {};
}

Result<std::optional<std::uint64_t>> PagedIndex::find(std::string_view collection, std::string_view session_id) {
  const std::uint64_t h = static_cast<std::uint64_t>(key_hash(collection, session_id)) << 32;
  // Candidates in index order (the low bits): the first whose key matches.
  for (auto it = std::lower_bound(m_lookup.begin(), m_lookup.end(), h);
       it != m_lookup.end() && (*it >> 32) == (h >> 32); ++it) {
    const std::uint64_t i = *it & 0xFFFFFFFFull;
    CL_TRY(s, section(i));
    if (s.key.collection == collection && s.key.session_id == session_id) return std::optional<std::uint64_t>(i);
  }
  return std::optional<std::uint64_t>();
}

std::size_t PagedIndex::memory_bytes() const {
  std::size_t n = sizeof(*this) + m_frames.capacity() * sizeof(FrameInfo) + m_pages.capacity() * sizeof(PageRef) +
                  m_lookup.capacity() * sizeof(std::uint64_t) + m_cache.capacity() * sizeof(m_cache[0]) +
                  m_collections.capacity() * sizeof(std::string);
  for (const auto& c : m_collections) n += string_heap(c);
  for (const auto& p : m_cache) n += p->bytes;
  return n;
}
}  // namespace claudelens::format
