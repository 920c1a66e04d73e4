// Synthetic text for demo transcripts: prose, code, paths, ids and base64 that compress like the real
// thing (a skewed word vocabulary, code templates and repeated paths give zstd -3 ratios of 4-8x, as
// real transcripts do; base64 "images" and signatures are random and barely compress, as real ones).
// Every function appends to `out` and draws only from `rng`, so equal seeds give equal bytes.
// Thread-safe (no shared state besides constant tables).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/json_text.hpp"
#include "demo/prng.hpp"

namespace claudelens::demo {

/// One English word, skewed towards the frequent ones.
std::string_view word(Prng& rng);
/// One programming identifier part ("handler", "config", ...).
std::string_view identifier(Prng& rng);

/// Sentences and paragraphs ("\n\n" between them) until `out` grew by about `bytes`.
void append_prose(Prng& rng, std::string& out, std::size_t bytes);
/// Indented code-like lines until `out` grew by about `bytes`.
void append_code(Prng& rng, std::string& out, std::size_t bytes);
/// Shell-output-like lines (logs, test results, file listings) until `out` grew by about `bytes`.
void append_shell_output(Prng& rng, std::string& out, std::size_t bytes, std::string_view cwd);
/// A file path below `root`: root + "/" + dirs + name + extension.
void append_path(Prng& rng, std::string& out, std::string_view root);
/// `bytes` characters of standard base64 (random bytes encoded), as an image or a signature.
void append_base64(Prng& rng, std::string& out, std::size_t bytes);
/// A version-4 UUID, lowercase.
void append_uuid(Prng& rng, std::string& out);
/// `prefix` then `n` base62 characters ("msg_01" + 22 chars, like Anthropic ids).
void append_token(Prng& rng, std::string& out, std::string_view prefix, std::size_t n);
/// `n` lowercase hex digits.
void append_hex(Prng& rng, std::string& out, std::size_t n);

/// The first `n` bytes of `s`, shortened so as not to cut a UTF-8 character in two.
std::string_view utf8_prefix(std::string_view s, std::size_t n);
/// The last `n` bytes of `s`, shortened so as not to cut a UTF-8 character in two.
std::string_view utf8_suffix(std::string_view s, std::size_t n);

/// JSON string literals are written with core's append_json_string (core/json_text.hpp).
using ::claudelens::append_json_string;

}  // namespace claudelens::demo
