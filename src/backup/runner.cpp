#include "backup/runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "backup/chain.hpp"
#include "backup/documents.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/test_hooks.hpp"
#include "core/version.hpp"
#include "format/file_io.hpp"
#include "format/grammar.hpp"
#include "format/partial_files.hpp"
#include "format/writer.hpp"

namespace claudelens::backup {

namespace json = boost::json;

std::string backup_file_name(const std::string& id, TimeMs created_at) {
  std::string stamp = format_iso8601(created_at);  // 2026-01-15T10:30:00Z
  std::erase(stamp, '-');
  std::erase(stamp, ':');
  return fmt::format("backup-{}-{}.claudelens", stamp, id);
}

namespace {

/// The frame size of an incremental's archive (a full or selective backup keeps the writer's 4 MiB).
constexpr std::size_t k_incremental_frame_bytes = 1u << 20;

/// A flock on a file, released (and, for a run lock, the file removed) on destruction.
/// - "<backup_dir>/.claudelens.lock": running backups hold it shared, startup recovery takes it
///   exclusively and without waiting, so that it never removes the temporary file of a live run.
/// - "<backup_dir>/.claudelens-run-<id>.lock": the run of backup <id> holds it exclusively while its
///   record says pending/in_progress; recovery fails such a record only when it can take this lock,
///   i.e. when the owner process is gone, whatever backup directory recovery itself runs for.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::filesystem::path& path, bool exclusive, bool wait, bool create = true) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
      const int err = errno;
      return fail(err == ENOENT ? Errc::not_found : Errc::io,
                  fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
    }
    const int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    while (::flock(fd, op) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return fail(Errc::busy, "another process is writing backups");
      return fail(Errc::io, fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
    }
    return FileLock(fd, path);
  }
  FileLock(FileLock&& o) noexcept
      : m_fd(std::exchange(o.m_fd, -1)), m_path(std::move(o.m_path)), m_remove(o.m_remove) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (m_fd < 0) return;
    if (m_remove) ::unlink(m_path.c_str());  // before the unlock: nobody can take a lock on a file still named
    ::close(m_fd);                           // closing releases the flock
  }
  /// Remove the file when the lock is released.
  void remove_on_release() { m_remove = true; }

 private:
  FileLock(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
  int m_fd;
  std::filesystem::path m_path;
  bool m_remove = false;
};

std::filesystem::path directory_lock_path(const std::filesystem::path& dir) {
  return dir / ".claudelens.lock";
}

std::filesystem::path run_lock_path(const std::filesystem::path& dir, const std::string& id) {
  return dir / fmt::format(".claudelens-run-{}.lock", id);
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

/// The backup directory as an absolute path, as recorded in a run's owner.
std::string absolute_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
  return ec ? std::filesystem::absolute(dir).lexically_normal().string() : abs.string();
}

struct SessionCounts {
  std::int64_t messages = 0;
  std::int64_t records = 0;
  bool written = false;  ///< false: left out (no entry in the date range)
};

/// Everything one run keeps while it writes; bounded by the number of sessions selected.
class Run {
 public:
  Run(store::Store& store, const BackupRequest& request, const RunOptions& options)
      : m_store(store),
        m_request(request),
        m_options(options),
        m_clock(options.clock ? *options.clock : system_clock()),
        m_started(m_clock.now_ms()) {}

