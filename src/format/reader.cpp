#include "format/reader.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "codec/zstd.hpp"
#include "crypto/sha256.hpp"
#include "format/file_io.hpp"
#include "format/frames.hpp"
#include "format/grammar.hpp"
#include "format/json_fields.hpp"

namespace claudelens::format {
namespace {

/// A stored data frame can be a little larger than its content (zstd bound, or AEAD overhead later).
constexpr std::uint64_t k_max_stored_frame = k_max_frame_content + (k_max_frame_content >> 3) + (1u << 20);
constexpr std::size_t k_verify_chunk = 1u << 20;

std::string frame_name(std::size_t i, const FrameInfo& f) {
  return "frame " + std::to_string(i) + " at offset " + std::to_string(f.offset);
}

/// Checks that `piece` (part of a frame's content) is whole lines; returns how many.
Result<std::uint64_t> count_lines(std::string_view piece, const std::string& where) {
  if (!piece.empty() && piece.back() != '\n')
    return fail(Errc::corrupted, where + ": content does not end with a newline");
  return static_cast<std::uint64_t>(std::count(piece.begin(), piece.end(), '\n'));
}

}  // namespace

struct ArchiveReader::Impl {
  File file;
  std::uint64_t size = 0;
  mutable std::uint64_t bytes_read = 0;
  Header header;
  Trailer trailer;
  std::uint64_t header_end = 0;
  Index index;
  std::string manifest;
  std::string stored;   ///< The last frame read.
  std::string content;  ///< Its content.
  codec::Decompressor decompressor;

  Status read(std::uint64_t offset, std::uint64_t n, std::string& out) {
    if (offset > size || n > size - offset)
      return fail(Errc::corrupted, "archive: a range runs past the end of the file");
    CL_CHECK(file.read_at(offset, static_cast<std::size_t>(n), out));
    bytes_read += n;
    return {};
  }

  /// Reads a whole skippable frame of `frame_size` bytes at `offset` and returns its payload.
  Result<std::string> read_meta_frame(std::uint64_t offset, std::uint64_t frame_size, std::uint64_t max_payload,
                                      std::string_view what) {
    if (frame_size < k_frame_header_size || frame_size - k_frame_header_size > max_payload)
      return fail(Errc::corrupted, std::string(what) + " frame size is out of bounds");
    std::string bytes;
    CL_CHECK(read(offset, frame_size, bytes));
    CL_TRY(payload_size, parse_skippable_frame_header(std::string_view(bytes).substr(0, k_frame_header_size), what));
    if (payload_size != frame_size - k_frame_header_size)
      return fail(Errc::corrupted, std::string(what) + " frame size differs from the trailer's");
    return bytes.substr(k_frame_header_size);
  }

  Status open_all() {
    CL_TRY(file_size, file.size());
    size = file_size;
    if (size < k_frame_header_size + k_header_fixed_size + k_trailer_size)
      return fail(Errc::corrupted, "archive is too short (" + std::to_string(size) + " bytes)");
    const std::uint64_t trailer_offset = size - k_trailer_size;
    std::string bytes;
    CL_CHECK(read(trailer_offset, k_trailer_size, bytes));
    CL_TRY(t, decode_trailer(bytes));
    trailer = t;
    if (trailer.manifest_offset > trailer_offset ||
        trailer.manifest_frame_size != trailer_offset - trailer.manifest_offset ||
        trailer.index_offset > trailer.manifest_offset ||
        trailer.index_frame_size != trailer.manifest_offset - trailer.index_offset)
      return fail(Errc::corrupted, "trailer: index and manifest positions are inconsistent");

    CL_CHECK(read(0, k_frame_header_size, bytes));
    CL_TRY(header_payload_size, parse_skippable_frame_header(bytes, "header"));
    header_end = k_frame_header_size + static_cast<std::uint64_t>(header_payload_size);
    if (header_payload_size > k_header_fixed_size + k_max_json_bytes || header_end > trailer.index_offset)
      return fail(Errc::corrupted, "header frame size is out of bounds");
    CL_TRY(header_payload, read_meta_frame(0, header_end, k_header_fixed_size + k_max_json_bytes, "header"));
    CL_TRY(h, decode_header_payload(header_payload));
    header = std::move(h);
    if (header.version != trailer.version)
      return fail(Errc::corrupted, "header (version " + std::to_string(header.version) + ") and trailer (version " +
                                       std::to_string(trailer.version) + ") disagree on the format version");
    CL_CHECK(refuse_encrypted());

    CL_TRY(index_payload, read_meta_frame(trailer.index_offset, trailer.index_frame_size,
                                          k_index_fixed_size + k_max_index_bytes, "index"));
    CL_TRY(idx, decode_index_payload(index_payload, header_end, trailer.index_offset));
    index = std::move(idx);
    if (index.frames.size() != trailer.data_frame_count)
      return fail(Errc::corrupted, "trailer and index disagree on the frame count");
    for (std::size_t i = 0; i < index.frames.size(); ++i)
      if (index.frames[i].stored_size > k_max_stored_frame)
        return fail(Errc::corrupted, frame_name(i, index.frames[i]) + ": size is beyond the limit");

    CL_TRY(manifest_payload, read_meta_frame(trailer.manifest_offset, trailer.manifest_frame_size,
                                             k_manifest_fixed_size + k_max_json_bytes, "manifest"));
    CL_TRY(m, decode_manifest_payload(manifest_payload));
    manifest = std::move(m);
    return {};
  }

