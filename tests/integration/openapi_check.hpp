// Checks the server's answers against its own OpenAPI document (src/http/openapi.json), for the
// integration tests: every reply the test clients of server_support.hpp receive goes through
// `openapi_problems`, and a reply that is not what the document says fails the running test.
//
// The JSON-Schema subset is what the document uses: type (one or a list, "integer" is a number
// without a fraction), properties, required, additionalProperties, items, min/maxItems, enum, const,
// minimum/maximum (and exclusive), min/maxLength, pattern, format date-time, $ref within the document,
// allOf/anyOf/oneOf/not, and OpenAPI 3.0's nullable. A schema keyword outside that set is itself
// reported, so the checker never passes a rule it does not understand.
//
// One rule is stricter than JSON Schema: an object schema that lists `properties` and says nothing
// about `additionalProperties` is closed (a field the server sends must be documented; allOf branches
// count together). `additionalProperties: true` (or a schema) opens it again.
//
// Thread-safe: the document is loaded once and only read.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace claudelens::testing {

/// The document the tests check against (parsed once from the source tree).
const boost::json::value& openapi_document();

/// Where `value` breaks `schema` (resolving $ref in `document`); each problem names the JSON path
/// ("$.items[0].status: ..."). Empty when it conforms.
std::vector<std::string> schema_problems(const boost::json::value& document, const boost::json::value& schema,
                                         const boost::json::value& value);

/// Where one exchange breaks the document: the operation for `method` and `target`'s path (path
/// templates matched segment by segment, the one with more literal segments winning), the status
/// documented for it, the documented headers marked required, the content type, and the body
/// against the schema of that status and content type. An answer with no operation (unknown path or
/// method, a request that was not HTTP or whose header block was refused: an envelope with an empty
/// `error.path`) must be an error envelope (status ≥ 400, ErrorEnvelope);
/// answers outside /api/ and /ws/ with no operation (the web page's files) are not checked.
/// `headers` have lower-cased names. A HEAD answer has no body to check.
std::vector<std::string> openapi_problems(std::string_view method, std::string_view target, int status,
                                          const std::map<std::string, std::string>& headers, std::string_view body);

}  // namespace claudelens::testing
