// libFuzzer target for the decoders of archive documents (src/backup/documents.hpp), which a restore
// runs on bytes read from a backup file: after the frame checksums pass, a hostile or buggy writer can
// still hand over any bytes. Any crash or sanitizer report is a bug; Errc::corrupted is expected.
// Invariants checked: a decoded entry's line is a slice of the input; re-encoded in the canonical
// shape, it decodes (on the fast path) to the same session, key and line, whatever shape it came in.
// Seed corpus: fuzz/corpus/archive_documents/ (one document of each collection).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "backup/documents.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudelens;
  const std::string_view doc(reinterpret_cast<const char*>(data), size);
  (void)backup::document_collection(doc);
  if (auto e = backup::decode_entry(doc)) {
    check(e->line.data() >= doc.data() && e->line.data() + e->line.size() <= doc.data() + doc.size());
    check(!e->session_id.empty() && !e->key.empty());
    store::Entry entry;
    entry.session_id = e->session_id;
    entry.key = e->key;
    entry.has_uuid = e->has_uuid;
    entry.json.assign(e->line);
    std::string canonical;
    backup::encode_entry(entry, canonical);
    auto again = backup::decode_entry(canonical);
    check(again.has_value());
    check(again->session_id == e->session_id && again->key == e->key && again->has_uuid == e->has_uuid);
    check(again->line == e->line);
  } else {
    check(e.error().code == Errc::corrupted);
  }
  if (auto s = backup::decode_session(doc); !s) check(s.error().code == Errc::corrupted);
  if (auto p = backup::decode_project(doc); !p) check(p.error().code == Errc::corrupted);
  if (auto u = backup::decode_user(doc); !u) check(u.error().code == Errc::corrupted);
  if (auto d = backup::decode_document(doc); !d) check(d.error().code == Errc::corrupted);
  if (auto t = backup::decode_tombstone(doc)) {  // an incremental's deletions: they round-trip
    std::string canonical;
    backup::encode_tombstone(*t, canonical);
    auto again = backup::decode_tombstone(canonical);
    check(again.has_value());
    check(again->kind == t->kind && again->id == t->id && again->session_id == t->session_id &&
          again->project_id == t->project_id && again->owner_id == t->owner_id);
  } else {
    check(t.error().code == Errc::corrupted);
  }
  return 0;
}
