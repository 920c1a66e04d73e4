#include "format/reader.hpp"

#include <fcntl.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "codec/zstd.hpp"
#include "core/buffer.hpp"
#include "crypto/sha256.hpp"
#include "format/bytes.hpp"
#include "format/file_io.hpp"
#include "format/frames.hpp"
#include "format/grammar.hpp"
#include "format/json_fields.hpp"
#include "format/sealed.hpp"

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

/// One frame's buffers: its stored bytes, its decrypted zstd frame (encrypted archives) and its content.
struct FrameBuffers {
  std::string stored;
  std::string plain;
  std::string content;
  codec::Decompressor decompressor;
  void swap(FrameBuffers& o) noexcept {
    stored.swap(o.stored);
    plain.swap(o.plain);
    content.swap(o.content);
  }
};

/// Loads the next data frame (read, checksum, decrypt, decompress) on a thread of its own while the
/// caller works on the current one: a sequential reader (a large restore, verify) keeps two cores busy.
/// One frame ahead at most: one more set of frame buffers.
class ReadAhead {
 public:
  using Load = std::function<Status(std::size_t frame, bool decompress, FrameBuffers& into)>;
  explicit ReadAhead(Load load) : m_load(std::move(load)), m_thread([this] { run(); }) {}
  ~ReadAhead() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  /// Starts loading `frame` (after the previous load, if any, has finished).
  void start(std::size_t frame, bool decompress) {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return !m_busy; });
    if (m_has && m_frame == frame && (m_decompress || !decompress)) return;  // loaded already
    m_frame = frame;
    m_decompress = decompress;
    m_has = true;
    m_busy = true;
    lock.unlock();
    m_wake.notify_one();
  }

  /// When `frame` is the one loaded (or being loaded) with what the caller needs: waits for it, swaps
  /// its buffers into `into` and returns its status. nullopt otherwise: the caller loads it itself.
  std::optional<Status> take(std::size_t frame, bool decompress, FrameBuffers& into) {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return !m_busy; });
    if (!m_has || m_frame != frame || (decompress && !m_decompress)) return std::nullopt;
    m_has = false;
    into.swap(m_buffers);
    return std::move(m_status);
  }

 private:
  void run() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_wake.wait(lock, [this] { return m_stop || m_busy; });
      if (m_stop) return;
      const std::size_t frame = m_frame;
      const bool decompress = m_decompress;
      lock.unlock();
      Status status = m_load(frame, decompress, m_buffers);
      lock.lock();
      m_status = std::move(status);
      m_busy = false;
      m_done.notify_all();
    }
  }

  Load m_load;
  std::mutex m_mutex;  ///< guards everything below but m_buffers, which the thread owns while m_busy
  std::condition_variable m_wake;
  std::condition_variable m_done;
  std::size_t m_frame = 0;
  bool m_decompress = false;
  bool m_has = false;   ///< m_frame is loaded or being loaded
  bool m_busy = false;  ///< the thread is loading m_frame
  bool m_stop = false;
  Status m_status;
  FrameBuffers m_buffers;
  std::thread m_thread;  ///< last: starts after the members it uses exist
};

}  // namespace

struct ArchiveReader::Impl {
  std::filesystem::path path;
  ReadOptions options;
  File file;
  std::uint64_t size = 0;
  mutable std::atomic<std::uint64_t> bytes_read{0};
  Header header;
  Trailer trailer;
  std::uint64_t header_end = 0;
  /// The frame table and the section records' page directory (section records are read on demand).
  std::unique_ptr<PagedIndex> index = std::make_unique<PagedIndex>();
  /// Set when a section record could not be read again after open (ArchiveReader::sections()): every
  /// later read fails with it.
  std::optional<Error> failure;
  std::string manifest;
  FrameBuffers buffers;  ///< The last frame read (stored, decrypted, content)
  std::string& stored = buffers.stored;
  std::string& content = buffers.content;
  // Encrypted archives.
  bool is_encrypted = false;
  bool is_locked = false;
  EncryptionParams params;
  std::string key_id;
  std::unique_ptr<crypto::ArchiveKey> key;
  std::unique_ptr<crypto::ChunkCipher> cipher;
  /// Read-ahead (ArchiveReader::read_ahead): declared last, so that its thread stops first.
  std::unique_ptr<ReadAhead> ahead;

