#include "restore/chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "backup/documents.hpp"
#include "format/reader.hpp"
#include "restore/catalogue.hpp"

namespace claudelens::restore {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// The single archive's refusal (restore/catalogue.cpp select), for a member: a ClaudeLens archive lists
/// each session once.
std::string listed_twice(std::string_view session_id) {
  return fmt::format("archive: session '{}' is listed twice", session_id);
}

/// One member of the chain.
struct Member {
  ChainMember info;
  std::unique_ptr<format::ArchiveReader> reader;
  Catalogue catalogue;
  /// Indexes of its ("tombstones", …, session) sections, sorted by session id.
  std::vector<std::uint32_t> entry_tombstones;
  std::unordered_set<std::string> deleted_sessions, deleted_projects, deleted_documents;  ///< docs: "coll/id"
  bool verified = false;                                                                  ///< checked whole already
  std::vector<bool> needed;  ///< frames the selected sessions need (validation of a partial restore)
};

/// A session whose newest catalogue document is in an incremental (and that is alive at the leaf).
struct Newer {
  store::Session doc;
  std::uint32_t newest = 0;   ///< the member holding `doc`
  std::uint32_t base = 0;     ///< the first member whose entries count (after its latest deletion)
  std::uint32_t ordinal = 0;  ///< `doc`'s ordinal in that member's catalogue
  bool placed = false;
};

/// A session of the chain, in the order a restore goes through them: the root's sessions in the root's
/// catalogue order (a newer copy, when there is one, in place of the root's), then the sessions the
/// incrementals added, member by member.
struct Ref {
  std::uint32_t root_ordinal = std::numeric_limits<std::uint32_t>::max();  ///< none: not in the root
  const Newer* newer = nullptr;
};

class ChainSource final : public Source {
 public:
  ChainSource(const std::vector<ChainMember>& chain, const crypto::Secret* passphrase, const std::atomic<bool>* cancel)
      : m_chain(chain), m_passphrase(passphrase), m_cancel(cancel) {}

  Status open() {
    if (m_chain.empty()) return fail(Errc::invalid_argument, "an empty backup chain");
    if (m_chain.size() > std::numeric_limits<std::uint32_t>::max())
      return fail(Errc::invalid_argument, "a backup chain too long");
    CL_CHECK(open_members());
    merge_projects();
    merge_users();
    CL_CHECK(order_sessions());
    const Member& leaf = m_members.back();
    m_catalogue.backup_id = leaf.catalogue.backup_id;
    m_catalogue.created_at = leaf.catalogue.created_at;
    m_catalogue.type = m_members.front().catalogue.type;
    m_catalogue.date_range = m_members.front().catalogue.date_range;
    for (const auto& m : m_members) m_catalogue.document_section_docs += m.catalogue.document_section_docs;
    return {};
  }

  const Catalogue& catalogue() const override { return m_catalogue; }

  Result<Selection> select(const Selections& sel) override {
    Selection out = selection_of(sel);
    for (auto& m : m_members) m.needed.assign(m.reader->frames().size(), false);
    const auto& projects = m_catalogue.projects;
    std::unordered_set<std::size_t> chosen_projects;
    Status failed;
    CL_CHECK(for_each_final(0, [&](std::uint64_t index, store::Session& s) {
      const std::optional<std::uint32_t> ordinal = m_catalogue.project_ordinal(s.project_id);
      if (!ordinal) {  // for_each_final yields only sessions of the merged catalogue's projects
        failed = fail(Errc::corrupted, fmt::format("chain: session '{}' names an unknown project", s.id));
        return false;
      }
      const std::size_t project = *ordinal;
      if (!considers_session(sel, projects[project], s)) return true;
      auto found = parts_of(s.id);
      if (!found) {
        failed = fail(std::move(found).error());
        return false;
      }
      const auto parts = std::move(*found);
      if (sel.from || sel.to) {  // the time range of its entries (in every member) must meet the selected one
        std::optional<TimeMs> lo, hi;
        for (const auto& [k, section] : parts) {
          const auto& info = m_members[k].reader->sections()[section];
          if (!info.min_time) continue;
          lo = std::min(lo.value_or(*info.min_time), *info.min_time);
          hi = std::max(hi.value_or(*info.max_time), *info.max_time);
        }
        if (!lo) return true;
        if (sel.from && *hi < *sel.from) return true;
        if (sel.to && *lo >= *sel.to) return true;
      }
      out.sessions.push_back(static_cast<std::uint32_t>(index));
      for (const auto& [k, section] : parts) {
        const auto& info = m_members[k].reader->sections()[section];
        mark(k, info);
        out.entry_documents += info.documents;
        out.entry_bytes += info.content_size;
      }
      for (std::size_t k = 0; k < m_members.size(); ++k)
        if (auto t = tombstones_of(k, s.id)) mark(k, m_members[k].reader->sections()[*t]);
      chosen_projects.insert(project);
      if (out.first_sessions.size() < k_session_batch) out.first_sessions.push_back(std::move(s));
      return true;
    }));
    CL_CHECK(failed);
    choose_projects(sel, projects, chosen_projects, out);
    m_selected_all = out.sessions.size() == m_order.size();
    return out;
  }

