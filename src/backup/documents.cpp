#include "backup/documents.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/json_text.hpp"

namespace claudelens::backup {

namespace json = boost::json;

namespace {

void add_string(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  append_json_key(out, key);
  append_json_string(out, value);
}
void add_int(std::string& out, std::string_view key, std::int64_t value) {
  out += ',';
  append_json_key(out, key);
  out += std::to_string(value);
}
void add_time(std::string& out, std::string_view key, std::optional<TimeMs> t) {
  out += ',';
  append_json_key(out, key);
  if (t) {
    out += '"';
    out += format_iso8601_ms(*t);
    out += '"';
  } else {
    out += "null";
  }
}
void begin(std::string& out, std::string_view collection) {
  out += "{\"_c\":\"";
  out += collection;
  out += '"';
}

// ---- decoding (small documents: a DOM is fine; entries are parsed by hand, see decode_entry) ----

Result<json::object> parse_object(std::string_view doc, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(doc, ec);
  if (ec || !v.is_object())
    return fail(Errc::corrupted, fmt::format("archive: a {} document is not a JSON object", what));
  return std::move(v.as_object());
}

struct Fields {
  const json::object& o;
  std::string_view what;
  Error error;
  bool ok = true;

  std::string str(std::string_view key, bool required = true) {
    const auto* v = o.if_contains(key);
    if (v && v->is_string()) return std::string(v->as_string());
    if (required || (v && !v->is_null())) bad(key);
    return {};
  }
  std::int64_t num(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->as_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v && v->is_double()) return static_cast<std::int64_t>(v->as_double());
    bad(key);
    return 0;
  }
  double real(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_number()) return v->to_number<double>();
    bad(key);
    return 0;
  }
  std::optional<TimeMs> time(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_string()) {
      if (auto t = parse_iso8601(std::string_view(v->as_string()))) return t;
    }
    bad(key);
    return std::nullopt;
  }
  void bad(std::string_view key) {
    if (ok)
      error = Error(Errc::corrupted, fmt::format("archive: {} document has a missing or invalid '{}'", what, key));
    ok = false;
  }
};

}  // namespace

void encode_user(const store::User& u, std::string& out) {
  begin(out, k_users);
  add_string(out, "_id", u.id);
  add_string(out, "name", u.name);
  add_string(out, "role", store::role_name(u.role));
  add_time(out, "created_at", u.created_at);
  out += '}';
}

void encode_project(const store::Project& p, std::string& out) {
  begin(out, k_projects);
  add_string(out, "_id", p.id);
  add_string(out, "owner_id", p.owner_id);
  add_string(out, "name", p.name);
  add_string(out, "path", p.path);
  add_string(out, "description", p.description);
  add_time(out, "created_at", p.created_at);
  add_time(out, "updated_at", p.updated_at);
  out += '}';
}

void encode_session(const store::Session& s, std::int64_t message_count, std::int64_t records_count, std::string& out) {
  begin(out, k_sessions);
  add_string(out, "_id", s.id);
  add_string(out, "project_id", s.project_id);
  add_string(out, "owner_id", s.owner_id);
  add_time(out, "started_at", s.started_at);
  add_time(out, "ended_at", s.ended_at);
  add_int(out, "message_count", message_count);
  add_int(out, "records_count", records_count);
  add_string(out, "summary", s.summary);
  out += fmt::format(
      ",\"usage\":{{\"input_tokens\":{},\"output_tokens\":{},\"cache_creation_tokens\":{},\"cache_read_tokens\":{},"
      "\"cost_usd\":{}}}",
      s.usage.input_tokens, s.usage.output_tokens, s.usage.cache_creation_tokens, s.usage.cache_read_tokens,
      s.usage.cost_usd);
  add_time(out, "created_at", s.created_at);
  add_time(out, "updated_at", s.updated_at);
  out += '}';
}

void encode_entry_head(const store::Entry& e, std::string& out) {
  begin(out, e.has_uuid ? k_messages : k_records);
  add_string(out, "s", e.session_id);
  add_string(out, "k", e.key);
  out += ",\"d\":";
}

void encode_entry(const store::Entry& e, std::string& out) {
  encode_entry_head(e, out);
  out += e.json;  // verbatim: ingest accepted it as one JSON object
  out += k_entry_tail;
}

void encode_document(store::Collection c, const store::Document& d, std::string& out) {
  begin(out, store::collection_name(c));
  add_string(out, "_id", d.id);
  add_string(out, "owner_id", d.owner_id);
  add_string(out, "name", d.name);
  add_time(out, "created_at", d.created_at);
  add_time(out, "updated_at", d.updated_at);
  out += ",\"d\":";
  out += d.json.empty() ? std::string_view("{}") : std::string_view(d.json);
  out += '}';
}

Result<std::string_view> document_collection(std::string_view doc) {
  // Every encoder starts with {"_c":"NAME" — a cheap, exact check before any parsing.
  constexpr std::string_view k_prefix = "{\"_c\":\"";
  if (!doc.starts_with(k_prefix)) return fail(Errc::corrupted, "archive: a document does not start with its \"_c\"");
  const auto end = doc.find('"', k_prefix.size());
  if (end == std::string_view::npos) return fail(Errc::corrupted, "archive: a document's \"_c\" is not closed");
  return doc.substr(k_prefix.size(), end - k_prefix.size());
}