  ~Impl() { ahead.reset(); }

  /// Reads `n` bytes at `offset`; safe from the read-ahead thread (pread, an atomic count).
  Status read(std::uint64_t offset, std::uint64_t n, std::string& out) const {
    if (offset > size || n > size - offset)
      return fail(Errc::corrupted, "archive: a range runs past the end of the file");
    CL_CHECK(file.read_at(offset, static_cast<std::size_t>(n), out));
    bytes_read.fetch_add(n, std::memory_order_relaxed);
    return {};
  }

  /// Checks the 8-byte header of the skippable frame of `frame_size` bytes at `offset` (its payload size
  /// agrees, and is at most `max_payload`) and returns the payload size, without reading the payload.
  Result<std::uint64_t> check_meta_frame_header(std::uint64_t offset, std::uint64_t frame_size,
                                                std::uint64_t max_payload, std::string_view what) {
    if (frame_size < k_frame_header_size || frame_size - k_frame_header_size > max_payload)
      return fail(Errc::corrupted, std::string(what) + " frame size is out of bounds");
    std::string bytes;
    CL_CHECK(read(offset, k_frame_header_size, bytes));
    CL_TRY(payload_size, parse_skippable_frame_header(bytes, what));
    if (payload_size != frame_size - k_frame_header_size)
      return fail(Errc::corrupted, std::string(what) + " frame size differs from the trailer's");
    return static_cast<std::uint64_t>(payload_size);
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
    CL_CHECK(check_encryption());
    if (options.header_only) {
      is_locked = is_encrypted;
      manifest = "{}";
      return {};
    }
    if (is_encrypted) return open_encrypted();

    CL_TRY(index_payload_size, check_meta_frame_header(trailer.index_offset, trailer.index_frame_size,
                                                       k_index_fixed_size + k_max_index_bytes, "index"));
    const std::uint64_t payload_at = trailer.index_offset + k_frame_header_size;
    CL_TRY(idx, PagedIndex::open(
                    [this, payload_at, index_payload_size](std::uint64_t offset, std::size_t n, std::string& out) {
                      if (offset > index_payload_size || n > index_payload_size - offset)
                        return Status(fail(Errc::corrupted, "archive index: a range runs past the index"));
                      return read(payload_at + offset, n, out);
                    },
                    index_payload_size, header_end, trailer.index_offset));
    index = std::move(idx);

    CL_TRY(manifest_payload, read_meta_frame(trailer.manifest_offset, trailer.manifest_frame_size,
                                             k_manifest_fixed_size + k_max_json_bytes, "manifest"));
    CL_TRY(m, decode_manifest_payload(manifest_payload));
    manifest = std::move(m);
    return check_frame_sizes();
  }

  Status check_frame_sizes() const {
    const auto& frames = index->frames();
    if (frames.size() != trailer.data_frame_count)
      return fail(Errc::corrupted, "trailer and index disagree on the frame count");
    for (std::size_t i = 0; i < frames.size(); ++i)
      if (frames[i].stored_size > k_max_stored_frame)
        return fail(Errc::corrupted, frame_name(i, frames[i]) + ": size is beyond the limit");
    return {};
  }

  /// The payload of an encrypted metadata frame after its tag, which must be `tag`; its size must fit a
  /// chunk layout.
  Result<std::string_view> sealed_body(std::string_view payload, std::string_view tag, std::string_view what) const {
    if (payload.size() < k_tag_size || payload.substr(0, k_tag_size) != tag)
      return fail(Errc::corrupted,
                  std::string(what) + " frame has the wrong tag (not an encrypted " + std::string(what) + ")");
    const std::string_view body = payload.substr(k_tag_size);
    if (auto p = plain_size(body.size(), params.chunk_bytes); !p)
      return fail(Errc::corrupted, std::string(what) + " frame: " + p.error().message);
    return body;
  }

