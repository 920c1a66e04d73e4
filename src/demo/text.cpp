// Word lists and templates behind text.hpp. The lists are ordered roughly by frequency: word() picks
// index floor(n * u^2), which favours the front of each list the way natural text favours common words.
#include "demo/text.hpp"

#include <array>

namespace claudelens::demo {

namespace {

// clang-format off
// Plain arrays, not std::array: clang 14 caps std::array deduction guides at 256 elements.
constexpr const char* k_words[] = {
    "the", "to", "and", "a", "of", "is", "in", "that", "it", "this", "for", "we", "be", "with", "on", "not",
    "file", "I", "you", "can", "so", "are", "as", "will", "now", "if", "function", "test", "need", "let",
    "me", "check", "an", "from", "by", "the", "at", "or", "should", "error", "code", "which", "then", "use",
    "also", "data", "when", "all", "have", "but", "into", "there", "value", "update", "its", "add", "one",
    "new", "make", "run", "see", "would", "because", "first", "issue", "type", "change", "build", "path",
    "return", "field", "only", "user", "could", "list", "tests", "config", "more", "same", "fix", "each",
    "case", "like", "still", "server", "call", "look", "line", "output", "instead", "just", "model", "time",
    "method", "class", "other", "second", "current", "write", "read", "correct", "does", "passes", "module",
    "handler", "request", "response", "session", "project", "import", "missing", "between", "after",
    "before", "works", "working", "seems", "looks", "right", "might", "problem", "string", "number", "array",
    "object", "component", "state", "props", "render", "query", "database", "table", "column", "index",
    "schema", "migration", "endpoint", "route", "token", "cache", "memory", "thread", "async", "await",
    "promise", "callback", "event", "listener", "message", "stream", "buffer", "parser", "format", "json",
    "version", "release", "branch", "commit", "merge", "diff", "patch", "review", "comment", "docs",
    "readme", "install", "package", "dependency", "library", "framework", "script", "command", "shell",
    "terminal", "directory", "folder", "exists", "empty", "default", "option", "flag", "argument",
    "parameter", "variable", "constant", "interface", "implementation", "refactor", "cleanup", "simplify",
    "remove", "rename", "move", "extract", "inline", "helper", "utility", "wrapper", "layout", "style",
    "theme", "button", "click", "page", "view", "screen", "width", "height", "color", "background",
    "border", "margin", "padding", "flex", "grid", "animation", "transition", "performance", "faster",
    "slower", "latency", "throughput", "benchmark", "profile", "optimize", "allocation", "leak", "crash",
    "exception", "stack", "trace", "log", "debug", "warning", "info", "verbose", "quiet", "timeout",
    "retry", "backoff", "limit", "quota", "permission", "denied", "access", "auth", "login", "password",
    "secret", "key", "encrypt", "decrypt", "hash", "signature", "verify", "valid", "invalid", "expected",
    "actual", "assert", "mock", "fixture", "snapshot", "coverage", "lint", "typecheck", "compile",
    "linker", "header", "source", "target", "binary", "artifact", "deploy", "container", "image", "volume",
    "network", "port", "host", "proxy", "socket", "connection", "pool", "worker", "queue", "job", "task",
    "schedule", "cron", "backup", "restore", "archive", "compress", "chunk", "frame", "offset", "length",
    "size", "count", "total", "sum", "average", "median", "percentile", "histogram", "metric", "gauge",
    "counter", "alert", "notify", "email", "webhook", "payload", "header", "cookie", "origin", "cors",
    "probably", "actually", "properly", "correctly", "carefully", "quickly", "already", "again", "both",
    "either", "neither", "several", "many", "few", "most", "least", "every", "any", "some", "these",
    "those", "here", "where", "why", "how", "what", "who", "whose", "while", "until", "since", "though",
};

constexpr const char* k_idents[] = {
    "get", "set", "data", "value", "result", "config", "user", "id", "name", "item", "items", "list",
    "handle", "process", "update", "create", "delete", "load", "save", "parse", "format", "render", "init",
    "state", "props", "options", "context", "request", "response", "error", "message", "session", "project",
    "file", "path", "entry", "record", "index", "count", "size", "buffer", "stream", "reader", "writer",
    "client", "server", "store", "cache", "query", "filter", "sort", "map", "key", "token", "auth", "event",
    "callback", "handler", "listener", "manager", "service", "factory", "builder", "helper", "util", "test",
    "mock", "spec", "fixture", "schema", "model", "view", "controller", "router", "route", "component",
    "button", "modal", "form", "input", "field", "table", "row", "column", "cell", "header", "footer", "page",
    "layout", "theme", "style", "timer", "job", "task", "worker", "queue", "pool", "batch", "chunk", "frame",
};

constexpr const char* k_dirs[] = {"src", "lib", "app", "components", "utils", "tests", "api", "models", "services",
                               "hooks", "pages", "core", "internal", "cmd", "pkg", "scripts", "docs", "config"};
constexpr const char* k_exts[] = {".ts", ".tsx", ".py", ".js", ".go", ".rs", ".md", ".json", ".cpp", ".hpp",
                               ".ex", ".css", ".yaml", ".sh"};

// Code line templates: '@' is replaced by an identifier, '#' by a number, '$' by a camelCase identifier.
constexpr const char* k_code[] = {
    "const @ = $(@, @);",
    "import { $, $ } from './@/@';",
    "export function $(@: string, @: number): @ {",
    "  return @.@.map((@) => @.@);",
    "if (!@) {",
    "  throw new Error(`failed to $ @: ${@}`);",
    "}",
    "def $(self, @, @=None):",
    "    @ = self._@.get(@, #)",
    "    for @ in @:",
    "        if @ is None:",
    "            continue",
    "    return @",
    "func ($ *@) $(@ string) (@, error) {",
    "\tif err != nil {",
    "\t\treturn nil, fmt.Errorf(\"$: %w\", err)",
    "\t}",
    "  @: @.@ ?? #,",
    "  // TODO: $ the @ before @",
    "let mut @ = Vec::with_capacity(#);",
    "for (auto& @ : @) @.push_back(@);",
    "@.$(@, #);",
    "  await @.$({ @, @ });",
    "});",
    "describe('$', () => {",
    "  it('should $ @', async () => {",
    "    expect(@).toBe(#);",
    "@ = [@ for @ in @ if @.@ > #]",
    "  \"@\": \"@\",",
    "  \"@\": #,",
    "SELECT @, @ FROM @ WHERE @ = ? ORDER BY @ LIMIT #;",
};

constexpr const char* k_shell[] = {
    "PASS  src/@/$.test.ts (#.# s)",
    "  ✓ $ @ (# ms)",
    "  ✕ $ @ (# ms)",
    "npm WARN deprecated @@#.#.#: this version is no longer supported",
    "Compiling @ v#.#.# (/@)",
    "warning: unused variable: `@`",
    "   --> src/@.rs:#:#",
    "[#/#] Building CXX object src/CMakeFiles/@.dir/@.cpp.o",
    "error: expected ';' after expression",
    "drwxr-xr-x  # user  staff   # Mar # #:# @",
    "-rw-r--r--  # user  staff  # Mar # #:# $.@",
    "Tests: # passed, # total",
    "Ran # tests in #.#s",
    "OK",
    " M src/@/$.ts",
    "?? @/$.md",
    "commit @@@@",
    "Author: @ <@@example.com>",
    "    $ @ for @",
    "@:#:#: error TS#: Property '@' does not exist on type '$'.",
};
// clang-format on

constexpr std::string_view k_base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_hexdigits = "0123456789abcdef";

template <class Array>
std::string_view skewed(Prng& rng, const Array& a) {
  const double u = rng.unit();
  return a[static_cast<std::size_t>(u * u * static_cast<double>(std::size(a)))];
}

void append_number(Prng& rng, std::string& out) {
  const std::uint64_t r = rng.next();
  out += std::to_string((r & 7) < 5 ? (r >> 8) % 100 : (r >> 8) % 10000);
}

void append_camel(Prng& rng, std::string& out) {
  out += identifier(rng);
  std::string_view second = identifier(rng);
  out += static_cast<char>(second[0] - 'a' + 'A');
  out.append(second.substr(1));
}

void expand(Prng& rng, std::string& out, std::string_view tpl) {
  for (char c : tpl) {
    if (c == '@')
      out += identifier(rng);
    else if (c == '#')
      append_number(rng, out);
    else if (c == '$')
      append_camel(rng, out);
    else
      out += c;
  }
}

}  // namespace

std::string_view word(Prng& rng) {
  return skewed(rng, k_words);
}
std::string_view identifier(Prng& rng) {
  return skewed(rng, k_idents);
}

void append_prose(Prng& rng, std::string& out, std::size_t bytes) {
  const std::size_t end = out.size() + bytes;
  while (out.size() < end) {
    const auto words = rng.between(5, 22);
    std::string_view first = word(rng);
    out += static_cast<char>(first[0] >= 'a' && first[0] <= 'z' ? first[0] - 'a' + 'A' : first[0]);
    out.append(first.substr(1));
    for (std::int64_t i = 1; i < words; ++i) {
      out += ' ';
      const std::uint64_t r = rng.next() & 63;
      if (r == 0) {
        out += '`';
        append_camel(rng, out);
        out += "()`";
      } else if (r == 1) {
        append_path(rng, out, "src");
      } else {
        out += word(rng);
      }
      if (r == 2) out += ',';
    }
    const std::uint64_t r = rng.next() & 15;
    out += r == 0 ? ":\n\n" : (r < 3 ? ".\n\n" : ". ");
  }
}

void append_code(Prng& rng, std::string& out, std::size_t bytes) {
  const std::size_t end = out.size() + bytes;
  int indent = 0;
  while (out.size() < end) {
    out.append(static_cast<std::size_t>(indent) * 2, ' ');
    expand(rng, out, skewed(rng, k_code));
    out += '\n';
    indent = static_cast<int>(rng.below(4));
  }
}

void append_shell_output(Prng& rng, std::string& out, std::size_t bytes, std::string_view cwd) {
  const std::size_t end = out.size() + bytes;
  while (out.size() < end) {
    if ((rng.next() & 7) == 0) {
      append_path(rng, out, cwd);
    } else {
      expand(rng, out, skewed(rng, k_shell));
    }
    out += '\n';
  }
}

void append_path(Prng& rng, std::string& out, std::string_view root) {
  out.append(root);
  const auto depth = rng.between(1, 3);
  for (std::int64_t i = 0; i < depth; ++i) {
    out += '/';
    out += i == 0 ? skewed(rng, k_dirs) : identifier(rng);
  }
  out += '/';
  append_camel(rng, out);
  out += skewed(rng, k_exts);
}

void append_base64(Prng& rng, std::string& out, std::size_t bytes) {
  const std::size_t start = out.size();
  out.resize(start + bytes);
  char* p = out.data() + start;
  std::size_t i = 0;
  while (i + 10 <= bytes) {  // 10 characters of 6 bits from one 64-bit draw
    std::uint64_t r = rng.next();
    for (int k = 0; k < 10; ++k, r >>= 6) p[i++] = k_b64[r & 63];
  }
  while (i < bytes) p[i++] = k_b64[rng.next() & 63];
  if (bytes >= 4 && (bytes % 4) == 0 && (rng.next() & 1)) p[bytes - 1] = '=';
}

void append_uuid(Prng& rng, std::string& out) {
  const std::uint64_t a = rng.next(), b = rng.next();
  char buf[36];
  std::size_t j = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) buf[j++] = '-';
    unsigned nibble = static_cast<unsigned>(((i < 16 ? a : b) >> ((i % 16) * 4)) & 15);
    if (i == 12) nibble = 4;                 // version 4
    if (i == 16) nibble = 8 | (nibble & 3);  // variant 10xx
    buf[j++] = k_hexdigits[nibble];
  }
  out.append(buf, sizeof buf);
}

void append_token(Prng& rng, std::string& out, std::string_view prefix, std::size_t n) {
  out.append(prefix);
  for (std::size_t i = 0; i < n; ++i) out += k_base62[rng.below(k_base62.size())];
}

void append_hex(Prng& rng, std::string& out, std::size_t n) {
  std::uint64_t r = 0;
  for (std::size_t i = 0; i < n; ++i, r >>= 4) {
    if ((i & 15) == 0) r = rng.next();
    out += k_hexdigits[r & 15];
  }
}

namespace {
bool continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}
}  // namespace

std::string_view utf8_prefix(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s;
  while (n > 0 && continuation_byte(s[n])) --n;
  return s.substr(0, n);
}

std::string_view utf8_suffix(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s;
  std::size_t start = s.size() - n;
  while (start < s.size() && continuation_byte(s[start])) ++start;
  return s.substr(start);
}

}  // namespace claudelens::demo
