#include "cli/exit_codes.hpp"

namespace claudelens::cli {

int exit_code_for(Errc code) noexcept {
  switch (code) {
    case Errc::ok:
      return k_exit_ok;
    case Errc::invalid_argument:
      return k_exit_usage;
    case Errc::corrupted:
    case Errc::incompatible_version:
      return k_exit_corrupted;
    case Errc::conflict:
    case Errc::busy:
    case Errc::already_exists:
      return k_exit_conflict;
    default:
      return k_exit_failure;
  }
}

}  // namespace claudelens::cli