  /// Checks an encrypted metadata frame's header, tag and chunk layout without reading its payload.
  Status check_locked_frame(std::uint64_t offset, std::uint64_t frame_size, std::string_view tag,
                            std::string_view what) {
    if (frame_size < k_frame_header_size + k_tag_size || frame_size - k_frame_header_size > 0xFFFFFFFFull)
      return fail(Errc::corrupted, std::string(what) + " frame size is out of bounds");
    std::string bytes;
    CL_CHECK(read(offset, k_frame_header_size + k_tag_size, bytes));
    CL_TRY(payload_size, parse_skippable_frame_header(std::string_view(bytes).substr(0, k_frame_header_size), what));
    if (payload_size != frame_size - k_frame_header_size)
      return fail(Errc::corrupted, std::string(what) + " frame size differs from the trailer's");
    if (std::string_view(bytes).substr(k_frame_header_size) != tag)
      return fail(Errc::corrupted,
                  std::string(what) + " frame has the wrong tag (not an encrypted " + std::string(what) + ")");
    if (auto p = plain_size(payload_size - k_tag_size, params.chunk_bytes); !p)
      return fail(Errc::corrupted, std::string(what) + " frame: " + p.error().message);
    return {};
  }

  /// An encrypted archive: without a key, locked (structure only) or refused; with one, the key check,
  /// then the sealed index and manifest (which holds the whole header).
  Status open_encrypted() {
    if (options.passphrase == nullptr) {
      if (!options.allow_locked)
        return fail(Errc::wrong_key, path.string() +
                                         " is encrypted and no key was given: pass its key file (--key-file F or "
                                         "CLAUDELENS_KEY_FILE)");
      is_locked = true;
      manifest = "{}";
      CL_CHECK(check_locked_frame(trailer.index_offset, trailer.index_frame_size, k_tag_encrypted_index, "index"));
      return check_locked_frame(trailer.manifest_offset, trailer.manifest_frame_size, k_tag_encrypted_manifest,
                                "manifest");
    }
    CL_TRY(derived, crypto::derive_archive_key(*options.passphrase, params.salt, params.kdf));
    if (CRYPTO_memcmp(derived.key_check().data(), params.key_check.data(), params.key_check.size()) != 0)
      return fail(Errc::wrong_key, "wrong key: the key file does not open " + path.string() +
                                       " (its key check differs; the archive's key_id is " + key_id + ")");
    key = std::make_unique<crypto::ArchiveKey>(std::move(derived));
    cipher = std::make_unique<crypto::ChunkCipher>(*key);

    const std::uint64_t max_index =
        k_tag_size + sealed_size(k_index_fixed_size + k_max_index_bytes, params.chunk_bytes);
    CL_CHECK(check_locked_frame(trailer.index_offset, trailer.index_frame_size, k_tag_encrypted_index, "index"));
    if (trailer.index_frame_size - k_frame_header_size > max_index)
      return fail(Errc::corrupted, "index frame size is out of bounds");
    // The sealed index is read a few chunks at a time: each chunk is authenticated on its own.
    const std::uint64_t sealed_at = trailer.index_offset + k_frame_header_size + k_tag_size;
    const std::uint64_t sealed_bytes = trailer.index_frame_size - k_frame_header_size - k_tag_size;
    CL_TRY(plain, plain_size(sealed_bytes, params.chunk_bytes));
    CL_TRY(idx, PagedIndex::open(
                    [this, sealed_at, sealed_bytes, plain](std::uint64_t offset, std::size_t n, std::string& out) {
                      return read_sealed_index(sealed_at, sealed_bytes, plain, offset, n, out);
                    },
                    plain, header_end, trailer.index_offset));
    index = std::move(idx);

    const std::uint64_t max_manifest = k_tag_size + sealed_size(8 + 2 * k_max_json_bytes, params.chunk_bytes);
    CL_TRY(manifest_payload,
           read_meta_frame(trailer.manifest_offset, trailer.manifest_frame_size, max_manifest, "manifest"));
    CL_TRY(manifest_body, sealed_body(manifest_payload, k_tag_encrypted_manifest, "manifest"));
    std::string manifest_plain;
    if (Status s =
            open_stream(*cipher, crypto::StreamKind::manifest, 0, manifest_body, params.chunk_bytes, manifest_plain);
        !s)
      return fail(Errc::corrupted, "manifest frame: " + s.error().message);
    ByteSource in(manifest_plain);
    std::uint32_t header_size = 0;
    std::uint32_t manifest_size = 0;
    std::string_view sealed_header;
    std::string_view sealed_manifest;
    if (!in.u32(header_size) || header_size > k_max_json_bytes || !in.bytes(header_size, sealed_header) ||
        !in.u32(manifest_size) || manifest_size > k_max_json_bytes || !in.bytes(manifest_size, sealed_manifest) ||
        in.remaining() != 0)
      return fail(Errc::corrupted, "manifest frame: the sealed header and manifest are malformed");
    header.json.assign(sealed_header);
    manifest.assign(sealed_manifest);
    return check_frame_sizes();
  }

