// SHA-256 through OpenSSL 3's EVP interface (which uses SHA-NI where the CPU has it).
// A Sha256 object is a running digest: not thread-safe; copyable to fork a digest midway.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace claudelens::crypto {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  /// The digest of everything so far; the object can keep being updated afterwards.
  Digest digest() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

Digest sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string digest_hex(const Digest& d);

}  // namespace claudelens::crypto
