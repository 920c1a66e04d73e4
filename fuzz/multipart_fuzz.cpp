// libFuzzer target for the streaming multipart/form-data parser (src/http/multipart.hpp), which reads
// request bodies from the network. The first input byte picks a chunk size; the rest is the body with
// the boundary "fuzzb". Any crash or sanitizer report is a bug; malformed_input is expected.
// Invariants checked: the parts (names and bytes) are the same whether the body arrives whole or in
// chunks; data only arrives inside a part; a part's bytes are never more than the body's.
// Seed corpus: fuzz/corpus/multipart/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/multipart.hpp"

namespace {

using namespace claudelens;

void check(bool ok) {
  if (!ok) std::abort();
}

class Collect : public http::MultipartHandler {
 public:
  std::vector<std::pair<std::string, std::string>> parts;
  bool open = false;
  Status on_part_begin(const http::PartInfo& part) override {
    check(!open && !part.name.empty());
    open = true;
    parts.emplace_back(part.name, "");
    return {};
  }
  Status on_part_data(std::string_view bytes) override {
    check(open);
    parts.back().second.append(bytes);
    return {};
  }
  Status on_part_end() override {
    check(open);
    open = false;
    return {};
  }
};

bool parse(std::string_view body, std::size_t chunk, Collect& out) {
  http::MultipartLimits limits;
  limits.max_header_bytes = 512;
  limits.max_preamble_bytes = 512;
  http::MultipartParser parser("fuzzb", out, limits);
  for (std::size_t i = 0; i < body.size(); i += chunk)
    if (!parser.feed(body.substr(i, chunk))) return false;
  return static_cast<bool>(parser.finish());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)http::multipart_boundary(body.substr(0, std::min<std::size_t>(body.size(), 200)));
  Collect whole, chunked;
  const bool ok_whole = parse(body, body.size() ? body.size() : 1, whole);
  const bool ok_chunked = parse(body, chunk, chunked);
  check(ok_whole == ok_chunked);
  if (ok_whole) {
    check(whole.parts == chunked.parts);
    std::size_t total = 0;
    for (const auto& p : whole.parts) total += p.second.size();
    check(total <= body.size());
  }
  return 0;
}
