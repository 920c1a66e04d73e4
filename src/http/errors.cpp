// Errc → HTTP status and API.md code, in one place; the error envelope.
#include "http/errors.hpp"

#include <boost/json.hpp>

namespace claudelens::http {

namespace json = boost::json;

StatusCode status_for(Errc errc) noexcept {
  switch (errc) {
    case Errc::invalid_argument:
      return {400, "VALIDATION_FAILED"};
    case Errc::malformed_input:
      return {400, "INVALID_REQUEST"};
    case Errc::corrupted:
      return {400, "INVALID_BACKUP_FILE"};
    case Errc::wrong_key:  // the message says "wrong key" or "needs its key" (docs/backup-api.md)
      return {422, "INVALID_BACKUP_FILE"};
    case Errc::unauthorized:
      return {401, "UNAUTHORIZED"};
    case Errc::forbidden:
      return {403, "FORBIDDEN"};
    case Errc::not_found:
      return {404, "NOT_FOUND"};
    case Errc::already_exists:
      return {409, "CONFLICT"};
    case Errc::conflict:
      return {409, "CONFLICT"};
    case Errc::cancelled:
      return {409, "CONFLICT"};
    case Errc::too_large:
      return {413, "FILE_TOO_LARGE"};
    case Errc::incompatible_version:
      return {422, "INCOMPATIBLE_VERSION"};
    case Errc::busy:
      return {503, "SERVICE_UNAVAILABLE"};
    case Errc::no_space:
      return {507, "INSUFFICIENT_STORAGE"};
    case Errc::ok:
    case Errc::io:
    case Errc::database:
    case Errc::internal:
      break;
  }
  return {500, "INTERNAL_ERROR"};
}

ApiError api_error(const Error& error) {
  const auto sc = status_for(error.code);
  ApiError e;
  e.status = sc.status;
  e.code = std::string(sc.code);
  e.message = error.message;
  return e;
}

ApiError api_error(const Error& error, std::string_view not_found_code) {
  ApiError e = api_error(error);
  if (error.code == Errc::not_found) e.code = std::string(not_found_code);
  return e;
}

ApiError invalid_request(std::string message) {
  return ApiError{400, "INVALID_REQUEST", std::move(message), nullptr, {}, {}};
}

ApiError validation_failed(std::vector<FieldError> errors) {
  std::string message = "invalid field";
  if (errors.size() == 1) {
    message = errors[0].field + ": " + errors[0].message;
  } else if (!errors.empty()) {
    message = std::to_string(errors.size()) + " invalid fields";
  }
  return ApiError{400, "VALIDATION_FAILED", std::move(message), nullptr, std::move(errors), {}};
}

ApiError not_found(std::string_view code, std::string message) {
  return ApiError{404, std::string(code), std::move(message), nullptr, {}, {}};
}

ApiError forbidden(std::string message) {
  return ApiError{403, "FORBIDDEN", std::move(message), nullptr, {}, {}};
}

ApiError conflict(std::string_view code, std::string message) {
  return ApiError{409, std::string(code), std::move(message), nullptr, {}, {}};
}

ApiError internal_error(std::string message) {
  return ApiError{500, "INTERNAL_ERROR", std::move(message), nullptr, {}, {}};
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

std::string render_envelope(const ApiError& error, std::string_view path, std::string_view request_id, TimeMs now) {
  json::object inner{
      {"code", error.code}, {"message", error.message}, {"details", error.details}, {"timestamp", format_iso8601(now)},
      {"path", path},       {"request_id", request_id}};
  json::array fields;
  for (const auto& f : error.validation_errors)
    fields.push_back(json::object{{"field", f.field}, {"message", f.message}, {"code", f.code}, {"value", f.value}});
  json::object envelope{{"error", std::move(inner)}};
  envelope["validation_errors"] = std::move(fields);
  return json::serialize(envelope);
}

std::string api_error_code(Errc errc) {
  return std::string(status_for(errc).code);
}

}  // namespace claudelens::http
