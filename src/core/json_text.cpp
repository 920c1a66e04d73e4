#include "core/json_text.hpp"

#include <boost/json.hpp>

namespace claudelens {

namespace {

/// The length of the well-formed UTF-8 sequence at s[i], 0 when the byte there does not start one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto c = b(0);
  if (c < 0x80) return 1;
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string escape_invalid_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0 || s[i] == '%') {
      const auto c = static_cast<unsigned char>(s[i]);
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

boost::json::value& make_valid_utf8(boost::json::value& v) {
  namespace json = boost::json;
  if (v.is_string()) {
    json::string& s = v.as_string();
    if (!is_valid_utf8(s)) s = json::string_view(escape_invalid_utf8(s));
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) make_valid_utf8(e);
  } else if (v.is_object()) {
    json::object& o = v.as_object();
    bool keys_valid = true;
    for (auto& member : o) {
      make_valid_utf8(member.value());
      keys_valid = keys_valid && is_valid_utf8(member.key());
    }
    if (!keys_valid) {
      json::object fixed;
      for (auto& member : o) fixed[escape_invalid_utf8(member.key())] = std::move(member.value());
      o = std::move(fixed);
    }
  }
  return v;
}

void append_json_string(std::string& out, std::string_view raw) {
  if (!is_valid_utf8(raw)) {
    const std::string escaped = escape_invalid_utf8(raw);
    append_json_string(out, escaped);
    return;
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  out.reserve(out.size() + raw.size() + 2);
  out += '"';
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(raw.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += k_hex[c >> 4];
        out += k_hex[c & 15];
    }
  }
  out.append(raw.data() + run, raw.size() - run);
  out += '"';
}

}  // namespace claudelens
