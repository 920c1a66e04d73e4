#include "codec/zstd.hpp"

#include <zstd.h>

#include <new>
#include <stdexcept>
#include <string>

namespace claudelens::codec {

Result<int> zstd_level(int level) {
  if (level < k_min_level || level > k_max_level)
    return fail(Errc::invalid_argument, "compression level " + std::to_string(level) + " is outside 1-9");
  return level;
}

std::size_t compress_bound(std::size_t src_size) noexcept {
  return ZSTD_compressBound(src_size);
}

struct Compressor::Impl {
  ZSTD_CCtx* cctx = nullptr;
};

Compressor::Compressor(int zstd_level) : m_impl(std::make_unique<Impl>()) {
  m_impl->cctx = ZSTD_createCCtx();
  if (m_impl->cctx == nullptr) throw std::bad_alloc();
  // The window covers a whole default frame (k_window_log): levels 1–7 have smaller windows, 8 and 9
  // this one (zstd's table for inputs over 256 KiB). zstd shrinks it again for a smaller input.
  const int window_log = static_cast<int>(k_window_log);
  // Sticky parameters: ZSTD_compress2 keeps them across frames.
  if (ZSTD_isError(ZSTD_CCtx_setParameter(m_impl->cctx, ZSTD_c_compressionLevel, zstd_level)) != 0 ||
      ZSTD_isError(ZSTD_CCtx_setParameter(m_impl->cctx, ZSTD_c_windowLog, window_log)) != 0 ||
      ZSTD_isError(ZSTD_CCtx_setParameter(m_impl->cctx, ZSTD_c_checksumFlag, 1)) != 0 ||
      ZSTD_isError(ZSTD_CCtx_setParameter(m_impl->cctx, ZSTD_c_contentSizeFlag, 1)) != 0)
    throw std::invalid_argument("zstd rejected the compression parameters");
}

Compressor::~Compressor() {
  ZSTD_freeCCtx(m_impl->cctx);
}

Result<std::size_t> Compressor::compress_into(std::string_view src, std::string& buffer) {
  const std::size_t bound = ZSTD_compressBound(src.size());
  if (buffer.size() < bound) buffer.resize(bound);
  return compress_to(src, buffer.data(), buffer.size());
}

Result<std::size_t> Compressor::compress_to(std::string_view src, char* dst, std::size_t capacity) {
  const std::size_t n = ZSTD_compress2(m_impl->cctx, dst, capacity, src.data(), src.size());
  if (ZSTD_isError(n) != 0)
    return fail(Errc::internal, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  return n;
}

Status Compressor::compress(std::string_view src, std::string& dst) {
  auto n = compress_into(src, dst);
  if (!n) {
    dst.clear();
    return fail(std::move(n).error());
  }
  dst.resize(*n);
  return {};
}

struct Decompressor::Impl {
  ZSTD_DCtx* dctx = nullptr;
};

Decompressor::Decompressor() : m_impl(std::make_unique<Impl>()) {
  m_impl->dctx = ZSTD_createDCtx();
  if (m_impl->dctx == nullptr) throw std::bad_alloc();
}

Decompressor::~Decompressor() {
  ZSTD_freeDCtx(m_impl->dctx);
}

Status Decompressor::decompress(std::string_view frame, std::size_t expected_size, std::string& dst) {
  // A skippable frame would pass as one frame of content size 0: data frames are zstd frames only.
  if (frame.size() < 4 || (static_cast<std::uint32_t>(static_cast<unsigned char>(frame[0])) |
                           static_cast<std::uint32_t>(static_cast<unsigned char>(frame[1])) << 8 |
                           static_cast<std::uint32_t>(static_cast<unsigned char>(frame[2])) << 16 |
                           static_cast<std::uint32_t>(static_cast<unsigned char>(frame[3])) << 24) != ZSTD_MAGICNUMBER)
    return fail(Errc::corrupted, "not a zstd frame (bad magic)");
  const std::size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size) != 0 || frame_size != frame.size())
    return fail(Errc::corrupted, "not exactly one zstd frame");
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared != expected_size) return fail(Errc::corrupted, "zstd frame content size differs from the index");
  dst.resize(expected_size);
  const std::size_t n = ZSTD_decompressDCtx(m_impl->dctx, dst.data(), dst.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) != 0) {
    dst.clear();
    return fail(Errc::corrupted, std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  if (n != expected_size) return fail(Errc::corrupted, "zstd frame decompressed to an unexpected size");
  return {};
}

}  // namespace claudelens::codec
