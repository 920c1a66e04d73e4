#include "restore/restorer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <unordered_set>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "backup/documents.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "format/reader.hpp"
#include "ingest/ingester.hpp"
#include "ingest/line_parser.hpp"
#include "restore/catalogue.hpp"
#include "restore/chain.hpp"
#include "restore/source.hpp"

namespace claudelens::restore {

std::string new_session_id() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string h = to_hex(b);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4), h.substr(20));
}

Result<std::string> rewrite_session_id(std::string_view line, std::string_view from, std::string_view to) {
  // Claude Code writes compact JSON ("sessionId":"…"); a space after the colon is tolerated. Only the
  // value changes, so every other byte of the line is kept.
  std::string quoted_from, quoted_to;
  append_json_string(quoted_from, from);
  append_json_string(quoted_to, to);
  std::string out;
  out.reserve(line.size() + 64);
  std::size_t pos = 0;
  bool replaced = false;
  for (;;) {
    const std::size_t at = line.find("\"sessionId\":", pos);
    if (at == std::string_view::npos) break;
    std::size_t value = at + 12;
    while (value < line.size() && line[value] == ' ') ++value;
    out.append(line.substr(pos, value - pos));
    if (line.substr(value, quoted_from.size()) == quoted_from) {
      out += quoted_to;
      pos = value + quoted_from.size();
      replaced = true;
    } else {
      pos = value;
    }
  }
  out.append(line.substr(pos));
  if (!replaced && line.find("\"sessionId\"") != std::string_view::npos)
    return fail(Errc::invalid_argument, fmt::format("cannot rewrite the sessionId of a line of session '{}'", from));
  return out;
}

namespace {

using backup::k_messages;
using backup::k_records;
using store::OnExisting;

/// A restore of at most this many projects reads them from the archive once and keeps them (about
/// 330 bytes each); more are streamed from the archive each time they are needed. Default: 256
constexpr std::size_t k_projects_held = 256;
/// Restores that write at least this many bytes of entries use the store's bulk write mode. Default: 64 MiB
constexpr std::uint64_t k_bulk_restore_bytes = 64u << 20;
/// Restores that write at least this many bytes of entries read the archive with read-ahead (a second
/// thread). Default: 16 MiB (a few frames: below that a thread is not worth starting)
constexpr std::uint64_t k_read_ahead_bytes = 16u << 20;

std::int64_t kill_after_from_env() {
  const char* v = std::getenv("CLAUDELENS_TEST_KILL_AFTER_DOCUMENTS");
  return v && *v ? std::atoll(v) : -1;
}

std::string resolution_name(Strategy s) {
  switch (s) {
    case Strategy::skip:
      return "skipped";
    case Strategy::overwrite:
      return "overwritten";
    case Strategy::rename:
      return "renamed";
    case Strategy::merge:
      return "merged";
  }
  return "skipped";
}

/// What a full restore removes, found before the write transaction so that it can be confirmed.
struct Deletions {
  std::vector<store::Project> projects;
  std::vector<std::string> sessions;  ///< ids of the sessions outside the deleted projects
  std::vector<std::pair<store::Collection, std::string>> documents;
  std::int64_t sessions_in_projects = 0;
  std::int64_t entries = 0;  ///< entries of the deleted projects and sessions
  bool empty() const { return projects.empty() && sessions.empty() && documents.empty(); }
};

class Restorer {
 public:
  /// `source`: what to read (null: the archive, opened by the restore).
  Restorer(store::Store& store, const std::filesystem::path& archive, std::unique_ptr<Source> source,
           const RestoreOptions& options)
      : m_store(store),
        m_archive(archive),
        m_options(options),
        m_clock(options.clock ? *options.clock : system_clock()),
        m_kill_after(kill_after_from_env()),
        m_source(std::move(source)) {
    m_report.id = new_id();
    m_report.backup_id = options.backup_id;
    m_report.backup_file = options.report_file.empty() ? archive.string() : options.report_file;
    m_report.chain = options.report_chain;
    m_report.mode = options.mode;
    m_report.on_conflict = options.on_conflict;
    m_report.dry_run = options.dry_run;
    m_report.started_at = m_clock.now_ms();
  }

  Result<RestoreReport> execute() {
    // Refusals: nothing is written, nothing is recorded.
    CL_CHECK(validate_options(m_options));
    CL_CHECK(open_archive());      // version, trailer, index; the catalogue's frames are checked as read
    CL_CHECK(validate_archive());  // the frames the restore will read (or the whole file)
    CL_CHECK(plan_deletions());
    // The attempt: one transaction; a failure after this point is recorded in the history.
    auto applied = apply();
    m_report.duration_seconds = elapsed();
    m_report.bytes_read = m_source->bytes_read();
    if (!applied) {
      m_report.status = "failed";
      m_report.error_message = applied.error().message;
      if (!m_options.dry_run) record_failure();
      return fail(std::move(applied).error());
    }
    progress("completed", true);
    return m_report;
  }

