// Test-only crash points for the crash tests (tests/integration/crash_test.cpp): when the environment
// variable CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS=N is set, a KillSwitch raises SIGKILL on the process
// just before its long-running command hands document N+1 over (N = 0: before the first one).
// `backup create` counts archive documents, `ingest` records given to the store. Unset: does nothing.
// Header-only; one KillSwitch per run, used on one thread.
#pragma once

#include <csignal>
#include <cstdint>
#include <cstdlib>

namespace claudelens {

class KillSwitch {
 public:
  KillSwitch() {
    const char* v = std::getenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS");
    m_after = v && *v ? std::atoll(v) : -1;
  }

  /// Call before handing over each document: kills the process once N were handed over.
  void before_document() {
    if (m_after >= 0 && m_done++ >= m_after) std::raise(SIGKILL);
  }

 private:
  std::int64_t m_after = -1;
  std::int64_t m_done = 0;
};

}  // namespace claudelens
