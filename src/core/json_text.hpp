// Writing JSON text by hand on hot paths (archive documents, exports), where building a DOM per
// document would cost more than the work itself. Pure functions; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claudelens {

/// True when `s` is well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Names from outside (folder and file names, which are bytes, not text) made valid UTF-8 without
/// losing anything: a valid string is returned unchanged; in any other, each byte that is not part of
/// a well-formed sequence becomes "%HH" (two upper-case hex digits) and each '%' becomes "%25", so
/// that the original bytes can be read back (docs/ingest.md). "caf\xe9" → "caf%E9".
std::string escape_invalid_utf8(std::string_view s);

/// Appends `raw` as a JSON string literal (with quotes), escaping '"', '\\' and control characters.
/// Valid UTF-8 is copied as it is; a string that is not valid UTF-8 is written as
/// escape_invalid_utf8(raw), so that the output is always valid JSON text.
void append_json_string(std::string& out, std::string_view raw);

/// Makes every string (and key) in `v` valid UTF-8 with escape_invalid_utf8, so that serializing it
/// gives valid JSON text whatever the store held. Returns `v`.
boost::json::value& make_valid_utf8(boost::json::value& v);

/// Appends `"name":` (name must need no escaping).
inline void append_json_key(std::string& out, std::string_view name) {
  out += '"';
  out += name;
  out += "\":";
}

}  // namespace claudelens
