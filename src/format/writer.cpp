#include "format/writer.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "codec/zstd.hpp"
#include "crypto/sha256.hpp"
#include "format/bytes.hpp"
#include "format/file_io.hpp"
#include "format/frames.hpp"
#include "format/grammar.hpp"
#include "format/json_fields.hpp"
#include "format/partial_files.hpp"
#include "format/sealed.hpp"

namespace claudelens::format {
namespace {

constexpr std::size_t k_min_frame_bytes = 4096;
constexpr std::size_t k_max_frame_bytes = 64u << 20;
constexpr unsigned k_max_threads = 8;
constexpr std::size_t k_index_spill_bytes = 64u << 10;
/// The archive's bytes are handed to the disk in steps of this many as they are written (write-behind):
/// the final fsync then waits for the last step only, not for the whole file. Default: 8 MiB
constexpr std::uint64_t k_writeback_bytes = 8u << 20;

/// One data frame on its way: filled by the producer, compressed by a worker, written by the producer.
struct Job {
  std::string content;  ///< NDJSON lines.
  std::uint32_t documents = 0;
  std::uint64_t number = 0;  ///< The frame's position in the file (its sealed stream number).
  /// The zstd frame in its first `stored_size` bytes: a buffer of the compression bound allocated
  /// without initialising it, so that only the bytes zstd writes (about a quarter) become resident
  /// (a zero-filled one made each job's whole bound resident: 4 MiB of the backup's peak RSS).
  std::unique_ptr<char[]> stored;
  std::size_t stored_capacity = 0;
  std::size_t stored_size = 0;
  std::string sealed;  ///< Encrypted archives: the "CLED" skippable frame holding the sealed zstd frame.
  bool is_sealed = false;
  std::string_view frame() const {
    return is_sealed ? std::string_view(sealed) : std::string_view(stored.get(), stored_size);
  }
  std::array<std::uint8_t, k_frame_checksum_size> checksum{};
  Status status;
  bool done = false;  ///< Guarded by Pool::m_mutex.
};

/// Workers compress jobs in any order; the producer collects them in submission order.
/// m_mutex guards m_pending, m_stop and every Job::done.
class Pool {
 public:
  /// `cipher` (null: no encryption) must outlive the pool.
  Pool(unsigned threads, int zstd_level, const crypto::ChunkCipher* cipher, std::size_t chunk_bytes)
      : m_cipher(cipher), m_chunk_bytes(chunk_bytes) {
    for (unsigned i = 0; i < threads; ++i) m_threads.emplace_back([this, zstd_level] { run(zstd_level); });
  }
  ~Pool() { stop(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void submit(Job* job) {
    {
      std::lock_guard lock(m_mutex);
      job->done = false;
      m_pending.push_back(job);
    }
    m_work.notify_one();
  }
  void wait(Job* job) {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [job] { return job->done; });
  }
  bool is_done(Job* job) {
    std::lock_guard lock(m_mutex);
    return job->done;
  }
  void stop() noexcept {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_work.notify_all();
    for (auto& t : m_threads)
      if (t.joinable()) t.join();
    m_threads.clear();
  }

 private:
  void run(int zstd_level) {
    codec::Compressor compressor(zstd_level);
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_work.wait(lock, [this] { return m_stop || !m_pending.empty(); });
        if (m_stop) return;
        job = m_pending.front();
        m_pending.pop_front();
      }
      // The bound of the buffer's capacity (frame_bytes and an eighth), not of this frame: one
      // allocation per job, whatever the frames' sizes.
      const std::size_t bound = codec::compress_bound(std::max(job->content.size(), job->content.capacity()));
      if (job->stored_capacity < bound) {
        job->stored = std::make_unique_for_overwrite<char[]>(bound);
        job->stored_capacity = bound;
      }
      auto size = compressor.compress_to(job->content, job->stored.get(), job->stored_capacity);
      job->stored_size = size ? *size : 0;
      job->status = size ? Status() : Status(fail(std::move(size).error()));
      if (job->status && m_cipher != nullptr) job->status = seal(*job);
      if (job->status) {
        const crypto::Digest d = crypto::sha256(job->frame());
        std::memcpy(job->checksum.data(), d.data(), job->checksum.size());
      }
      {
        std::lock_guard lock(m_mutex);
        job->done = true;
      }
      m_done.notify_all();
    }
  }

