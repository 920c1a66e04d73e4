// zstd helpers for the archive: one complete zstd frame in, one complete frame out, with the
// compression and decompression contexts reused across calls (no per-frame allocation once warm).
// A Compressor / Decompressor is not thread-safe: give each thread its own. Free functions are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace claudelens::codec {

/// The API's compression levels are 1–9; they map one to one onto zstd levels 1–9.
inline constexpr int k_min_level = 1;
inline constexpr int k_max_level = 9;
inline constexpr int k_default_level = 3;

/// The zstd window (log2 bytes) a Compressor uses at every level: 4 MiB, the archive's default frame,
/// so that a frame's last documents can refer back to its first ones (levels 1–7 have smaller windows
/// of their own, 8 and 9 this one). On the bench's demo data, 4 MiB frames come out 0.5% smaller than
/// with level 3's own 2 MiB window, at the same CPU (docs/archive-format.md, "Frame size and window").
/// The decoder needs no more memory: frames are decompressed whole into a buffer of their content's size.
inline constexpr unsigned k_window_log = 22;

/// The zstd level for API level `level`; invalid_argument outside 1–9.
Result<int> zstd_level(int level);

/// The largest size a frame compressed from `src_size` bytes can have.
std::size_t compress_bound(std::size_t src_size) noexcept;

/// Compresses whole inputs into single zstd frames, with a window of 2^k_window_log bytes (zstd's
/// level parameters otherwise): the content size is recorded in the frame header and the frame ends
/// with zstd's 4-byte content checksum (XXH64 of the content, ZSTD_c_checksumFlag), so that any zstd
/// decoder, `zstd -dc` included, detects damage to the frame on its own (the archive keeps its SHA-256
/// checksums besides). Owns one ZSTD_CCtx.
class Compressor {
 public:
  /// `zstd_level` is a zstd level (see zstd_level()).
  explicit Compressor(int zstd_level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  /// Replaces `dst` with one zstd frame holding `src`. `dst`'s capacity is reused.
  Status compress(std::string_view src, std::string& dst);
  /// Writes one zstd frame holding `src` at the start of `buffer` and returns its size. `buffer` only
  /// grows (to the compression bound) and keeps its size, so a reused buffer is never zero-filled again.
  Result<std::size_t> compress_into(std::string_view src, std::string& buffer);
  /// Writes one zstd frame holding `src` into `dst` (`capacity` bytes, at least compress_bound of
  /// src.size()) and returns its size. `dst` need not be initialised: zstd writes the frame's bytes
  /// only, so an uninitialised buffer's untouched pages never become resident memory.
  Result<std::size_t> compress_to(std::string_view src, char* dst, std::size_t capacity);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Decompresses single zstd frames of known size. Owns one ZSTD_DCtx.
class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  /// Replaces `dst` with the content of the zstd frame `frame`, which must be exactly one frame
  /// whose content is exactly `expected_size` bytes; anything else is Errc::corrupted. A frame with a
  /// content checksum must match it (zstd checks it); a frame without one (archives of format 1.0) is
  /// accepted.
  /// Never reads or writes outside the buffers whatever the bytes.
  Status decompress(std::string_view frame, std::size_t expected_size, std::string& dst);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace claudelens::codec