  /// Plaintext bytes [offset, offset + n) of the sealed index (`sealed_bytes` at file offset `at`, `plain`
  /// bytes of plaintext): reads and opens only the chunks that hold them.
  Status read_sealed_index(std::uint64_t at, std::uint64_t sealed_bytes, std::uint64_t plain, std::uint64_t offset,
                           std::size_t n, std::string& out) const {
    if (offset > plain || n > plain - offset)
      return fail(Errc::corrupted, "archive index: a range runs past the index");
    const std::uint64_t chunk = params.chunk_bytes;
    const std::uint64_t whole = chunk + crypto::k_tag_size;
    const std::uint64_t chunks = plain == 0 ? 1 : (plain + chunk - 1) / chunk;
    const std::uint64_t first = offset / chunk;
    const std::uint64_t last = n == 0 ? first : (offset + n - 1) / chunk;
    const std::uint64_t from = first * whole;
    const std::uint64_t to = std::min(sealed_bytes, (last + 1) * whole);
    std::string sealed;
    CL_CHECK(read(at + from, to - from, sealed));
    std::string opened;
    for (std::uint64_t c = first; c <= last && c < chunks; ++c) {
      const std::string_view piece = std::string_view(sealed).substr((c - first) * whole, whole);
      if (Status s =
              cipher->open(crypto::StreamKind::index, 0, static_cast<std::uint32_t>(c), c + 1 == chunks, piece, opened);
          !s)
        return fail(Errc::corrupted, "index frame: chunk " + std::to_string(c) + ": " + s.error().message);
    }
    out.assign(std::string_view(opened).substr(offset - first * chunk, n));
    return {};
  }

  /// Reads frame `i` into `b.stored` and checks its checksum; with `decompress`, fills `b.content`.
  /// Touches nothing but `b` (and the atomic byte count): the read-ahead thread runs it too.
  Status load_into(std::size_t i, bool decompress, FrameBuffers& b) const {
    const FrameInfo& f = index->frames()[i];
    CL_CHECK(read(f.offset, f.stored_size, b.stored));
    const crypto::Digest d = crypto::sha256(b.stored);
    if (k_check_digests && std::memcmp(d.data(), f.checksum.data(), f.checksum.size()) != 0)
      return fail(Errc::corrupted, frame_name(i, f) + ": checksum mismatch");
    if (!decompress) return {};
    std::string_view zstd_frame = b.stored;
    if (is_encrypted) {
      CL_TRY(body, sealed_data_body(i, f, b.stored));
      if (Status s = open_stream(*cipher, crypto::StreamKind::data, i, body, params.chunk_bytes, b.plain); !s)
        return fail(Errc::corrupted, frame_name(i, f) + ": " + s.error().message);
      zstd_frame = b.plain;
    }
    // Room for the padding too: appending it to a buffer sized to the content would move the content
    // to a buffer twice its size (a copy, and twice the memory) the first time.
    reserve_for_overwrite(b.content, static_cast<std::size_t>(f.content_size) + k_document_padding);
    if (Status s = b.decompressor.decompress(zstd_frame, f.content_size, b.content); !s)
      return fail(Errc::corrupted, frame_name(i, f) + ": " + s.error().message);
    // Zeroed bytes past the content (ArchiveReader::k_document_padding): a parser may read them.
    b.content.append(k_document_padding, '\0');
    b.content.resize(f.content_size);
    return {};
  }

