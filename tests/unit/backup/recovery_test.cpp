// What a backup leaves when things go wrong around it: a store that fills up while the backup is
// finishing, and startup recovery run from another backup directory while a backup is live.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "backup/metadata.hpp"
#include "backup/runner.hpp"
#include "backup_test_support.hpp"
#include "format/partial_files.hpp"

namespace claudelens::backup {
namespace {

using claudelens::testing::TempDir;
namespace fs = std::filesystem;

/// A tmpfs of `size_option` ("16m") mounted at `dir` for one test, unmounted at the end. mounted()
/// is false, with the reason, where mounting is not allowed (not root, no CAP_SYS_ADMIN).
class SmallFileSystem {
 public:
  SmallFileSystem(const fs::path& dir, const std::string& size_option) : m_dir(dir) {
    fs::create_directories(dir);
    const std::string options = "size=" + size_option;
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0)
      m_mounted = true;
    else
      m_reason = std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
  }
  ~SmallFileSystem() {
    if (m_mounted) ::umount2(m_dir.c_str(), MNT_DETACH);
  }
  bool mounted() const { return m_mounted; }
  const std::string& reason() const { return m_reason; }

  /// Writes a file until the file system is full; returns its size.
  std::int64_t fill(const std::string& name = "filler") {
    std::ofstream out(m_dir / name, std::ios::binary);
    const std::string chunk(16 * 1024, 'f');
    std::int64_t written = 0;
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && out.flush()) written += chunk.size();
    return written;
  }
  void free(const std::string& name = "filler") { fs::remove(m_dir / name); }

 private:
  fs::path m_dir;
  bool m_mounted = false;
  std::string m_reason;
};

/// The archives (final names only) in `dir`.
std::vector<fs::path> archives_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".claudelens" && !format::is_partial_name(e.path().filename().string()))
      out.push_back(e.path());
  return out;
}

BackupMetadata load(store::Store& st, const std::string& id) {
  auto reader = st.read().value();
  auto m = load_metadata(*reader, id);
  EXPECT_TRUE(m && *m);
  return m && *m ? **m : BackupMetadata{};
}

TEST(BackupOnFullStore, store_filling_while_finishing_leaves_no_published_archive) {
  TempDir dir;
  SmallFileSystem small(dir / "small", "16m");
  if (!small.mounted()) GTEST_SKIP() << small.reason();
  std::string id;
  {
    auto st = store::open_store("sqlite:" + (dir / "small" / "db.sqlite").string()).value();
    testing::seed(*st);
    BackupRequest r;
    r.name = "fills the store";
    r.created_by = "alice";
    RunOptions o;
    o.backup_dir = dir / "backups";  // on another file system: the archive itself is written fine
    o.backup_id = "b-full";
    bool filled = false;
    o.on_progress = [&](const Progress& p) {
      if (p.operation == "finishing" && !filled) filled = small.fill() > 0;  // after "in_progress" was saved
    };
    auto m = run_backup(*st, r, o);
    ASSERT_TRUE(filled);
    ASSERT_FALSE(m) << "the final record was saved on a full store";
    EXPECT_EQ(m.error().code, Errc::no_space) << m.error().message;
    EXPECT_NE(m.error().message.find("archive was removed"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("db.sqlite"), std::string::npos) << m.error().message;  // names the store
    // No complete archive published behind a record that does not say "completed".
    EXPECT_TRUE(archives_in(dir / "backups").empty());
    EXPECT_TRUE(format::find_partial_files(dir / "backups").value().empty());
    id = o.backup_id;
    small.free();
  }
  // The next start (space freed) finds the record failed, or fails it now: never completed, never a file.
  auto st = store::open_store("sqlite:" + (dir / "small" / "db.sqlite").string()).value();
  ASSERT_TRUE(recover_interrupted(*st, dir / "backups", 1));
  const BackupMetadata m = load(*st, id);
  EXPECT_EQ(m.status, BackupStatus::failed);
  EXPECT_TRUE(archives_in(dir / "backups").empty());
  // The store is intact and a backup now succeeds.
  BackupRequest r;
  r.name = "after freeing";
  r.created_by = "alice";
  RunOptions o;
  o.backup_dir = dir / "backups";
  auto again = run_backup(*st, r, o);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->contents.messages_count, 19);
  EXPECT_EQ(archives_in(dir / "backups").size(), 1u);
}

TEST(BackupRecovery, recovery_from_another_backup_dir_leaves_a_live_backup_alone) {
  TempDir dir;
  auto st = testing::open_store_in(dir);
  testing::seed(*st);
  BackupRequest r;
  r.name = "live in A";
  r.created_by = "alice";
  RunOptions o;
  o.backup_dir = dir / "backups-a";
  o.backup_id = "b-live";
  int marked = -1;
  BackupStatus seen = BackupStatus::pending;
  o.on_progress = [&](const Progress& p) {
    if (p.operation != "writing catalogue" || marked >= 0) return;
    // Mid-run, a second process starts with another backup directory on the same store.
    auto recovered = recover_interrupted(*st, dir / "backups-b", 1);
    ASSERT_TRUE(recovered) << recovered.error().message;
    marked = *recovered;
    seen = load(*st, "b-live").status;
  };
  auto m = run_backup(*st, r, o);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(marked, 0);
  EXPECT_EQ(seen, BackupStatus::in_progress);
  EXPECT_EQ(load(*st, "b-live").status, BackupStatus::completed);
  EXPECT_EQ(archives_in(dir / "backups-a").size(), 1u);
  EXPECT_FALSE(fs::exists(dir / "backups-a" / ".claudelens-run-b-live.lock"));  // removed at the end
}

/// A record as a run leaves it when its process dies: in progress, owned by `host`, in `backup_dir`.
void save_in_progress(store::Store& st, const std::string& id, const std::string& host, const fs::path& backup_dir) {
  BackupMetadata m;
  m.id = id;
  m.name = "interrupted " + id;
  m.created_by = "alice";
  m.created_at = 1'000;
  m.filename = m.filepath = backup_file_name(id, m.created_at);
  m.status = BackupStatus::in_progress;
  m.owner = RunOwner{host, 999'999, backup_dir.string()};
  auto w = st.write().value();
  ASSERT_TRUE(save_metadata(*w, m, 1'000));
  ASSERT_TRUE(w->commit());
}

TEST(BackupRecovery, fails_only_records_whose_owner_is_gone_and_removes_their_archives) {
  TempDir dir;
  auto st = testing::open_store_in(dir);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  fs::create_directories(dir / "backups-a");
  save_in_progress(*st, "dead", host, dir / "backups-a");
  save_in_progress(*st, "elsewhere", "another-host.example", dir / "backups-a");
  // The dead run had published its archive but not recorded it: the file goes with the record.
  const fs::path published = dir / "backups-a" / backup_file_name("dead", 1'000);
  std::ofstream(published) << "complete archive";
  auto marked = recover_interrupted(*st, dir / "backups-b", 2'000);
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(load(*st, "dead").status, BackupStatus::failed);
  EXPECT_FALSE(fs::exists(published));
  EXPECT_EQ(load(*st, "elsewhere").status, BackupStatus::in_progress);  // another machine's run decides
}

}  // namespace
}  // namespace claudelens::backup