  Result<bool> lists_session(const Selection&, std::string_view id) override {
    if (m_newer.contains(std::string(id))) return true;
    const Member& root = m_members.front();
    CL_TRY(pos, entry_section(root.catalogue, *root.reader, id));
    if (pos) return *pos < m_root_alive.size() && m_root_alive[*pos];
    return contains(m_root_alive_without_entries, id);
  }

  Status read_session_batch(const Selection& selection, std::size_t first,
                            std::vector<store::Session>& batch) override {
    return collect_session_batch(selection, first, batch, [&](std::uint64_t from, const ArchivedSessionVisit& visit) {
      return for_each_final(from, visit);
    });
  }

  /// Member by member from the session's base: each entry unless a later member holds the same key
  /// (a newer version) or deleted it.
  Status for_each_entry(const store::Session& session, const format::DocumentSink& sink) override {
    if (cancelled()) return fail(Errc::cancelled, "restore cancelled: nothing was changed");
    const std::string& id = session.id;
    CL_TRY(parts, parts_of(id));
    // The newest member that holds or deleted each key, among those after the first part.
    std::unordered_map<std::string, std::uint32_t> last;
    const std::size_t first = parts.empty() ? base_of_session(id) : parts.front().first;
    for (std::size_t k = first + 1; k < m_members.size(); ++k) {
      const auto note = [&](std::string key) { last[std::move(key)] = static_cast<std::uint32_t>(k); };
      for (const auto& [member, section] : parts)
        if (member == k) {
          use(k);
          CL_CHECK(for_each_key(k, section, false, note));
        }
      if (auto t = tombstones_of(k, id)) {
        use(k);
        CL_CHECK(for_each_key(k, *t, true, note));
      }
    }
    bool stopped = false;
    for (const auto& [member, section] : parts) {
      const std::size_t k = member;  // a copy: clang 14 (the fuzz build) cannot capture a structured binding
      use(k);
      Status inner;
      CL_CHECK(m_members[k].reader->read_section(m_members[k].reader->sections()[section], [&](std::string_view doc) {
        if (!last.empty()) {
          auto e = backup::decode_entry(doc, backup::LineCheck::parsed_by_caller);
          if (!e) {
            inner = fail(std::move(e).error());
            return false;
          }
          if (const auto it = last.find(e->key); it != last.end() && it->second > k) return true;
        }
        stopped = !sink(doc);
        return !stopped;
      }));
      CL_CHECK(inner);
      if (stopped) break;
    }
    return {};
  }

  /// A session no incremental changed: the root's catalogue and index. Else its entries, counted.
  Result<EntryTotals> entry_totals(const store::Session& session) override {
    bool changed = m_newer.contains(session.id);
    for (std::size_t k = 1; k < m_members.size() && !changed; ++k) changed = tombstones_of(k, session.id).has_value();
    if (!changed) {
      EntryTotals totals{session.message_count, session.records_count, 0};
      Member& root = m_members.front();
      CL_TRY(index, entry_section(root.catalogue, *root.reader, session.id));
      if (index) {
        CL_TRY(section, root.reader->section(*index));
        totals.bytes = section.content_size;
      }
      return totals;
    }
    EntryTotals totals;
    Status inner;
    CL_CHECK(for_each_entry(session, [&](std::string_view doc) {
      auto e = backup::decode_entry(doc, backup::LineCheck::parsed_by_caller);
      if (!e) {
        inner = fail(std::move(e).error());
        return false;
      }
      (e->has_uuid ? totals.messages : totals.records) += 1;
      totals.bytes += doc.size() + 1;
      return true;
    }));
    CL_CHECK(inner);
    return totals;
  }

