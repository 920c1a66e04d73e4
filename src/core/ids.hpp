// Identifiers and secrets. Ids are 24 lowercase hex characters (the shape of a MongoDB ObjectId, which
// the existing ClaudeLens API uses): 6 bytes of millisecond time then 6 random bytes, so they sort by
// creation. API keys are URL-safe random strings ("cl_" + 43 base64url characters = 256 bits).
// All functions are thread-safe; randomness comes from the operating system (getrandom).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace claudelens {

/// A new 24-hex-character id.
std::string new_id();

/// `n` bytes from the operating system's CSPRNG.
std::string random_bytes(std::size_t n);

/// A new API key: "cl_" followed by 43 base64url characters.
std::string new_api_key();

/// True when `s` has only URL-safe characters ([A-Za-z0-9_-]) and is 1..256 long.
bool is_url_safe_token(std::string_view s) noexcept;

std::string to_hex(std::string_view bytes);
std::string base64url(std::string_view bytes);

}  // namespace claudelens
