// Request/Response helpers (message.hpp).
#include "http/message.hpp"

#include <cstdlib>

#include <boost/json/serialize.hpp>

namespace claudelens::http {

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      break;
  }
  return "OTHER";
}

std::string_view Request::header(std::string_view name) const {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view{} : std::string_view(it->second);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  const auto it = params.find(std::string(name));
  return it == params.end() ? empty : it->second;
}

const Caller& Request::who() const {
  if (!caller) std::abort();  // a route without auth asked for its caller: a bug in the route table
  return *caller;
}

Response::Response(ApiError e) : status(e.status), error(std::move(e)) {}

Response Response::json(int status, const boost::json::value& value) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  return r;
}

Response Response::stream_file(FileBody file, std::string content_type) {
  Response r;
  r.content_type = std::move(content_type);
  r.file = std::move(file);
  return r;
}

}  // namespace claudelens::http
