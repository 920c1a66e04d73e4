// API keys on top of the Store interface: making a user with a key, and recognising a key.
// A key is shown once, when made; the store keeps only its SHA-256 (hex) and a short prefix.
// Functions are as thread-safe as the Writer/Reader they are given (one thread at a time).
#pragma once

#include <string>

#include "store/store.hpp"

namespace claudelens::store {

struct NewKey {
  User user;
  ApiKey key;
  std::string plaintext;  ///< the key itself; never stored
};

/// The hex SHA-256 a key is stored under.
std::string hash_api_key(std::string_view key);

/// Creates user `name` (or reuses it when it exists with the same role) and a new key for it.
/// Errors: invalid_argument for an empty/over-long name, conflict when the user exists with another role.
Result<NewKey> create_user_key(Writer& writer, const std::string& name, Role role, TimeMs now);

/// Stores a key given from outside (--api-key) as an admin key of user "admin", when not stored yet.
Status adopt_admin_key(Writer& writer, const std::string& plaintext, TimeMs now);

/// The user a key belongs to, when the key is known and not revoked; nullopt otherwise.
Result<std::optional<User>> authenticate(Reader& reader, std::string_view key);

}  // namespace claudelens::store
