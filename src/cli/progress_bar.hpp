// A one-line progress bar on stderr, drawn only when stderr is a terminal (SPEC §3: none when piped).
// Not thread-safe: draw from one thread.
#pragma once

#include <cstdint>
#include <string>

namespace claudelens::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : m_enabled(enabled) {}
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Redraws: `label` then a bar for `percentage` (0–100) then `detail`.
  void update(const std::string& label, double percentage, const std::string& detail);
  /// Ends the line (once).
  void finish();

 private:
  bool m_enabled;
  bool m_drawn = false;
};

/// "1.5 GB", "12.0 MB", "512 B"
std::string human_bytes(std::int64_t bytes);
/// "1h02m", "3m05s", "12s"
std::string human_seconds(double seconds);

}  // namespace claudelens::cli
