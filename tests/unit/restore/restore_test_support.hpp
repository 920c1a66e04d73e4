// Small stores for restore tests, built with the real ingest library from hand-made JSONL files, and
// backed up with the real backup runner into a real archive; and a damaged copy of an archive that lists a
// document twice. Header-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backup/runner.hpp"
#include "core/ids.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "ingest/ingester.hpp"
#include "ingest/line_parser.hpp"
#include "restore/restorer.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::testing {

/// A transcript line of `session` with `uuid` at second `second` of 2025-01-01, in `cwd`.
inline std::string line(const std::string& session, const std::string& uuid, int second,
                        const std::string& cwd = "/w/app", const std::string& extra = "") {
  return "{\"type\":\"user\",\"uuid\":\"" + uuid + "\",\"sessionId\":\"" + session +
         "\",\"timestamp\":\"2025-01-01T00:00:" + (second < 10 ? "0" : "") + std::to_string(second) + "Z\",\"cwd\":\"" +
         cwd + "\",\"message\":{\"role\":\"user\",\"content\":\"hello " + uuid + "\"}" + extra + "}";
}

/// `archive` written again as `out`, with the first document of the first `collection` section
/// appended to that section a second time (everything else as it was; section times are not kept).
inline void write_with_a_duplicate(const std::filesystem::path& archive, const std::string& collection,
                                   const std::filesystem::path& out) {
  auto reader = format::ArchiveReader::open(archive);
  ASSERT_TRUE(reader) << reader.error().message;
  auto writer = format::ArchiveWriter::create(out, (*reader)->header_json());
  ASSERT_TRUE(writer) << writer.error().message;
  bool duplicated = false;
  for (const auto& section : (*reader)->sections()) {
    ASSERT_TRUE((*writer)->begin_section(section.key));
    std::string first;
    ASSERT_TRUE((*reader)->read_section(section, [&](std::string_view doc) {
      if (first.empty()) first = doc;
      return (*writer)->append(doc).has_value();
    }));
    if (section.key.collection == collection && !duplicated && !first.empty()) {
      ASSERT_TRUE((*writer)->append(first));
      duplicated = true;
    }
  }
  ASSERT_TRUE(duplicated);
  ASSERT_TRUE((*writer)->finish((*reader)->manifest_json()));
}

class RestoreFixture {
 public:
  explicit RestoreFixture(const TempDir& dir, const std::string& name = "db")
      : m_dir(dir.path()), m_backups(dir.path() / "backups") {
    auto s = store::open_store("sqlite:" + (m_dir / (name + ".sqlite")).string());
    EXPECT_TRUE(s) << s.error().message;
    store = std::move(*s);
    auto w = store->write();
    admin = store::User{new_id(), "admin", store::Role::admin, 1};
    EXPECT_TRUE((*w)->put_user(admin));
    EXPECT_TRUE((*w)->commit());
  }

  /// Writes `lines` to <root>/<project>/<file>.jsonl and ingests that project folder.
  void ingest(const std::string& project, const std::string& file, const std::vector<std::string>& lines) {
    const auto folder = m_dir / "src" / project;
    std::filesystem::create_directories(folder);
    std::ofstream out(folder / (file + ".jsonl"), std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
    out.close();
    ingest::IngestOptions o;
    o.owner_id = admin.id;
    auto r = ingest::ingest_paths(*store, {folder / (file + ".jsonl")}, o);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->skipped_lines, 0);
  }

  /// A backup of the whole store (full), or of what `filters` choose (selective); returns its path.
  std::filesystem::path backup(const std::string& name = "test backup", const backup::Filters& filters = {}) {
    backup::BackupRequest req;
    req.name = name;
    req.filters = filters;
    req.type = filters.empty() ? backup::BackupType::full : backup::BackupType::selective;
    auto m = run_backup(std::move(req), m_backups);
    EXPECT_TRUE(m) << m.error().message;
    return m_backups / m->filepath;
  }

  /// Runs `req` as the admin, with one compression thread, into `dir`.
  Result<backup::BackupMetadata> run_backup(backup::BackupRequest req, const std::filesystem::path& dir) {
    req.created_by = admin.id;
    backup::RunOptions ro;
    ro.backup_dir = dir;
    ro.threads = 1;
    return backup::run_backup(*store, req, ro);
  }

  Result<restore::RestoreReport> restore(const std::filesystem::path& archive, restore::RestoreOptions o) {
    o.restored_by = admin.id;
    return restore::run_restore(*store, archive, o);
  }

  std::unique_ptr<store::Writer> writer() {
    auto w = store->write();
    EXPECT_TRUE(w);
    return std::move(w).value();
  }
  std::unique_ptr<store::Reader> reader() {
    auto r = store->read();
    EXPECT_TRUE(r);
    return std::move(r).value();
  }

  /// Replaces (or adds) an entry of `session` with `json`.
  void put_line(const std::string& session, const std::string& json) {
    ingest::LineParser p;
    auto parsed = p.parse(json);
    ASSERT_TRUE(parsed);
    parsed->entry.session_id = session;
    auto w = writer();
    ASSERT_TRUE(w->insert_entry(parsed->entry, store::OnExisting::replace));
    ASSERT_TRUE(w->refresh_session_stats(session));
    ASSERT_TRUE(w->commit());
  }

  /// key → json of a session's entries (empty when the session does not exist).
  std::map<std::string, std::string> entries(const std::string& session) {
    std::map<std::string, std::string> out;
    auto r = reader();
    EXPECT_TRUE(r->for_each_entry({.session_id = session}, [&](const store::Entry& e) {
      out[e.key] = e.json;
      return true;
    }));
    return out;
  }

  std::set<std::string> keys(const std::string& session) {
    std::set<std::string> out;
    for (const auto& [k, v] : entries(session)) out.insert(k);
    return out;
  }

  std::optional<store::Session> session(const std::string& id) { return *reader()->get_session(id); }
  std::optional<store::Project> project_named(const std::string& name) {
    return *reader()->find_project_by_name(admin.id, name);
  }
  store::Counts counts() { return *reader()->counts(std::nullopt); }

  std::unique_ptr<store::Store> store;
  store::User admin;

 private:
  std::filesystem::path m_dir;
  std::filesystem::path m_backups;
};

}  // namespace claudelens::testing
