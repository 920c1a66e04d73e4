// libFuzzer target for the restore engine (src/restore/restorer.hpp): each input is an archive file,
// restored into a real SQLite store that already holds a small project (so that conflicts, renames and
// full-mode deletions happen). The store is a fresh copy of a template made once per process, in
// /dev/shm when it exists (a few milliseconds an input).
//
// The last byte of the input picks the options (mode, conflict strategy, dry run, validation): fuzz
// builds do not compare digests (src/format/grammar.hpp), so that byte, the end of the trailer's own
// digest, is free. Any crash, sanitizer report or abort below is a bug:
//   - a restore that fails must fail with an error a damaged archive may give (corrupted,
//     incompatible_version, conflict, invalid_argument, not_found), never internal or database;
//   - a restore that fails, and any dry run, must leave the store's data as it was (counts and the
//     highest entry sequence number unchanged).
// Seed corpus: fuzz/corpus/restore/: three real backups (`claudelens backup create`: full, one
// session, a date range) of a store holding the template's session plus two more in a second project,
// each with last bytes that pick different options (the file names say which).
// Their last byte no longer matches the trailer's digest: they verify only in a fuzz build.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/ids.hpp"
#include "ingest/ingester.hpp"
#include "restore/restorer.hpp"
#include "store/store.hpp"

namespace {

using namespace claudelens;
namespace fs = std::filesystem;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "restore_fuzz: %s\n", what);
    std::abort();
  }
}

/// The template store's transcript: one project folder, one session with two messages and a record
/// (session "s-1" also appears in the seed archives, so restores meet existing data).
constexpr const char* k_lines[] = {
    R"({"type":"user","uuid":"u-1","sessionId":"s-1","timestamp":"2025-01-01T00:00:01Z","cwd":"/w/app","message":{"role":"user","content":"hello"}})",
    R"({"type":"assistant","uuid":"u-2","sessionId":"s-1","timestamp":"2025-01-01T00:00:02Z","cwd":"/w/app","message":{"role":"assistant","id":"m1","content":"hi","usage":{"input_tokens":3,"output_tokens":4}}})",
    R"({"type":"summary","summary":"Greeting","leafUuid":"u-2"})",
};

struct Fixture {
  fs::path root;
  fs::path template_db;
  fs::path work_db;
  fs::path archive;
  std::string admin_id;

  Fixture() {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    root = base / ("restore_fuzz-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "app");
    template_db = root / "template.sqlite";
    work_db = root / "work.sqlite";
    archive = root / "input.clbk";
    {
      std::ofstream out(root / "app" / "s-1.jsonl");
      for (const char* line : k_lines) out << line << "\n";
    }
    auto store = store::open_store("sqlite:" + template_db.string());
    check(store.has_value(), "cannot create the template store");
    auto w = (*store)->write();
    check(w.has_value(), "cannot write the template store");
    admin_id = new_id();
    check((*w)->put_user(store::User{admin_id, "admin", store::Role::admin, 1}).has_value(), "put_user");
    check((*w)->commit().has_value(), "commit");
    ingest::IngestOptions o;
    o.owner_id = admin_id;
    auto r = ingest::ingest_paths(**store, {root / "app"}, o);
    check(r.has_value() && r->skipped_lines == 0, "template ingest");
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  void fresh_store() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((work_db.string() + suffix).c_str());
    fs::copy_file(template_db, work_db);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

/// What must not change when a restore fails or is a dry run.
struct Snapshot {
  store::Counts counts;
  std::int64_t max_seq = 0;
  bool operator==(const Snapshot& o) const {
    const auto& a = counts;
    const auto& b = o.counts;
    return a.users == b.users && a.projects == b.projects && a.sessions == b.sessions && a.messages == b.messages &&
           a.records == b.records && a.prompts == b.prompts && a.prompt_folders == b.prompt_folders &&
           a.ai_settings == b.ai_settings && max_seq == o.max_seq;
  }
};

Snapshot snapshot(store::Store& store) {
  auto r = store.read();
  check(r.has_value(), "read transaction");
  auto counts = (*r)->counts(std::nullopt);
  auto seq = (*r)->max_entry_seq();
  check(counts.has_value() && seq.has_value(), "counts");
  return {*counts, *seq};
}

restore::RestoreOptions options_from(std::uint8_t b, const std::string& admin_id) {
  restore::RestoreOptions o;
  constexpr restore::Mode modes[] = {restore::Mode::merge, restore::Mode::full, restore::Mode::selective};
  constexpr restore::Strategy strategies[] = {restore::Strategy::skip, restore::Strategy::overwrite,
                                              restore::Strategy::rename, restore::Strategy::merge};
  o.mode = modes[b % 3];
  o.on_conflict = strategies[(b / 3) % 4];
  o.dry_run = (b / 12) % 2 == 1;
  o.validate_before_restore = (b / 24) % 2 == 0;
  o.allow_delete = (b / 48) % 2 == 0;
  if (o.mode == restore::Mode::selective) o.selections.sessions = {"s-1", "s-2"};
  o.restored_by = admin_id;
  return o;
}

bool expected_failure(Errc code) {
  return code == Errc::corrupted || code == Errc::incompatible_version || code == Errc::conflict ||
         code == Errc::invalid_argument || code == Errc::not_found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = fixture();
  {
    std::ofstream out(f.archive, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  f.fresh_store();
  auto store = store::open_store("sqlite:" + f.work_db.string());
  check(store.has_value(), "cannot open the work store");
  const Snapshot before = snapshot(**store);
  const restore::RestoreOptions options = options_from(data[size - 1], f.admin_id);
  auto report = restore::run_restore(**store, f.archive, options);
  if (!report) {
    if (!expected_failure(report.error().code)) {
      std::fprintf(stderr, "restore_fuzz: unexpected %s: %s\n", std::string(errc_name(report.error().code)).c_str(),
                   report.error().message.c_str());
      std::abort();
    }
    check(snapshot(**store) == before, "a failed restore changed the store");
  } else if (options.dry_run) {
    check(snapshot(**store) == before, "a dry run changed the store");
  }
  return 0;
}