  /// Newest member first: each document unless a newer member holds it or a later one deleted it.
  Status for_each_document(const format::DocumentSink& sink) override {
    std::unordered_map<std::string, std::size_t> decided;  // "collection/id" → the member that listed it first
    for (std::size_t i = m_members.size(); i-- > 0;) {
      Member& m = m_members[i];
      for (std::size_t s : m.catalogue.document_sections) {
        Status inner;
        bool stopped = false;
        CL_CHECK(m.reader->read_section(m.reader->sections()[s], [&](std::string_view doc) {
          auto d = backup::decode_document(doc);
          if (!d) {
            inner = fail(std::move(d).error());
            return false;
          }
          const std::string_view collection = store::collection_name(d->collection);
          std::string key = std::string(collection) + "/" + d->document.id;
          const auto [at, first] = decided.emplace(key, i);
          if (!first && at->second == i) {  // refused as the single archive's restore_document refuses it
            inner = fail(member_error(i, Error(Errc::corrupted, fmt::format("archive: {} document '{}' is listed twice",
                                                                            collection, d->document.id))));
            return false;
          }
          if (!first) return true;  // a newer member holds it
          for (std::size_t j = i + 1; j < m_members.size(); ++j)
            if (m_members[j].deleted_documents.contains(key)) return true;
          stopped = !sink(doc);
          return !stopped;
        }));
        CL_CHECK(inner);
        if (stopped) return {};
      }
      if (i > 0) m.reader->release_buffers();
    }
    return {};
  }

  /// The audit lines the members hold, root first (the log is append-only: a full restore adds each line
  /// whose id the store lacks, restorer.cpp restore_audit). Only the root's full backup carries the log.
  Status for_each_audit(const format::DocumentSink& sink) override {
    bool stopped = false;
    const format::DocumentSink until_stopped = [&](std::string_view doc) { return !(stopped = !sink(doc)); };
    for (std::size_t k = 0; k < m_members.size() && !stopped; ++k) {
      Member& m = m_members[k];
      for (std::size_t s : m.catalogue.audit_sections) {
        use(k);
        CL_TRY(section, m.reader->section(s));
        CL_CHECK(m.reader->read_section(section, until_stopped));
        if (stopped) break;
      }
    }
    return {};
  }

  Result<std::uint64_t> validate(const Selection&, const ValidationNeeds& needs) override {
    std::uint64_t bytes = m_verified_at_open;
    auto keep_going = [&](std::uint64_t, std::uint64_t) { return !cancelled(); };
    if (m_selected_all || needs.verify_all) {
      // The restore reads (nearly) every member whole: each one's SHA-256 against the checksum its
      // child names (the leaf: its registered checksum) and the trailer's digest.
      for (std::size_t i = 0; i < m_members.size(); ++i) {
        if (m_members[i].verified) continue;
        CL_TRY(b, verify_member(i, /*decompress=*/needs.verify_all));
        bytes += b;
      }
      return bytes;
    }
    for (std::size_t i = 0; i < m_members.size(); ++i) {
      Member& m = m_members[i];
      if (m.verified) continue;
      std::vector<bool> reads = m.needed;
      if (needs.documents)
        for (std::size_t s : m.catalogue.document_sections) mark(i, m.reader->sections()[s], reads);
      if (needs.audit)
        for (std::size_t s : m.catalogue.audit_sections) mark(i, m.reader->sections()[s], reads);
      std::vector<std::size_t> frames;
      for (std::size_t f = 0; f < reads.size(); ++f)
        if (reads[f] && !m_read_at_open[i][f]) frames.push_back(f);
      auto checked = m.reader->verify_frames(frames, keep_going);
      if (!checked) return fail(member_error(i, std::move(checked).error()));
      bytes += *checked;
      if (i > 0) m.reader->release_buffers();
    }
    return bytes;
  }