  Result<BackupMetadata> execute() {
    m_meta.id = m_options.backup_id.empty() ? new_id() : m_options.backup_id;
    m_meta.name = m_request.name;
    m_meta.description = m_request.description;
    m_meta.created_at = m_started;
    m_meta.created_by = m_request.created_by;
    m_meta.type = m_request.type;
    m_meta.filters = m_request.filters;
    m_meta.owner_scope = m_request.owner_scope;
    m_meta.compression_level = m_request.compression_level;
    m_meta.filename = backup_file_name(m_meta.id, m_started);
    m_meta.filepath = m_meta.filename;
    m_meta.version = std::string(format::k_format_version_string);

    report("planning", true);
    CL_TRY(reader, m_store.read());  // one snapshot for the whole run
    m_reader = reader.get();
    CL_TRY(change_seq, reader->change_seq());
    m_meta.change_seq = change_seq;
    CL_TRY(plan, make_plan(*reader, m_request, m_started));
    m_plan = std::move(plan);
    m_meta.filters = m_plan.filters;
    if (m_plan.parent) {
      m_meta.parent_backup_id = m_plan.parent->id;
      m_meta.parent_checksum = m_plan.parent->checksum;
    }
    CL_CHECK(plan_scope_changes());
    CL_CHECK(check_space());

    CL_TRY(lock, FileLock::acquire(directory_lock_path(m_options.backup_dir), false, true));
    (void)lock;  // held until the run ends
    // The run lock is taken before the record names its owner, and released after the final record.
    CL_TRY(run_lock, FileLock::acquire(run_lock_path(m_options.backup_dir, m_meta.id), true, false));
    run_lock.remove_on_release();
    m_meta.owner = RunOwner{host_name(), static_cast<std::int64_t>(::getpid()), absolute_dir(m_options.backup_dir)};
    m_meta.status = BackupStatus::in_progress;
    CL_CHECK(save());
    auto written = write_archive();
    if (!written) {
      if (m_writer) m_writer->abort();
      m_meta.status = BackupStatus::failed;
      m_meta.error_message = written.error().message;
      m_meta.duration_seconds = elapsed();
      if (auto st = save(); !st)
        spdlog::error("backup {}: cannot record the failure: {}", m_meta.id, st.error().message);
      return fail(std::move(written).error());
    }
    m_meta.status = BackupStatus::completed;
    m_meta.completed_at = m_clock.now_ms();
    m_meta.duration_seconds = elapsed();
    m_meta.size_bytes = static_cast<std::int64_t>(written->uncompressed_bytes);
    m_meta.compressed_size_bytes = static_cast<std::int64_t>(written->file_size);
    m_meta.checksum = written->sha256_hex;
    if (!written->key_id.empty()) m_meta.encryption_key_id = written->key_id;
    if (auto st = save(); !st) return unpublish(std::move(st).error());
    report("completed", true);
    return m_meta;
  }

 private:
  /// The archive is published but its record cannot say "completed" (the store is full, say): take
  /// the publish back, so that a complete archive never stays behind a record that says otherwise.
  /// The record then says "failed" when the store takes that smaller update, else it stays
  /// "in_progress" and startup recovery fails it (its owner, this process, being gone by then).
  Failure unpublish(Error cause) {
    const auto file = m_options.backup_dir / m_meta.filepath;
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (ec) {
      spdlog::error("backup {}: cannot remove {} after failing to record it: {}", m_meta.id, file.string(),
                    ec.message());
    } else if (auto synced = format::sync_directory(m_options.backup_dir); !synced) {
      spdlog::warn("backup {}: {}", m_meta.id, synced.error().message);
    }
    m_meta.status = BackupStatus::failed;
    m_meta.completed_at.reset();
    m_meta.checksum.clear();
    m_meta.error_message =
        fmt::format("cannot record the completed backup, its archive was removed: {}", cause.message);
    if (auto st = save(); !st)
      spdlog::error("backup {}: cannot record the failure either: {}", m_meta.id, st.error().message);
    return fail(
        Error(cause.code, fmt::format("backup {} failed, its archive was removed: {}", m_meta.id, cause.message)));
  }

  double elapsed() const { return static_cast<double>(m_clock.now_ms() - m_started) / 1000.0; }

  /// An incremental whose filters can select other sessions than its parent's without these changing
  /// (backup/chain.hpp scope_can_move): the sessions the parent's chain holds, to compare with those in
  /// scope now. Every session in scope is then scanned (not only the changed ones).
  Status plan_scope_changes() {
    if (!m_plan.parent || !scope_can_move(m_plan.filters)) return {};
    CL_TRY(at_parent, chain_scope(m_store, m_options.backup_dir / m_plan.parent->filepath, m_options.backup_dir,
                                  m_options.encryption_passphrase));
    m_scope_at_parent = std::move(at_parent);
    m_track_scope = true;
    m_scan = m_plan.sessions;
    m_scan.changed_after.reset();
    return {};
  }