 private:
  // ---- stage 1: the archive ------------------------------------------------------------------------

  const Catalogue& catalogue() const { return m_source->catalogue(); }

  /// True when the restore reads the archive's documents (prompts, folders, AI settings) sections.
  bool reads_documents() const {
    return m_selection.all_documents || !m_selection.document_ids.empty() || deletes_whole_documents();
  }

  /// SPEC §7 validate_before_restore, before the first write: open() checked the version, the trailer
  /// and the index (with the frames' checksums); reading the catalogue checked its frames. Here: the
  /// checksum of every other frame the restore will read. The whole file (its SHA-256, compared with
  /// the registered backup's checksum, and the trailer's digest) only when the restore reads every
  /// frame anyway, or when `verify_all` asks: a restore of one session reads a few frames, not the file.
  Status validate_archive() {
    const std::string& expected_id =
        m_options.archive_backup_id.empty() ? m_options.backup_id : m_options.archive_backup_id;
    if (!expected_id.empty() && !catalogue().backup_id.empty() && catalogue().backup_id != expected_id)
      return fail(Errc::corrupted, fmt::format("{} holds backup '{}', not the registered backup '{}'",
                                               m_archive.string(), catalogue().backup_id, expected_id));
    // A large restore reads its frames in order: the reader loads (checks, decompresses) the next
    // frame on a second thread while this one writes the store.
    if (m_selection.entry_bytes >= k_read_ahead_bytes) m_source->read_ahead(true);
    if (!m_options.validate_before_restore) return {};
    progress("validating", true);
    ValidationNeeds needs;
    needs.documents = reads_documents();
    needs.audit = deletes_whole_documents();
    needs.verify_all = m_options.verify_all;
    needs.expected_sha256 = m_options.expected_sha256;
    needs.cancel = m_options.cancel;
    auto verified = m_source->validate(m_selection, needs);
    if (!verified) {
      Error e = std::move(verified).error();
      if (e.message.starts_with("SHA-256 ")) e.message = m_archive.string() + ": " + e.message;
      return fail(std::move(e));
    }
    m_report.bytes_verified = *verified;
    return {};
  }

  Status open_archive() {
    if (!m_source) {
      CL_TRY(source, open_archive_source(m_archive, m_options.passphrase));
      m_source = std::move(source);
    }
    m_report.archive_size = m_source->file_size();
    progress("reading catalogue", true);
    if (m_report.backup_id.empty()) m_report.backup_id = catalogue().backup_id;
    CL_TRY(selection, m_source->select(m_options.selections));
    m_selection = std::move(selection);
    m_selection.sessions.shrink_to_fit();
#ifdef __GLIBC__
    // The catalogue's pass freed what it decoded (a batch of sessions, the projects): give the freed
    // pages back instead of keeping them for the rest of the restore.
    malloc_trim(0);
#endif
    m_documents_total = static_cast<std::int64_t>(m_selection.entry_documents + catalogue().document_section_docs);
    return {};
  }

  // ---- stage 2: what a full restore deletes ----------------------------------------------------------

  bool deletes_whole_documents() const {
    return m_options.mode == Mode::full && catalogue().type == "full";
  }

  Status plan_deletions() {
    if (!deletes_whole_documents()) return {};
    CL_TRY(reader, m_store.read());
    CL_TRY(owners, map_owners(*reader, catalogue()));
    CL_TRY(matches, match_projects(*reader, owners,
                                   [&](const ProjectVisit& visit) { return m_source->for_each_project(visit); }));
    std::unordered_set<std::string> kept_projects;  // the stored projects that archived ones are
    for (const auto& [ordinal, stored] : matches.matched) kept_projects.insert(stored.id);
    CL_CHECK(reader->for_each_project({}, [&](const store::Project& p) {
      if (!kept_projects.contains(p.id)) m_deletions.projects.push_back(p);
      return true;
    }));
    std::unordered_set<std::string> deleted_projects;
    for (const auto& p : m_deletions.projects) deleted_projects.insert(p.id);
    Status listing;
    CL_CHECK(reader->for_each_session({}, [&](const store::Session& s) {
      if (deleted_projects.contains(s.project_id)) {
        ++m_deletions.sessions_in_projects;
        m_deletions.entries += s.records_count;
        return true;
      }
      auto listed = m_source->lists_session(m_selection, s.id);
      if (!listed) {
        listing = fail(std::move(listed).error());
        return false;
      }
      if (!*listed) {
        m_deletions.sessions.push_back(s.id);
        m_deletions.entries += s.records_count;
      }
      return true;
    }));
    CL_CHECK(listing);
    // The archived documents' ids (these sections are small).
    std::unordered_set<std::string> archived_docs;
    {
      Status inner;
      CL_CHECK(m_source->for_each_document([&](std::string_view doc) {
        auto d = backup::decode_document(doc);
        if (!d) inner = fail(std::move(d).error());
        if (d) archived_docs.insert(std::string(store::collection_name(d->collection)) + "/" + d->document.id);
        return inner.has_value();
      }));
      CL_CHECK(inner);
    }
    for (store::Collection c :
         {store::Collection::prompt_folders, store::Collection::prompts, store::Collection::ai_settings})
      CL_CHECK(reader->for_each_document(c, std::nullopt, [&](const store::Document& d) {
        if (!archived_docs.contains(std::string(store::collection_name(c)) + "/" + d.id))
          m_deletions.documents.emplace_back(c, d.id);
        return true;
      }));
    if (!m_deletions.empty() && !m_options.allow_delete && !m_options.dry_run)
      return fail(
          Errc::conflict,
          fmt::format("a full restore would delete {} projects, {} sessions ({} entries) and {} documents that the "
                      "backup lacks: confirm with --yes (or preview with --dry-run)",
                      m_deletions.projects.size(), m_deletions.sessions.size() + m_deletions.sessions_in_projects,
                      m_deletions.entries, m_deletions.documents.size()));
    return {};
  }