  /// Reads frame `i` into `stored` and checks its checksum; with `decompress`, fills `content`.
  Status load_frame(std::size_t i, bool decompress, crypto::Sha256* file_hash) {
    // Sections share frames: reading them in order would decompress a frame once per section. Keep
    // the last decompressed frame (verify, which hashes every stored byte, always reads).
    if (decompress && file_hash == nullptr && cached_frame == i) return {};
    cached_frame = k_no_frame;
    const FrameInfo& f = index.frames[i];
    CL_CHECK(read(f.offset, f.stored_size, stored));
    if (file_hash != nullptr) file_hash->update(stored);
    const crypto::Digest d = crypto::sha256(stored);
    if (k_check_digests && std::memcmp(d.data(), f.checksum.data(), f.checksum.size()) != 0)
      return fail(Errc::corrupted, frame_name(i, f) + ": checksum mismatch");
    if (!decompress) return {};
    if (Status s = decompressor.decompress(stored, f.content_size, content); !s)
      return fail(Errc::corrupted, frame_name(i, f) + ": " + s.error().message);
    cached_frame = i;
    return {};
  }
  static constexpr std::size_t k_no_frame = static_cast<std::size_t>(-1);
  std::size_t cached_frame = k_no_frame;  ///< the frame whose decompressed bytes are in `content`

  /// This build implements no decryption: an archive whose header says it is encrypted is refused
  /// at open, so that neither verify (whose "OK" would promise a readable archive) nor a restore
  /// starts on it. A flag without parameters, or parameters without the flag, is damage.
  Status refuse_encrypted() const {
    CL_TRY(encryption, header_encryption(header.json));
    const bool flagged = (header.flags & k_flag_encrypted) != 0;
    const bool described = encryption != "null";
    if (flagged && !described)
      return fail(Errc::corrupted, "archive header: the encrypted flag is set but \"encryption\" is null");
    if (described && !flagged)
      return fail(Errc::corrupted, "archive header: \"encryption\" is set but the encrypted flag is not");
    if (flagged)
      return fail(Errc::incompatible_version,
                  "archive is encrypted, and this build of ClaudeLens does not implement encryption: it can neither "
                  "verify nor restore it");
    return {};
  }

  Status read_section(const SectionInfo& s, const SectionDocumentSink& sink) {
    if (s.first_frame > index.frames.size() || s.frame_count > index.frames.size() - s.first_frame)
      return fail(Errc::invalid_argument, "section does not belong to this archive (frames out of range)");
    std::uint64_t pos = 0;  // Start of the current frame within the section's frames' content.
    const std::uint64_t begin = s.content_offset;
    const std::uint64_t end = s.content_offset + s.content_size;
    std::uint64_t docs = 0;
    for (std::uint64_t i = s.first_frame; i < s.first_frame + s.frame_count && pos < end; ++i) {
      const FrameInfo& f = index.frames[i];
      const std::uint64_t frame_end = pos + f.content_size;
      if (frame_end > begin) {
        CL_CHECK(load_frame(i, true, nullptr));
        const std::uint64_t from = std::max(begin, pos) - pos;
        const std::uint64_t to = std::min(end, frame_end) - pos;
        if (from > 0 && content[from - 1] != '\n')
          return fail(Errc::corrupted, frame_name(i, f) + ": section does not start on a line");
        std::string_view piece = std::string_view(content).substr(from, to - from);
        // Whole lines only; the loop below counts them (a separate count was a second pass over
        // every byte a restore reads).
        if (!piece.empty() && piece.back() != '\n')
          return fail(Errc::corrupted, frame_name(i, f) + ": content does not end with a newline");
        while (!piece.empty()) {
          const std::size_t nl = piece.find('\n');
          ++docs;
          if (!sink(s, piece.substr(0, nl))) return {};
          piece.remove_prefix(nl + 1);
        }
      }
      pos = frame_end;
    }
    if (docs != s.documents)
      return fail(Errc::corrupted, "section " + s.key.session_id + ": document count differs from the index");
    return {};
  }

