// A small, fast, seedable pseudo-random generator for synthetic data (xoshiro256** seeded through
// splitmix64) and the few distributions the demo model needs. Not cryptographic. Deterministic across
// platforms: only integer arithmetic and std::log/std::exp/std::sqrt are used. Not thread-safe; one per thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace claudelens::demo {

/// One step of splitmix64: a well-mixed 64-bit value from `state`, which it advances.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Mixes a seed with a label and an index, to derive independent streams (per session, per file...).
inline std::uint64_t derive_seed(std::uint64_t seed, std::string_view label, std::uint64_t index) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the label
  for (char c : label) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  std::uint64_t s = seed ^ h ^ (index * 0xd1b54a32d192ed03ULL);
  splitmix64(s);
  return splitmix64(s);
}

class Prng {
 public:
  explicit Prng(std::uint64_t seed) noexcept {
    for (auto& w : m_s) w = splitmix64(seed);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
  }

  /// Uniform in [0, n); n > 0. (Multiply-shift; the bias is below 2^-32 for our n.)
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  /// Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return unit() < p; }
  /// Standard normal (Box-Muller, one value per call).
  double normal() noexcept {
    const double u = 1.0 - unit();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * unit());
  }
  /// Log-normal with the given median and sigma (of the log), clamped to [lo, hi].
  double lognormal(double median, double sigma, double lo, double hi) noexcept {
    const double v = median * std::exp(sigma * normal());
    return v < lo ? lo : (v > hi ? hi : v);
  }
  /// Exponential with the given mean.
  double exponential(double mean) noexcept { return -mean * std::log(1.0 - unit()); }
  /// Geometric-like count >= lo with the given mean (lo + exponential, rounded).
  std::int64_t count(double mean, std::int64_t lo, std::int64_t hi) noexcept {
    const auto v = lo + static_cast<std::int64_t>(exponential(mean - static_cast<double>(lo)));
    return v > hi ? hi : v;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t m_s[4];
};

}  // namespace claudelens::demo