  // ---- stage 3: the transaction ------------------------------------------------------------------------

  Status apply() {
    // A dry run writes nothing and must leave the database file's bytes as they were: no bulk mode
    // (which may rewrite the journal-mode bytes of the file header). A small restore neither: what bulk
    // mode buys is for large writes, and its set-up is not free (when SQLite left the WAL for it, that
    // cost 9 of a one-session restore's 17 fsyncs). The caller (the job service) says whether bulk mode
    // is allowed at all.
    const bool bulk = m_options.bulk_write && !m_options.dry_run && m_selection.entry_bytes >= k_bulk_restore_bytes;
    CL_TRY(writer, m_store.write(bulk ? store::WriteMode::bulk : store::WriteMode::normal));
    m_writer = writer.get();
    m_touched_archived.assign(catalogue().project_count(), false);
    CL_TRY(owners, map_owners(*m_writer, catalogue()));
    m_owners = std::move(owners);
    CL_CHECK(restore_users());
    CL_CHECK(restore_projects());
    CL_CHECK(restore_sessions());
    CL_CHECK(restore_documents());
    if (deletes_whole_documents()) CL_CHECK(restore_audit());
    CL_CHECK(delete_what_the_backup_lacks());
    CL_CHECK(refresh_statistics());
    progress("finishing", true);
    m_report.duration_seconds = elapsed();
    m_report.bytes_read = m_source->bytes_read();
    if (m_options.dry_run) return {};  // the Writer rolls back when it goes out of scope
    CL_CHECK(m_writer->put_system(store::SystemTable::restores, history_record(m_report, m_options.restored_by)));
    CL_CHECK(m_writer->commit());
    return {};
  }

  /// A full restore of a full backup adds the archived audit lines the store lacks (by id, owners
  /// mapped as for every document) and never removes one: the log stays append-only.
  Status restore_audit() {
    auto& tally = m_report.tally("audit_log");
    {
      Status inner;
      CL_CHECK(m_source->for_each_audit([&](std::string_view doc) {
        auto e = backup::decode_audit(doc);
        if (e && !e->user_id.empty()) e->user_id = m_owners.map(e->user_id);
        auto added = e ? m_writer->append_audit(*e) : Result<bool>(fail(std::move(e).error()));
        if (!added) inner = fail(std::move(added).error());
        if (added) ++(*added ? tally.restored : tally.skipped);
        return inner.has_value();
      }));
      CL_CHECK(inner);
    }
    return {};
  }

  Status restore_users() {
    for (const auto& u : m_owners.to_create) {
      CL_CHECK(wrote());
      CL_CHECK(m_writer->put_user(u));
      ++m_report.tally("users").restored;
    }
    for (const auto& [from, to] : m_owners.to_store)
      if (from != to) m_report.id_mappings[from] = to;
    return {};
  }

  Status restore_projects() {
    if (!m_options.target_project_id.empty() || !m_options.target_project_name.empty()) return resolve_target();
    const ProjectStream selected = [&](const ProjectVisit& visit) { return for_each_selected_project(visit); };
    // Matched before any project is written: against what the store held before the restore began.
    CL_TRY(matches, match_projects(*m_writer, m_owners, selected));
    Status failed;
    CL_CHECK(selected([&](std::uint64_t ordinal, store::Project& p) {
      failed = restore_project(ordinal, p, matches.find(ordinal));
      return failed.has_value();
    }));
    return failed;
  }

