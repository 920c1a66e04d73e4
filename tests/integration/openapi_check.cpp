// The OpenAPI conformance checker of the integration tests (openapi_check.hpp).
#include "integration/openapi_check.hpp"

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

namespace claudelens::testing {
namespace {

namespace json = boost::json;

/// Keywords that describe and never constrain: accepted and ignored.
const std::set<std::string, std::less<>> k_annotations = {
    "description", "title",    "default",          "example",         "examples",      "deprecated",   "readOnly",
    "writeOnly",   "$comment", "contentMediaType", "contentEncoding", "discriminator", "externalDocs", "xml"};

/// Keywords the checker applies.
const std::set<std::string, std::less<>> k_keywords = {"$ref",
                                                       "type",
                                                       "nullable",
                                                       "enum",
                                                       "const",
                                                       "minimum",
                                                       "maximum",
                                                       "exclusiveMinimum",
                                                       "exclusiveMaximum",
                                                       "multipleOf",
                                                       "minLength",
                                                       "maxLength",
                                                       "pattern",
                                                       "format",
                                                       "items",
                                                       "minItems",
                                                       "maxItems",
                                                       "uniqueItems",
                                                       "properties",
                                                       "required",
                                                       "additionalProperties",
                                                       "minProperties",
                                                       "maxProperties",
                                                       "allOf",
                                                       "anyOf",
                                                       "oneOf",
                                                       "not"};

std::string quoted(const json::value& v) {
  std::string s = json::serialize(v);
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

double number_of(const json::value& v) {
  return v.to_number<double>();
}

bool has_type(const json::value& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_bool();
  if (type == "string") return v.is_string();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && std::isfinite(v.get_double()) && std::floor(v.get_double()) == v.get_double();
  }
  return false;
}

std::string type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::string:
      return "string";
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    default:
      return "number";
  }
}

bool is_date_time(std::string_view s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)");
  return std::regex_match(s.begin(), s.end(), re);
}

class SchemaChecker {
 public:
  SchemaChecker(const json::value& document, std::vector<std::string>& out) : m_doc(document), m_out(out) {}

