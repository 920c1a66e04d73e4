#include "backup/documents.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <map>
#include <optional>

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

// ---- the raw extent of JSON values, for entries whose line must come back byte for byte ----

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_json_space(s[i])) ++i;
  return i;
}

/// The index after the string whose opening quote is at `i`, or npos when it is not closed. Finds
/// each quote with memchr (strings are most of a transcript line's bytes), then counts the
/// backslashes before it.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (std::size_t from = i + 1; from < s.size();) {
    const void* q = std::memchr(s.data() + from, '"', s.size() - from);
    if (q == nullptr) return std::string_view::npos;
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(q) - s.data());
    std::size_t backslashes = 0;
    while (at - backslashes > i + 1 && s[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at + 1;
    from = at + 1;
  }
  return std::string_view::npos;
}

#if defined(__SSE2__)
/// Set bits of `x`. Brackets are few in a 64-byte block: a loop beats the library call that
/// __builtin_popcount becomes without -mpopcnt.
std::size_t bit_count(std::uint64_t x) {
  std::size_t n = 0;
  for (; x != 0; x &= x - 1) ++n;
  return n;
}

/// For the 64 bytes at `p`: bit i of each mask is set where byte i is that character (class).
struct BlockMasks {
  std::uint64_t backslash = 0, quote = 0, open = 0, close = 0;
  explicit BlockMasks(const char* p) {
    const __m128i backslash_c = _mm_set1_epi8('\\');
    const __m128i quote_c = _mm_set1_epi8('"');
    const __m128i open_c = _mm_set1_epi8('{');
    const __m128i close_c = _mm_set1_epi8('}');
    const __m128i open_b = _mm_set1_epi8('[');
    const __m128i close_b = _mm_set1_epi8(']');
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const auto bits = [&](__m128i eq) {
        return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(eq))) << (16 * k);
      };
      backslash |= bits(_mm_cmpeq_epi8(v, backslash_c));
      quote |= bits(_mm_cmpeq_epi8(v, quote_c));
      open |= bits(_mm_or_si128(_mm_cmpeq_epi8(v, open_c), _mm_cmpeq_epi8(v, open_b)));
      close |= bits(_mm_or_si128(_mm_cmpeq_epi8(v, close_c), _mm_cmpeq_epi8(v, close_b)));
    }
  }
};
#endif

/// The index after the object or array whose opening bracket is at `i`, or npos when it does not
/// close. Follows strings (and their escapes) and nesting. This runs over every entry a restore
/// reads, so with SSE2 it classifies 64 bytes at a time with bit masks (the way simdjson's first
/// stage does): escaped characters, then the bytes inside strings by a prefix XOR of the quotes, then
/// the brackets outside strings; it walks bracket by bracket only in a block where the depth may
/// reach zero.
std::size_t skip_container(std::string_view s, std::size_t i) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t depth = 0;
  bool in_string = false;
#if defined(__SSE2__)
  constexpr std::uint64_t k_even = 0x5555555555555555ull;
  std::uint64_t prev_escaped = 0;    // 1 when the block's first byte is escaped
  std::uint64_t prev_in_string = 0;  // all ones when the block starts inside a string
  for (; i + 64 <= n; i += 64) {
    // Escapes: a backslash escapes the next byte unless it is itself escaped (odd runs escape).
    const BlockMasks block(p + i);
    const std::uint64_t backslash = block.backslash & ~prev_escaped;
    const std::uint64_t follows_escape = (backslash << 1) | prev_escaped;
    const std::uint64_t odd_starts = backslash & ~k_even & ~follows_escape;
    std::uint64_t even_runs_end = 0;
    const bool carry = __builtin_add_overflow(odd_starts, backslash, &even_runs_end);
    const std::uint64_t escaped = (k_even ^ (even_runs_end << 1)) & follows_escape;
    prev_escaped = carry ? 1 : 0;
    const std::uint64_t quotes = block.quote & ~escaped;
    std::uint64_t inside = quotes;  // prefix XOR: bits from an opening quote up to its closing one
    for (int shift = 1; shift < 64; shift <<= 1) inside ^= inside << shift;
    inside ^= prev_in_string;
    prev_in_string = static_cast<std::uint64_t>(static_cast<std::int64_t>(inside) >> 63);
    const std::uint64_t opens = block.open & ~inside;
    const std::uint64_t closes = block.close & ~inside;
    if (bit_count(closes) < depth) {  // the depth cannot reach zero in this block
      depth = depth + bit_count(opens) - bit_count(closes);
      continue;
    }
    for (std::uint64_t brackets = opens | closes; brackets != 0; brackets &= brackets - 1) {
      const int at = __builtin_ctzll(brackets);
      if ((opens >> at) & 1) {
        ++depth;
      } else if (--depth == 0) {
        return i + static_cast<std::size_t>(at) + 1;
      }
    }
  }
  in_string = prev_in_string != 0;
  if (prev_escaped != 0) ++i;  // the block boundary split a backslash from what it escapes