  /// The sessions write_sessions and write_catalogue go through (the same scan, twice).
  const store::SessionFilter& scan_filter() const { return m_track_scope ? m_scan : m_plan.sessions; }

  Status save() {
    CL_TRY(writer, m_store.write());
    CL_CHECK(save_metadata(*writer, m_meta, m_clock.now_ms()));
    return writer->commit();
  }

  Status check_space() {
    std::error_code ec;
    std::filesystem::create_directories(m_options.backup_dir, ec);
    if (ec)
      return fail(Errc::io,
                  fmt::format("cannot create backup directory {}: {}", m_options.backup_dir.string(), ec.message()));
    struct statvfs vfs {};
    if (::statvfs(m_options.backup_dir.c_str(), &vfs) != 0)
      return fail(Errc::io, fmt::format("cannot stat {}: {}", m_options.backup_dir.string(), std::strerror(errno)));
    const auto available = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
    const std::int64_t needed = m_plan.estimated_compressed_bytes + m_options.reserve_bytes;
    if (available < needed)
      return fail(Errc::no_space, fmt::format("not enough free space in {}: {} bytes needed, {} available",
                                              m_options.backup_dir.string(), needed, available));
    return {};
  }

  bool cancelled() const { return m_options.cancel && m_options.cancel->load(std::memory_order_relaxed); }

  /// Appends the encoded document in m_doc; counts it and reports progress now and then.
  Status append(std::optional<TimeMs> timestamp) { return append_parts({m_doc}, timestamp); }

  Status append_parts(std::initializer_list<std::string_view> parts, std::optional<TimeMs> timestamp) {
    if (cancelled()) return fail(Errc::cancelled, "backup cancelled");
    m_kill.before_document();
    CL_CHECK(m_writer->append(parts, timestamp));
    ++m_documents;
    for (std::string_view part : parts) m_bytes += static_cast<std::int64_t>(part.size());
    m_bytes += 1;
    if ((m_documents & 255) == 0) report(m_operation, false);
    return {};
  }

  void report(std::string_view operation, bool force) {
    m_operation = std::string(operation);
    if (!m_options.on_progress) return;
    const TimeMs now = m_clock.now_ms();
    if (!force && now - m_last_report < 100) return;
    m_last_report = now;
    Progress p;
    p.operation = m_operation;
    p.documents_processed = m_documents;
    p.documents_total = std::max<std::int64_t>(m_plan.entry_count, m_documents);
    p.bytes_processed = m_bytes;
    p.bytes_total = std::max<std::int64_t>(m_plan.estimated_size_bytes, m_bytes);
    p.bytes_written = m_writer ? static_cast<std::int64_t>(m_writer->bytes_written()) : 0;
    p.elapsed_seconds = static_cast<double>(now - m_started) / 1000.0;
    p.percentage = operation == "completed" ? 100.0
                   : p.bytes_total > 0      ? std::min(99.0, 100.0 * static_cast<double>(m_bytes) / p.bytes_total)
                                            : 0.0;
    p.eta_seconds = p.percentage > 0 ? p.elapsed_seconds * (100.0 - p.percentage) / p.percentage : 0;
    m_options.on_progress(p);
  }

  std::string header_json() const {
    json::object h{{"backup_id", m_meta.id},
                   {"name", m_meta.name},
                   {"type", backup_type_name(m_meta.type)},
                   {"created_at", format_iso8601_ms(m_meta.created_at)},
                   {"created_by", m_meta.created_by},
                   {"creator", fmt::format("claudelens {}", k_version)},
                   {"filters", filters_to_json(m_meta.filters)},
                   {"parent_backup_id", parent_id_json()},
                   {"parent_checksum", parent_checksum_json()},
                   {"encryption", nullptr}};
    json::value v = std::move(h);
    return json::serialize(make_valid_utf8(v));  // filters may name raw bytes: the archive stays valid JSON
  }

  json::value parent_id_json() const {
    return m_meta.parent_backup_id ? json::value(*m_meta.parent_backup_id) : json::value(nullptr);
  }
  json::value parent_checksum_json() const {
    return m_meta.parent_backup_id ? json::value(m_meta.parent_checksum) : json::value(nullptr);
  }
  /// Incremental: the parent's change sequence (what changed after it is written).
  std::optional<std::int64_t> changed_after() const { return m_plan.sessions.changed_after; }

