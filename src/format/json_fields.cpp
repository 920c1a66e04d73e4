#include "format/json_fields.hpp"

#include <boost/json.hpp>

namespace claudelens::format {
namespace {

Result<boost::json::object> parse_object(std::string_view json, Errc code, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec) return fail(code, std::string(what) + " is not valid JSON: " + ec.message());
  if (!v.is_object()) return fail(code, std::string(what) + " must be a JSON object");
  return std::move(v.as_object());
}

}  // namespace

Result<std::string> normalize_header_json(std::string_view json) {
  CL_TRY(obj, parse_object(json, Errc::invalid_argument, "archive header"));
  if (const auto* enc = obj.if_contains("encryption"); enc != nullptr && !enc->is_null())
    return fail(Errc::invalid_argument, "archive header: encryption is not supported by this writer yet");
  if (!obj.contains("encryption")) obj["encryption"] = nullptr;
  if (!obj.contains("parent_backup_id")) obj["parent_backup_id"] = nullptr;
  return boost::json::serialize(obj);
}

Result<std::string> normalize_manifest_json(std::string_view json) {
  CL_TRY(obj, parse_object(json, Errc::invalid_argument, "archive manifest"));
  return boost::json::serialize(obj);
}

Result<EncryptedHeaders> encrypted_headers(std::string_view header_json, std::string_view params_json) {
  CL_TRY(obj, parse_object(header_json, Errc::invalid_argument, "archive header"));
  CL_TRY(params, parse_object(params_json, Errc::internal, "encryption parameters"));
  obj["encryption"] = params;
  boost::json::object clear;
  for (std::string_view key : {"backup_id", "type", "created_at", "parent_backup_id", "parent_checksum"})
    if (const auto* v = obj.if_contains(key)) clear[key] = *v;
  clear["encryption"] = std::move(params);
  return EncryptedHeaders{boost::json::serialize(obj), boost::json::serialize(clear)};
}

Result<std::string> header_encryption(std::string_view header_json) {
  CL_TRY(obj, parse_object(header_json, Errc::corrupted, "archive header"));
  const auto* enc = obj.if_contains("encryption");
  if (enc == nullptr || enc->is_null()) return std::string("null");
  return boost::json::serialize(*enc);
}

}  // namespace claudelens::format
