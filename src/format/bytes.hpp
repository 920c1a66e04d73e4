// Little-endian encoding helpers for the archive grammar (grammar.hpp). ByteSink appends to a string;
// ByteSource reads from a view and never reads past its end: every read reports failure instead.
// Plain values, not thread-safe; a ByteSource must not outlive the bytes it views.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace claudelens::format {

class ByteSink {
 public:
  explicit ByteSink(std::string& out) : m_out(out) {}
  void u8(std::uint8_t v) { m_out.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  void bytes(std::string_view b) { m_out.append(b); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) m_out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string& m_out;
};

class ByteSource {
 public:
  explicit ByteSource(std::string_view in) : m_in(in) {}
  bool u8(std::uint8_t& v) {
    std::uint64_t x = 0;
    bool ok = get(x, 1);
    v = static_cast<std::uint8_t>(x);
    return ok;
  }
  bool u16(std::uint16_t& v) {
    std::uint64_t x = 0;
    bool ok = get(x, 2);
    v = static_cast<std::uint16_t>(x);
    return ok;
  }
  bool u32(std::uint32_t& v) {
    std::uint64_t x = 0;
    bool ok = get(x, 4);
    v = static_cast<std::uint32_t>(x);
    return ok;
  }
  bool u64(std::uint64_t& v) { return get(v, 8); }
  bool i64(std::int64_t& v) {
    std::uint64_t x = 0;
    bool ok = get(x, 8);
    v = static_cast<std::int64_t>(x);
    return ok;
  }
  bool bytes(std::size_t n, std::string_view& v) {
    if (n > m_in.size() - m_pos) return false;
    v = m_in.substr(m_pos, n);
    m_pos += n;
    return true;
  }
  std::size_t position() const { return m_pos; }
  std::size_t remaining() const { return m_in.size() - m_pos; }

 private:
  bool get(std::uint64_t& v, std::size_t n) {
    if (n > m_in.size() - m_pos) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_in[m_pos + i])) << (8 * i);
    m_pos += n;
    return true;
  }
  std::string_view m_in;
  std::size_t m_pos = 0;
};

}  // namespace claudelens::format
