// libFuzzer target for the ingest line parser (src/ingest/line_parser.hpp), fed untrusted JSONL bytes.
// The whole input is parsed as one line (copying path), then each "\n"-separated piece is parsed in
// place inside the input buffer, as the ingester does (the bytes after a line are the next lines,
// then padding). Any crash or sanitizer report is a bug; malformed_input errors are expected.
// Invariants checked: a parsed line keeps its bytes exactly; a uuid record's key is non-empty.
// Seed corpus: fuzz/corpus/ingest_line/ (small lines shaped like the real transcripts).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "ingest/line_parser.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void parse_one(claudelens::ingest::LineParser& parser, claudelens::ingest::ParsedLine& out, std::string_view line,
               std::size_t capacity) {
  const auto status = parser.parse(line, out, capacity);
  if (!status) {
    check(status.error().code == claudelens::Errc::malformed_input);
    return;
  }
  check(out.entry.json == line);
  check(out.entry.has_uuid == !out.entry.key.empty());
  check(out.entry.usage.input_tokens >= 0 && out.entry.usage.output_tokens >= 0);
  check(out.entry.usage.cost_usd >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static claudelens::ingest::LineParser parser;
  static claudelens::ingest::ParsedLine out;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse_one(parser, out, input, 0);

  // In place, with exactly the padding the reader guarantees after the input's end.
  std::vector<char> buf(size + claudelens::ingest::LineParser::padding(), ' ');
  if (size > 0) std::memcpy(buf.data(), data, size);
  std::size_t begin = 0;
  while (begin <= size) {
    const void* nl = size > begin ? std::memchr(buf.data() + begin, '\n', size - begin) : nullptr;
    const std::size_t end = nl ? static_cast<const char*>(nl) - buf.data() : size;
    parse_one(parser, out, std::string_view(buf.data() + begin, end - begin), buf.size() - begin);
    if (!nl) break;
    begin = end + 1;
  }
  return 0;
}
