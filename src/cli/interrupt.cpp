#include "cli/interrupt.hpp"

#include <csignal>

namespace claudelens::cli {
namespace {
std::atomic<bool> g_interrupted{false};  // lock-free: safe to set from a signal handler
}  // namespace

CancelOnSigint::CancelOnSigint() {
  g_interrupted.store(false);
  m_previous = std::signal(SIGINT, [](int) { g_interrupted.store(true); });
}

CancelOnSigint::~CancelOnSigint() {
  std::signal(SIGINT, m_previous);
}

const std::atomic<bool>* CancelOnSigint::flag() const {
  return &g_interrupted;
}

}  // namespace claudelens::cli
