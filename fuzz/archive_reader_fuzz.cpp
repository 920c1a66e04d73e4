// libFuzzer target for the archive reader (src/format/reader.hpp): the input is written to a
// temporary file, then opened, verified and read in full. Any crash, hang, leak or sanitizer report
// is a bug; errors (corrupted, incompatible_version, wrong_key) are the expected outcome.
// Seed corpus: fuzz/corpus/archive_reader/ (small valid archives; the encrypted-*.clbk seeds use the
// passphrase k_fuzz_passphrase below, so the fuzzer gets past the key check; the fuzz build decrypts
// without comparing GCM tags, see docs/archive-format.md "Fuzzing"). Each input is also opened
// without a key (locked) and verified that way.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "format/reader.hpp"

namespace {

/// One temporary file per process, rewritten for each input.
const std::string& scratch_path() {
  static const std::string path = [] {
    std::string p = "/tmp/archive_reader_fuzz-" + std::to_string(::getpid()) + ".clbk";
    std::atexit([] { ::unlink(scratch_path().c_str()); });
    return p;
  }();
  return path;
}

bool write_input(const std::uint8_t* data, std::size_t size) {
  FILE* f = std::fopen(scratch_path().c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!write_input(data, size)) return 0;
  static const claudelens::crypto::Secret k_fuzz_passphrase("claudelens-fuzz");
  (void)claudelens::format::verify_archive(scratch_path());  // an encrypted input: locked, without the key
  auto reader = claudelens::format::ArchiveReader::open(scratch_path(), {.passphrase = &k_fuzz_passphrase});
  if (!reader) return 0;
  (void)(*reader)->header_json().size();
  (void)(*reader)->manifest_json().size();
  std::size_t total = 0;
  for (const auto& section : (*reader)->sections()) {
    (void)(*reader)->read_section(section, [&](std::string_view doc) {
      total += doc.size();
      return true;
    });
  }
  (void)(*reader)->read_all([&](const claudelens::format::SectionInfo&, std::string_view doc) {
    total += doc.size();
    return true;
  });
  (void)(*reader)->verify();
  return total == static_cast<std::size_t>(-1) ? 1 : 0;
}
