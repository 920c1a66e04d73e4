#include "format/sealed.hpp"

#include <boost/json.hpp>

#include "core/ids.hpp"

namespace claudelens::format {
namespace json = boost::json;
namespace {

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& a) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(a.data()), N));
}

template <std::size_t N>
bool unhex(const json::value* v, std::array<std::uint8_t, N>& out) {
  if (v == nullptr || !v->is_string() || v->as_string().size() != 2 * N) return false;
  const json::string& s = v->as_string();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = nibble(s[2 * i]);
    const int lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

bool get_u32(const json::object& o, std::string_view key, std::uint32_t& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64() || v->as_int64() < 0 || v->as_int64() > 0xFFFFFFFFll) return false;
  out = static_cast<std::uint32_t>(v->as_int64());
  return true;
}

Failure bad_params(const std::string& what) {
  return fail(Errc::corrupted, "archive header: encryption parameters: " + what);
}

/// The number of chunks and the size of the last chunk's plaintext for a stream of `plain` bytes.
std::uint64_t chunk_count(std::uint64_t plain, std::size_t chunk_bytes) {
  return plain == 0 ? 1 : (plain + chunk_bytes - 1) / chunk_bytes;
}

}  // namespace

std::string encryption_params_json(const EncryptionParams& p, std::string_view key_id) {
  json::object o{
      {"algorithm", "aes-256-gcm"},
      {"chunk_bytes", p.chunk_bytes},
      {"kdf", "argon2id"},
      {"kdf_params",
       json::object{{"t_cost", p.kdf.t_cost}, {"m_cost_kib", p.kdf.m_cost_kib}, {"parallelism", p.kdf.parallelism}}},
      {"salt", hex(p.salt)},
      {"key_check", hex(p.key_check)},
      {"key_id", key_id}};
  return json::serialize(o);
}

Result<EncryptionParams> parse_encryption_params(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad_params("not a JSON object");
  const json::object& o = v.as_object();
  const json::value* alg = o.if_contains("algorithm");
  const json::value* kdf = o.if_contains("kdf");
  if (alg == nullptr || !alg->is_string() || kdf == nullptr || !kdf->is_string())
    return bad_params("\"algorithm\" and \"kdf\" must be strings");
  if (alg->as_string() != "aes-256-gcm" || kdf->as_string() != "argon2id")
    return fail(Errc::incompatible_version, "archive is encrypted with " + std::string(alg->as_string()) + "/" +
                                                std::string(kdf->as_string()) +
                                                ", this build reads aes-256-gcm/argon2id only");
  EncryptionParams p;
  std::uint32_t chunk = 0;
  if (!get_u32(o, "chunk_bytes", chunk) || chunk < k_min_chunk_bytes || chunk > k_max_chunk_bytes)
    return bad_params("\"chunk_bytes\" missing or outside 4 KiB-1 MiB");
  p.chunk_bytes = chunk;
  const json::value* kp = o.if_contains("kdf_params");
  if (kp == nullptr || !kp->is_object() || !get_u32(kp->as_object(), "t_cost", p.kdf.t_cost) ||
      !get_u32(kp->as_object(), "m_cost_kib", p.kdf.m_cost_kib) ||
      !get_u32(kp->as_object(), "parallelism", p.kdf.parallelism))
    return bad_params("\"kdf_params\" missing or malformed");
  if (Status s = crypto::check_kdf_params(p.kdf); !s) return bad_params(s.error().message);
  if (!unhex(o.if_contains("salt"), p.salt)) return bad_params("\"salt\" is not 32 hex digits");
  if (!unhex(o.if_contains("key_check"), p.key_check)) return bad_params("\"key_check\" is not 32 hex digits");
  return p;
}

std::uint64_t sealed_size(std::uint64_t plain, std::size_t chunk_bytes) {
  return plain + crypto::k_tag_size * chunk_count(plain, chunk_bytes);
}

Result<std::uint64_t> plain_size(std::uint64_t sealed, std::size_t chunk_bytes) {
  const std::uint64_t whole = chunk_bytes + crypto::k_tag_size;
  const std::uint64_t full = sealed / whole;
  const std::uint64_t rest = sealed % whole;
  if (sealed == 0 || (rest != 0 && rest < crypto::k_tag_size) || (rest == crypto::k_tag_size && full > 0))
    return fail(Errc::corrupted, "sealed size " + std::to_string(sealed) + " fits no chunk layout");
  return full * chunk_bytes + (rest == 0 ? 0 : rest - crypto::k_tag_size);
}

Status seal_stream(const crypto::ChunkCipher& cipher, crypto::StreamKind kind, std::uint64_t stream,
                   std::string_view plain, std::size_t chunk_bytes, std::string& out) {
  const std::uint64_t n = chunk_count(plain.size(), chunk_bytes);
  out.reserve(out.size() + sealed_size(plain.size(), chunk_bytes));
  for (std::uint64_t i = 0; i < n; ++i)
    CL_CHECK(cipher.seal(kind, stream, static_cast<std::uint32_t>(i), i + 1 == n,
                         plain.substr(i * chunk_bytes, chunk_bytes), out));
  return {};
}

Status open_stream(const crypto::ChunkCipher& cipher, crypto::StreamKind kind, std::uint64_t stream,
                   std::string_view sealed, std::size_t chunk_bytes, std::string& out) {
  CL_TRY(plain, plain_size(sealed.size(), chunk_bytes));
  out.clear();
  out.reserve(plain);
  const std::uint64_t n = chunk_count(plain, chunk_bytes);
  const std::size_t whole = chunk_bytes + crypto::k_tag_size;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (Status s =
            cipher.open(kind, stream, static_cast<std::uint32_t>(i), i + 1 == n, sealed.substr(i * whole, whole), out);
        !s)
      return fail(s.error().code, "chunk " + std::to_string(i) + ": " + s.error().message);
  }
  return {};
}

Status StreamSealer::update(std::string_view bytes, std::string& out) {
  if (bytes.size() > m_total - m_fed) return fail(Errc::invalid_argument, "sealed stream: more bytes than declared");
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), m_chunk_bytes - m_buffer.size());
    m_buffer.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    m_fed += take;
    if (m_buffer.size() == m_chunk_bytes) {
      const bool final = m_fed == m_total;
      CL_CHECK(m_cipher.seal(m_kind, m_stream, m_chunk++, final, m_buffer, out));
      m_buffer.clear();
      m_final_done = final;
    }
  }
  return {};
}

Status StreamSealer::finish(std::string& out) {
  if (m_fed != m_total) return fail(Errc::internal, "sealed stream: fewer bytes than declared");
  if (m_final_done) return {};
  CL_CHECK(m_cipher.seal(m_kind, m_stream, m_chunk++, true, m_buffer, out));
  m_buffer.clear();
  m_final_done = true;
  return {};
}

}  // namespace claudelens::format