  Result<format::WrittenArchive> write_archive() {
    format::WriterOptions wo;
    wo.level = m_request.compression_level;
    wo.threads = m_options.threads;
    // An incremental is read in pieces, between its chain's other members (docs/backup.md, "Frames of an
    // incremental"): smaller frames make each of those reads cheaper, for a little ratio on a small file.
    if (changed_after()) wo.frame_bytes = k_incremental_frame_bytes;
    wo.encryption.passphrase = m_options.encryption_passphrase;
    CL_TRY(writer, format::ArchiveWriter::create(m_options.backup_dir / m_meta.filename, header_json(), wo));
    m_writer = std::move(writer);
    if (!m_plan.nothing_selected) CL_CHECK(write_sessions());
    if (changed_after()) CL_CHECK(write_entry_tombstones());
    CL_CHECK(write_catalogue());
    if (m_plan.include_documents) CL_CHECK(write_documents());
    if (m_request.type == BackupType::full && !m_request.owner_scope) CL_CHECK(write_audit());
    if (changed_after()) CL_CHECK(write_tombstones());
    CL_CHECK(write_users());
    report("finishing", true);
    return m_writer->finish(manifest_json());
  }

  /// True when the session has an entry with a timestamp inside the date range.
  Result<bool> touches_range(const store::Session& s, const DateRange& range) {
    bool found = false;
    CL_CHECK(m_reader->for_each_entry({.session_id = s.id, .from = range.start, .to = range.end},
                                      [&](const store::Entry& e) {
                                        if (e.timestamp) found = true;
                                        return !found;
                                      }));
    return found;
  }

  Status write_sessions() {
    report("writing sessions", true);
    const auto& range = m_plan.filters.date_range;
    if (m_track_scope)  // the sessions that changed, to tell them from those that only stayed in scope
      CL_CHECK(m_reader->for_each_session(m_plan.sessions, [&](const store::Session& s) {
        m_changed.insert(s.id);
        return true;
      }));
    Status inner;
    CL_CHECK(m_reader->for_each_session(scan_filter(), [&](const store::Session& s) {
      inner = write_session(s, range);
      return inner.has_value();
    }));
    return inner;
  }

  /// Appends the session's counts to m_sessions (in scan order; `written` false when it was left out).
  Status write_session(const store::Session& s, const std::optional<DateRange>& range) {
    if (range) {
      CL_TRY(touches, touches_range(s, *range));
      if (!touches) {
        m_sessions.push_back({});
        return {};
      }
    }
    // A session that came into scope since the parent is written whole; one that stayed, only when it
    // changed, with what changed.
    bool whole = false;
    if (m_track_scope) {
      m_in_scope.insert(s.id);
      m_in_scope_projects.insert(s.project_id);
      whole = !m_scope_at_parent.sessions.contains(s.id);
      if (!whole && !m_changed.contains(s.id)) {
        m_sessions.push_back({});
        return {};
      }
    }
    CL_CHECK(m_writer->begin_section({std::string(k_entries), s.owner_id, s.project_id, s.id}));
    SessionCounts counts;
    store::EntryFilter ef{.session_id = s.id, .changed_after = whole ? std::nullopt : changed_after()};
    if (range) {
      ef.from = range->start;
      ef.to = range->end;
    }
    // Each entry document is prefix + key + line + tail, the prefix made once per session and the
    // line going from the store's row into the frame (for_each_entry_line: no copy in between).
    std::string prefix[2];  // [has_uuid]: "records", "messages"
    encode_entry_prefix(false, s.id, prefix[0]);
    encode_entry_prefix(true, s.id, prefix[1]);
    Status inner;
    CL_CHECK(m_reader->for_each_entry_line(ef, [&](const store::EntryLine& e) {
      m_doc.clear();
      encode_entry_key(e.key, m_doc);
      inner = append_parts({prefix[e.has_uuid ? 1 : 0], m_doc, e.json, k_entry_tail}, e.timestamp);
      if (!inner) return false;
      (e.has_uuid ? counts.messages : counts.records) += 1;
      if (e.timestamp) {
        m_meta.contents.earliest = std::min(m_meta.contents.earliest.value_or(*e.timestamp), *e.timestamp);
        m_meta.contents.latest = std::max(m_meta.contents.latest.value_or(*e.timestamp), *e.timestamp);
      }
      return true;
    }));
    CL_CHECK(inner);
    CL_CHECK(m_writer->end_section());
    m_meta.contents.messages_count += counts.messages;
    m_meta.contents.records_count += counts.records;
    counts.written = true;
    m_sessions.push_back(counts);
    ++m_sessions_written;
    m_projects.insert(s.project_id);
    m_owners.insert(s.owner_id);
    return {};
  }