  /// Wraps the compressed frame as skippable("CLED", sealed stream (data, frame number)).
  Status seal(Job& job) const {
    const std::string_view zstd_frame(job.stored.get(), job.stored_size);
    const std::uint64_t payload = k_tag_size + sealed_size(zstd_frame.size(), m_chunk_bytes);
    job.sealed.clear();
    job.sealed.reserve(k_frame_header_size + payload);
    job.sealed.append(skippable_frame_header(static_cast<std::uint32_t>(payload)));
    job.sealed.append(k_tag_encrypted_data);
    job.is_sealed = true;
    return seal_stream(*m_cipher, crypto::StreamKind::data, job.number, zstd_frame, m_chunk_bytes, job.sealed);
  }

  const crypto::ChunkCipher* m_cipher;
  std::size_t m_chunk_bytes;
  std::mutex m_mutex;
  std::condition_variable m_work;
  std::condition_variable m_done;
  std::deque<Job*> m_pending;
  bool m_stop = false;
  std::vector<std::thread> m_threads;
};

Status check_options(const WriterOptions& o) {
  if (o.frame_bytes < k_min_frame_bytes || o.frame_bytes > k_max_frame_bytes)
    return fail(Errc::invalid_argument, "frame_bytes must be between 4 KiB and 64 MiB");
  CL_TRY(level, codec::zstd_level(o.level));
  (void)level;
  return {};
}

unsigned thread_count(unsigned requested) {
  unsigned n = requested != 0 ? requested : std::thread::hardware_concurrency();
  return std::clamp(n, 1u, k_max_threads);
}

/// rename(2) that refuses to replace an existing file, where the kernel allows it.
int rename_no_replace(const char* from, const char* to) {
  const int r = ::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
  if (r != 0 && (errno == EINVAL || errno == ENOSYS)) return ::rename(from, to);
  return r;
}

}  // namespace

struct ArchiveWriter::Impl {
  std::filesystem::path final_path;
  std::filesystem::path temp_path;
  WriterOptions options;
  unsigned threads = 1;
  File out;
  File index_spill;  ///< Unlinked temporary holding index records.
  std::uint64_t index_spilled = 0;
  std::string index_buffer;
  crypto::Sha256 file_hash;
  std::uint64_t offset = 0;        ///< Bytes written to `out`.
  std::uint64_t written_back = 0;  ///< Bytes of `out` handed to start_writeback.
  std::unique_ptr<Pool> pool;
  // Encrypted archives only (null otherwise): the derived key, its cipher, the caller's whole header
  // (sealed with the manifest at finish) and the chunk size.
  std::unique_ptr<crypto::ArchiveKey> key;
  std::unique_ptr<crypto::ChunkCipher> cipher;
  std::string sealed_header;
  std::string key_id;
  std::size_t chunk_bytes = k_default_chunk_bytes;
  std::deque<std::unique_ptr<Job>> in_flight;  ///< Submission order.
  std::vector<std::unique_ptr<Job>> spare;
  std::unique_ptr<Job> current;
  std::uint64_t frames_submitted = 0;
  std::uint64_t frames_written = 0;
  std::uint64_t sections = 0;
  std::uint64_t documents = 0;
  std::uint64_t uncompressed = 0;
  std::optional<SectionInfo> section;  ///< The open section.
  /// Closed sections' records waiting for their last frame to be written: each record goes into the
  /// index right after its last frame's, so the index bytes do not depend on thread timing.
  std::deque<std::pair<std::uint64_t, std::string>> pending_sections;
  std::optional<Error> failed;
  bool finished = false;
  bool aborted = false;
  ArchiveWriter* owner = nullptr;

  Status write(std::string_view bytes) {
    CL_CHECK(out.write_all(bytes));
    file_hash.update(bytes);
    offset += bytes.size();
    if (offset - written_back >= k_writeback_bytes) {
      out.start_writeback(written_back, offset - written_back);
      written_back = offset;
    }
    owner->m_bytes_written.store(offset, std::memory_order_relaxed);
    return {};
  }

