// Who is calling: the X-API-Key (or the WebSocket subprotocol `apikey.<KEY>`) looked up by its hash.
// Thread-safe (each call opens its own read transaction).
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "http/message.hpp"
#include "store/store.hpp"

namespace claudelens::http {

/// The caller that owns `key`, or 401 UNAUTHORIZED (missing, unknown or revoked key), or 500 when the
/// store fails.
std::variant<Caller, ApiError> authenticate_key(store::Store& store, std::string_view key);

/// The key a request carries: X-API-Key, else (WebSocket upgrades) the `apikey.<KEY>` entry of
/// Sec-WebSocket-Protocol. `protocol` receives that whole subprotocol so the server can echo it.
std::string_view request_key(const Request& request, std::string* protocol = nullptr);

}  // namespace claudelens::http
