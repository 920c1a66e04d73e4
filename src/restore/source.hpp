// What the restore engine reads: one archive (ArchiveSource), or an incremental backup's chain applied
// member by member (ChainSource, restore/chain.hpp). Both give the engine the same view: the catalogue
// (users, projects, type, date range), the selection of sessions, each selected session's entry
// documents in order, the documents (prompts, folders, AI settings), the audit lines, and the
// validation of what the restore will read before its first write. docs/restore.md "Stages". The
// preview (restore/preview.hpp) reads the same view.
// Not thread-safe (one per restore).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "format/reader.hpp"
#include "restore/catalogue.hpp"
#include "restore/options.hpp"
#include "store/store.hpp"

namespace claudelens::restore {

/// What validate() checks, besides the selected sessions' entries.
struct ValidationNeeds {
  bool documents = false;       ///< the restore reads the document sections
  bool audit = false;           ///< ... and the audit log
  bool verify_all = false;      ///< the whole file(s) even when the restore reads part of them
  std::string expected_sha256;  ///< the (leaf) archive's registered checksum; "" when unknown
  const std::atomic<bool>* cancel = nullptr;
};

/// What for_each_entry gives for one session, counted as an archive counts a session's entries section:
/// its entries with a uuid (messages) and without (records), and their bytes (each document and its
/// separator: the section's uncompressed size).
struct EntryTotals {
  std::int64_t messages = 0;
  std::int64_t records = 0;
  std::uint64_t bytes = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  /// Users, projects, backup id, type and date range; valid after the source was opened.
  virtual const Catalogue& catalogue() const = 0;
  /// The catalogue's projects in order, with their ordinals (Selection::projects names them). Default:
  /// Catalogue::projects; one archive streams them from its `projects` sections instead of holding them.
  virtual Status for_each_project(const ProjectVisit& visit) {
    const auto& projects = catalogue().projects;
    for (std::size_t i = 0; i < projects.size(); ++i) {
      store::Project p = projects[i];
      if (!visit(i, p)) break;
    }
    return {};
  }
  /// One pass over the sessions: which of them, their projects and documents a restore considers.
  virtual Result<Selection> select(const Selections& selections) = 0;
  /// True when the source lists session `id` (a full restore keeps it); reads the index (find_section).
  virtual Result<bool> lists_session(const Selection& selection, std::string_view id) = 0;
  /// Replaces `batch` with the selected sessions selection.sessions[first …], at most k_session_batch.
  virtual Status read_session_batch(const Selection& selection, std::size_t first,
                                    std::vector<store::Session>& batch) = 0;
  /// The entry documents of an archived session (one of those a batch gave), in order.
  virtual Status for_each_entry(const store::Session& session, const format::DocumentSink& sink) = 0;
  /// EntryTotals of an archived session (one of those a batch gave). One archive reads no entry (its
  /// catalogue's counts, its index's size); a chain reads the entries of a session an incremental changed.
  virtual Result<EntryTotals> entry_totals(const store::Session& session) = 0;
  /// The prompt folders, prompts and AI settings documents.
  virtual Status for_each_document(const format::DocumentSink& sink) = 0;
  /// The audit lines (a full backup made by an admin).
  virtual Status for_each_audit(const format::DocumentSink& sink) = 0;
  /// validate_before_restore: checks every frame the restore will read (or the whole file(s)); returns
  /// the bytes checked. Errc::corrupted naming the frame, nothing written.
  virtual Result<std::uint64_t> validate(const Selection& selection, const ValidationNeeds& needs) = 0;
  /// Sequential reads of a large restore: read the next frame ahead on a second thread.
  virtual void read_ahead(bool on) = 0;
  virtual std::uint64_t bytes_read() const = 0;
  /// The archive's size (a chain: every member's).
  virtual std::uint64_t file_size() const = 0;
};

/// One archive: opens it (version, trailer, index; Errc::wrong_key without the key of an encrypted
/// one) and reads its catalogue.
Result<std::unique_ptr<Source>> open_archive_source(const std::filesystem::path& archive,
                                                    const crypto::Secret* passphrase);

}  // namespace claudelens::restore