  Status resolve_target() {
    if (!m_options.target_project_id.empty()) {
      CL_TRY(p, m_writer->get_project(m_options.target_project_id));
      if (!p)
        return fail(Errc::not_found, fmt::format("target project '{}' does not exist", m_options.target_project_id));
      m_target = p->id;
      return {};
    }
    std::string owner = m_options.restored_by;
    if (owner.empty() && !m_selection.sessions.empty())
      owner = m_owners.map(m_selection.first_sessions.front().owner_id);
    CL_TRY(p, m_writer->find_project_by_name(owner, m_options.target_project_name));
    if (p) {
      m_target = p->id;
      return {};
    }
    store::Project np;
    np.id = new_id();
    np.owner_id = owner;
    np.name = m_options.target_project_name;
    np.created_at = np.updated_at = m_clock.now_ms();
    CL_CHECK(wrote());
    CL_CHECK(m_writer->put_project(np));
    ++m_report.tally("projects").restored;
    m_target = np.id;
    return {};
  }

  /// A name of `owner` not taken yet: base + suffix, then base + suffix + "_2", ...
  Result<std::string> free_project_name(const std::string& owner, const std::string& base) {
    std::string name = base + m_options.name_suffix;
    for (int n = 2;; ++n) {
      CL_TRY(taken, m_writer->find_project_by_name(owner, name));
      if (!taken) return name;
      name = fmt::format("{}{}_{}", base, m_options.name_suffix, n);
    }
  }

  Status restore_project(std::uint64_t ordinal, const store::Project& archived, const store::Project* existing) {
    store::Project p = archived;
    p.owner_id = m_owners.map(archived.owner_id);
    p.sessions_count = p.messages_count = p.records_count = 0;  // refresh_project_stats computes them
    auto& tally = m_report.tally("projects");
    if (!existing) {
      CL_TRY(taken, m_writer->get_project(p.id));  // by another owner's project (match_projects)
      if (taken) {
        if (m_options.maintain_ids)
          return fail(Errc::conflict,
                      fmt::format("project id '{}' is taken by project '{}' (maintain_ids)", p.id, taken->name));
        p.id = new_id();
      }
      // The owner's folder name can still be held: by a stored project that another archived project
      // is (by id), or by one this restore wrote (two archived owners mapped to one store user). The
      // archived project is not that one: it comes in under a free name, never folded into it.
      CL_TRY(holder, m_writer->find_project_by_name(p.owner_id, p.name));
      if (holder) {
        CL_TRY(name, free_project_name(p.owner_id, archived.name));
        p.name = name;
        m_report.add_conflict(
            {"project", holder->id, archived.id, holder->name, archived.name, resolution_name(Strategy::rename)});
      }
      CL_CHECK(put_project(p, ordinal, archived.id));
      ++tally.restored;
      return {};
    }
    m_report.add_conflict(
        {"project", existing->id, archived.id, existing->name, archived.name, resolution_name(m_options.on_conflict)});
    switch (m_options.on_conflict) {
      case Strategy::skip:
        map_project(archived.id, existing->id);
        ++tally.skipped;
        break;
      case Strategy::merge:
        if (archived.updated_at <= existing->updated_at) {
          map_project(archived.id, existing->id);
          ++tally.skipped;
          break;
        }
        [[fallthrough]];
      case Strategy::overwrite: {
        p.id = existing->id;
        p.sessions_count = existing->sessions_count;
        if (p.name != existing->name) {  // matched by id: keep the stored name when another project has it
          CL_TRY(holder, m_writer->find_project_by_name(p.owner_id, p.name));
          if (holder) p.name = existing->name;
        }
        CL_CHECK(put_project(p, ordinal, archived.id));
        ++tally.restored;
        ++tally.updated;
        break;
      }
      case Strategy::rename: {
        p.id = new_id();
        CL_TRY(name, free_project_name(p.owner_id, archived.name));
        p.name = name;
        CL_CHECK(put_project(p, ordinal, archived.id));
        ++tally.restored;
        break;
      }
    }
    if (const std::string& to = project_of(archived.id); to != archived.id) m_report.id_mappings[archived.id] = to;
    return {};
  }

  void map_project(const std::string& archived_id, const std::string& store_id) {
    if (store_id != archived_id) m_projects[archived_id] = store_id;
  }
  /// The store project of an archived project that restore_projects handled (every selected
  /// session's project is).
  const std::string& project_of(const std::string& archived_id) const {
    const auto it = m_projects.find(archived_id);
    return it == m_projects.end() ? archived_id : it->second;
  }

  Status put_project(const store::Project& p, std::uint64_t ordinal, const std::string& archived_id) {
    CL_CHECK(wrote());
    CL_CHECK(m_writer->put_project(p));
    map_project(archived_id, p.id);
    touch_archived(ordinal);
    if (p.id != archived_id) m_report.id_mappings[archived_id] = p.id;
    return {};
  }

  Status restore_sessions() {
    progress("restoring sessions", true);
    // The archived sessions come in bounded batches read from the sessions catalogue (the first one
    // from the selection's pass), so memory does not grow with their number.
    std::vector<store::Session> batch = std::move(m_selection.first_sessions);
    for (std::size_t done = 0;;) {
      for (const auto& s : batch) CL_CHECK(restore_session(s));
      done += batch.size();
      if (done >= m_selection.sessions.size()) return {};
      CL_CHECK(m_source->read_session_batch(m_selection, done, batch));
    }
  }