  void read_ahead(bool on) override { m_members.front().reader->read_ahead(on); }

  std::uint64_t bytes_read() const override {
    std::uint64_t n = 0;
    for (const auto& m : m_members) n += m.reader->bytes_read();
    return n;
  }

  std::uint64_t file_size() const override {
    std::uint64_t n = 0;
    for (const auto& m : m_members) n += m.reader->file_size();
    return n;
  }

 private:
  bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }

  /// About to read member `k`: an incremental's frame buffers are kept only while it is one of the two
  /// read last, so that memory does not grow with the number of members (the root's are always kept:
  /// most sessions are read from it, in order). Two, not one: a session in two incrementals is read
  /// from both in turn (the later one's keys first, then each part), and with one the later member's
  /// frame was decompressed twice for every such session.
  void use(std::size_t k) {
    if (k == 0 || m_hot[0] == k) return;
    if (m_hot[1] != k && m_hot[1] > 0) m_members[m_hot[1]].reader->release_buffers();
    m_hot[1] = m_hot[0];
    m_hot[0] = k;
  }

  std::string name(std::size_t i) const {
    return m_chain[i].backup_id.empty() ? m_chain[i].archive_id : m_chain[i].backup_id;
  }

  Error member_error(std::size_t i, Error e) const {
    return Error(e.code, fmt::format("chain member {}: {}", name(i), e.message));
  }

  Status open_members() {
    m_members.resize(m_chain.size());
    m_read_at_open.resize(m_chain.size());
    for (std::size_t i = 0; i < m_chain.size(); ++i) {
      Member& m = m_members[i];
      m.info = m_chain[i];
      auto reader = format::ArchiveReader::open(m.info.file, {.passphrase = m_passphrase});
      if (!reader) return fail(member_error(i, std::move(reader).error()));
      m.reader = std::move(*reader);
      // Nothing vouches for a parent that this store does not know: its whole file, first.
      if (!m.info.registered) {
        // Every frame's SHA-256 against the index, the trailer's digest and the file's SHA-256 against the
        // checksum the child names: the bytes are the ones written (each frame is decompressed, and
        // zstd's own checksum checked, when the restore reads it).
        CL_TRY(verified, verify_member(i, /*decompress=*/false));
        m_verified_at_open += verified;
      }
      auto catalogue = read_catalogue(*m.reader);
      if (!catalogue) return fail(member_error(i, std::move(catalogue).error()));
      m.catalogue = std::move(*catalogue);
      if (m.catalogue.backup_id != m.info.archive_id)
        return fail(Errc::corrupted, fmt::format("chain member {}: the file holds backup {}, not {}", name(i),
                                                 m.catalogue.backup_id, m.info.archive_id));
      auto tombstones = read_tombstones(i);
      if (!tombstones) return fail(member_error(i, std::move(tombstones).error()));
      // What open() read is checked already (each frame as it is read).
      const auto& sections = m.reader->sections();
      auto& read = m_read_at_open[i];
      read.assign(m.reader->frames().size(), false);
      for (std::size_t s = 0; s < sections.size(); ++s) {
        const std::string& col = sections[s].key.collection;
        if (col == backup::k_users || col == backup::k_projects || col == backup::k_sessions ||
            (col == backup::k_tombstones && sections[s].key.session_id.empty()))
          mark(i, sections[s], read);
      }
      m.reader->release_buffers();
    }
    return {};
  }

  Result<std::uint64_t> verify_member(std::size_t i, bool decompress) {
    Member& m = m_members[i];
    auto report = m.reader->verify([&](std::uint64_t, std::uint64_t) { return !cancelled(); }, decompress);
    if (!report) return fail(member_error(i, std::move(report).error()));
    if (!m.info.checksum.empty() && report->sha256_hex != m.info.checksum)
      return fail(Errc::corrupted,
                  fmt::format("chain member {}: SHA-256 {} differs from the checksum {} its link names", name(i),
                              report->sha256_hex, m.info.checksum));
    m.verified = true;
    m.reader->release_buffers();  // verify leaves its last frame's buffers
    return report->file_size;
  }

