// The few JSON facts the archive library itself needs from the caller's header and manifest objects:
// that they are objects, the reserved header fields (`encryption`, `parent_backup_id`), and whether
// an archive is encrypted. Boost.JSON stays inside json_fields.cpp. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace claudelens::format {

/// Checks that `json` is one JSON object and returns it re-serialised compactly (no newlines), with
/// the reserved fields `encryption` and `parent_backup_id` added as null when absent.
/// invalid_argument when it is not an object, or when `encryption` is not null (encryption comes in
/// a later version of this library; writing plaintext under an encryption header would be a lie).
Result<std::string> normalize_header_json(std::string_view json);

/// Checks that `json` is one JSON object and returns it re-serialised compactly.
Result<std::string> normalize_manifest_json(std::string_view json);

/// For an encrypted archive: `header_json` (normalised) with `encryption` set to `params_json`, whole
/// (sealed with the manifest), and the clear header that shows only its `backup_id`, `type`,
/// `created_at`, `parent_backup_id`, `parent_checksum` (those present) and `encryption`.
struct EncryptedHeaders {
  std::string sealed;
  std::string clear;
};
Result<EncryptedHeaders> encrypted_headers(std::string_view header_json, std::string_view params_json);

/// The value of the header's `encryption` field as compact JSON ("null" when absent or null);
/// corrupted when the header is not a JSON object.
Result<std::string> header_encryption(std::string_view header_json);

}  // namespace claudelens::format