  /// What restore_session decided for one archived session.
  struct SessionPlan {
    std::string id;  ///< the store's session id (new under rename)
    std::string project_id;
    std::optional<store::Session> existing;
    bool write_row = false;  ///< put the archived session's fields
    bool row_written = false;
    OnExisting on_entry = OnExisting::keep;
    bool newer_entries_win = false;  ///< merge: an archived entry replaces an older stored one
    std::int64_t conflicts = 0;
    std::int64_t added = 0;
  };

  Status restore_session(const store::Session& archived) {
    SessionPlan plan;
    plan.id = archived.id;
    plan.project_id = m_target.empty() ? project_of(archived.project_id) : m_target;
    CL_TRY(existing, m_writer->get_session(archived.id));
    plan.existing = existing;
    auto& tally = m_report.tally("sessions");
    const Strategy strategy = m_options.on_conflict;
    if (!existing) {
      plan.write_row = true;
    } else {
      m_report.add_conflict(
          {"session", existing->id, archived.id, existing->summary, archived.summary, resolution_name(strategy)});
      m_touched_projects.insert(existing->project_id);
      switch (strategy) {
        case Strategy::skip:
          ++tally.skipped;
          break;
        case Strategy::overwrite:
          plan.write_row = true;
          plan.on_entry = OnExisting::replace;
          break;
        case Strategy::merge:
          plan.write_row = archived.updated_at > existing->updated_at;
          plan.newer_entries_win = true;
          if (!plan.write_row) ++tally.skipped;
          break;
        case Strategy::rename:
          plan.id = new_session_id();
          plan.existing.reset();
          plan.write_row = true;
          m_report.id_mappings[archived.id] = plan.id;
          break;
      }
    }
    if (!plan.write_row) {
      plan.project_id = existing->project_id;
      m_touched_projects.insert(plan.project_id);
    } else if (m_target.empty()) {
      CL_TRY(ordinal, project_ordinal(archived.project_id));
      touch_archived(ordinal);  // plan.project_id is project_of() of that project
    } else {
      m_touched_projects.insert(m_target);
    }

    CL_CHECK(restore_entries(archived, plan));
    if (plan.write_row && !plan.row_written && !m_selection.entry_filter()) CL_CHECK(write_session_row(archived, plan));
    if (plan.row_written || plan.added > 0) {
      if (plan.row_written) {
        ++tally.restored;
        if (plan.existing) ++tally.updated;
      }
      CL_CHECK(m_writer->refresh_session_stats(plan.id));
      // A stored row that was kept gained entries: choose its summary again as ingest does.
      if (plan.existing && !plan.row_written) CL_CHECK(ingest::refresh_session_summary(*m_writer, plan.id));
    }
    if (plan.conflicts > 0)
      m_report.add_conflict({"message", archived.id, archived.id, "", "",
                             resolution_name(strategy == Strategy::rename ? Strategy::skip : strategy),
                             plan.conflicts});
    return {};
  }

  Status write_session_row(const store::Session& archived, SessionPlan& plan) {
    store::Session row = archived;
    row.id = plan.id;
    row.project_id = plan.project_id;
    row.owner_id = m_owners.map(archived.owner_id);
    row.message_count = row.records_count = row.bytes = 0;  // refresh_session_stats computes them
    CL_CHECK(wrote());
    CL_CHECK(m_writer->put_session(row));
    plan.row_written = true;
    return {};
  }

  Status restore_entries(const store::Session& archived, SessionPlan& plan) {
    const bool renamed = plan.id != archived.id;
    // Full mode keeps only what the backup holds: remember the archived keys (one session's worth).
    const bool prune = m_options.mode == Mode::full && plan.existing &&
                       (m_options.on_conflict == Strategy::skip || m_options.on_conflict == Strategy::overwrite);
    std::unordered_set<std::string> archived_keys;
    ingest::ParsedLine parsed;
    std::string rewritten;
    Status inner;
    // The line is a view into the reader's frame, followed by k_document_padding readable bytes:
    // simdjson parses it in place (no copy).
    const bool in_place = format::k_document_padding >= ingest::LineParser::padding();
    auto parse = [&](const backup::ArchivedEntry& entry) -> Status {
      std::string_view line = entry.line;
      std::size_t capacity = in_place ? line.size() + format::k_document_padding : 0;
      if (renamed) {
        CL_TRY(r, rewrite_session_id(line, archived.id, plan.id));
        rewritten = std::move(r);
        line = rewritten;
        capacity = 0;
      }
      return m_parser.parse(line, parsed, capacity);
    };
    auto one = [&](std::string_view doc) -> Status {
      CL_CHECK(step());
      // The line is not walked twice: the parse below checks that it is one JSON object. When it
      // fails, the document is decoded again with the whole check (its line may be shorter).
      CL_TRY(entry, backup::decode_entry(doc, backup::LineCheck::parsed_by_caller));
      Status parsed_ok = parse(entry);
      if (!parsed_ok) {
        CL_TRY(checked, backup::decode_entry(doc));
        if (checked.line != entry.line) {
          entry = std::move(checked);
          parsed_ok = parse(entry);
        }
      }
      if (!parsed_ok)
        return fail(Errc::corrupted, fmt::format("archive: an entry of session '{}' is not a transcript line: {}",
                                                 archived.id, parsed_ok.error().message));
      if (prune) archived_keys.insert(entry.key);
      store::Entry& e = parsed.entry;
      if (!entry_selected(m_selection, entry.has_uuid, entry.key, e.timestamp)) return {};
      e.session_id = plan.id;
      e.key = entry.key;  // never recomputed: records without a uuid are keyed by their file position
      e.has_uuid = entry.has_uuid;
      if (plan.write_row && !plan.row_written) CL_CHECK(write_session_row(archived, plan));
      return insert_entry(e, plan);
    };
    CL_CHECK(m_source->for_each_entry(archived, [&](std::string_view doc) {
      inner = one(doc);
      return inner.has_value();
    }));
    CL_CHECK(inner);
    if (prune) CL_CHECK(prune_entries(plan.id, archived_keys));
    return {};
  }

