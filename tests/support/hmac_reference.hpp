// HMAC-SHA256 for tests that check X-ClaudeLens-Signature: written out from RFC 2104 over OpenSSL's
// plain SHA-256, independent of the code under test (which calls OpenSSL's HMAC). Header-only.
#pragma once

#include <openssl/evp.h>

#include <string>

namespace claudelens::testing {

/// Hex (lower case) of HMAC-SHA256(`key`, `message`).
inline std::string reference_hmac_sha256(std::string key, const std::string& message) {
  auto sha256 = [](const std::string& data) {
    unsigned char out[32];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(out), n);
  };
  if (key.size() > 64) key = sha256(key);
  key.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (int i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(key[i] ^ 0x36);
    outer[i] = static_cast<char>(key[i] ^ 0x5c);
  }
  const std::string digest = sha256(outer + sha256(inner + message));
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : digest) {
    hex += k_hex[c >> 4];
    hex += k_hex[c & 0xf];
  }
  return hex;
}

}  // namespace claudelens::testing