  Status write_catalogue() {
    report("writing catalogue", true);
    Status inner;
    // Sessions, with the counts of what was written for each.
    CL_CHECK(m_writer->begin_section({std::string(k_sessions), "", "", ""}));
    if (!m_plan.nothing_selected) {
      // The same scan as write_sessions (same filter and order, same snapshot): the i-th session
      // seen here is m_sessions[i].
      std::size_t i = 0;
      CL_CHECK(m_reader->for_each_session(scan_filter(), [&](const store::Session& s) {
        if (i >= m_sessions.size()) {
          inner = fail(Errc::internal, "backup: the sessions changed between the two scans of one snapshot");
          return false;
        }
        const SessionCounts counts = m_sessions[i++];
        if (!counts.written) return true;
        m_doc.clear();
        encode_session(s, counts.messages, counts.records, m_doc);
        inner = append(s.started_at);
        return inner.has_value();
      }));
      CL_CHECK(inner);
    }
    m_meta.contents.sessions_count = m_sessions_written;
    // Projects: those with a session written; a full backup keeps empty projects too.
    CL_CHECK(m_writer->begin_section({std::string(k_projects), "", "", ""}));
    const bool all_projects = m_request.type == BackupType::full;
    // An incremental: the projects of the sessions written, and those in scope that changed.
    std::unordered_set<std::string> changed_projects;
    if (changed_after()) {
      const auto& selected = m_plan.sessions.project_ids;
      CL_CHECK(m_reader->for_each_project(
          {.owner_id = m_request.owner_scope, .changed_after = changed_after()}, [&](const store::Project& p) {
            // A scope that can move holds the projects of the sessions in scope now (as a selective
            // backup taken now would), and a project of none has a tombstone (write_tombstones).
            const bool in_scope = m_track_scope ? m_in_scope_projects.contains(p.id)
                                                : m_plan.filters.empty() || std::find(selected.begin(), selected.end(),
                                                                                      p.id) != selected.end();
            if (in_scope) changed_projects.insert(p.id);
            return true;
          }));
    }
    CL_CHECK(m_reader->for_each_project({.owner_id = m_request.owner_scope}, [&](const store::Project& p) {
      if (!all_projects && !m_projects.contains(p.id) && !changed_projects.contains(p.id)) return true;
      m_doc.clear();
      encode_project(p, m_doc);
      inner = append(std::nullopt);
      if (inner) {
        ++m_meta.contents.projects_count;
        m_owners.insert(p.owner_id);
      }
      return inner.has_value();
    }));
    CL_CHECK(inner);
    return {};
  }

  Status write_documents() {
    for (store::Collection c :
         {store::Collection::prompt_folders, store::Collection::prompts, store::Collection::ai_settings}) {
      CL_CHECK(m_writer->begin_section({std::string(store::collection_name(c)), "", "", ""}));
      Status inner;
      std::int64_t n = 0;
      const store::Visit<store::Document> write_one = [&](const store::Document& d) {
        m_doc.clear();
        encode_document(c, d, m_doc);
        inner = append(std::nullopt);
        if (inner) {
          ++n;
          m_owners.insert(d.owner_id);
        }
        return inner.has_value();
      };
      if (changed_after()) {
        CL_CHECK(m_reader->for_each_changed_document(c, m_request.owner_scope, *changed_after(), write_one));
      } else {
        CL_CHECK(m_reader->for_each_document(c, m_request.owner_scope, write_one));
      }
      CL_CHECK(inner);
      if (c == store::Collection::prompts) m_meta.contents.prompts_count = n;
      if (c == store::Collection::prompt_folders) m_meta.contents.prompt_folders_count = n;
      if (c == store::Collection::ai_settings) m_meta.contents.ai_settings_count = n;
    }
    return {};
  }