  Status insert_entry(const store::Entry& e, SessionPlan& plan) {
    auto& tally = m_report.tally(std::string(e.has_uuid ? k_messages : k_records));
    OnExisting on = plan.on_entry;
    if (plan.existing && plan.newer_entries_win) {
      CL_TRY(stored, m_writer->get_entry(plan.id, e.key));
      if (stored) {
        ++plan.conflicts;
        if (!(e.timestamp && (!stored->timestamp || *e.timestamp > *stored->timestamp))) {
          ++tally.skipped;
          return {};
        }
        on = OnExisting::replace;
      }
    }
    CL_CHECK(wrote());
    CL_TRY(is_new, m_writer->insert_entry(e, on));
    if (is_new) {
      ++tally.restored;
      ++plan.added;
      m_report.entry_bytes += static_cast<std::int64_t>(e.json.size());
      return {};
    }
    if (!plan.newer_entries_win) ++plan.conflicts;
    if (on == OnExisting::replace) {
      ++tally.restored;
      ++tally.updated;
      ++plan.added;
      m_report.entry_bytes += static_cast<std::int64_t>(e.json.size());
    } else {
      ++tally.skipped;
    }
    return {};
  }

  /// Full mode: removes the stored entries of a matched session that the backup lacks (within the
  /// backup's own date range when it had one).
  Status prune_entries(const std::string& session_id, const std::unordered_set<std::string>& keep) {
    store::EntryFilter f{.session_id = session_id};
    if (catalogue().date_range) {
      f.from = catalogue().date_range->start;
      f.to = catalogue().date_range->end;
    }
    std::vector<std::pair<std::string, bool>> doomed;
    CL_CHECK(m_writer->for_each_entry(f, [&](const store::Entry& e) {
      if (!keep.contains(e.key)) doomed.emplace_back(e.key, e.has_uuid);
      return true;
    }));
    if (!doomed.empty() && !m_options.allow_delete && !m_options.dry_run)
      return fail(Errc::conflict, fmt::format("a full restore would delete {} entries of session '{}' that the backup "
                                              "lacks: confirm with --yes",
                                              doomed.size(), session_id));
    for (const auto& [key, has_uuid] : doomed) {
      CL_CHECK(wrote());
      CL_CHECK(m_writer->delete_entry(session_id, key));
      ++m_report.tally(std::string(has_uuid ? k_messages : k_records)).deleted;
    }
    if (!doomed.empty()) CL_CHECK(m_writer->refresh_session_stats(session_id));
    return {};
  }

  Status restore_documents() {
    if (!m_selection.all_documents && m_selection.document_ids.empty()) return {};
    progress("restoring documents", true);
    Status inner;
    CL_CHECK(m_source->for_each_document([&](std::string_view doc) {
      inner = restore_document(doc);
      return inner.has_value();
    }));
    return inner;
  }