  Status add_index_record(const std::string& record) {
    index_buffer += record;
    if (index_buffer.size() >= k_index_spill_bytes) return flush_index();
    return {};
  }

  Status flush_index() {
    CL_CHECK(index_spill.write_all(index_buffer));
    index_spilled += index_buffer.size();
    index_buffer.clear();
    if (index_spilled > k_max_index_bytes) return fail(Errc::too_large, "archive index exceeds 1 GiB");
    return {};
  }

  std::unique_ptr<Job> take_job() {
    if (spare.empty()) {
      auto job = std::make_unique<Job>();
      job->content.reserve(options.frame_bytes + options.frame_bytes / 8);
      return job;
    }
    auto job = std::move(spare.back());
    spare.pop_back();
    return job;
  }

  /// Writes the oldest in-flight frame once it is compressed.
  Status write_front() {
    std::unique_ptr<Job> job = std::move(in_flight.front());
    in_flight.pop_front();
    pool->wait(job.get());
    CL_CHECK(job->status);
    FrameInfo info;
    info.offset = offset;
    info.stored_size = static_cast<std::uint32_t>(job->frame().size());
    info.content_size = static_cast<std::uint32_t>(job->content.size());
    info.documents = job->documents;
    info.checksum = job->checksum;
    CL_CHECK(write(job->frame()));
    std::string record;
    encode_frame_record(info, record);
    CL_CHECK(add_index_record(record));
    ++frames_written;
    CL_CHECK(flush_sections());
    // A huge document may have grown the buffers: give that memory back rather than keep it.
    if (job->content.capacity() > 2 * options.frame_bytes) job->content = std::string();
    if (job->stored_capacity > 2 * options.frame_bytes) {
      job->stored.reset();
      job->stored_capacity = 0;
    }
    if (job->sealed.capacity() > 2 * options.frame_bytes) job->sealed = std::string();
    job->content.clear();
    job->documents = 0;
    spare.push_back(std::move(job));
    return {};
  }

  /// Hands the current frame to the pool; writes finished frames; bounds the frames in flight.
  Status submit_current() {
    if (!current || current->documents == 0) return {};
    current->number = frames_submitted;
    pool->submit(current.get());
    in_flight.push_back(std::move(current));
    ++frames_submitted;
    while (!in_flight.empty() && (in_flight.size() > threads + 1 || pool->is_done(in_flight.front().get())))
      CL_CHECK(write_front());
    return {};
  }

  /// Derives the key (Argon2id, fresh salt), fills the header's encryption parameters and keeps the
  /// caller's whole header for the sealed manifest; `h` becomes the clear header.
  Status set_up_encryption(Header& h) {
    const EncryptionOptions& e = options.encryption;
    if (e.passphrase->empty()) return fail(Errc::invalid_argument, "encryption passphrase is empty");
    if (e.chunk_bytes < k_min_chunk_bytes || e.chunk_bytes > k_max_chunk_bytes)
      return fail(Errc::invalid_argument, "encryption chunk_bytes must be between 4 KiB and 1 MiB");
    CL_CHECK(crypto::check_kdf_params(e.kdf));
    EncryptionParams params;
    params.chunk_bytes = e.chunk_bytes;
    params.kdf = e.kdf;
    if (e.test_fixed_salt) {
      params.salt = *e.test_fixed_salt;
    } else {
      CL_TRY(salt, crypto::random_salt());
      params.salt = salt;
    }
    CL_TRY(derived, crypto::derive_archive_key(*e.passphrase, params.salt, params.kdf));
    key = std::make_unique<crypto::ArchiveKey>(std::move(derived));
    key_id = key->key_id();
    cipher = std::make_unique<crypto::ChunkCipher>(*key);
    params.key_check = key->key_check();
    chunk_bytes = e.chunk_bytes;
    CL_TRY(headers, encrypted_headers(h.json, encryption_params_json(params, key->key_id())));
    if (headers.sealed.size() > k_max_json_bytes) return fail(Errc::too_large, "archive header exceeds 16 MiB");
    sealed_header = std::move(headers.sealed);
    h.json = std::move(headers.clear);
    h.flags |= k_flag_encrypted;
    return {};
  }

