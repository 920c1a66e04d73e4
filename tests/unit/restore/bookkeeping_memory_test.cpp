// A restore's bookkeeping does not follow the number of projects and sessions beyond a few bytes each
// (SPEC §5 item 1, issue 8): the same restore of a whole archive into an empty store is run on one of 2,500
// projects (one session and one line each, each in a cwd of its own) and on one of 10,000, while every
// allocation made through operator new is counted; the peak of the larger may exceed the smaller's by
// k_bytes_per_project for each of the 7,500 more projects and sessions. Both archives also hold one
// project whose session has 4.5 MB of lines, so that both restores fill the reader's frame-sized
// buffers (2 MiB frames): what is compared is what follows the projects, not the largest frame. Measured so
// (2026-11-27): about 260 bytes for each (the flat ids, the selection's ordinals, the reader's key hashes,
// vectors' doubling); the same restore holding the catalogue's projects (CatalogueOptions::hold_projects)
// takes 1,093, and the restore before the projects were streamed held more still (ids in sets, a match
// per project, the store writer's cwd counts to the commit). Without the filler, frame buffers that the
// smaller archive did not fill made the comparison read 27 or 1,200 bytes a project by chance. SQLite's own memory
// (sqlite3_malloc, not operator new) is not counted: its page cache is bounded by cache_size. The counter
// (tests/support/counting_new.hpp) replaces the global operator new/delete of this test executable (unit_restore).
#include <gtest/gtest.h>

#include "restore/restorer.hpp"
#include "restore_test_support.hpp"
#include "store/store.hpp"
#include "support/counting_new.hpp"
#include "support/temp_dir.hpp"

namespace claudelens {
namespace {

using testing::RestoreFixture;
using testing::TempDir;

/// Peak operator-new bytes above the smaller archive's, allowed for each more project (with its
/// session): the flat project ids (~44 bytes), a few bits, a selected project's and session's ordinal,
/// and the reader's index (8 bytes a section, three sections a project), with vectors' spare capacity:
/// about 260 measured, twice that allowed; holding the projects (1,093) fails it.
constexpr std::int64_t k_bytes_per_project = 512;

/// A store of `projects` projects, each with one session of one line in a cwd of its own, backed up
/// whole; returns the archive.
std::filesystem::path archive_of(const TempDir& dir, int projects) {
  RestoreFixture source(dir, "source-" + std::to_string(projects));
  {
    auto w = source.writer();
    ingest::LineParser parser;
    for (int i = 0; i < projects; ++i) {
      const std::string n = std::to_string(i);
      store::Project p;
      p.id = new_id();
      p.owner_id = source.admin.id;
      p.name = "-w-project-" + n;
      p.created_at = p.updated_at = 1'700'000'000'000;
      EXPECT_TRUE(w->put_project(p));
      store::Session s;
      s.id = "session-" + n;
      s.project_id = p.id;
      s.owner_id = source.admin.id;
      s.created_at = s.updated_at = p.created_at;
      EXPECT_TRUE(w->put_session(s));
      auto parsed = parser.parse(testing::line(s.id, "u-" + n, i % 60, "/w/project-" + n));
      EXPECT_TRUE(parsed);
      parsed->entry.session_id = s.id;
      EXPECT_TRUE(w->insert_entry(parsed->entry, store::OnExisting::keep));
      EXPECT_TRUE(w->refresh_session_stats(s.id));
      EXPECT_TRUE(w->refresh_project_stats(p.id));
    }
    // The filler: 3,000 lines of 1.5 KB, more than two full frames.
    store::Project p;
    p.id = new_id();
    p.owner_id = source.admin.id;
    p.name = "-w-filler";
    p.created_at = p.updated_at = 1'700'000'000'000;
    EXPECT_TRUE(w->put_project(p));
    store::Session s;
    s.id = "session-filler";
    s.project_id = p.id;
    s.owner_id = source.admin.id;
    s.created_at = s.updated_at = p.created_at;
    EXPECT_TRUE(w->put_session(s));
    for (int i = 0; i < 3'000; ++i) {
      const std::string n = std::to_string(i);
      auto parsed = parser.parse(testing::line(s.id, "filler-" + n, i % 60, "/w/filler",
                                               ",\"pad\":\"" + std::string(1'500, 'a' + i % 26) + "\""));
      EXPECT_TRUE(parsed);
      parsed->entry.session_id = s.id;
      EXPECT_TRUE(w->insert_entry(parsed->entry, store::OnExisting::keep));
    }
    EXPECT_TRUE(w->refresh_session_stats(s.id));
    EXPECT_TRUE(w->refresh_project_stats(p.id));
    EXPECT_TRUE(w->commit());
  }
  return source.backup("bookkeeping");
}

/// Restores `archive` whole into a new empty store; returns the peak of live operator-new bytes above
/// what was live before the restore began.
std::int64_t restore_peak(const TempDir& dir, const std::filesystem::path& archive, int projects) {
  auto target = store::open_store("sqlite:" + (dir.path() / ("target-" + std::to_string(projects))).string());
  EXPECT_TRUE(target) << target.error().message;
  if (!target) return -1;
  restore::RestoreOptions o;
  o.mode = restore::Mode::merge;
  const std::int64_t before = claudelens::testing::start_counting();
  auto report = restore::run_restore(**target, archive, o);
  const std::int64_t peak = claudelens::testing::peak_since(before);
  EXPECT_TRUE(report) << report.error().message;
  if (report) {
    EXPECT_EQ(report->tally("projects").restored, projects + 1);  // and the filler
    EXPECT_EQ(report->tally("sessions").restored, projects + 1);
  }
  auto reader = (*target)->read();
  EXPECT_TRUE(reader);
  if (reader) {  // the statistics the restore refreshed, the cwd counts it wrote in bounded batches
    auto counts = (*reader)->counts(std::nullopt);
    EXPECT_TRUE(counts);
    if (counts) {
      EXPECT_EQ(counts->projects, projects + 1);
    }
    std::int64_t with_path = 0;
    EXPECT_TRUE((*reader)->for_each_project({}, [&](const store::Project& x) {
      with_path += x.path == "/w/" + x.name.substr(3) && x.sessions_count == 1 && x.records_count == 1;
      return true;
    }));
    EXPECT_EQ(with_path, projects);  // the filler's path is /w/filler, its records 3,000
  }
  return peak;
}

TEST(BookkeepingMemory, a_restore_keeps_a_few_bytes_a_project_and_session) {
  TempDir dir;
  const std::int64_t small = restore_peak(dir, archive_of(dir, 2'500), 2'500);
  const std::int64_t large = restore_peak(dir, archive_of(dir, 10'000), 10'000);
  ::testing::Test::RecordProperty("peak_2500", std::to_string(small));
  ::testing::Test::RecordProperty("peak_10000", std::to_string(large));
  EXPECT_GT(small, 0);
  EXPECT_LT(large - small, 7'500 * k_bytes_per_project)
      << "peak " << small << " bytes at 2,500 projects, " << large << " at 10,000: " << (large - small) / 7'500
      << " bytes for each more project";
}

}  // namespace
}  // namespace claudelens
