// Buffers reused from one frame to the next (the archive reader's and the file reads'). Growing them
// the way std::string does, to twice the old capacity, leaves a buffer of up to twice the largest
// frame, and a heap that grows with the number of frames read as those doubled blocks fragment it
// (measured: a 9 GB restore ended 3–6 MiB above a 1 GB one). Plain functions, no state.
#pragma once

#include <cstddef>
#include <string>

namespace claudelens {

/// Makes `buffer` able to hold `size` bytes without reallocating. When it must grow, its content is
/// discarded and the new buffer holds `size` rounded up to 64 KiB, not the doubled capacity that
/// std::string::reserve gives; the old block is freed before the new one is taken. Never shrinks.
inline void reserve_for_overwrite(std::string& buffer, std::size_t size) {
  if (buffer.capacity() >= size) return;
  constexpr std::size_t k_granule = 64u << 10;
  std::string().swap(buffer);
  buffer.reserve((size + k_granule - 1) / k_granule * k_granule);
}

}  // namespace claudelens