  /// The whole audit log, oldest first (an admin's full backup: a user's would show others' actions).
  Status write_audit() {
    CL_CHECK(m_writer->begin_section({std::string(k_audit), "", "", ""}));
    Status inner;
    CL_CHECK(m_reader->for_each_audit([&](const store::AuditEvent& e) {
      m_doc.clear();
      encode_audit(e, m_doc);
      inner = append(std::nullopt);
      if (inner) ++m_meta.contents.audit_log_count;
      return inner.has_value();
    }));
    return inner;
  }

  /// Incremental: whether a deletion is in the backup's scope. Sessions and entries that are gone
  /// cannot be tested against every filter; a tombstone too many is harmless (a restore applies it to
  /// the chain's own earlier members only), one too few is not, so only the project and session
  /// filters and the owner scope (in the query) decide.
  bool tombstone_in_scope(const store::Tombstone& t) const {
    const auto& projects = m_plan.sessions.project_ids;
    const auto& sessions = m_plan.sessions.session_ids;
    if (t.kind == "entry" || t.kind == "session") {
      if (!projects.empty() && std::find(projects.begin(), projects.end(), t.project_id) == projects.end())
        return false;
      return sessions.empty() || std::find(sessions.begin(), sessions.end(), t.session_id) != sessions.end();
    }
    if (t.kind == "project")
      return projects.empty() ? sessions.empty() : std::find(projects.begin(), projects.end(), t.id) != projects.end();
    return m_plan.include_documents;  // a document
  }

  /// Incremental: one section per session with deleted entries, ("tombstones", owner, project, session),
  /// so that a restore of one session reads only its own. Grouped by session in memory: the deletions
  /// since the parent, a few dozen bytes each.
  Status write_entry_tombstones() {
    std::map<std::string, std::vector<store::Tombstone>> by_session;
    CL_CHECK(m_reader->for_each_tombstone(*changed_after(), m_request.owner_scope, [&](const store::Tombstone& t) {
      if (t.kind == "entry" && tombstone_in_scope(t)) by_session[t.session_id].push_back(t);
      return true;
    }));
    for (const auto& [session_id, list] : by_session) {
      const auto& first = list.front();
      CL_CHECK(m_writer->begin_section({std::string(k_tombstones), first.owner_id, first.project_id, session_id}));
      for (const auto& t : list) {
        m_doc.clear();
        encode_tombstone(t, m_doc);
        CL_CHECK(append(std::nullopt));
        ++m_tombstones;
      }
      CL_CHECK(m_writer->end_section());
    }
    return {};
  }

  /// Incremental: deleted sessions, projects and documents; and the sessions the parent's chain holds
  /// that are no longer in scope (deleted, or no longer selected by the filters).
  Status write_tombstones() {
    CL_CHECK(m_writer->begin_section({std::string(k_tombstones), "", "", ""}));
    Status inner;
    std::unordered_set<std::string> written;  // "kind/id" of the session and project tombstones written
    CL_CHECK(m_reader->for_each_tombstone(*changed_after(), m_request.owner_scope, [&](const store::Tombstone& t) {
      if (t.kind == "entry" || !tombstone_in_scope(t)) return true;
      written.insert(t.kind + "/" + t.id);
      m_doc.clear();
      encode_tombstone(t, m_doc);
      inner = append(std::nullopt);
      if (inner) ++m_tombstones;
      return inner.has_value();
    }));
    CL_CHECK(inner);
    if (!m_track_scope) return {};
    // Sorted: the archive is a function of the store.
    std::vector<std::string> sessions, projects;
    for (const auto& id : m_scope_at_parent.sessions)
      if (!m_in_scope.contains(id) && !written.contains("session/" + id)) sessions.push_back(id);
    for (const auto& id : m_scope_at_parent.projects)
      if (!m_in_scope_projects.contains(id) && !written.contains("project/" + id)) projects.push_back(id);
    std::sort(sessions.begin(), sessions.end());
    std::sort(projects.begin(), projects.end());
    for (const auto& id : sessions) {
      store::Tombstone t{.change_seq = m_meta.change_seq.value_or(0), .kind = "session", .id = id, .session_id = id};
      CL_TRY(s, m_reader->get_session(id));
      if (s) {
        t.project_id = s->project_id;
        t.owner_id = s->owner_id;
      }
      CL_CHECK(append_tombstone(t));
    }
    for (const auto& id : projects) {
      store::Tombstone t{.change_seq = m_meta.change_seq.value_or(0), .kind = "project", .id = id, .project_id = id};
      CL_TRY(p, m_reader->get_project(id));
      if (p) t.owner_id = p->owner_id;
      CL_CHECK(append_tombstone(t));
    }
    return {};
  }