  Status read_tombstones(std::size_t i) {
    Member& m = m_members[i];
    const auto& sections = m.reader->sections();
    for (std::size_t s = 0; s < sections.size(); ++s) {
      const auto& key = sections[s].key;
      if (key.collection != backup::k_tombstones) continue;
      if (!key.session_id.empty()) {
        m.entry_tombstones.push_back(static_cast<std::uint32_t>(s));
        continue;
      }
      Status inner;
      CL_CHECK(m.reader->read_section(sections[s], [&](std::string_view doc) {
        auto t = backup::decode_tombstone(doc);
        if (!t) {
          inner = fail(std::move(t).error());
          return false;
        }
        if (t->kind == "session") {
          m.deleted_sessions.insert(t->id);
        } else if (t->kind == "project") {
          m.deleted_projects.insert(t->id);
        } else if (t->kind != "entry") {
          m.deleted_documents.insert(t->kind + "/" + t->id);
        }
        return true;
      }));
      CL_CHECK(inner);
    }
    std::stable_sort(m.entry_tombstones.begin(), m.entry_tombstones.end(), [&](std::uint32_t a, std::uint32_t b) {
      return sections[a].key.session_id < sections[b].key.session_id;
    });
    return {};
  }

  /// Member `k`'s entry-tombstones section of session `id`, if it has one.
  std::optional<std::size_t> tombstones_of(std::size_t k, std::string_view id) const {
    const auto& v = m_members[k].entry_tombstones;
    const auto& sections = m_members[k].reader->sections();
    const auto it = std::lower_bound(v.begin(), v.end(), id, [&](std::uint32_t s, std::string_view x) {
      return std::string_view(sections[s].key.session_id) < x;
    });
    if (it == v.end() || sections[*it].key.session_id != id) return std::nullopt;
    return *it;
  }

  void mark(std::size_t k, const format::SectionInfo& info) { mark(k, info, m_members[k].needed); }
  void mark(std::size_t k, const format::SectionInfo& info, std::vector<bool>& bits) const {
    const std::size_t frames = m_members[k].reader->frames().size();
    for (std::uint64_t f = info.first_frame; f < info.first_frame + info.frame_count && f < frames && f < bits.size();
         ++f)
      bits[f] = true;
  }

  /// True when member `j` deleted the session (or its project).
  bool deletes(std::size_t j, const std::string& id, const std::string& project_id) const {
    return m_members[j].deleted_sessions.contains(id) || m_members[j].deleted_projects.contains(project_id);
  }

  bool deleted_after(std::size_t i, const store::Session& s) const {
    for (std::size_t j = i + 1; j < m_members.size(); ++j)
      if (deletes(j, s.id, s.project_id)) return true;
    return false;
  }

  /// The first member whose entries of `s` count: the latest one, up to `newest`, that deleted it.
  std::uint32_t base_of(std::size_t newest, const store::Session& s) const {
    for (std::size_t j = newest; j > 0; --j)
      if (deletes(j, s.id, s.project_id)) return static_cast<std::uint32_t>(j);
    return 0;
  }

  std::uint32_t base_of_session(const std::string& id) const {
    const auto it = m_newer.find(id);
    return it == m_newer.end() ? 0 : it->second.base;
  }

  /// The (member, entries section) pairs holding the session's entries, from its base to its newest.
  Result<std::vector<std::pair<std::size_t, std::size_t>>> parts_of(const std::string& id) const {
    std::size_t newest = 0, base = 0;
    if (const auto it = m_newer.find(id); it != m_newer.end()) {
      newest = it->second.newest;
      base = it->second.base;
    }
    std::vector<std::pair<std::size_t, std::size_t>> parts;
    for (std::size_t k = base; k <= newest; ++k) {
      CL_TRY(section, entry_section(m_members[k].catalogue, *m_members[k].reader, id));
      if (section) parts.emplace_back(k, *section);
    }
    return parts;
  }