#endif
  while (i < n) {  // the tail, byte by byte
    const char c = p[i++];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

/// The index after the JSON value starting at `i` (no leading space), or npos when it does not end.
/// Not a validator: it follows strings and nesting only (callers validate otherwise).
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') return skip_container(s, i);
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_json_space(s[i])) ++i;  // a literal
  return i;
}

/// The raw bytes of each top-level member value of `doc`, which must be a valid JSON object (the
/// caller parsed it already). corrupted when a member name repeats.
Result<std::map<std::string, std::string_view>> member_extents(std::string_view doc) {
  std::map<std::string, std::string_view> out;
  std::size_t i = skip_space(doc, 0) + 1;  // after '{'
  for (;;) {
    i = skip_space(doc, i);
    if (i >= doc.size() || doc[i] == '}') break;
    const std::size_t key_end = skip_string(doc, i);
    if (key_end == std::string_view::npos) break;
    boost::system::error_code ec;
    json::value key = json::parse(doc.substr(i, key_end - i), ec);               // the name may hold escapes
    const std::size_t value_at = skip_space(doc, skip_space(doc, key_end) + 1);  // after ':'
    const std::size_t value_end = skip_value(doc, value_at);
    if (ec || !key.is_string() || value_end == std::string_view::npos) break;
    if (!out.emplace(std::string(key.as_string()), doc.substr(value_at, value_end - value_at)).second)
      return fail(Errc::corrupted,
                  fmt::format("archive: a document repeats its member '{}'", std::string(key.as_string())));
    i = skip_space(doc, value_end);
    if (i < doc.size() && doc[i] == ',') ++i;
  }
  return out;
}

/// The collection names a document's "_c" may hold, as views that outlive any document.
std::optional<std::string_view> known_collection(std::string_view name) {
  for (std::string_view c : {k_users, k_projects, k_sessions, k_messages, k_records, k_audit, k_tombstones})
    if (c == name) return c;
  if (auto c = store::parse_collection(name)) return store::collection_name(*c);
  return std::nullopt;
}

/// decode_entry for any JSON object holding "_c", "s", "k" and "d", members in any order, any
/// whitespace, other members ignored. The line is the raw bytes of the "d" value.
Result<ArchivedEntry> decode_entry_any_shape(std::string_view doc) {
  CL_TRY(o, parse_object(doc, "entry"));
  ArchivedEntry out;
  const auto* c = o.if_contains("_c");
  if (c == nullptr || !c->is_string()) return fail(Errc::corrupted, "archive: a document lacks its \"_c\"");
  if (c->as_string() == k_messages) {
    out.has_uuid = true;
  } else if (c->as_string() != k_records) {
    return fail(Errc::corrupted,
                fmt::format("archive: '{}' document where an entry was expected", std::string(c->as_string())));
  }
  const auto* s = o.if_contains("s");
  const auto* k = o.if_contains("k");
  if (s == nullptr || !s->is_string() || k == nullptr || !k->is_string())
    return fail(Errc::corrupted, "archive: an entry document lacks its session or key");
  const auto* d = o.if_contains("d");
  if (d == nullptr || !d->is_object()) return fail(Errc::corrupted, "archive: an entry document lacks its line");
  out.session_id.assign(s->as_string().data(), s->as_string().size());
  out.key.assign(k->as_string().data(), k->as_string().size());
  CL_TRY(members, member_extents(doc));
  const auto line = members.find("d");
  if (line == members.end()) return fail(Errc::corrupted, "archive: an entry document lacks its line");
  out.line = line->second;
  if (out.session_id.empty() || out.key.empty())
    return fail(Errc::corrupted, "archive: an entry document has an empty session or key");
  return out;
}

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

void encode_entry_prefix(bool has_uuid, std::string_view session_id, std::string& out) {
  begin(out, has_uuid ? k_messages : k_records);
  add_string(out, "s", session_id);
  out += ",\"k\":";
}

void encode_entry_key(std::string_view key, std::string& out) {
  append_json_string(out, key);
  out += ",\"d\":";
}