  /// `closed`: apply the closed-object rule here (false inside allOf branches: the allOf owner does it).
  void check(const json::value& schema, const json::value& v, const std::string& at, bool closed = true) {
    if (schema.is_bool()) {
      if (!schema.get_bool()) problem(at, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) {
      problem(at, "the schema is not an object: " + quoted(schema));
      return;
    }
    const json::object& s = schema.get_object();
    for (const auto& [key, unused] : s) {
      if (k_keywords.contains(key) || k_annotations.contains(key) || key.starts_with("x-")) continue;
      problem(at, "the test's schema checker does not know the keyword '" + std::string(key) + "'");
    }
    if (const auto* ref = s.if_contains("$ref")) {
      const json::value* target = resolve(*ref);
      if (!target) {
        problem(at, "unresolvable $ref " + quoted(*ref));
        return;
      }
      if (++m_depth > 64) {
        problem(at, "$ref nesting over 64");
        return;
      }
      check(*target, v, at, closed);
      --m_depth;
    }
    if (const auto* n = s.if_contains("nullable"); n && n->is_bool() && n->get_bool() && v.is_null()) return;
    if (const auto* t = s.if_contains("type")) {
      bool ok = false;
      if (t->is_string()) ok = has_type(v, t->get_string());
      if (t->is_array())
        for (const auto& one : t->get_array()) ok |= one.is_string() && has_type(v, one.get_string());
      if (const auto* n = s.if_contains("nullable"); n && n->is_bool() && n->get_bool()) ok |= v.is_null();
      if (!ok) {
        problem(at, "is " + type_name(v) + " " + quoted(v) + ", the document says type " + quoted(*t));
        return;
      }
    }
    if (const auto* e = s.if_contains("enum"); e && e->is_array()) {
      bool found = false;
      for (const auto& one : e->get_array()) found |= same(one, v);
      if (!found) problem(at, quoted(v) + " is not one of " + quoted(*e));
    }
    if (const auto* c = s.if_contains("const"); c && !same(*c, v)) problem(at, quoted(v) + " is not " + quoted(*c));
    if (v.is_number()) check_number(s, v, at);
    if (v.is_string()) check_string(s, v.get_string(), at);
    if (v.is_array()) check_array(s, v.get_array(), at);
    if (v.is_object()) check_object(s, v.get_object(), at, closed);
    if (const auto* all = s.if_contains("allOf"); all && all->is_array())
      for (const auto& branch : all->get_array()) check(branch, v, at, false);
    if (const auto* any = s.if_contains("anyOf"); any && any->is_array()) {
      if (passing_branches(any->get_array(), v, at) == 0) problem(at, "matches none of anyOf");
    }
    if (const auto* one = s.if_contains("oneOf"); one && one->is_array()) {
      const auto n = passing_branches(one->get_array(), v, at);
      if (n != 1) problem(at, "matches " + std::to_string(n) + " branches of oneOf, not exactly one");
    }
    if (const auto* no = s.if_contains("not")) {
      std::vector<std::string> inner;
      SchemaChecker(m_doc, inner).check(*no, v, at);
      if (inner.empty()) problem(at, "matches the schema under 'not'");
    }
  }

 private:
  void problem(const std::string& at, std::string what) { m_out.push_back(at + ": " + std::move(what)); }

  /// JSON equality where 1, 1u and 1.0 are the same number.
  static bool same(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return number_of(a) == number_of(b);
    return a == b;
  }

  const json::value* resolve(const json::value& ref) const {
    if (!ref.is_string() || !ref.get_string().starts_with("#/")) return nullptr;
    boost::system::error_code ec;
    const json::value* target = m_doc.find_pointer(std::string_view(ref.get_string()).substr(1), ec);
    return ec ? nullptr : target;
  }

  std::size_t passing_branches(const json::array& branches, const json::value& v, const std::string& at) {
    std::size_t n = 0;
    for (const auto& branch : branches) {
      std::vector<std::string> inner;
      SchemaChecker(m_doc, inner).check(branch, v, at);
      if (inner.empty()) ++n;
    }
    return n;
  }

  void check_number(const json::object& s, const json::value& v, const std::string& at) {
    const double x = number_of(v);
    auto bound = [&](const char* key) -> const json::value* {
      const auto* b = s.if_contains(key);
      return b && b->is_number() ? b : nullptr;
    };
    if (const auto* b = bound("minimum"); b && x < number_of(*b)) problem(at, quoted(v) + " < minimum " + quoted(*b));
    if (const auto* b = bound("maximum"); b && x > number_of(*b)) problem(at, quoted(v) + " > maximum " + quoted(*b));
    if (const auto* b = bound("exclusiveMinimum"); b && x <= number_of(*b))
      problem(at, quoted(v) + " <= exclusiveMinimum " + quoted(*b));
    if (const auto* b = bound("exclusiveMaximum"); b && x >= number_of(*b))
      problem(at, quoted(v) + " >= exclusiveMaximum " + quoted(*b));
    if (const auto* b = bound("multipleOf"); b && number_of(*b) > 0) {
      const double q = x / number_of(*b);
      if (std::fabs(q - std::round(q)) > 1e-9) problem(at, quoted(v) + " is not a multiple of " + quoted(*b));
    }
  }

  void check_string(const json::object& s, std::string_view text, const std::string& at) {
    const auto n = code_points(text);
    if (const auto* b = s.if_contains("minLength"); b && b->is_number() && n < number_of(*b))
      problem(at, "shorter than minLength " + quoted(*b));
    if (const auto* b = s.if_contains("maxLength"); b && b->is_number() && n > number_of(*b))
      problem(at, "longer than maxLength " + quoted(*b));
    if (const auto* p = s.if_contains("pattern"); p && p->is_string()) {
      try {
        const std::regex re(std::string(p->get_string()), std::regex::ECMAScript);
        if (!std::regex_search(text.begin(), text.end(), re))
          problem(at, "'" + std::string(text.substr(0, 80)) + "' does not match " + quoted(*p));
      } catch (const std::regex_error&) {
        problem(at, "the pattern " + quoted(*p) + " is not a regular expression");
      }
    }
    if (const auto* f = s.if_contains("format"); f && *f == "date-time" && !is_date_time(text))
      problem(at, "'" + std::string(text.substr(0, 80)) + "' is not an RFC 3339 date-time");
  }

  void check_array(const json::object& s, const json::array& a, const std::string& at) {
    if (const auto* b = s.if_contains("minItems"); b && b->is_number() && a.size() < number_of(*b))
      problem(at, "fewer items than minItems " + quoted(*b));
    if (const auto* b = s.if_contains("maxItems"); b && b->is_number() && a.size() > number_of(*b))
      problem(at, "more items than maxItems " + quoted(*b));
    if (const auto* u = s.if_contains("uniqueItems"); u && u->is_bool() && u->get_bool())
      for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j < a.size(); ++j)
          if (same(a[i], a[j])) problem(at, "items " + std::to_string(i) + " and " + std::to_string(j) + " are equal");
    if (const auto* items = s.if_contains("items"))
      for (std::size_t i = 0; i < a.size(); ++i) check(*items, a[i], at + "[" + std::to_string(i) + "]");
  }