  Status flush_sections() {
    while (!pending_sections.empty() && pending_sections.front().first <= frames_written) {
      CL_CHECK(add_index_record(pending_sections.front().second));
      pending_sections.pop_front();
    }
    return {};
  }

  /// Ends the open section without ending the frame: the next section continues in the same frame,
  /// so small sessions share frames (better compression, fewer frames) and a section's range within its
  /// frames is (content_offset, content_size).
  Status close_section() {
    if (!section) return {};
    if (section->documents > 0) {
      const bool in_current = current && current->documents > 0;
      section->frame_count = frames_submitted + (in_current ? 1 : 0) - section->first_frame;
    } else {
      section->first_frame = frames_submitted;
      section->content_offset = 0;
      section->frame_count = 0;
    }
    std::string record;
    CL_CHECK(encode_section_record(*section, record));
    pending_sections.emplace_back(section->first_frame + section->frame_count, std::move(record));
    ++sections;
    section.reset();
    return flush_sections();
  }

  Status write_index() {
    CL_CHECK(flush_index());
    if (cipher) return write_sealed_index();
    std::string prefix = encode_index_prefix(frames_written, sections, index_spilled);
    crypto::Sha256 index_hash;
    index_hash.update(std::string_view(prefix).substr(k_frame_header_size));
    CL_CHECK(write(prefix));
    std::string chunk;
    for (std::uint64_t at = 0; at < index_spilled; at += chunk.size()) {
      CL_CHECK(index_spill.read_at(at, static_cast<std::size_t>(std::min<std::uint64_t>(1u << 20, index_spilled - at)),
                                   chunk));
      index_hash.update(chunk);
      CL_CHECK(write(chunk));
    }
    const crypto::Digest d = index_hash.digest();
    return write(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  }

  /// Encrypted archives: skippable("CLEI", sealed stream (index, 0) of the plaintext index payload),
  /// streamed from the spill file chunk by chunk.
  Status write_sealed_index() {
    const std::string prefix = encode_index_prefix(frames_written, sections, index_spilled);
    const std::string_view plain_prefix = std::string_view(prefix).substr(k_frame_header_size);
    const std::uint64_t plain = plain_prefix.size() + index_spilled + k_digest_size;
    const std::uint64_t payload = k_tag_size + sealed_size(plain, chunk_bytes);
    if (payload > 0xFFFFFFFFull) return fail(Errc::too_large, "archive index exceeds 4 GiB sealed");
    std::string out = skippable_frame_header(static_cast<std::uint32_t>(payload));
    out.append(k_tag_encrypted_index);
    StreamSealer sealer(*cipher, crypto::StreamKind::index, 0, plain, chunk_bytes);
    crypto::Sha256 index_hash;
    index_hash.update(plain_prefix);
    CL_CHECK(sealer.update(plain_prefix, out));
    std::string chunk;
    for (std::uint64_t at = 0; at < index_spilled; at += chunk.size()) {
      CL_CHECK(index_spill.read_at(at, static_cast<std::size_t>(std::min<std::uint64_t>(1u << 20, index_spilled - at)),
                                   chunk));
      index_hash.update(chunk);
      CL_CHECK(sealer.update(chunk, out));
      CL_CHECK(write(out));
      out.clear();
    }
    const crypto::Digest d = index_hash.digest();
    CL_CHECK(sealer.update(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()), out));
    CL_CHECK(sealer.finish(out));
    return write(out);
  }

  /// Encrypted archives: skippable("CLEM", sealed stream (manifest, 0) of u32 header size, the whole
  /// header JSON, u32 manifest size, the manifest JSON).
  std::string sealed_manifest_plain(std::string_view manifest) const {
    std::string plain;
    ByteSink o(plain);
    o.u32(static_cast<std::uint32_t>(sealed_header.size()));
    o.bytes(sealed_header);
    o.u32(static_cast<std::uint32_t>(manifest.size()));
    o.bytes(manifest);
    return plain;
  }