  /// The keys of one entries section (or entry-tombstones section) of member `k`.
  Status for_each_key(std::size_t k, std::size_t section, bool tombstones,
                      const std::function<void(std::string)>& visit) {
    Member& m = m_members[k];
    Status inner;
    CL_CHECK(m.reader->read_section(m.reader->sections()[section], [&](std::string_view doc) {
      if (tombstones) {
        auto t = backup::decode_tombstone(doc);
        if (!t) inner = fail(std::move(t).error());
        if (t) visit(std::move(t->id));
      } else {
        auto e = backup::decode_entry(doc, backup::LineCheck::parsed_by_caller);
        if (!e) inner = fail(std::move(e).error());
        if (e) visit(std::move(e->key));
      }
      return inner.has_value();
    }));
    return inner;
  }

  /// Projects: the newest copy of each, minus those a later member deleted (by id).
  void merge_projects() {
    std::map<std::string, store::Project> projects;
    std::unordered_set<std::string> dropped;
    for (std::size_t i = m_members.size(); i-- > 0;) {
      for (auto& p : m_members[i].catalogue.projects) {
        if (projects.contains(p.id) || dropped.contains(p.id)) continue;
        bool deleted = false;
        for (std::size_t j = i + 1; j < m_members.size() && !deleted; ++j)
          deleted = m_members[j].deleted_projects.contains(p.id);
        if (deleted) {
          dropped.insert(p.id);
        } else {
          projects.emplace(p.id, p);
        }
      }
    }
    for (auto& [id, p] : projects) {
      m_catalogue.project_ids.insert(id);
      m_catalogue.project_index.add(id);  // Catalogue::project_ordinal (ids unique: keys of the map)
      m_catalogue.projects.push_back(std::move(p));
    }
    (void)m_catalogue.project_index.finish();
  }

  void merge_users() {
    std::map<std::string, store::User> users;
    for (std::size_t i = m_members.size(); i-- > 0;)
      for (const auto& u : m_members[i].catalogue.users) users.emplace(u.id, u);
    for (auto& [id, u] : users) m_catalogue.users.push_back(std::move(u));
    // The members' own copies are not needed any more (the root's may be large).
    for (auto& m : m_members) {
      std::vector<store::User>().swap(m.catalogue.users);
      std::vector<store::Project>().swap(m.catalogue.projects);
    }
  }

  /// Decides which catalogue document of each session counts (the newest, unless a later member deleted
  /// the session or its project) and the order a restore goes through them.
  Status order_sessions() {
    // The sessions the incrementals list, and which member listed each first (newest first).
    std::unordered_map<std::string, std::uint32_t> decided;
    Status failed;
    for (std::size_t i = m_members.size(); i-- > 1;) {
      Member& m = m_members[i];
      CL_CHECK(for_each_archived_session(*m.reader, m.catalogue, 0, [&](std::uint64_t ordinal, store::Session& s) {
        const auto [at, first] = decided.emplace(s.id, static_cast<std::uint32_t>(i));
        if (!first && at->second == i) {  // a ClaudeLens archive lists each session once, as the root's check below
          failed = fail(member_error(i, Error(Errc::corrupted, listed_twice(s.id))));
          return false;
        }
        if (!first) return true;
        if (deleted_after(i, s) || !m_catalogue.project_ids.contains(s.project_id)) return true;
        const std::uint32_t base = base_of(i, s);
        std::string id = s.id;
        m_newer.emplace(std::move(id),
                        Newer{std::move(s), static_cast<std::uint32_t>(i), base, static_cast<std::uint32_t>(ordinal)});
        return true;
      }));
      CL_CHECK(failed);
      m.reader->release_buffers();
      if (cancelled()) return fail(Errc::cancelled, "restore cancelled: nothing was changed");
    }
    Member& root = m_members.front();
    m_root_alive.assign(root.catalogue.section_count, false);
    // Every root session's entries section, listed or not at the leaf: a session listed twice is refused
    // as the single archive's selection refuses it (restore/catalogue.cpp select), a bit per section.
    std::vector<bool> listed(root.catalogue.section_count, false);
    CL_CHECK(for_each_archived_session(*root.reader, root.catalogue, 0, [&](std::uint64_t ordinal, store::Session& s) {
      const auto o = static_cast<std::uint32_t>(ordinal);
      auto pos = entry_section(root.catalogue, *root.reader, s.id);
      if (!pos) {
        failed = fail(std::move(pos).error());
        return false;
      }
      if (*pos && **pos < listed.size()) {
        if (listed[**pos]) {
          failed = fail(member_error(0, Error(Errc::corrupted, listed_twice(s.id))));
          return false;
        }
        listed[**pos] = true;
      }
      if (decided.contains(s.id)) {
        if (const auto it = m_newer.find(s.id); it != m_newer.end() && !it->second.placed) {
          it->second.placed = true;
          m_order.push_back({o, &it->second});
        }
        return true;
      }
      if (deleted_after(0, s) || !m_catalogue.project_ids.contains(s.project_id)) return true;
      m_order.push_back({o, nullptr});
      if (*pos) {
        m_root_alive[**pos] = true;
      } else {
        m_root_alive_without_entries.push_back(s.id);
      }
      return true;
    }));
    CL_CHECK(failed);
    m_root_refs = m_order.size();
    std::vector<const Newer*> added;
    for (const auto& [id, n] : m_newer)
      if (!n.placed) added.push_back(&n);
    std::sort(added.begin(), added.end(), [](const Newer* a, const Newer* b) {
      return std::pair(a->newest, a->ordinal) < std::pair(b->newest, b->ordinal);
    });
    for (const Newer* n : added) m_order.push_back({std::numeric_limits<std::uint32_t>::max(), n});
    return {};
  }