  void check_object(const json::object& s, const json::object& o, const std::string& at, bool closed) {
    if (const auto* req = s.if_contains("required"); req && req->is_array())
      for (const auto& name : req->get_array())
        if (name.is_string() && !o.contains(name.get_string()))
          problem(at, "lacks the required field '" + std::string(name.get_string()) + "'");
    if (const auto* b = s.if_contains("minProperties"); b && b->is_number() && o.size() < number_of(*b))
      problem(at, "fewer fields than minProperties " + quoted(*b));
    if (const auto* b = s.if_contains("maxProperties"); b && b->is_number() && o.size() > number_of(*b))
      problem(at, "more fields than maxProperties " + quoted(*b));
    const json::object* props = nullptr;
    if (const auto* p = s.if_contains("properties"); p && p->is_object()) props = &p->get_object();
    const json::value* extra = s.if_contains("additionalProperties");
    for (const auto& [name, value] : o) {
      const std::string here = at + "." + std::string(name);
      if (props && props->contains(name)) {
        check(props->at(name), value, here);
      } else if (extra && extra->is_object()) {
        check(*extra, value, here);
      }
    }
    // The closed-object rule, once, where the shape is declared (a bare $ref delegates it).
    const bool declares = s.contains("properties") || s.contains("allOf") || s.contains("additionalProperties");
    if (!closed || !declares) return;
    std::set<std::string, std::less<>> declared;
    bool shaped = false;
    if (!declared_fields(s, declared, shaped, 0) || !shaped) return;  // open, or no fields listed at all
    for (const auto& [name, value] : o)
      if (!declared.contains(name))
        problem(at, "has the field '" + std::string(name) + "', which the document does not list");
  }

  /// Collects the fields an object schema lists (with its allOf branches and $refs). Returns false
  /// when the schema is open (additionalProperties true or a schema); `shaped` says whether any
  /// `properties` (or additionalProperties: false) was seen.
  bool declared_fields(const json::object& s, std::set<std::string, std::less<>>& out, bool& shaped, int depth) const {
    if (depth > 64) return false;
    if (const auto* extra = s.if_contains("additionalProperties")) {
      if (!(extra->is_bool() && !extra->get_bool())) return false;
      shaped = true;
    }
    if (const auto* p = s.if_contains("properties"); p && p->is_object()) {
      shaped = true;
      for (const auto& [name, unused] : p->get_object()) out.emplace(name);
    }
    auto follow = [&](const json::value& sub) {
      const json::value* target = &sub;
      if (sub.is_object())
        if (const auto* ref = sub.get_object().if_contains("$ref")) target = resolve(*ref);
      if (!target || !target->is_object()) return true;
      return declared_fields(target->get_object(), out, shaped, depth + 1);
    };
    if (const auto* ref = s.if_contains("$ref")) {
      const json::value* target = resolve(*ref);
      if (target && target->is_object() && !declared_fields(target->get_object(), out, shaped, depth + 1)) return false;
    }
    if (const auto* all = s.if_contains("allOf"); all && all->is_array())
      for (const auto& branch : all->get_array())
        if (!follow(branch)) return false;
    return true;
  }

  const json::value& m_doc;
  std::vector<std::string>& m_out;
  int m_depth = 0;
};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

/// The `paths` entry whose template matches `path` (more literal segments win), or null.
const json::object* path_item(const json::value& doc, std::string_view path, std::string* template_out) {
  const auto raw = segments(path);
  const json::object* best = nullptr;
  int best_literals = -1;
  for (const auto& [tmpl, item] : doc.at("paths").as_object()) {
    const auto parts = segments(tmpl);
    if (parts.size() != raw.size() || !item.is_object()) continue;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      if (parts[i].size() > 2 && parts[i].front() == '{' && parts[i].back() == '}') {
        ok = !raw[i].empty();
        continue;
      }
      ok = parts[i] == raw[i];
      ++literals;
    }
    if (ok && literals > best_literals) {
      best = &item.get_object();
      best_literals = literals;
      if (template_out) *template_out = std::string(tmpl);
    }
  }
  return best;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string header_of(const std::map<std::string, std::string>& headers, const std::string& name) {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

/// The media type of a Content-Type value: "application/json; charset=utf-8" → "application/json".
std::string media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return lower(type);
}

const json::value* follow_ref(const json::value& doc, const json::value* v) {
  for (int i = 0; i < 8 && v && v->is_object(); ++i) {
    const auto* ref = v->get_object().if_contains("$ref");
    if (!ref || !ref->is_string() || !ref->get_string().starts_with("#/")) return v;
    boost::system::error_code ec;
    v = doc.find_pointer(std::string_view(ref->get_string()).substr(1), ec);
    if (ec) return nullptr;
  }
  return v;
}