  Result<std::string> manifest_frame(std::string_view manifest) const {
    if (!cipher) return encode_manifest_frame(manifest);
    const std::string plain = sealed_manifest_plain(manifest);
    std::string out =
        skippable_frame_header(static_cast<std::uint32_t>(k_tag_size + sealed_size(plain.size(), chunk_bytes)));
    out.append(k_tag_encrypted_manifest);
    CL_CHECK(seal_stream(*cipher, crypto::StreamKind::manifest, 0, plain, chunk_bytes, out));
    return out;
  }

  Result<WrittenArchive> finish(std::string_view manifest_json) {
    CL_TRY(manifest, normalize_manifest_json(manifest_json));
    if (manifest.size() > k_max_json_bytes) return fail(Errc::too_large, "archive manifest exceeds 16 MiB");
    CL_CHECK(close_section());
    CL_CHECK(submit_current());  // the last, shared frame
    while (!in_flight.empty()) CL_CHECK(write_front());
    CL_CHECK(flush_sections());
    pool->stop();
    Trailer trailer;
    trailer.index_offset = offset;
    CL_CHECK(write_index());
    trailer.index_frame_size = offset - trailer.index_offset;
    trailer.manifest_offset = offset;
    CL_TRY(manifest_bytes, manifest_frame(manifest));
    CL_CHECK(write(manifest_bytes));
    trailer.manifest_frame_size = offset - trailer.manifest_offset;
    trailer.data_frame_count = frames_written;
    trailer.body_digest = file_hash.digest();
    CL_CHECK(write(encode_trailer(trailer)));
    CL_CHECK(out.sync());
    out.close();
    if (rename_no_replace(temp_path.c_str(), final_path.c_str()) != 0) {
      if (errno == EEXIST) return fail(Errc::already_exists, final_path.string() + " already exists");
      return errno_failure("rename to", final_path);
    }
    finished = true;
    CL_CHECK(sync_directory(final_path.parent_path()));
    WrittenArchive w;
    w.path = final_path;
    w.file_size = offset;
    w.sha256_hex = crypto::digest_hex(file_hash.digest());
    w.uncompressed_bytes = uncompressed;
    w.documents = documents;
    w.frames = frames_written;
    w.sections = sections;
    w.key_id = key_id;
    return w;
  }
};