  /// Reads frame `i` into `buffers` and checks its checksum (and adds its bytes to `file_hash`); with
  /// `decompress`, fills `content`. With read-ahead on, takes the frame from the read-ahead thread
  /// when it loaded that one, and asks it for the next.
  Status load_frame(std::size_t i, bool decompress, crypto::Sha256* file_hash) {
    // Sections share frames: reading them in order would decompress a frame once per section. Keep
    // the last decompressed frame (verify, which hashes every stored byte, always reads).
    if (decompress && file_hash == nullptr && cached_frame == i) return {};
    // Without read-ahead the frame read before it is kept too: a restore reads the catalogue's last
    // frame (projects, users), then the sessions catalogue, which ends in that frame.
    if (decompress && file_hash == nullptr && !ahead) {
      if (previous_frame == i) {
        content.swap(previous_content);
        std::swap(cached_frame, previous_frame);
        return {};
      }
      if (cached_frame != k_no_frame) {
        content.swap(previous_content);
        previous_frame = cached_frame;
      }
    }
    // A check without read-ahead reads the stored bytes only: the decompressed frame stays valid (a
    // one-session restore checks its frames between reading the catalogue and its documents).
    if (decompress || ahead) cached_frame = k_no_frame;
    std::optional<Status> taken;
    if (ahead) taken = ahead->take(i, decompress, buffers);
    if (!taken) taken = load_into(i, decompress, buffers);
    if (ahead && i + 1 < index->frames().size()) ahead->start(i + 1, decompress);
    CL_CHECK(*taken);
    if (file_hash != nullptr) file_hash->update(stored);
    if (decompress) cached_frame = i;
    return {};
  }
  static constexpr std::size_t k_no_frame = static_cast<std::size_t>(-1);
  std::size_t cached_frame = k_no_frame;    ///< the frame whose decompressed bytes are in `content`
  std::string previous_content;             ///< the content of the frame decompressed before it
  std::size_t previous_frame = k_no_frame;  ///< ... that frame (k_no_frame: none kept)

  void forget_previous() {
    std::string().swap(previous_content);
    previous_frame = k_no_frame;
  }

  /// `stored` (data frame i of an encrypted archive) is skippable("CLED", sealed stream): returns the
  /// sealed stream after checking the frame header, the tag and the chunk layout.
  Result<std::string_view> sealed_data_body(std::size_t i, const FrameInfo& f, std::string_view frame) const {
    auto size = parse_skippable_frame_header(frame.substr(0, k_frame_header_size), "data");
    if (!size || frame.size() < k_frame_header_size + k_tag_size || *size != frame.size() - k_frame_header_size ||
        frame.substr(k_frame_header_size, k_tag_size) != k_tag_encrypted_data)
      return fail(Errc::corrupted, frame_name(i, f) + ": not an encrypted data frame");
    const std::string_view body = frame.substr(k_frame_header_size + k_tag_size);
    if (auto p = plain_size(body.size(), params.chunk_bytes); !p)
      return fail(Errc::corrupted, frame_name(i, f) + ": " + p.error().message);
    return body;
  }

  /// The flag and the header's `encryption` must agree (either alone is damage); an encrypted
  /// archive's parameters must parse.
  Status check_encryption() {
    CL_TRY(encryption, header_encryption(header.json));
    const bool flagged = (header.flags & k_flag_encrypted) != 0;
    const bool described = encryption != "null";
    if (flagged && !described)
      return fail(Errc::corrupted, "archive header: the encrypted flag is set but \"encryption\" is null");
    if (described && !flagged)
      return fail(Errc::corrupted, "archive header: \"encryption\" is set but the encrypted flag is not");
    if (!flagged) return {};
    CL_TRY(p, parse_encryption_params(encryption));
    params = p;
    key_id = crypto::ArchiveKey::key_id_of(params.key_check);
    is_encrypted = true;
    return {};
  }

