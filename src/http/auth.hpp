// Who is calling: the X-API-Key (or the WebSocket subprotocol `apikey.<KEY>`) looked up by its hash.
// Thread-safe (each call opens its own read transaction). KeyCache remembers the answers while the
// store's data_version (store.hpp) says that nothing was committed since: a key revoked, a user
// removed, by this process or another one, is refused by the next request.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "http/message.hpp"
#include "store/store.hpp"

namespace claudelens::http {

/// The caller that owns `key`, or 401 UNAUTHORIZED (missing, unknown or revoked key), or 500 when the
/// store fails.
std::variant<Caller, ApiError> authenticate_key(store::Store& store, std::string_view key);

/// authenticate_key with a memory: the callers of keys seen since the store last changed, by the key's
/// hash. Unknown and revoked keys are not remembered (each such request asks the store). Thread-safe.
class KeyCache {
 public:
  /// What authenticate_key(store, key) would answer now.
  std::variant<Caller, ApiError> authenticate(store::Store& store, std::string_view key);

  /// How many times authenticate() asked the store rather than answering from the cache (for tests).
  std::uint64_t lookups() const;

 private:
  static constexpr std::size_t k_max_keys = 4096;  ///< beyond this many keys the cache starts over

  mutable std::mutex m_mutex;                         ///< guards everything below
  std::optional<std::int64_t> m_version;              ///< the store's data_version the callers were read at
  std::unordered_map<std::string, Caller> m_callers;  ///< key hash → caller
  std::uint64_t m_lookups = 0;
};

/// The key a request carries: X-API-Key, else (WebSocket upgrades) the `apikey.<KEY>` entry of
/// Sec-WebSocket-Protocol. `protocol` receives that whole subprotocol so the server can echo it.
std::string_view request_key(const Request& request, std::string* protocol = nullptr);

}  // namespace claudelens::http