Result<store::User> decode_user(std::string_view doc) {
  CL_TRY(o, parse_object(doc, k_users));
  Fields f{o, k_users, {}};
  store::User u;
  u.id = f.str("_id");
  u.name = f.str("name");
  u.role = store::parse_role(f.str("role")).value_or(store::Role::user);
  u.created_at = f.time("created_at").value_or(0);
  if (!f.ok) return fail(f.error);
  return u;
}

Result<store::Project> decode_project(std::string_view doc) {
  CL_TRY(o, parse_object(doc, k_projects));
  Fields f{o, k_projects, {}};
  store::Project p;
  p.id = f.str("_id");
  p.owner_id = f.str("owner_id");
  p.name = f.str("name");
  p.path = f.str("path", false);
  p.description = f.str("description", false);
  p.created_at = f.time("created_at").value_or(0);
  p.updated_at = f.time("updated_at").value_or(0);
  if (!f.ok) return fail(f.error);
  return p;
}

Result<store::Session> decode_session(std::string_view doc) {
  CL_TRY(o, parse_object(doc, k_sessions));
  Fields f{o, k_sessions, {}};
  store::Session s;
  s.id = f.str("_id");
  s.project_id = f.str("project_id");
  s.owner_id = f.str("owner_id");
  s.started_at = f.time("started_at");
  s.ended_at = f.time("ended_at");
  s.message_count = f.num("message_count");
  s.records_count = f.num("records_count");
  s.summary = f.str("summary", false);
  if (const auto* u = o.if_contains("usage"); u && u->is_object()) {
    Fields uf{u->as_object(), "sessions.usage", {}};
    s.usage.input_tokens = uf.num("input_tokens");
    s.usage.output_tokens = uf.num("output_tokens");
    s.usage.cache_creation_tokens = uf.num("cache_creation_tokens");
    s.usage.cache_read_tokens = uf.num("cache_read_tokens");
    s.usage.cost_usd = uf.real("cost_usd");
    if (!uf.ok) return fail(uf.error);
  }
  s.created_at = f.time("created_at").value_or(0);
  s.updated_at = f.time("updated_at").value_or(0);
  if (!f.ok) return fail(f.error);
  return s;
}

Result<ArchivedEntry> decode_entry(std::string_view doc) {
  // The encoder's exact shape: {"_c":"messages|records","s":STRING,"k":STRING,"d":LINE}. Parse the two
  // strings with a JSON parser (they may hold escapes) and take LINE as the bytes between ,"d": and
  // the final '}', so that the original line comes back byte for byte.
  CL_TRY(collection, document_collection(doc));
  ArchivedEntry out;
  if (collection == k_messages) {
    out.has_uuid = true;
  } else if (collection != k_records) {
    return fail(Errc::corrupted, fmt::format("archive: '{}' document where an entry was expected", collection));
  }
  const std::size_t head_start = 7 + collection.size() + 1;  // after {"_c":"NAME"
  // Find ,"d": after the two strings: scan strings honouring escapes.
  std::size_t pos = head_start;
  auto read_member = [&](std::string_view name, std::string& value) -> bool {
    const std::string expect = fmt::format(",\"{}\":", name);
    if (doc.compare(pos, expect.size(), expect) != 0) return false;
    pos += expect.size();
    if (pos >= doc.size() || doc[pos] != '"') return false;
    std::size_t end = pos + 1;
    while (end < doc.size() && doc[end] != '"') end += doc[end] == '\\' ? 2 : 1;
    if (end >= doc.size()) return false;
    boost::system::error_code ec;
    json::value v = json::parse(doc.substr(pos, end + 1 - pos), ec);
    if (ec || !v.is_string()) return false;
    value.assign(v.as_string().data(), v.as_string().size());
    pos = end + 1;
    return true;
  };
  if (!read_member("s", out.session_id) || !read_member("k", out.key))
    return fail(Errc::corrupted, "archive: an entry document lacks its session or key");
  constexpr std::string_view k_d = ",\"d\":";
  if (doc.compare(pos, k_d.size(), k_d) != 0 || doc.size() < pos + k_d.size() + 2 || doc.back() != '}')
    return fail(Errc::corrupted, "archive: an entry document lacks its line");
  out.line = doc.substr(pos + k_d.size(), doc.size() - 1 - (pos + k_d.size()));
  if (out.session_id.empty() || out.key.empty())
    return fail(Errc::corrupted, "archive: an entry document has an empty session or key");
  return out;
}

Result<ArchivedDocument> decode_document(std::string_view doc) {
  CL_TRY(collection, document_collection(doc));
  const auto c = store::parse_collection(collection);
  if (!c) return fail(Errc::corrupted, fmt::format("archive: unknown document collection '{}'", collection));
  CL_TRY(o, parse_object(doc, collection));
  Fields f{o, collection, {}};
  ArchivedDocument out;
  out.collection = *c;
  out.document.id = f.str("_id");
  out.document.owner_id = f.str("owner_id");
  out.document.name = f.str("name", false);
  out.document.created_at = f.time("created_at").value_or(0);
  out.document.updated_at = f.time("updated_at").value_or(0);
  const auto* d = o.if_contains("d");
  if (!d || !d->is_object()) f.bad("d");
  if (!f.ok) return fail(f.error);
  out.document.json = json::serialize(*d);
  return out;
}

}  // namespace claudelens::backup
