#include "core/error.hpp"

namespace claudelens {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok:
      return "ok";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::already_exists:
      return "already_exists";
    case Errc::conflict:
      return "conflict";
    case Errc::busy:
      return "busy";
    case Errc::corrupted:
      return "corrupted";
    case Errc::incompatible_version:
      return "incompatible_version";
    case Errc::malformed_input:
      return "malformed_input";
    case Errc::io:
      return "io";
    case Errc::no_space:
      return "no_space";
    case Errc::too_large:
      return "too_large";
    case Errc::unauthorized:
      return "unauthorized";
    case Errc::forbidden:
      return "forbidden";
    case Errc::wrong_key:
      return "wrong_key";
    case Errc::cancelled:
      return "cancelled";
    case Errc::database:
      return "database";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace claudelens
