// Errors → HTTP: the ONE place where an Errc becomes a status and an API.md error code, plus helpers that
// build the ApiError values handlers return, and the envelope the server renders:
//   { "error": {code, message, details, timestamp, path, request_id}, "validation_errors": [...] }
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "http/message.hpp"

namespace claudelens::http {

/// Status and API.md code for an Errc:
///   invalid_argument → 400 VALIDATION_FAILED   malformed_input → 400 INVALID_REQUEST
///   corrupted → 400 INVALID_BACKUP_FILE        wrong_key → 422 INVALID_BACKUP_FILE
///   unauthorized → 401 UNAUTHORIZED            forbidden → 403 FORBIDDEN
///   not_found → 404 NOT_FOUND                  already_exists, conflict, cancelled → 409 CONFLICT
///   too_large → 413 FILE_TOO_LARGE             incompatible_version → 422 INCOMPATIBLE_VERSION
///   busy → 503 SERVICE_UNAVAILABLE             no_space → 507 INSUFFICIENT_STORAGE
///   io, database, internal → 500 INTERNAL_ERROR
struct StatusCode {
  int status;
  std::string_view code;
};
StatusCode status_for(Errc errc) noexcept;
/// status_for(errc).code as a string: the API's code of an Errc (job events, notifications).
std::string api_error_code(Errc errc);

/// The ApiError for an Error (status and code from status_for, the Error's message).
ApiError api_error(const Error& error);
/// The same, with a more specific code for 404s (e.g. "BACKUP_NOT_FOUND", "JOB_NOT_FOUND").
ApiError api_error(const Error& error, std::string_view not_found_code);

/// Shorthands for the common answers.
ApiError invalid_request(std::string message);                   ///< 400 INVALID_REQUEST
ApiError validation_failed(std::vector<FieldError> errors);      ///< 400 VALIDATION_FAILED
ApiError not_found(std::string_view code, std::string message);  ///< 404 with that code
ApiError forbidden(std::string message);                         ///< 403 FORBIDDEN
ApiError conflict(std::string_view code, std::string message);   ///< 409 with that code
ApiError internal_error(std::string message);                    ///< 500 INTERNAL_ERROR

/// The reason phrase of a status ("Not Found"); "Unknown" for codes it does not know.
std::string_view reason_phrase(int status) noexcept;

/// The envelope's JSON text for `error` on request path `path`, at `now`.
std::string render_envelope(const ApiError& error, std::string_view path, std::string_view request_id, TimeMs now);

}  // namespace claudelens::http
