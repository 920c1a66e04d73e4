#include "crypto/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/ids.hpp"

namespace claudelens::crypto {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  Impl() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256 init");
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::Sha256(const Sha256& other) : m_impl(std::make_unique<Impl>()) {
  if (EVP_MD_CTX_copy_ex(m_impl->ctx, other.m_impl->ctx) != 1) throw std::runtime_error("sha256 copy");
}
Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other && EVP_MD_CTX_copy_ex(m_impl->ctx, other.m_impl->ctx) != 1)
    throw std::runtime_error("sha256 copy");
  return *this;
}

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(m_impl->ctx, data, size) != 1) throw std::runtime_error("sha256 update");
}

Digest Sha256::digest() const {
  Sha256 copy(*this);
  Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy.m_impl->ctx, d.data(), &len) != 1 || len != d.size())
    throw std::runtime_error("sha256 final");
  return d;
}

Digest sha256(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.digest();
}

std::string digest_hex(const Digest& d) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string sha256_hex(std::string_view bytes) {
  return digest_hex(sha256(bytes));
}

}  // namespace claudelens::crypto
