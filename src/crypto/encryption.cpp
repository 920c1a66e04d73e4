#include "crypto/encryption.hpp"

#include <argon2.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "core/ids.hpp"

namespace claudelens::crypto {
namespace {

constexpr std::size_t k_max_key_file = 64u << 10;

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

/// One OpenSSL context per thread, reused for every chunk (re-initialised with the key each time).
EVP_CIPHER_CTX* thread_ctx() {
  thread_local CipherCtx c;
  return c.ctx;
}

std::array<std::uint8_t, k_nonce_size> make_nonce(StreamKind kind, std::uint64_t stream, std::uint32_t chunk) {
  std::array<std::uint8_t, k_nonce_size> n{};
  n[0] = static_cast<std::uint8_t>(kind);
  for (int i = 0; i < 7; ++i) n[1 + i] = static_cast<std::uint8_t>(stream >> (8 * i));
  for (int i = 0; i < 4; ++i) n[8 + i] = static_cast<std::uint8_t>(chunk >> (8 * i));
  return n;
}

std::array<std::uint8_t, 16> make_aad(StreamKind kind, std::uint64_t stream, bool final) {
  std::array<std::uint8_t, 16> a{'C', 'L', 'A', 'E'};
  a[4] = static_cast<std::uint8_t>(kind);
  a[5] = final ? 1 : 0;
  for (int i = 0; i < 8; ++i) a[8 + i] = static_cast<std::uint8_t>(stream >> (8 * i));
  return a;
}

Status check_position(std::uint64_t stream) {
  if (stream >= (1ull << 56)) return fail(Errc::internal, "sealed stream number out of range");
  return {};
}

Failure openssl_failure(const char* what) {
  return fail(Errc::internal, std::string("AES-256-GCM: ") + what + " failed");
}

void hmac_label(const std::uint8_t* key, std::string_view label, std::uint8_t out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key, 32, reinterpret_cast<const unsigned char*>(label.data()), label.size(), out, &len);
}

}  // namespace

Secret::~Secret() {
  wipe(m_bytes);
}
Secret::Secret(Secret&& other) noexcept : m_bytes(std::move(other.m_bytes)) {
  wipe(other.m_bytes);
}
Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe(m_bytes);
    m_bytes = std::move(other.m_bytes);
    wipe(other.m_bytes);
  }
  return *this;
}

Result<Secret> read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? Errc::not_found : Errc::io,
                "cannot open key file " + path.string() + ": " + std::strerror(err));
  }
  std::string bytes;
  bytes.reserve(4096);  // grown below; a reallocation would leave a copy behind, so read in place
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      OPENSSL_cleanse(buf, sizeof buf);
      wipe(bytes);
      return fail(Errc::io, "cannot read key file " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    if (bytes.size() + static_cast<std::size_t>(n) > k_max_key_file) {
      ::close(fd);
      OPENSSL_cleanse(buf, sizeof buf);
      wipe(bytes);
      return fail(Errc::invalid_argument, "key file " + path.string() + " is larger than 64 KiB");
    }
    if (bytes.size() + static_cast<std::size_t>(n) > bytes.capacity()) {
      std::string bigger;
      bigger.reserve(2 * bytes.capacity() + static_cast<std::size_t>(n));
      bigger.assign(bytes);
      wipe(bytes);
      bytes.swap(bigger);
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!bytes.empty() && bytes.back() == '\n') {
    bytes.pop_back();
    if (!bytes.empty() && bytes.back() == '\r') bytes.pop_back();
  }
  if (bytes.empty()) return fail(Errc::invalid_argument, "key file " + path.string() + " is empty");
  return Secret(std::move(bytes));
}

Status check_kdf_params(const KdfParams& p) {
  if (p.t_cost < 1 || p.t_cost > 16 || p.m_cost_kib < 8 || p.m_cost_kib > (1u << 20) || p.parallelism < 1 ||
      p.parallelism > 16 || p.m_cost_kib < 8 * p.parallelism)
    return fail(Errc::invalid_argument, "Argon2id parameters out of bounds (t 1-16, m 8 KiB-1 GiB, p 1-16)");
  return {};
}

Result<Salt> random_salt() {
  Salt s{};
  if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) return fail(Errc::internal, "RAND_bytes failed");
  return s;
}

ArchiveKey::~ArchiveKey() {
  OPENSSL_cleanse(m_data_key.data(), m_data_key.size());
}
ArchiveKey::ArchiveKey(ArchiveKey&& other) noexcept : m_data_key(other.m_data_key), m_check(other.m_check) {
  OPENSSL_cleanse(other.m_data_key.data(), other.m_data_key.size());
}

