#include "store/keys.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "crypto/sha256.hpp"

namespace claudelens::store {
namespace {

constexpr std::size_t k_prefix_chars = 8;

Result<User> ensure_user(Writer& writer, const std::string& name, Role role, TimeMs now) {
  CL_TRY(existing, writer.find_user_by_name(name));
  if (existing) {
    if (existing->role != role)
      return fail(Errc::conflict, fmt::format("user '{}' exists with role {}", name, role_name(existing->role)));
    return *existing;
  }
  User user{new_id(), name, role, now};
  CL_CHECK(writer.put_user(user));
  return user;
}

}  // namespace

std::string hash_api_key(std::string_view key) {
  return crypto::sha256_hex(key);
}

Result<NewKey> create_user_key(Writer& writer, const std::string& name, Role role, TimeMs now) {
  if (name.empty() || name.size() > 100)
    return fail(Errc::invalid_argument, "a key's name must be 1 to 100 characters");
  CL_TRY(user, ensure_user(writer, name, role, now));
  NewKey out;
  out.user = user;
  out.plaintext = new_api_key();
  out.key =
      ApiKey{new_id(), user.id,      name,        hash_api_key(out.plaintext), out.plaintext.substr(0, k_prefix_chars),
             now,      std::nullopt, std::nullopt};
  CL_CHECK(writer.put_api_key(out.key));
  return out;
}

Status adopt_admin_key(Writer& writer, const std::string& plaintext, TimeMs now) {
  if (!is_url_safe_token(plaintext))
    return fail(Errc::invalid_argument, "an API key must be 1 to 256 URL-safe characters ([A-Za-z0-9_-])");
  const std::string hash = hash_api_key(plaintext);
  CL_TRY(known, writer.find_api_key(hash));
  if (known) return {};
  CL_TRY(admin, ensure_user(writer, "admin", Role::admin, now));
  return writer.put_api_key(ApiKey{new_id(), admin.id, "configured", hash, plaintext.substr(0, k_prefix_chars), now,
                                   std::nullopt, std::nullopt});
}

Result<std::optional<User>> authenticate(Reader& reader, std::string_view key) {
  if (!is_url_safe_token(key)) return std::optional<User>();
  CL_TRY(found, reader.find_api_key(hash_api_key(key)));
  if (!found || found->revoked_at) return std::optional<User>();
  return reader.get_user(found->user_id);
}

}  // namespace claudelens::store