  Status restore_document(std::string_view doc) {
    CL_CHECK(step());
    CL_TRY(archived, backup::decode_document(doc));
    store::Document d = std::move(archived.document);
    if (!m_selection.all_documents && !m_selection.document_ids.contains(d.id)) return {};
    const std::string name(store::collection_name(archived.collection));
    // Matched only against what the store held before the restore: an archive listing an id twice
    // would otherwise match the copy it has just written.
    if (!m_seen_documents.insert(name + '/' + d.id).second)
      return fail(Errc::corrupted, fmt::format("archive: {} document '{}' is listed twice", name, d.id));
    auto& tally = m_report.tally(name);
    const std::string archived_id = d.id;
    d.owner_id = m_owners.map(d.owner_id);
    CL_TRY(existing, m_writer->get_document(archived.collection, d.id));
    if (existing) {
      std::string type = name == "prompts" ? "prompt" : name == "prompt_folders" ? "prompt_folder" : "ai_setting";
      m_report.add_conflict(
          {type, existing->id, archived_id, existing->name, d.name, resolution_name(m_options.on_conflict)});
      const Strategy s = m_options.on_conflict;
      if (s == Strategy::skip || (s == Strategy::merge && d.updated_at <= existing->updated_at)) {
        ++tally.skipped;
        return {};
      }
      if (s == Strategy::rename) {
        d.id = new_id();
        d.name += m_options.name_suffix;
        m_report.id_mappings[archived_id] = d.id;
      } else {
        ++tally.updated;
      }
    }
    CL_CHECK(wrote());
    CL_CHECK(m_writer->put_document(archived.collection, d));
    ++tally.restored;
    return {};
  }

  Status delete_what_the_backup_lacks() {
    if (m_deletions.empty()) return {};
    progress("deleting what the backup lacks", true);
    auto& projects = m_report.tally("projects");
    auto& sessions = m_report.tally("sessions");
    for (const auto& p : m_deletions.projects) {
      CL_TRY(still, m_writer->get_project(p.id));
      if (!still) continue;
      CL_CHECK(m_writer->for_each_session({.project_ids = {p.id}}, [&](const store::Session& s) {
        ++sessions.deleted;
        m_report.tally(std::string(k_messages)).deleted += s.message_count;
        m_report.tally(std::string(k_records)).deleted += s.records_count - s.message_count;
        if (m_report.deleted_sessions.size() < 1000) m_report.deleted_sessions.push_back(s.id);
        return true;
      }));
      CL_CHECK(wrote());
      CL_CHECK(m_writer->delete_project(p.id));
      ++projects.deleted;
      if (m_report.deleted_projects.size() < 1000) m_report.deleted_projects.push_back(p.id);
      m_touched_projects.erase(p.id);
    }
    for (const auto& id : m_deletions.sessions) {
      CL_TRY(still, m_writer->get_session(id));
      if (!still) continue;
      CL_CHECK(wrote());
      CL_CHECK(m_writer->delete_session(id));
      ++sessions.deleted;
      m_report.tally(std::string(k_messages)).deleted += still->message_count;
      m_report.tally(std::string(k_records)).deleted += still->records_count - still->message_count;
      if (m_report.deleted_sessions.size() < 1000) m_report.deleted_sessions.push_back(id);
      m_touched_projects.insert(still->project_id);
    }
    for (const auto& [c, id] : m_deletions.documents) {
      CL_CHECK(wrote());
      CL_CHECK(m_writer->delete_document(c, id));
      ++m_report.tally(std::string(store::collection_name(c))).deleted;
    }
    return {};
  }

  Status refresh_statistics() {
    for (const auto& id : m_touched_projects) CL_CHECK(m_writer->refresh_project_stats(id));
    // The touched archived projects are selected ones (a selected session's project is selected):
    // those first, then, should one be left, every project.
    auto left = std::count(m_touched_archived.begin(), m_touched_archived.end(), true);
    Status failed;
    const ProjectVisit refresh = [&](std::uint64_t ordinal, store::Project& p) {
      if (ordinal < m_touched_archived.size() && m_touched_archived[ordinal]) {
        m_touched_archived[ordinal] = false;
        --left;
        failed = m_writer->refresh_project_stats(project_of(p.id));
      }
      return failed.has_value() && left > 0;
    };
    if (left > 0) CL_CHECK(for_each_selected_project(refresh));
    CL_CHECK(failed);
    if (left > 0) CL_CHECK(m_source->for_each_project(refresh));
    return failed;
  }

  /// The selected projects (Selection::projects, ascending) with their ordinals: streamed from the
  /// source, or, when there are at most k_projects_held of them, read once and kept.
  Status for_each_selected_project(const ProjectVisit& visit) {
    const auto& wanted = m_selection.projects;
    if (wanted.empty()) return {};
    const auto stream = [&](const ProjectVisit& inner) {
      std::size_t next = 0;
      return m_source->for_each_project([&](std::uint64_t ordinal, store::Project& p) {
        if (ordinal != wanted[next]) return true;
        ++next;
        return inner(ordinal, p) && next < wanted.size();
      });
    };
    if (wanted.size() > k_projects_held) return stream(visit);
    if (m_few_projects.empty())
      CL_CHECK(stream([&](std::uint64_t ordinal, store::Project& p) {
        m_few_projects.emplace_back(ordinal, std::move(p));
        return true;
      }));
    for (auto& [ordinal, p] : m_few_projects) {
      store::Project copy = p;
      if (!visit(ordinal, copy)) break;
    }
    return {};
  }