void encode_entry_head(const store::Entry& e, std::string& out) {
  encode_entry_prefix(e.has_uuid, e.session_id, out);
  encode_entry_key(e.key, out);
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

void encode_audit(const store::AuditEvent& e, std::string& out) {
  begin(out, k_audit);
  add_string(out, "_id", e.id);
  add_time(out, "at", e.at);
  add_string(out, "user_id", e.user_id);
  add_string(out, "action", e.action);
  add_string(out, "target_type", e.target_type);
  add_string(out, "target_id", e.target_id);
  out += ",\"details\":";
  out += e.details.empty() ? std::string_view("{}") : std::string_view(e.details);
  out += '}';
}

void encode_tombstone(const store::Tombstone& t, std::string& out) {
  begin(out, k_tombstones);
  add_string(out, "kind", t.kind);
  add_string(out, "id", t.id);
  add_string(out, "s", t.session_id);
  add_string(out, "project_id", t.project_id);
  add_string(out, "owner_id", t.owner_id);
  out += '}';
}

Result<store::Tombstone> decode_tombstone(std::string_view doc) {
  CL_TRY(o, parse_object(doc, k_tombstones));
  Fields f{o, k_tombstones, {}};
  store::Tombstone t;
  t.kind = f.str("kind");
  t.id = f.str("id");
  t.session_id = f.str("s", false);
  t.project_id = f.str("project_id", false);
  t.owner_id = f.str("owner_id", false);
  if (!f.ok) return fail(f.error);
  if (t.id.empty() || (t.kind == "entry" && t.session_id.empty()))
    return fail(Errc::corrupted, "archive: a tombstones document has an empty id or session");
  if (t.kind != "entry" && t.kind != "session" && t.kind != "project" && !store::parse_collection(t.kind))
    return fail(Errc::corrupted, fmt::format("archive: a tombstone of unknown kind '{}'", t.kind));
  return t;
}

Result<std::string_view> document_collection(std::string_view doc) {
  // Every encoder starts with {"_c":"NAME": a cheap, exact check before any parsing.
  constexpr std::string_view k_prefix = "{\"_c\":\"";
  if (doc.starts_with(k_prefix)) {
    const auto end = doc.find('"', k_prefix.size());
    if (end == std::string_view::npos) return fail(Errc::corrupted, "archive: a document's \"_c\" is not closed");
    return doc.substr(k_prefix.size(), end - k_prefix.size());
  }
  // Any other JSON object with a "_c" naming a known collection.
  CL_TRY(o, parse_object(doc, "archived"));
  const auto* c = o.if_contains("_c");
  if (c == nullptr || !c->is_string()) return fail(Errc::corrupted, "archive: a document lacks its \"_c\"");
  const auto known = known_collection(std::string_view(c->as_string()));
  if (!known)
    return fail(Errc::corrupted, fmt::format("archive: unknown document collection '{}'", std::string(c->as_string())));
  return *known;
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

Result<ArchivedEntry> decode_entry(std::string_view doc, LineCheck check) {
  // Fast path, the encoder's exact shape: {"_c":"messages|records","s":STRING,"k":STRING,"d":LINE}.
  // The two strings go through a JSON parser (they may hold escapes); LINE is the bytes between ,"d":
  // and the final '}' when they are exactly one JSON value, so the original line comes back byte for
  // byte. Any other shape (members reordered, spaces, more members) takes decode_entry_any_shape.
  constexpr std::string_view k_messages_head = "{\"_c\":\"messages\"";
  constexpr std::string_view k_records_head = "{\"_c\":\"records\"";
  ArchivedEntry out;
  std::size_t pos = 0;
  if (doc.starts_with(k_messages_head)) {
    out.has_uuid = true;
    pos = k_messages_head.size();
  } else if (doc.starts_with(k_records_head)) {
    pos = k_records_head.size();
  } else {
    return decode_entry_any_shape(doc);
  }
  auto read_member = [&](std::string_view name, std::string& value) -> bool {
    const std::string expect = fmt::format(",\"{}\":", name);
    if (doc.compare(pos, expect.size(), expect) != 0) return false;
    pos += expect.size();
    if (pos >= doc.size() || doc[pos] != '"') return false;
    const std::size_t end = skip_string(doc, pos);
    if (end == std::string_view::npos) return false;
    const std::string_view raw = doc.substr(pos + 1, end - pos - 2);
    if (std::all_of(raw.begin(), raw.end(), [](char c) { return c >= 0x20 && c < 0x7F && c != '\\'; })) {
      value.assign(raw);  // printable ASCII without escapes (ids, uuids, record keys): the JSON is the value
    } else {
      boost::system::error_code ec;
      json::value v = json::parse(doc.substr(pos, end - pos), ec);
      if (ec || !v.is_string()) return false;
      value.assign(v.as_string().data(), v.as_string().size());
    }
    pos = end;
    return true;
  };
  constexpr std::string_view k_d = ",\"d\":";
  if (!read_member("s", out.session_id) || !read_member("k", out.key) || doc.compare(pos, k_d.size(), k_d) != 0 ||
      doc.size() < pos + k_d.size() + 2 || doc.back() != '}' || doc[pos + k_d.size()] != '{' ||
      (check == LineCheck::whole && skip_value(doc, pos + k_d.size()) != doc.size() - 1))
    return decode_entry_any_shape(doc);
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

Result<store::AuditEvent> decode_audit(std::string_view doc) {
  CL_TRY(o, parse_object(doc, k_audit));
  Fields f{o, k_audit, {}};
  store::AuditEvent e;
  e.id = f.str("_id");
  const auto at = f.time("at");
  if (!at) f.bad("at");
  e.at = at.value_or(0);
  e.user_id = f.str("user_id", false);
  e.action = f.str("action");
  e.target_type = f.str("target_type", false);
  e.target_id = f.str("target_id", false);
  const auto* d = o.if_contains("details");
  if (!d || !d->is_object()) f.bad("details");
  if (!f.ok) return fail(f.error);
  e.details = json::serialize(*d);
  return e;
}

}  // namespace claudelens::backup