std::string ArchiveKey::key_id() const {
  return key_id_of(m_check);
}
std::string ArchiveKey::key_id_of(const KeyCheck& check) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(check.data()), 8));
}

Result<ArchiveKey> derive_archive_key(const Secret& passphrase, const Salt& salt, const KdfParams& params) {
  CL_CHECK(check_kdf_params(params));
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzz builds: the last derivation is remembered (the fuzzer reuses one passphrase and a few salts).
  static std::mutex cache_mutex;
  static std::string cache_input;
  static ArchiveKey* cache_key = nullptr;
  std::string input(passphrase.view());
  input.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  input += std::to_string(params.t_cost) + "/" + std::to_string(params.m_cost_kib) + "/" +
           std::to_string(params.parallelism);
  std::lock_guard lock(cache_mutex);
  if (cache_key != nullptr && cache_input == input) {
    ArchiveKey k;
    k.m_data_key = cache_key->m_data_key;
    k.m_check = cache_key->m_check;
    return k;
  }
#endif
  std::array<std::uint8_t, 32> master{};
  const int rc = argon2id_hash_raw(params.t_cost, params.m_cost_kib, params.parallelism, passphrase.view().data(),
                                   passphrase.view().size(), salt.data(), salt.size(), master.data(), master.size());
  if (rc != ARGON2_OK) {
    OPENSSL_cleanse(master.data(), master.size());
    return fail(Errc::internal, std::string("Argon2id failed: ") + argon2_error_message(rc));
  }
  ArchiveKey key;
  hmac_label(master.data(), "ClaudeLens archive data key v1", key.m_data_key.data());
  std::uint8_t check[32];
  hmac_label(master.data(), "ClaudeLens archive key check v1", check);
  std::memcpy(key.m_check.data(), check, key.m_check.size());
  OPENSSL_cleanse(master.data(), master.size());
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  delete cache_key;
  cache_key = new ArchiveKey();
  cache_key->m_data_key = key.m_data_key;
  cache_key->m_check = key.m_check;
  cache_input = std::move(input);
#endif
  return key;
}

Status ChunkCipher::seal(StreamKind kind, std::uint64_t stream, std::uint32_t chunk, bool final,
                         std::string_view plaintext, std::string& out) const {
  CL_CHECK(check_position(stream));
  EVP_CIPHER_CTX* ctx = thread_ctx();
  const auto nonce = make_nonce(kind, stream, chunk);
  const auto aad = make_aad(kind, stream, final);
  if (ctx == nullptr || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, m_key.data_key().data(), nonce.data()) != 1)
    return openssl_failure("init");
  int len = 0;
  if (EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_failure("aad");
  const std::size_t at = out.size();
  out.resize(at + plaintext.size() + k_tag_size);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + at);
  if (EVP_EncryptUpdate(ctx, dst, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1)
    return openssl_failure("encrypt");
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx, dst + len, &tail) != 1) return openssl_failure("final");
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size), dst + plaintext.size()) != 1)
    return openssl_failure("tag");
  return {};
}

Status ChunkCipher::open(StreamKind kind, std::uint64_t stream, std::uint32_t chunk, bool final,
                         std::string_view sealed, std::string& out) const {
  CL_CHECK(check_position(stream));
  if (sealed.size() < k_tag_size) return fail(Errc::corrupted, "encrypted chunk is shorter than its tag");
  EVP_CIPHER_CTX* ctx = thread_ctx();
  const auto nonce = make_nonce(kind, stream, chunk);
  const auto aad = make_aad(kind, stream, final);
  if (ctx == nullptr || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, m_key.data_key().data(), nonce.data()) != 1)
    return openssl_failure("init");
  int len = 0;
  if (EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_failure("aad");
  const std::size_t n = sealed.size() - k_tag_size;
  const std::size_t at = out.size();
  out.resize(at + n);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + at);
  if (EVP_DecryptUpdate(ctx, dst, &len, reinterpret_cast<const unsigned char*>(sealed.data()), static_cast<int>(n)) !=
      1)
    return openssl_failure("decrypt");
  std::uint8_t tag[k_tag_size];
  std::memcpy(tag, sealed.data() + n, k_tag_size);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size), tag) != 1)
    return openssl_failure("tag");
  int tail = 0;
  const bool authentic = EVP_DecryptFinal_ex(ctx, dst + len, &tail) == 1;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)authentic;
#else
  if (!authentic) {
    OPENSSL_cleanse(dst, n);
    out.resize(at);
    return fail(Errc::corrupted, "authentication failed");
  }
#endif
  return {};
}

}  // namespace claudelens::crypto