  /// The chain's sessions in order from `from` (an index into m_order): visit(index, session).
  Status for_each_final(std::size_t from, const ArchivedSessionVisit& visit) {
    std::size_t i = from;
    if (i < m_root_refs) {
      Member& root = m_members.front();
      bool stopped = false;
      CL_CHECK(for_each_archived_session(*root.reader, root.catalogue, m_order[i].root_ordinal,
                                         [&](std::uint64_t ordinal, store::Session& s) {
                                           if (ordinal != m_order[i].root_ordinal) return true;
                                           const std::size_t index = i++;
                                           bool go;
                                           if (m_order[index].newer) {
                                             store::Session copy = m_order[index].newer->doc;
                                             go = visit(index, copy);
                                           } else {
                                             go = visit(index, s);
                                           }
                                           stopped = !go;
                                           return go && i < m_root_refs;
                                         }));
      if (stopped) return {};
      if (i < m_root_refs)
        return fail(Errc::corrupted, "archive: the sessions catalogue of the chain's root ended early");
    }
    for (; i < m_order.size(); ++i) {
      store::Session copy = m_order[i].newer->doc;
      if (!visit(i, copy)) return {};
    }
    return {};
  }

  const std::vector<ChainMember>& m_chain;
  const crypto::Secret* m_passphrase;
  const std::atomic<bool>* m_cancel;
  std::vector<Member> m_members;
  std::vector<std::vector<bool>> m_read_at_open;  ///< per member: the frames open() read (and checked)
  Catalogue m_catalogue;  ///< the merged users and projects; the root's type and date range, the leaf's id
  std::unordered_map<std::string, Newer> m_newer;
  std::vector<bool> m_root_alive;  ///< per root section (set on its entries sections): listed at the leaf
  std::vector<std::string> m_root_alive_without_entries;
  std::vector<Ref> m_order;
  std::size_t m_root_refs = 0;  ///< m_order[0, m_root_refs) are the root's sessions
  bool m_selected_all = false;
  std::array<std::size_t, 2> m_hot{};    ///< the incrementals whose frame buffers are kept, last used first (0: none)
  std::uint64_t m_verified_at_open = 0;  ///< bytes of members checked whole by open()
};

}  // namespace

Result<std::unique_ptr<Source>> open_chain_source(const std::vector<ChainMember>& chain,
                                                  const crypto::Secret* passphrase, const std::atomic<bool>* cancel) {
  auto source = std::make_unique<ChainSource>(chain, passphrase, cancel);
  CL_CHECK(source->open());
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace claudelens::restore
