#include "cli/progress_bar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace claudelens::cli {

void ProgressBar::update(const std::string& label, double percentage, const std::string& detail) {
  if (!m_enabled) return;
  constexpr int k_width = 30;
  const double pct = std::clamp(percentage, 0.0, 100.0);
  const int filled = static_cast<int>(std::lround(pct / 100.0 * k_width));
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(k_width - filled), '.');
  std::fprintf(stderr, "\r\033[K%-18s [%s] %5.1f%%  %s", label.c_str(), bar.c_str(), pct, detail.c_str());
  std::fflush(stderr);
  m_drawn = true;
}

void ProgressBar::finish() {
  if (m_enabled && m_drawn) {
    std::fputc('\n', stderr);
    m_drawn = false;
  }
}

std::string human_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (std::fabs(v) >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_seconds(double seconds) {
  const auto s = static_cast<std::int64_t>(std::lround(std::max(0.0, seconds)));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace claudelens::cli