  /// Notes that the store project of archived project `ordinal` (project_of) needs its statistics
  /// refreshed: a bit a project, not its id.
  void touch_archived(std::uint64_t ordinal) {
    if (ordinal >= m_touched_archived.size()) m_touched_archived.resize(ordinal + 1);  // apply() sized it
    m_touched_archived[ordinal] = true;
  }

  /// The ordinal of an archived project that the catalogue lists.
  Result<std::uint64_t> project_ordinal(const std::string& id) {
    const std::optional<std::uint32_t> found = catalogue().project_ordinal(id);
    if (!found)
      return fail(Errc::corrupted, fmt::format("archive: a session names project '{}' that the catalogue lacks", id));
    return std::uint64_t{*found};
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------

  void record_failure() {
    auto writer = m_store.write();
    if (writer) {
      if (auto st =
              (*writer)->put_system(store::SystemTable::restores, history_record(m_report, m_options.restored_by));
          st)
        if (auto c = (*writer)->commit(); c) return;
    }
    spdlog::error("restore {}: cannot record the failed attempt", m_report.id);
  }

  bool cancelled() const {
    return m_options.cancel && m_options.cancel->load(std::memory_order_relaxed);
  }

  /// One archive document read: cancel point and progress.
  Status step() {
    if (cancelled()) return fail(Errc::cancelled, "restore cancelled: nothing was changed");
    ++m_documents_done;
    if ((m_documents_done & 255) == 0) progress(m_operation, false);
    return {};
  }

  /// One write inside the transaction (the crash-test hook counts these).
  Status wrote() {
    if (m_kill_after >= 0 && m_written >= m_kill_after) std::raise(SIGKILL);
    ++m_written;
    return {};
  }

  double elapsed() const {
    return static_cast<double>(m_clock.now_ms() - m_report.started_at) / 1000.0;
  }

  void progress(std::string_view operation, bool force) {
    m_operation = std::string(operation);
    if (!m_options.on_progress) return;
    const TimeMs now = m_clock.now_ms();
    if (!force && now - m_last_progress < 100) return;
    m_last_progress = now;
    Progress p;
    p.operation = m_operation;
    p.documents_done = m_documents_done;
    p.documents_total = std::max(m_documents_total, m_documents_done);
    p.percentage =
        operation == "completed" ? 100.0
        : p.documents_total > 0
            ? std::min(99.0, 100.0 * static_cast<double>(p.documents_done) / static_cast<double>(p.documents_total))
            : 0.0;
    p.elapsed_seconds = elapsed();
    m_options.on_progress(p);
  }

  store::Store& m_store;
  const std::filesystem::path m_archive;
  const RestoreOptions& m_options;
  const Clock& m_clock;
  const std::int64_t m_kill_after;
  RestoreReport m_report;
  std::unique_ptr<Source> m_source;
  Selection m_selection;
  Deletions m_deletions;
  OwnerMap m_owners;
  store::Writer* m_writer = nullptr;  ///< valid during apply()
  ingest::LineParser m_parser;
  /// Archived project id → store project id, for the projects whose id changed (renamed, or matched
  /// to a stored project by name): a restore into an empty store keeps none (memory, SPEC §5).
  std::unordered_map<std::string, std::string> m_projects;
  /// Whose statistics need a refresh: the archived projects' stores ones by ordinal (a bit each), and
  /// the others (a stored session's project, the target) by id.
  std::vector<bool> m_touched_archived;
  std::unordered_set<std::string> m_touched_projects;
  /// The selected projects when there are at most k_projects_held of them (for_each_selected_project).
  std::vector<std::pair<std::uint64_t, store::Project>> m_few_projects;
  std::unordered_set<std::string> m_seen_documents;  ///< "collection/id" of the archived documents read
  std::string m_target;                              ///< the target project's id, when given
  std::int64_t m_documents_done = 0;
  std::int64_t m_documents_total = 0;
  std::int64_t m_written = 0;
  std::string m_operation;
  TimeMs m_last_progress = 0;
};

}  // namespace

Result<RestoreReport> run_restore(store::Store& store, const std::filesystem::path& archive,
                                  const RestoreOptions& options) {
  const auto dir = options.backup_dir.empty() ? archive.parent_path() : options.backup_dir;
  CL_TRY(chain, backup::resolve_chain(store, archive, dir));
  if (chain.size() == 1) {
    Restorer restorer(store, archive, nullptr, options);
    return restorer.execute();
  }
  // An incremental backup: its chain applied member by member, root first (restore/chain.hpp). Nothing
  // is written when a member is missing, damaged or not the named parent.
  CL_CHECK(validate_options(options));
  chain.back().checksum = options.expected_sha256;  // the leaf: its registered checksum, if any
  CL_TRY(source, open_chain_source(chain, options.passphrase, options.cancel));
  RestoreOptions o = options;
  o.archive_backup_id = chain.back().archive_id;
  for (const auto& m : chain) o.report_chain.push_back(m.archive_id);
  Restorer restorer(store, archive, std::move(source), o);
  return restorer.execute();
}

}  // namespace claudelens::restore