  Status append_tombstone(const store::Tombstone& t) {
    m_doc.clear();
    encode_tombstone(t, m_doc);
    CL_CHECK(append(std::nullopt));
    ++m_tombstones;
    return {};
  }

  /// The owners of what was written (a full backup by an admin: every user), so restores keep owners.
  Status write_users() {
    CL_CHECK(m_writer->begin_section({std::string(k_users), "", "", ""}));
    const bool everyone = m_request.type == BackupType::full && !m_request.owner_scope;
    Status inner;
    CL_CHECK(m_reader->for_each_user([&](const store::User& u) {
      if (!everyone && !m_owners.contains(u.id)) return true;
      m_doc.clear();
      encode_user(u, m_doc);
      inner = append(std::nullopt);
      if (inner) ++m_meta.contents.users_count;
      return inner.has_value();
    }));
    return inner;
  }

  std::string manifest_json() {
    Contents& c = m_meta.contents;
    c.total_documents = m_documents;
    json::object counts{{"users", c.users_count},
                        {"projects", c.projects_count},
                        {"sessions", c.sessions_count},
                        {"messages", c.messages_count},
                        {"records", c.records_count},
                        {"prompts", c.prompts_count},
                        {"prompt_folders", c.prompt_folders_count},
                        {"ai_settings", c.ai_settings_count},
                        {"audit_log", c.audit_log_count},

                        {"tombstones", m_tombstones}};
    json::object m{
        {"format_version", format::k_format_version},
        {"creator", fmt::format("claudelens {}", k_version)},
        {"backup_id", m_meta.id},
        {"name", m_meta.name},
        {"type", backup_type_name(m_meta.type)},
        {"created_at", format_iso8601_ms(m_meta.created_at)},
        {"filters", filters_to_json(m_meta.filters)},
        {"counts", std::move(counts)},
        {"total_documents", m_documents},
        {"date_range", json::object{{"earliest", c.earliest ? json::value(format_iso8601_ms(*c.earliest)) : nullptr},
                                    {"latest", c.latest ? json::value(format_iso8601_ms(*c.latest)) : nullptr}}},
        {"uncompressed_size", m_bytes},
        {"compression", json::object{{"algorithm", "zstd"}, {"level", m_request.compression_level}}},
        {"parent_backup_id", parent_id_json()},
        {"parent_checksum", parent_checksum_json()},
        {"encryption", m_writer->key_id().empty() ? json::value(nullptr)
                                                  : json::value(json::object{{"enabled", true},
                                                                             {"algorithm", "aes-256-gcm"},
                                                                             {"kdf", "argon2id"},
                                                                             {"key_id", m_writer->key_id()}})}};
    json::value v = std::move(m);
    return json::serialize(make_valid_utf8(v));
  }

