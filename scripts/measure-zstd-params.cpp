// Measures what zstd's advanced compression parameters do to the archive's size and to the CPU time of
// compressing it, on the documents of a real archive (docs/performance.md, "Backup throughput").
// Not part of the build: compile and run by hand,
//
//   g++ -O2 -std=c++20 scripts/measure-zstd-params.cpp -lzstd -o /tmp/measure-zstd-params
//   zstd -dc BACKUP.claudelens > /tmp/docs.ndjson        # the documents, in archive order
//   /tmp/measure-zstd-params /tmp/docs.ndjson 200000000                  # level 3 as the writer sets it
//   /tmp/measure-zstd-params /tmp/docs.ndjson 200000000 hlog=18 clog=17  # level 3 plus parameters
//
// It packs the first MAX_BYTES of lines into frames the way the writer does (a frame closes before it
// would pass 2 MiB; a line never spans two frames), compresses each frame with one reused context at
// level 3 with zstd's content checksum and the given parameters (hlog, clog, slog, mml, tlen, strat,
// row, split = ZSTD_c_useBlockSplitter, level), three times, and prints the total compressed size and
// the best thread CPU time of the three.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_useBlockSplitter
#include <time.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr std::size_t k_frame_bytes = 2u << 20;

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DOCS.ndjson MAX_BYTES [name=value]...\n", argv[0]);
    return 2;
  }
  const std::map<std::string, ZSTD_cParameter> names{
      {"level", ZSTD_c_compressionLevel}, {"hlog", ZSTD_c_hashLog},          {"clog", ZSTD_c_chainLog},
      {"slog", ZSTD_c_searchLog},         {"mml", ZSTD_c_minMatch},          {"tlen", ZSTD_c_targetLength},
      {"strat", ZSTD_c_strategy},         {"row", ZSTD_c_useRowMatchFinder}, {"split", ZSTD_c_useBlockSplitter}};
  std::ifstream in(argv[1], std::ios::binary);
  const std::size_t max_bytes = std::strtoull(argv[2], nullptr, 10);
  std::vector<std::string> frames;
  std::string current, line;
  std::size_t total = 0;
  while (total < max_bytes && std::getline(in, line)) {
    if (!current.empty() && current.size() + line.size() + 1 > k_frame_bytes) {
      frames.push_back(std::move(current));
      current.clear();
    }
    current += line;
    current += '\n';
    total += line.size() + 1;
  }
  if (!current.empty()) frames.push_back(std::move(current));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string label;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const auto name = names.find(arg.substr(0, eq));
    if (eq == std::string::npos || name == names.end()) {
      std::fprintf(stderr, "unknown parameter %s\n", arg.c_str());
      return 2;
    }
    const std::size_t r = ZSTD_CCtx_setParameter(cctx, name->second, std::atoi(arg.c_str() + eq + 1));
    if (ZSTD_isError(r) != 0) {
      std::fprintf(stderr, "%s: %s\n", arg.c_str(), ZSTD_getErrorName(r));
      return 2;
    }
    label += arg + " ";
  }
  std::string out(ZSTD_compressBound(2 * k_frame_bytes), '\0');
  double best = 1e9;
  std::size_t size = 0;
  for (int round = 0; round < 3; ++round) {
    const double start = thread_cpu_seconds();
    size = 0;
    for (const std::string& f : frames) {
      const std::size_t n = ZSTD_compress2(cctx, out.data(), out.size(), f.data(), f.size());
      if (ZSTD_isError(n) != 0) return 3;
      size += n;
    }
    best = std::min(best, thread_cpu_seconds() - start);
  }
  ZSTD_freeCCtx(cctx);
  std::printf("%-30s in %zu out %zu ratio %.4f cpu %.3f s (best of 3)\n", label.empty() ? "level 3" : label.c_str(),
              total, size, static_cast<double>(size) / static_cast<double>(total), best);
  return 0;
}