  /// verify() of an encrypted archive opened without its key: the data frames are walked by their own
  /// skippable headers (no index to say where they are), each must be a "CLED" frame with a valid
  /// chunk layout, they must tile the data region and be as many as the trailer says.
  Status verify_locked_frames(crypto::Sha256& file_hash, VerifyReport& report, const VerifyProgress& progress) {
    std::uint64_t at = header_end;
    std::uint64_t count = 0;
    while (at < trailer.index_offset) {
      const std::string where = "data frame " + std::to_string(count) + " at offset " + std::to_string(at);
      if (trailer.index_offset - at < k_frame_header_size + k_tag_size)
        return fail(Errc::corrupted, where + ": truncated");
      CL_CHECK(read(at, k_frame_header_size, stored));
      auto size = parse_skippable_frame_header(stored, "data");
      if (!size) return fail(Errc::corrupted, where + ": " + size.error().message);
      const std::uint64_t frame_size = k_frame_header_size + static_cast<std::uint64_t>(*size);
      if (frame_size > k_max_stored_frame || frame_size > trailer.index_offset - at)
        return fail(Errc::corrupted, where + ": runs past the data region");
      CL_CHECK(read(at, frame_size, stored));
      file_hash.update(stored);
      FrameInfo f;
      f.offset = at;
      CL_CHECK(sealed_data_body(count, f, stored));
      at += frame_size;
      ++count;
      if (progress && !progress(at, this->size)) return fail(Errc::cancelled, "verify cancelled");
    }
    if (count != trailer.data_frame_count)
      return fail(Errc::corrupted, "trailer says " + std::to_string(trailer.data_frame_count) +
                                       " data frames, the file has " + std::to_string(count));
    report.frames = count;
    report.authenticated = false;
    return {};
  }

