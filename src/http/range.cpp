#include "http/range.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace claudelens::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A non-empty run of digits that fits in 64 bits; nullopt otherwise (a sign, spaces or overflow).
std::optional<std::uint64_t> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool iprefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

ByteRange parse_range(std::string_view header, std::uint64_t size) noexcept {
  ByteRange whole;
  header = trim(header);
  if (!iprefix(header, "bytes=")) return whole;
  const std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: send the whole file
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = trim(spec.substr(0, dash));
  const std::string_view b = trim(spec.substr(dash + 1));
  ByteRange r;
  r.kind = ByteRange::Kind::partial;
  if (a.empty()) {  // the last n bytes
    const auto n = digits(b);
    if (!n) return whole;
    if (*n == 0 || size == 0) return ByteRange{ByteRange::Kind::unsatisfiable};
    r.first = *n >= size ? 0 : size - *n;
    r.last = size - 1;
    return r;
  }
  const auto first = digits(a);
  if (!first) return whole;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = digits(b);
    if (!l || *l < *first) return whole;  // invalid syntax: ignored
    last = std::min(*l, last);
  }
  if (*first >= size) return ByteRange{ByteRange::Kind::unsatisfiable};
  r.first = *first;
  r.last = last;
  return r;
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
  if (range.kind == ByteRange::Kind::partial) return fmt::format("bytes {}-{}/{}", range.first, range.last, size);
  return fmt::format("bytes */{}", size);
}

}  // namespace claudelens::http