/// The body against one documented response (headers, content type, schema).
void check_response(const json::value& doc, const json::object& response, bool head,
                    const std::map<std::string, std::string>& headers, std::string_view body,
                    std::vector<std::string>& out) {
  if (const auto* hs = response.if_contains("headers"); hs && hs->is_object()) {
    for (const auto& [name, spec] : hs->get_object()) {
      const json::value* h = follow_ref(doc, &spec);
      if (!h || !h->is_object()) continue;
      const std::string value = header_of(headers, lower(name));
      const auto* required = h->get_object().if_contains("required");
      if (value.empty()) {
        if (required && *required == true) out.push_back("header " + std::string(name) + " is missing");
        continue;
      }
      const auto* schema = h->get_object().if_contains("schema");
      if (schema && schema->is_object() && schema->get_object().if_contains("type") &&
          schema->at("type") == "integer" && value.find_first_not_of("0123456789") != std::string::npos)
        out.push_back("header " + std::string(name) + ": '" + value + "' is not an integer");
    }
  }
  if (head) return;  // no body
  const auto* content = response.if_contains("content");
  if (!content || !content->is_object() || content->get_object().empty()) {
    if (!body.empty()) out.push_back("a body of " + std::to_string(body.size()) + " bytes, but the document says none");
    return;
  }
  const std::string type = media_type(header_of(headers, "content-type"));
  const auto* media = content->get_object().if_contains(type);
  if (!media) {
    std::string documented;
    for (const auto& [name, unused] : content->get_object()) documented += " " + std::string(name);
    out.push_back("Content-Type '" + type + "' is not documented (documented:" + documented + ")");
    return;
  }
  const auto* schema = media->is_object() ? media->get_object().if_contains("schema") : nullptr;
  if (!schema || type != "application/json") return;
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec) {
    out.push_back("the body is not JSON: " + std::string(body.substr(0, 120)));
    return;
  }
  for (auto& p : schema_problems(doc, *schema, parsed)) out.push_back("body " + std::move(p));
}

}  // namespace

const json::value& openapi_document() {
  static const json::value doc = [] {
    std::ifstream in(std::string(CLAUDELENS_SOURCE_DIR) + "/src/http/openapi.json");
    if (!in) throw std::runtime_error("cannot read src/http/openapi.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
  }();
  return doc;
}

std::vector<std::string> schema_problems(const json::value& document, const json::value& schema,
                                         const json::value& value) {
  std::vector<std::string> out;
  SchemaChecker(document, out).check(schema, value, "$");
  return out;
}

std::vector<std::string> openapi_problems(std::string_view method, std::string_view target, int status,
                                          const std::map<std::string, std::string>& headers, std::string_view body) {
  const json::value& doc = openapi_document();
  std::vector<std::string> out;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool head = method == "HEAD";
  std::string tmpl;
  const json::object* item = path_item(doc, path, &tmpl);
  const json::value* op = item ? item->if_contains(lower(method)) : nullptr;
  // An envelope whose `path` is empty answers a request the server could not parse (not HTTP, a header
  // block over the limit): no operation answered it, whatever its request line said.
  if (op && status >= 400) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    const json::value* at = ec ? nullptr : parsed.find_pointer("/error/path", ec);
    if (at && *at == "") op = nullptr;
  }
  if (!op) {
    const bool api = path.starts_with("/api/") || path.starts_with("/ws/");
    if (status < 400) {
      if (api) out.push_back("openapi.json has no operation " + std::string(method) + " " + std::string(path));
      return out;
    }
    // No operation: an error envelope (unknown path, method not allowed, not HTTP at all).
    const auto& e400 = doc.at_pointer("/components/responses/E400").as_object();
    check_response(doc, e400, head, headers, body, out);
    if (status == 405 && header_of(headers, "allow").empty()) out.push_back("a 405 answer without Allow");
    return out;
  }
  const auto& responses = op->at("responses").as_object();
  const json::value* response = responses.if_contains(std::to_string(status));
  if (!response) response = responses.if_contains(std::to_string(status / 100) + "XX");
  if (!response) response = responses.if_contains("default");
  if (!response) {
    out.push_back("status " + std::to_string(status) + " is not documented for " + std::string(method) + " " + tmpl);
    return out;
  }
  response = follow_ref(doc, response);
  if (!response || !response->is_object()) {
    out.push_back("the response of status " + std::to_string(status) + " is an unresolvable $ref");
    return out;
  }
  check_response(doc, response->get_object(), head, headers, body, out);
  return out;
}

}  // namespace claudelens::testing