  Status read_section(const SectionInfo& s, const SectionDocumentSink& sink) {
    if (is_locked) return fail(Errc::wrong_key, path.string() + " is encrypted and was opened without its key");
    if (failure) return fail(*failure);
    const auto& frames = index->frames();
    if (s.first_frame > frames.size() || s.frame_count > frames.size() - s.first_frame)
      return fail(Errc::invalid_argument, "section does not belong to this archive (frames out of range)");
    std::uint64_t pos = 0;  // Start of the current frame within the section's frames' content.
    const std::uint64_t begin = s.content_offset;
    const std::uint64_t end = s.content_offset + s.content_size;
    std::uint64_t docs = 0;
    for (std::uint64_t i = s.first_frame; i < s.first_frame + s.frame_count && pos < end; ++i) {
      const FrameInfo& f = frames[i];
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

  Result<VerifyReport> verify(const VerifyProgress& progress, bool decompress) {
    if (failure) return fail(*failure);
    if (options.header_only)
      return fail(Errc::invalid_argument, path.string() + " was opened for its header only: it cannot be verified");
    crypto::Sha256 file_hash;
    VerifyReport report;
    std::string chunk;
    CL_CHECK(read(0, header_end, chunk));
    file_hash.update(chunk);
    report.encrypted = is_encrypted;
    if (is_locked) CL_CHECK(verify_locked_frames(file_hash, report, progress));
    const auto& frames = index->frames();
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const FrameInfo& f = frames[i];
      CL_CHECK(load_frame(i, decompress, &file_hash));
      if (decompress) {
        CL_TRY(lines, count_lines(content, frame_name(i, f)));
        if (lines != f.documents)
          return fail(Errc::corrupted, frame_name(i, f) + ": document count differs from the index");
      }
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
    if (!is_locked) report.frames = frames.size();
    report.sections = index->section_count();
    if (progress && !progress(size, size)) return fail(Errc::cancelled, "verify cancelled");
    return report;
  }
};

ArchiveReader::ArchiveReader(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ArchiveReader::~ArchiveReader() = default;

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::open(const std::filesystem::path& path,
                                                           const ReadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  CL_TRY(file, File::open(path, O_RDONLY));
  impl->file = std::move(file);
  CL_CHECK(impl->open_all());
  impl->options.passphrase = nullptr;  // not kept: only the derived key is
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
  return m_impl->is_encrypted;
}
bool ArchiveReader::locked() const {
  return m_impl->is_locked;
}
const std::string& ArchiveReader::key_id() const {
  return m_impl->key_id;
}
std::uint64_t ArchiveReader::section_count() const {
  return m_impl->index->section_count();
}
Result<SectionInfo> ArchiveReader::section(std::uint64_t i) {
  return m_impl->index->section(i);
}
Status ArchiveReader::for_each_section(const PagedIndex::SectionVisit& visit, std::uint64_t first) {
  return m_impl->index->for_each_section(first, visit);
}
Status ArchiveReader::for_each_section_except(std::string_view collection, const PagedIndex::SectionVisit& visit) {
  return m_impl->index->for_each_section_except(collection, visit);
}
Result<std::optional<std::uint64_t>> ArchiveReader::find_section(std::string_view collection,
                                                                 std::string_view session_id) {
  return m_impl->index->find(collection, session_id);
}
SectionList ArchiveReader::sections() const {
  return SectionList(const_cast<ArchiveReader*>(this));  // reading pages changes only the cache
}
const std::vector<FrameInfo>& ArchiveReader::frames() const {
  return m_impl->index->frames();
}
std::size_t ArchiveReader::index_memory_bytes() const {
  return m_impl->index->memory_bytes();
}
SectionInfo ArchiveReader::section_or_fail(std::uint64_t i) {
  auto s = m_impl->index->section(i);
  if (s) return std::move(*s);
  if (!m_impl->failure) m_impl->failure = s.error();
  SectionInfo none;
  none.first_frame = std::numeric_limits<std::uint64_t>::max();  // read_section refuses it
  return none;
}

std::size_t SectionList::size() const {
  return static_cast<std::size_t>(m_reader->section_count());
}
SectionInfo SectionList::operator[](std::size_t i) const {
  return m_reader->section_or_fail(i);
}
SectionInfo SectionList::iterator::operator*() const {
  return m_reader->section_or_fail(m_i);
}
std::uint64_t ArchiveReader::file_size() const {
  return m_impl->size;
}
std::uint64_t ArchiveReader::bytes_read() const {
  return m_impl->bytes_read.load(std::memory_order_relaxed);
}

Status ArchiveReader::read_section(const SectionInfo& section, const DocumentSink& sink) {
  return m_impl->read_section(section, [&sink](const SectionInfo&, std::string_view doc) { return sink(doc); });
}

Status ArchiveReader::read_all(const SectionDocumentSink& sink) {
  bool stopped = false;
  Status inner;
  CL_CHECK(m_impl->index->for_each_section(0, [&](std::uint64_t, const SectionInfo& s) {
    inner = m_impl->read_section(s, [&](const SectionInfo& sec, std::string_view doc) {
      if (!sink(sec, doc)) stopped = true;
      return !stopped;
    });
    return inner.has_value() && !stopped;
  }));
  return inner;
}

Result<VerifyReport> ArchiveReader::verify(const VerifyProgress& progress, bool decompress) {
  return m_impl->verify(progress, decompress);
}

void ArchiveReader::release_buffers() {
  Impl& impl = *m_impl;
  if (impl.ahead) return;
  impl.cached_frame = Impl::k_no_frame;
  impl.forget_previous();
  std::string().swap(impl.buffers.stored);
  std::string().swap(impl.buffers.plain);
  std::string().swap(impl.buffers.content);
}

void ArchiveReader::read_ahead(bool on) {
  Impl& impl = *m_impl;
  if (!on) {
    impl.ahead.reset();
    return;
  }
  if (impl.ahead || impl.is_locked || impl.index->frames().size() < 2) return;
  impl.forget_previous();  // read-ahead has buffers of its own
  impl.ahead = std::make_unique<ReadAhead>([&impl](std::size_t frame, bool decompress, FrameBuffers& into) {
    return impl.load_into(frame, decompress, into);
  });
}

Result<std::uint64_t> ArchiveReader::verify_frames(const std::vector<std::size_t>& frames,
                                                   const VerifyProgress& progress) {
  if (m_impl->failure) return fail(*m_impl->failure);
  const auto& table = m_impl->index->frames();
  std::uint64_t total = 0, done = 0;
  for (std::size_t i : frames) {
    if (i >= table.size())
      return fail(Errc::invalid_argument, "frame " + std::to_string(i) + " does not belong to this archive");
    total += table[i].stored_size;
  }
  for (std::size_t i : frames) {
    CL_CHECK(m_impl->load_frame(i, false, nullptr));
    done += table[i].stored_size;
    if (progress && !progress(done, total)) return fail(Errc::cancelled, "verify cancelled");
  }
  return done;
}

Result<VerifyReport> verify_archive(const std::filesystem::path& path, const VerifyProgress& progress,
                                    const crypto::Secret* passphrase) {
  CL_TRY(reader,
         ArchiveReader::open(path, ReadOptions{.passphrase = passphrase, .allow_locked = passphrase == nullptr}));
  return reader->verify(progress);
}

}  // namespace claudelens::format