  Result<VerifyReport> verify(const VerifyProgress& progress) {
    crypto::Sha256 file_hash;
    VerifyReport report;
    std::string chunk;
    CL_CHECK(read(0, header_end, chunk));
    file_hash.update(chunk);
    for (std::size_t i = 0; i < index.frames.size(); ++i) {
      const FrameInfo& f = index.frames[i];
      CL_CHECK(load_frame(i, true, &file_hash));
      CL_TRY(lines, count_lines(content, frame_name(i, f)));
      if (lines != f.documents)
        return fail(Errc::corrupted, frame_name(i, f) + ": document count differs from the index");
      report.documents += f.documents;
      report.uncompressed_bytes += f.content_size;
      if (progress && !progress(f.offset + f.stored_size, size)) return fail(Errc::cancelled, "verify cancelled");
    }
    const std::uint64_t trailer_offset = size - k_trailer_size;
    for (std::uint64_t at = trailer.index_offset; at < trailer_offset; at += chunk.size()) {
      CL_CHECK(read(at, std::min<std::uint64_t>(k_verify_chunk, trailer_offset - at), chunk));
      file_hash.update(chunk);
    }
    if (k_check_digests && file_hash.digest() != trailer.body_digest)
      return fail(Errc::corrupted,
                  "trailer: the SHA-256 of bytes 0.." + std::to_string(trailer_offset) + " does not match");
    CL_CHECK(read(trailer_offset, k_trailer_size, chunk));
    file_hash.update(chunk);
    report.file_size = size;
    report.sha256_hex = crypto::digest_hex(file_hash.digest());
    report.frames = index.frames.size();
    report.sections = index.sections.size();
    if (progress && !progress(size, size)) return fail(Errc::cancelled, "verify cancelled");
    return report;
  }
};

ArchiveReader::ArchiveReader(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ArchiveReader::~ArchiveReader() = default;

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  CL_TRY(file, File::open(path, O_RDONLY));
  impl->file = std::move(file);
  CL_CHECK(impl->open_all());
  return std::unique_ptr<ArchiveReader>(new ArchiveReader(std::move(impl)));
}

int ArchiveReader::format_version() const {
  return m_impl->header.version;
}
int ArchiveReader::format_minor() const {
  return m_impl->trailer.minor;
}
const std::string& ArchiveReader::header_json() const {
  return m_impl->header.json;
}
const std::string& ArchiveReader::manifest_json() const {
  return m_impl->manifest;
}
bool ArchiveReader::encrypted() const {
  return (m_impl->header.flags & k_flag_encrypted) != 0;  // false: open() refuses encrypted archives
}
const std::vector<SectionInfo>& ArchiveReader::sections() const {
  return m_impl->index.sections;
}
const std::vector<FrameInfo>& ArchiveReader::frames() const {
  return m_impl->index.frames;
}
std::uint64_t ArchiveReader::file_size() const {
  return m_impl->size;
}
std::uint64_t ArchiveReader::bytes_read() const {
  return m_impl->bytes_read;
}

Status ArchiveReader::read_section(const SectionInfo& section, const DocumentSink& sink) {
  return m_impl->read_section(section, [&sink](const SectionInfo&, std::string_view doc) { return sink(doc); });
}

Status ArchiveReader::read_all(const SectionDocumentSink& sink) {
  bool stopped = false;
  for (const SectionInfo& s : m_impl->index.sections) {
    CL_CHECK(m_impl->read_section(s, [&](const SectionInfo& sec, std::string_view doc) {
      if (!sink(sec, doc)) stopped = true;
      return !stopped;
    }));
    if (stopped) break;
  }
  return {};
}

Result<VerifyReport> ArchiveReader::verify(const VerifyProgress& progress) {
  return m_impl->verify(progress);
}

Result<std::uint64_t> ArchiveReader::verify_frames(const std::vector<std::size_t>& frames,
                                                   const VerifyProgress& progress) {
  std::uint64_t total = 0, done = 0;
  for (std::size_t i : frames) {
    if (i >= m_impl->index.frames.size())
      return fail(Errc::invalid_argument, "frame " + std::to_string(i) + " does not belong to this archive");
    total += m_impl->index.frames[i].stored_size;
  }
  for (std::size_t i : frames) {
    CL_CHECK(m_impl->load_frame(i, false, nullptr));
    done += m_impl->index.frames[i].stored_size;
    if (progress && !progress(done, total)) return fail(Errc::cancelled, "verify cancelled");
  }
  return done;
}

Result<VerifyReport> verify_archive(const std::filesystem::path& path, const VerifyProgress& progress) {
  CL_TRY(reader, ArchiveReader::open(path));
  return reader->verify(progress);
}

}  // namespace claudelens::format
