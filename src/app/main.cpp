// claudelens: the server and admin CLI. Wiring only: everything lives in the libraries.
#include <malloc.h>

#include <cstdio>
#include <exception>

#include "cli/context.hpp"

namespace {

/// Blocks of 1 MiB and more (the archive's frame buffers, a long line's parser) come from mmap and go
/// back to the system when freed, at every point of a run. glibc's default moves this threshold up to
/// the largest block freed so far, after which such blocks come from the heap and fragment it: a
/// restore of 4 MiB frames peaked 8.5 MiB higher that way, and a 9 GB restore higher than a 1 GB
/// one (docs/performance.md, "Memory and the allocator"). Setting it also fixes the trim threshold.
constexpr int k_mmap_threshold = 1 << 20;

}  // namespace

int main(int argc, char** argv) {
  (void)mallopt(M_MMAP_THRESHOLD, k_mmap_threshold);
  try {
    return claudelens::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claudelens: internal error: %s\n", e.what());
    return 1;
  }
}