  store::Store& m_store;
  const BackupRequest& m_request;
  const RunOptions& m_options;
  const Clock& m_clock;
  const TimeMs m_started;
  store::Reader* m_reader = nullptr;
  Plan m_plan;
  BackupMetadata m_meta;
  std::unique_ptr<format::ArchiveWriter> m_writer;
  std::string m_doc;  ///< the document being encoded (reused: no allocation per document)
  std::int64_t m_documents = 0;
  std::int64_t m_bytes = 0;
  std::int64_t m_tombstones = 0;  ///< incremental: deletions written
  std::string m_operation;
  TimeMs m_last_report = 0;
  /// Each session scanned, in scan order: 24 bytes a session, not its id (memory, SPEC §5)
  std::vector<SessionCounts> m_sessions;
  std::int64_t m_sessions_written = 0;
  std::unordered_set<std::string> m_projects;  ///< projects with a session written
  std::unordered_set<std::string> m_owners;    ///< owners of what was written
  /// Incremental of a scope that can move (plan_scope_changes): the sessions the parent's chain holds,
  /// those in scope now, those whose row changed since the parent, and the scan of every one in scope.
  bool m_track_scope = false;
  ChainScope m_scope_at_parent;
  std::unordered_set<std::string> m_in_scope, m_in_scope_projects, m_changed;
  store::SessionFilter m_scan;
  KillSwitch m_kill;  ///< crash tests only (core/test_hooks.hpp)
};

}  // namespace

Result<BackupMetadata> run_backup(store::Store& store, const BackupRequest& request, const RunOptions& options) {
  Run run(store, request, options);
  return run.execute();
}

namespace {

/// Whether the run that owns `m` (pending/in_progress) is gone: its run lock can be taken, or its
/// lock file is gone. Records of runs on another host are never judged from here. A record without
/// an owner (written before owners were recorded) is judged by the old rule: gone when no backup runs
/// in this directory. `taken` keeps the locks taken until the records are updated.
bool owner_is_gone(const BackupMetadata& m, const std::string& host, bool dir_idle, std::vector<FileLock>& taken) {
  if (!m.owner) return dir_idle;
  if (m.owner->host != host) return false;
  auto lock = FileLock::acquire(run_lock_path(m.owner->backup_dir, m.id), true, false, false);
  if (lock) {
    lock->remove_on_release();
    taken.push_back(std::move(*lock));
    return true;
  }
  if (lock.error().code == Errc::not_found) return true;  // the run removed it, or its directory is gone
  if (lock.error().code != Errc::busy)
    spdlog::warn("backup {}: cannot tell whether its run is alive: {}", m.id, lock.error().message);
  return false;
}

}  // namespace

Result<int> recover_interrupted(store::Store& store, const std::filesystem::path& backup_dir, TimeMs now) {
  std::error_code ec;
  std::filesystem::create_directories(backup_dir, ec);
  auto dir_lock = FileLock::acquire(directory_lock_path(backup_dir), true, false);
  if (!dir_lock && dir_lock.error().code != Errc::busy) return fail(std::move(dir_lock).error());
  const bool dir_idle = dir_lock.has_value();  // no backup runs in this directory: leftovers are dead
  if (dir_idle) {
    CL_TRY(removed, format::remove_partial_files(backup_dir));
    for (const auto& p : removed) spdlog::warn("removed the leftover of an interrupted backup: {}", p.string());
  }
  // The write transaction holds off the final update of every live run while its lock is tested, so
  // that a run finishing meanwhile is never taken for a dead one.
  CL_TRY(writer, store.write());
  std::vector<BackupMetadata> pending;
  CL_CHECK(for_each_metadata(*writer, [&](const BackupMetadata& m) {
    if (m.status == BackupStatus::pending || m.status == BackupStatus::in_progress) pending.push_back(m);
    return true;
  }));
  const std::string host = host_name();
  std::vector<FileLock> taken;  // released (and removed) when this function returns, after the commit
  int failed = 0;
  for (auto& m : pending) {
    if (!owner_is_gone(m, host, dir_idle, taken)) continue;
    // A run that died between publishing its archive and recording it leaves a complete file behind
    // a record that is about to say "failed": remove it, so that the two agree.
    const std::filesystem::path dir = m.owner ? std::filesystem::path(m.owner->backup_dir) : backup_dir;
    if (!m.filepath.empty() && std::filesystem::remove(dir / m.filepath, ec))
      spdlog::warn("removed the archive of an interrupted backup: {}", (dir / m.filepath).string());
    m.status = BackupStatus::failed;
    m.error_message = "interrupted: the process stopped before the backup completed";
    CL_CHECK(save_metadata(*writer, m, now));
    ++failed;
  }
  CL_CHECK(writer->commit());
  return failed;
}

}  // namespace claudelens::backup
