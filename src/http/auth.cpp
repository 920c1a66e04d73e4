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
