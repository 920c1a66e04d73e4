// Counts the bytes allocated through operator new: a live total and its peak (memory tests: the
// reader's index, a restore's bookkeeping). It REPLACES the global operator new/delete of the test
// executable that includes it: include it in exactly one .cpp of an executable. Each block counts its
// usable size (malloc_usable_size).
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace claudelens::testing {

inline std::atomic<std::int64_t> g_live_bytes{0};
inline std::atomic<std::int64_t> g_peak_bytes{0};

/// Starts a measurement: returns the bytes live now, and makes the peak that.
inline std::int64_t start_counting() {
  const std::int64_t live = g_live_bytes.load();
  g_peak_bytes.store(live);
  return live;
}

/// The peak of live bytes since start_counting() returned `start`, above it.
inline std::int64_t peak_since(std::int64_t start) {
  return g_peak_bytes.load() - start;
}

inline void count_allocation(void* p) {
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  const std::int64_t live = g_live_bytes.fetch_add(n, std::memory_order_relaxed) + n;
  std::int64_t peak = g_peak_bytes.load(std::memory_order_relaxed);
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

inline void* counted_new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  count_allocation(p);
  return p;
}

inline void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

}  // namespace claudelens::testing

void* operator new(std::size_t n) {
  return claudelens::testing::counted_new(n);
}
void* operator new[](std::size_t n) {
  return claudelens::testing::counted_new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) claudelens::testing::count_allocation(p);
  return p;
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  claudelens::testing::counted_delete(p);
}
void operator delete[](void* p) noexcept {
  claudelens::testing::counted_delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
  claudelens::testing::counted_delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  claudelens::testing::counted_delete(p);
}
