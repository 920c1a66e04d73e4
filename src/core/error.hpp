// Errors a caller can act on, as values. Every module returns Result<T> (result.hpp) whose error is
// an Error: a code from the one project-wide enum below plus a human message that says what and where.
// Codes map to exit codes in one place (cli/exit_codes.cpp) and to HTTP statuses in one place (http/).
#pragma once

#include <string>
#include <string_view>

namespace claudelens {

enum class Errc {
  ok = 0,
  invalid_argument,      ///< The caller passed a value that breaks a rule (bad flag, bad filter, bad name).
  not_found,             ///< The named thing (backup, session, project, key, file) does not exist.
  already_exists,        ///< A unique thing with that key exists already.
  conflict,              ///< The operation would overlap another or needs confirmation (exit 4, HTTP 409).
  busy,                  ///< The store or a resource is locked by someone else; try again later.
  corrupted,             ///< Stored or archived bytes fail their checksum or grammar (exit 3).
  incompatible_version,  ///< An archive or database written by a newer version than this one.
  malformed_input,       ///< Input bytes (JSONL line, request body) are not what they should be.
  io,                    ///< The operating system refused a read or write (message has errno text).
  no_space,              ///< Not enough free disk space for the operation.
  too_large,             ///< Input exceeds a configured limit.
  unauthorized,          ///< Missing or unknown credentials.
  forbidden,             ///< Known credentials that may not do this.
  wrong_key,             ///< Decryption key or passphrase does not open this archive.
  cancelled,             ///< The operation was cancelled by its caller; nothing half-done remains.
  database,              ///< The database engine reported an error not covered above.
  internal,              ///< A bug: an invariant did not hold.
};

/// A short stable name for a code ("not_found"), for logs and JSON.
std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;  ///< What failed and where, one line, for a person.

  Error() = default;
  Error(Errc c, std::string m) : code(c), message(std::move(m)) {}
};

}  // namespace claudelens
