// Ctrl-C as a cancel request for long CLI work (backup, restore): while a CancelOnSigint lives, SIGINT
// sets a flag that the engine polls, so the work stops cleanly (temporary files removed, transactions
// rolled back) instead of the process dying mid-write. One at a time; the previous handler comes back.
#pragma once

#include <atomic>

namespace claudelens::cli {

class CancelOnSigint {
 public:
  CancelOnSigint();
  ~CancelOnSigint();
  CancelOnSigint(const CancelOnSigint&) = delete;
  CancelOnSigint& operator=(const CancelOnSigint&) = delete;

  /// Becomes true on Ctrl-C; pass its address to the engine's `cancel` option.
  const std::atomic<bool>* flag() const;

 private:
  void (*m_previous)(int) = nullptr;
};

}  // namespace claudelens::cli
