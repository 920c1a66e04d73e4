#include "ingest/line_parser.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "crypto/sha256.hpp"
#include "ingest/pricing.hpp"

namespace claudelens::ingest {
namespace {

namespace dom = simdjson::dom;

std::string_view string_field(dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

/// A token count: any JSON number that is a non-negative integer (doubles are truncated), else 0.
std::int64_t count_field(dom::object obj, std::string_view key) {
  dom::element e;
  if (obj[key].get(e) != simdjson::SUCCESS) return 0;
  if (std::int64_t i = 0; e.get_int64().get(i) == simdjson::SUCCESS) return i > 0 ? i : 0;
  if (std::uint64_t u = 0; e.get_uint64().get(u) == simdjson::SUCCESS) return INT64_MAX;
  if (double d = 0; e.get_double().get(d) == simdjson::SUCCESS && d > 0 && d < 9e18)
    return static_cast<std::int64_t>(d);
  return 0;
}

/// Fills entry.message_id and entry.usage (tokens and cost) from `message`, when it is an object.
void read_message(dom::object line, store::Entry& entry) {
  dom::object message;
  if (line["message"].get_object().get(message) != simdjson::SUCCESS) return;
  entry.message_id = string_field(message, "id");
  dom::object usage;
  if (message["usage"].get_object().get(usage) != simdjson::SUCCESS) return;
  store::Usage& u = entry.usage;
  u.input_tokens = count_field(usage, "input_tokens");
  u.output_tokens = count_field(usage, "output_tokens");
  u.cache_creation_tokens = count_field(usage, "cache_creation_input_tokens");
  u.cache_read_tokens = count_field(usage, "cache_read_input_tokens");
  std::int64_t write_1h = 0;
  if (dom::object cache; usage["cache_creation"].get_object().get(cache) == simdjson::SUCCESS)
    write_1h = count_field(cache, "ephemeral_1h_input_tokens");
  u.cost_usd = cost_usd(string_field(message, "model"), u, write_1h);
}

std::string_view kind_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::BOOL:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

struct LineParser::Impl {
  dom::parser parser;
};

LineParser::LineParser() : m_impl(std::make_unique<Impl>()) {}
LineParser::~LineParser() = default;

std::size_t LineParser::padding() noexcept {
  return simdjson::SIMDJSON_PADDING;
}

Status LineParser::parse(std::string_view line, ParsedLine& out, std::size_t capacity) {
  store::Entry& e = out.entry;
  e.session_id.clear();
  e.key.clear();
  e.has_uuid = false;
  e.type.clear();
  e.timestamp.reset();
  e.cwd.clear();
  e.message_id.clear();
  e.usage = {};
  e.json.clear();
  out.summary.clear();
  out.leaf_uuid.clear();

  const bool padded = capacity >= line.size() + padding();
  dom::element root;
  auto err = m_impl->parser.parse(line.data(), line.size(), !padded).get(root);
  std::string escaped;
  if (err == simdjson::UTF8_ERROR) {
    // Bytes that are not UTF-8 (a Latin-1 "caf\xe9" in a message): the line is kept as it is (nothing
    // lost, nothing altered); its fields are read from its escaped form (docs/ingest.md).
    escaped = escape_invalid_utf8(line);
    err = m_impl->parser.parse(escaped.data(), escaped.size(), true).get(root);
  }
  if (err != simdjson::SUCCESS)
    return fail(Errc::malformed_input, fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS)
    return fail(Errc::malformed_input, fmt::format("not a JSON object but {}", kind_name(root.type())));

  e.type = string_field(obj, "type");
  e.session_id = string_field(obj, "sessionId");
  e.cwd = string_field(obj, "cwd");
  if (const auto uuid = string_field(obj, "uuid"); !uuid.empty()) {
    e.key = uuid;
    e.has_uuid = true;
  }
  if (const auto ts = string_field(obj, "timestamp"); !ts.empty()) e.timestamp = parse_iso8601(ts);
  read_message(obj, e);
  if (e.type == "summary") {
    out.summary = string_field(obj, "summary");
    out.leaf_uuid = string_field(obj, "leafUuid");
  }
  e.json.assign(line);
  return {};
}

Result<ParsedLine> LineParser::parse(std::string_view line) {
  ParsedLine out;
  CL_CHECK(parse(line, out));
  return out;
}

std::string content_key_prefix(std::string_view line) {
  const crypto::Digest d = crypto::sha256(line);
  return "~" + to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), 16));
}

std::string content_key(std::string_view line, std::int64_t occurrence) {
  return fmt::format("{}:{}", content_key_prefix(line), occurrence);
}

}  // namespace claudelens::ingest
