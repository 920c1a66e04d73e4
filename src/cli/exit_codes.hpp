// The one mapping from error codes to process exit codes (SPEC §3):
// 0 ok, 1 failure, 2 bad usage, 3 backup corrupted / verification failed, 4 conflict or busy.
#pragma once

#include "core/error.hpp"

namespace claudelens::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_corrupted = 3;
inline constexpr int k_exit_conflict = 4;

int exit_code_for(Errc code) noexcept;

}  // namespace claudelens::cli
