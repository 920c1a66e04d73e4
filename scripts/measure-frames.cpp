// Measures, on the documents of a real archive, what frame size and a trained zstd dictionary do to
// the archive's size and to the cost of reading one session (docs/archive-format.md, "Frame size and
// dictionaries"). Not part of the build: compile and run by hand,
//
//   g++ -O2 -std=c++20 scripts/measure-frames.cpp -lzstd -o /tmp/measure-frames
//   zstd -dc BACKUP.clbk > /tmp/docs.ndjson        # the documents, in archive order
//   /tmp/measure-frames /tmp/docs.ndjson
//
// It packs the entry documents into frames the way the writer does (sections, one per session, share
// frames; a frame closes before it would pass FRAME bytes), compresses each frame at level 3, with and
// without a dictionary trained (ZDICT_trainFromBuffer, 112 KiB) on a sample of the documents, and
// reports the total size and, per session, the compressed bytes a one-session restore reads and the
// time to decompress them.
#include <zdict.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

struct Frame {
  std::string content;
  std::string stored;
};

std::string session_of(const std::string& line) {
  const auto at = line.find("\"s\":\"");
  if (line.rfind("{\"_c\":\"messages\"", 0) != 0 && line.rfind("{\"_c\":\"records\"", 0) != 0) return {};
  if (at == std::string::npos) return {};
  return line.substr(at + 5, line.find('"', at + 5) - at - 5);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DOCS.ndjson [frame sizes in KiB...]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<std::string> lines;
  std::vector<std::string> sessions;  // parallel: "" for non-entry documents
  std::size_t total = 0;
  for (std::string l; std::getline(in, l);) {
    total += l.size() + 1;
    sessions.push_back(session_of(l));
    lines.push_back(std::move(l));
  }
  std::vector<std::size_t> sizes_kib;
  for (int i = 2; i < argc; ++i) sizes_kib.push_back(std::stoul(argv[i]));
  if (sizes_kib.empty()) sizes_kib = {2048, 512, 256, 128, 64, 32};
  std::printf("%zu documents, %.1f MB of NDJSON\n", lines.size(), total / 1e6);

  // The dictionary's samples: every line up to 16 MB spread over the file (as a writer could collect
  // while it fills its first frames, or from a previous backup).
  std::string samples;
  std::vector<size_t> sample_sizes;
  const std::size_t stride = std::max<std::size_t>(1, total / (16u << 20));
  for (std::size_t i = 0; i < lines.size(); i += stride) {
    samples += lines[i] + "\n";
    sample_sizes.push_back(lines[i].size() + 1);
  }
  std::string dict(112 << 10, '\0');
  auto t0 = std::chrono::steady_clock::now();
  const std::size_t dict_size =
      ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sample_sizes.data(), sample_sizes.size());
  if (ZDICT_isError(dict_size)) {
    std::fprintf(stderr, "training failed: %s\n", ZDICT_getErrorName(dict_size));
    return 1;
  }
  dict.resize(dict_size);
  std::printf("dictionary: %zu bytes, trained on %.1f MB in %.2f s\n", dict_size, samples.size() / 1e6,
              seconds_since(t0));
  ZSTD_CDict* cdict = ZSTD_createCDict(dict.data(), dict.size(), 3);
  ZSTD_DDict* ddict = ZSTD_createDDict(dict.data(), dict.size());
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);

  std::printf("%8s %5s %12s %8s %10s %12s %12s %12s\n", "frame", "dict", "size", "ratio", "write s", "1-sess p50",
              "1-sess p90", "decomp p50");
  for (std::size_t kib : sizes_kib) {
    for (bool with_dict : {false, true}) {
      const std::size_t frame_bytes = kib << 10;
      std::vector<Frame> frames(1);
      std::map<std::string, std::pair<std::size_t, std::size_t>> ranges;  // session -> first, last frame
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!frames.back().content.empty() && frames.back().content.size() + lines[i].size() + 1 > frame_bytes)
          frames.emplace_back();
        frames.back().content += lines[i];
        frames.back().content += '\n';
        if (!sessions[i].empty()) {
          auto [it, fresh] = ranges.try_emplace(sessions[i], frames.size() - 1, frames.size() - 1);
          it->second.second = frames.size() - 1;
        }
      }
      auto t = std::chrono::steady_clock::now();
      std::size_t stored = with_dict ? dict.size() : 0;
      for (Frame& f : frames) {
        f.stored.resize(ZSTD_compressBound(f.content.size()));
        std::size_t n = 0;
        if (with_dict) {
          ZSTD_CCtx_refCDict(cctx, cdict);
        } else {
          ZSTD_CCtx_refCDict(cctx, nullptr);
          ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
        }
        n = ZSTD_compress2(cctx, f.stored.data(), f.stored.size(), f.content.data(), f.content.size());
        f.stored.resize(n);
        stored += n;
      }
      const double write_s = seconds_since(t);
      // One-session restores: the stored bytes of the frames each session touches, and the time to
      // decompress them.
      std::vector<std::size_t> read_bytes;
      std::vector<double> decomp_ms;
      std::string out;
      for (const auto& [id, r] : ranges) {
        std::size_t bytes = with_dict ? dict.size() : 0;  // a restore reads the dictionary too
        auto td = std::chrono::steady_clock::now();
        for (std::size_t i = r.first; i <= r.second; ++i) {
          bytes += frames[i].stored.size();
          out.resize(frames[i].content.size());
          if (with_dict)
            ZSTD_decompress_usingDDict(dctx, out.data(), out.size(), frames[i].stored.data(), frames[i].stored.size(),
                                       ddict);
          else
            ZSTD_decompressDCtx(dctx, out.data(), out.size(), frames[i].stored.data(), frames[i].stored.size());
        }
        decomp_ms.push_back(seconds_since(td) * 1e3);
        read_bytes.push_back(bytes);
      }
      std::sort(read_bytes.begin(), read_bytes.end());
      std::sort(decomp_ms.begin(), decomp_ms.end());
      const auto pct = [](const auto& v, double p) {
        return v.empty() ? 0 : v[static_cast<std::size_t>(p * (v.size() - 1))];
      };
      std::printf("%6zuK %5s %12zu %8.2f %10.2f %10.0fKB %10.0fKB %10.2fms\n", kib, with_dict ? "yes" : "no", stored,
                  double(total) / stored, write_s, pct(read_bytes, 0.5) / 1e3, pct(read_bytes, 0.9) / 1e3,
                  pct(decomp_ms, 0.5));
    }
  }
  ZSTD_freeCDict(cdict);
  ZSTD_freeDDict(ddict);
  ZSTD_freeCCtx(cctx);
  ZSTD_freeDCtx(dctx);
  return 0;
}
