// API-key authentication (auth.hpp).
#include "http/auth.hpp"

#include "core/ids.hpp"
#include "http/errors.hpp"
#include "store/keys.hpp"

namespace claudelens::http {

std::variant<Caller, ApiError> authenticate_key(store::Store& store, std::string_view key) {
  const ApiError unauthorized{401, "UNAUTHORIZED", "a valid X-API-Key is required", nullptr, {}, {}};
  if (key.empty() || !is_url_safe_token(key)) return unauthorized;
  auto reader = store.read();
  if (!reader) return api_error(reader.error());
  auto found = (*reader)->find_api_key(store::hash_api_key(key));
  if (!found) return api_error(found.error());
  if (!*found || (*found)->revoked_at) return unauthorized;
  auto user = (*reader)->get_user((*found)->user_id);
  if (!user) return api_error(user.error());
  if (!*user) return unauthorized;
  return Caller{(*user)->id, (*user)->role, (*found)->id, (*user)->name};
}

std::variant<Caller, ApiError> KeyCache::authenticate(store::Store& store, std::string_view key) {
  if (key.empty() || !is_url_safe_token(key)) return authenticate_key(store, key);  // 401, no lookup
  // The version first, the lookup after: a commit between the two leaves the caller remembered under
  // a version that no longer holds, so the next request asks again.
  auto version = store.data_version();
  if (!version) return api_error(version.error());
  const std::string hash = store::hash_api_key(key);
  if (*version) {
    std::lock_guard lock(m_mutex);
    if (m_version == *version)
      if (const auto it = m_callers.find(hash); it != m_callers.end()) return it->second;
  }
  auto who = authenticate_key(store, key);
  std::lock_guard lock(m_mutex);
  ++m_lookups;
  if (*version && std::holds_alternative<Caller>(who)) {
    if (m_version != *version || m_callers.size() >= k_max_keys) {
      m_callers.clear();
      m_version = *version;
    }
    m_callers.insert_or_assign(hash, std::get<Caller>(who));
  }
  return who;
}

std::uint64_t KeyCache::lookups() const {
  std::lock_guard lock(m_mutex);
  return m_lookups;
}

std::string_view request_key(const Request& request, std::string* protocol) {
  if (const auto key = request.header("x-api-key"); !key.empty()) return key;
  std::string_view list = request.header("sec-websocket-protocol");
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("apikey.")) {
      if (protocol) *protocol = std::string(item);
      return item.substr(7);
    }
  }
  return {};
}

}  // namespace claudelens::http