ArchiveWriter::ArchiveWriter(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {
  m_impl->owner = this;
}

ArchiveWriter::~ArchiveWriter() {
  abort();
}

const std::string& ArchiveWriter::key_id() const {
  return m_impl->key_id;
}

const std::filesystem::path& ArchiveWriter::temporary_path() const {
  return m_impl->temp_path;
}

Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::create(const std::filesystem::path& final_path,
                                                             std::string_view header_json, WriterOptions options) {
  CL_CHECK(check_options(options));
  CL_TRY(header, normalize_header_json(header_json));
  if (header.size() > k_max_json_bytes) return fail(Errc::too_large, "archive header exceeds 16 MiB");
  std::error_code ec;
  if (std::filesystem::exists(final_path, ec))
    return fail(Errc::already_exists, final_path.string() + " already exists");
  auto impl = std::make_unique<Impl>();
  impl->final_path = final_path;
  impl->temp_path = partial_path_for(final_path);
  impl->options = options;
  impl->threads = thread_count(options.threads);
  CL_TRY(out, File::open(impl->temp_path, O_WRONLY | O_CREAT | O_EXCL));
  impl->out = std::move(out);
  const std::filesystem::path spill_path = impl->temp_path.string() + "-index";
  auto spill = File::open(spill_path, O_RDWR | O_CREAT | O_EXCL);
  if (!spill) {
    ::unlink(impl->temp_path.c_str());
    return fail(std::move(spill).error());
  }
  ::unlink(spill_path.c_str());  // Lives on through its descriptor; a crash leaves nothing behind.
  impl->index_spill = std::move(*spill);
  Header h;
  h.json = std::move(header);
  if (options.encryption.passphrase != nullptr) {
    if (Status s = impl->set_up_encryption(h); !s) {
      ::unlink(impl->temp_path.c_str());
      return fail(std::move(s).error());
    }
  }
  impl->pool = std::make_unique<Pool>(impl->threads, codec::zstd_level(options.level).value(), impl->cipher.get(),
                                      impl->chunk_bytes);
  std::unique_ptr<ArchiveWriter> writer(new ArchiveWriter(std::move(impl)));
  if (Status s = writer->m_impl->write(encode_header_frame(h)); !s) {
    writer->abort();
    return fail(std::move(s).error());
  }
  return writer;
}

Status ArchiveWriter::begin_section(const SectionKey& key) {
  Impl& w = *m_impl;
  if (w.failed) return fail(*w.failed);
  if (w.finished || w.aborted) return fail(Errc::invalid_argument, "archive writer is closed");
  for (const std::string* s : {&key.collection, &key.owner_id, &key.project_id, &key.session_id})
    if (s->size() > k_max_key_bytes) return fail(Errc::invalid_argument, "section key string longer than 4096 bytes");
  if (Status s = w.close_section(); !s) {
    w.failed = s.error();
    return s;
  }
  w.section.emplace();
  w.section->key = key;
  w.section->first_frame = w.frames_submitted;
  w.section->content_offset = w.current ? w.current->content.size() : 0;
  return {};
}

Status ArchiveWriter::append(std::string_view document, std::optional<TimeMs> timestamp) {
  return append({document}, timestamp);
}

Status ArchiveWriter::append(std::initializer_list<std::string_view> parts, std::optional<TimeMs> timestamp) {
  Impl& w = *m_impl;
  if (w.failed) return fail(*w.failed);
  if (!w.section) return fail(Errc::invalid_argument, "append outside a section: call begin_section first");
  std::size_t size = 0;
  for (std::string_view part : parts) {
    if (part.find('\n') != std::string_view::npos) return fail(Errc::invalid_argument, "document contains a newline");
    size += part.size();
  }
  if (size > k_max_document_bytes) return fail(Errc::too_large, "document larger than 64 MiB");
  if (w.current && w.current->documents > 0 && w.current->content.size() + size + 1 > w.options.frame_bytes) {
    if (Status s = w.submit_current(); !s) {
      w.failed = s.error();
      return s;
    }
  }
  if (!w.current) w.current = w.take_job();
  SectionInfo& sec = *w.section;
  if (sec.documents == 0) {  // the section starts where its first document lands
    sec.first_frame = w.frames_submitted;
    sec.content_offset = w.current->content.size();
  }
  for (std::string_view part : parts) w.current->content.append(part);
  w.current->content.push_back('\n');
  ++w.current->documents;
  ++sec.documents;
  sec.content_size += size + 1;
  if (timestamp) {
    sec.min_time = std::min(sec.min_time.value_or(*timestamp), *timestamp);
    sec.max_time = std::max(sec.max_time.value_or(*timestamp), *timestamp);
  }
  ++w.documents;
  w.uncompressed += size + 1;
  m_documents.store(w.documents, std::memory_order_relaxed);
  return {};
}

Status ArchiveWriter::end_section() {
  Impl& w = *m_impl;
  if (w.failed) return fail(*w.failed);
  if (Status s = w.close_section(); !s) {
    w.failed = s.error();
    return s;
  }
  return {};
}

Result<WrittenArchive> ArchiveWriter::finish(std::string_view manifest_json) {
  Impl& w = *m_impl;
  if (w.failed) return fail(*w.failed);
  if (w.finished || w.aborted) return fail(Errc::invalid_argument, "archive writer is closed");
  auto r = w.finish(manifest_json);
  if (!r && r.error().code != Errc::invalid_argument) w.failed = r.error();
  return r;
}

void ArchiveWriter::abort() noexcept {
  Impl& w = *m_impl;
  if (w.finished || w.aborted) return;
  w.aborted = true;
  if (w.pool) w.pool->stop();
  w.out.close();
  w.index_spill.close();
  ::unlink(w.temp_path.c_str());
}

}  // namespace claudelens::format
