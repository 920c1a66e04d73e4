// Writing JSON text by hand on hot paths (archive documents, exports), where building a DOM per
// document would cost more than the work itself. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claudelens {

/// Appends `raw` as a JSON string literal (with quotes), escaping '"', '\\' and control characters.
/// Other bytes, including UTF-8, are copied as they are.
void append_json_string(std::string& out, std::string_view raw);

/// Appends `"name":` (name must need no escaping).
inline void append_json_key(std::string& out, std::string_view name) {
  out += '"';
  out += name;
  out += "\":";
}

}  // namespace claudelens
