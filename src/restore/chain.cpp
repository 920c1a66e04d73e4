#include "restore/chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "backup/documents.hpp"
#include "core/ids.hpp"
#include "format/grammar.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "ingest/line_parser.hpp"
#include "restore/catalogue.hpp"

namespace claudelens::restore {

namespace json = boost::json;

namespace {

/// One member of the chain being merged.
struct Member {
  ChainMember info;
  std::unique_ptr<format::ArchiveReader> reader;
  Catalogue catalogue;
  std::unordered_map<std::string, std::size_t> entry_tombstones;  ///< session id → its tombstones section
  std::unordered_set<std::string> deleted_sessions, deleted_projects, deleted_documents;  ///< docs: "coll/id"
};

/// A session of the synthetic archive: its newest catalogue document, the member it comes from, and
/// the first member whose entries count (after its latest deletion).
struct FinalSession {
  store::Session doc;
  std::size_t newest = 0;
  std::size_t base = 0;
};

bool matches_project(const store::Project& p, const std::vector<std::string>& what) {
  return std::any_of(what.begin(), what.end(), [&](const std::string& w) {
    return w == p.id || (!p.path.empty() && w == p.path) || w == p.name;
  });
}

class Synthesis {
 public:
  Synthesis(const std::vector<ChainMember>& chain, const SynthesisOptions& options)
      : m_chain(chain), m_options(options) {}

  Result<SynthesisOutcome> run() {
    if (m_chain.empty()) return fail(Errc::invalid_argument, "an empty backup chain");
    CL_CHECK(open_members());
    collect_projects();
    CL_CHECK(collect_sessions());
    collect_users();
    CL_CHECK(collect_documents());
    CL_CHECK(write());
    for (const auto& m : m_members) m_out.bytes_read += m.reader->bytes_read();
    return m_out;
  }

 private:
  bool cancelled() const { return m_options.cancelled && m_options.cancelled(); }

  std::string name(std::size_t i) const {
    return m_chain[i].backup_id.empty() ? m_chain[i].archive_id : m_chain[i].backup_id;
  }

  Status open_members() {
    m_members.resize(m_chain.size());
    for (std::size_t i = 0; i < m_chain.size(); ++i) {
      Member& m = m_members[i];
      m.info = m_chain[i];
      m_out.chain.push_back(m.info.archive_id);
      auto reader = format::ArchiveReader::open(m.info.file, {.passphrase = m_options.passphrase});
      if (!reader)
        return fail(Error(reader.error().code, fmt::format("chain member {}: {}", name(i), reader.error().message)));
      m.reader = std::move(*reader);
      if (m_options.verify_members || !m.info.registered) CL_CHECK(verify_member(i));
      auto catalogue = read_catalogue(*m.reader);
      if (!catalogue)
        return fail(
            Error(catalogue.error().code, fmt::format("chain member {}: {}", name(i), catalogue.error().message)));
      m.catalogue = std::move(*catalogue);
      if (m.catalogue.backup_id != m.info.archive_id)
        return fail(Errc::corrupted, fmt::format("chain member {}: the file holds backup {}, not {}", name(i),
                                                 m.catalogue.backup_id, m.info.archive_id));
      CL_CHECK(read_tombstones(i));
    }
    return {};
  }

  Status verify_member(std::size_t i) {
    Member& m = m_members[i];
    auto report = m.reader->verify([&](std::uint64_t, std::uint64_t) { return !cancelled(); });
    if (!report)
      return fail(Error(report.error().code, fmt::format("chain member {}: {}", name(i), report.error().message)));
    if (!m.info.checksum.empty() && report->sha256_hex != m.info.checksum)
      return fail(Errc::corrupted,
                  fmt::format("chain member {}: SHA-256 {} differs from the checksum {} its link names", name(i),
                              report->sha256_hex, m.info.checksum));
    m_out.bytes_verified += report->file_size;
    return {};
  }

  Status read_tombstones(std::size_t i) {
    Member& m = m_members[i];
    const auto& sections = m.reader->sections();
    for (std::size_t s = 0; s < sections.size(); ++s) {
      const auto& key = sections[s].key;
      if (key.collection != backup::k_tombstones) continue;
      if (!key.session_id.empty()) {
        m.entry_tombstones.emplace(key.session_id, s);
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
    return {};
  }

  /// True when a member after `i` deleted the session (or its project).
  bool deleted_after(std::size_t i, const store::Session& s) const {
    for (std::size_t j = i + 1; j < m_members.size(); ++j)
      if (m_members[j].deleted_sessions.contains(s.id) || m_members[j].deleted_projects.contains(s.project_id))
        return true;
    return false;
  }

  /// The first member whose entries of `s` count: the latest one, up to `newest`, that deleted it.
  std::size_t base_of(std::size_t newest, const store::Session& s) const {
    for (std::size_t j = newest; j > 0; --j)
      if (m_members[j].deleted_sessions.contains(s.id) || m_members[j].deleted_projects.contains(s.project_id))
        return j;
    return 0;
  }

  void collect_projects() {
    for (std::size_t i = m_members.size(); i-- > 0;) {
      for (const auto& p : m_members[i].catalogue.projects) {
        if (m_projects.contains(p.id) || m_dropped_projects.contains(p.id)) continue;
        bool deleted = false;
        for (std::size_t j = i + 1; j < m_members.size() && !deleted; ++j)
          deleted = m_members[j].deleted_projects.contains(p.id);
        if (deleted) {
          m_dropped_projects.insert(p.id);
        } else {
          m_projects.emplace(p.id, p);
        }
      }
    }
  }

  bool selected(const store::Session& s) const {
    const Selections& sel = m_options.selections;
    if (sel.sessions.empty() && sel.projects.empty()) return true;
    if (std::find(sel.sessions.begin(), sel.sessions.end(), s.id) != sel.sessions.end()) return true;
    const auto p = m_projects.find(s.project_id);
    return p != m_projects.end() && matches_project(p->second, sel.projects);
  }

  Status collect_sessions() {
    std::unordered_set<std::string> decided;
    for (std::size_t i = m_members.size(); i-- > 0;) {
      Member& m = m_members[i];
      CL_CHECK(for_each_archived_session(*m.reader, m.catalogue, 0, [&](std::uint64_t, store::Session& s) {
        if (!decided.insert(s.id).second) return true;
        if (deleted_after(i, s) || !m_projects.contains(s.project_id) || !selected(s)) return true;
        m_sessions.emplace(s.id, FinalSession{s, i, base_of(i, s)});
        return true;
      }));
      if (cancelled()) return fail(Errc::cancelled, "restore cancelled: nothing was changed");
    }
    return {};
  }

  void collect_users() {
    for (std::size_t i = m_members.size(); i-- > 0;)
      for (const auto& u : m_members[i].catalogue.users) m_users.emplace(u.id, u);
  }

  Status collect_documents() {
    std::unordered_set<std::string> decided;
    for (std::size_t i = m_members.size(); i-- > 0;) {
      Member& m = m_members[i];
      for (std::size_t s : m.catalogue.document_sections) {
        Status inner;
        CL_CHECK(m.reader->read_section(m.reader->sections()[s], [&](std::string_view doc) {
          auto d = backup::decode_document(doc);
          if (!d) {
            inner = fail(std::move(d).error());
            return false;
          }
          const std::string collection(store::collection_name(d->collection));
          const std::string key = collection + "/" + d->document.id;
          if (!decided.insert(key).second) return true;
          for (std::size_t j = i + 1; j < m_members.size(); ++j)
            if (m_members[j].deleted_documents.contains(key)) return true;
          m_documents[collection].emplace(d->document.id, std::string(doc));
          return true;
        }));
        CL_CHECK(inner);
      }
    }
    return {};
  }

  // ---- writing ---------------------------------------------------------------------------------------

  std::string header_json() const {
    const Member& leaf = m_members.back();
    json::object h;
    boost::system::error_code ec;
    if (auto v = json::parse(leaf.reader->header_json(), ec); !ec && v.is_object()) h = std::move(v.as_object());
    h["type"] = m_members.front().catalogue.type;
    h["parent_backup_id"] = nullptr;
    h.erase("parent_checksum");
    h.erase("encryption");
    json::array chain;
    for (const auto& id : m_out.chain) chain.emplace_back(id);
    h["chain"] = std::move(chain);
    return json::serialize(h);
  }

  Status write() {
    const Member& leaf = m_members.back();
    format::WriterOptions wo;
    wo.level = 1;  // read once, right away, by the restore: speed over size
    if (leaf.reader->encrypted()) wo.encryption.passphrase = m_options.passphrase;
    const auto final_path =
        leaf.info.file.parent_path() /
        fmt::format(".chain-{}{}{}", leaf.info.archive_id, format::k_partial_infix, to_hex(random_bytes(8)));
    CL_TRY(writer, format::ArchiveWriter::create(final_path, header_json(), wo));
    m_writer = std::move(writer);
    std::string doc;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts;  // session → messages, records
    for (const auto& [id, s] : m_sessions) {
      CL_TRY(c, write_session(s));
      counts.emplace(id, c);
    }
    CL_CHECK(m_writer->begin_section({std::string(backup::k_sessions), "", "", ""}));
    for (const auto& [id, s] : m_sessions) {
      doc.clear();
      const auto& c = counts.at(id);
      backup::encode_session(s.doc, c.first, c.second, doc);
      CL_CHECK(m_writer->append(doc, s.doc.started_at));
    }
    CL_CHECK(m_writer->begin_section({std::string(backup::k_projects), "", "", ""}));
    for (const auto& [id, p] : m_projects) {
      doc.clear();
      backup::encode_project(p, doc);
      CL_CHECK(m_writer->append(doc));
    }
    for (std::string_view c : {"prompt_folders", "prompts", "ai_settings"}) {
      const auto it = m_documents.find(std::string(c));
      if (it == m_documents.end()) continue;
      CL_CHECK(m_writer->begin_section({std::string(c), "", "", ""}));
      for (const auto& [id, raw] : it->second) CL_CHECK(m_writer->append(raw));
    }
    CL_CHECK(m_writer->begin_section({std::string(backup::k_users), "", "", ""}));
    for (const auto& [id, u] : m_users) {
      doc.clear();
      backup::encode_user(u, doc);
      CL_CHECK(m_writer->append(doc));
    }
    json::object manifest{{"format_version", format::k_format_version},
                          {"backup_id", leaf.info.archive_id},
                          {"type", m_members.front().catalogue.type},
                          {"synthetic", true},
                          {"sessions", m_sessions.size()}};
    auto written = m_writer->finish(json::serialize(manifest));
    m_writer.reset();
    if (!written) return fail(std::move(written).error());
    m_out.file = written->path;
    m_out.sha256_hex = written->sha256_hex;
    return {};
  }

  /// The keys of one session's entries section (or tombstones section) of member `i`.
  Status for_each_key(std::size_t i, std::size_t section, bool tombstones,
                      const std::function<void(const std::string&)>& visit) {
    Member& m = m_members[i];
    Status inner;
    CL_CHECK(m.reader->read_section(m.reader->sections()[section], [&](std::string_view doc) {
      if (tombstones) {
        auto t = backup::decode_tombstone(doc);
        if (!t) inner = fail(std::move(t).error());
        if (t) visit(t->id);
      } else {
        auto e = backup::decode_entry(doc);
        if (!e) inner = fail(std::move(e).error());
        if (e) visit(e->key);
      }
      return inner.has_value();
    }));
    return inner;
  }

  /// Writes one session's entries: member by member from its base, each entry unless a later member
  /// holds or deleted the same key. Returns (messages, records) written.
  Result<std::pair<std::int64_t, std::int64_t>> write_session(const FinalSession& s) {
    if (cancelled()) return fail(Errc::cancelled, "restore cancelled: nothing was changed");
    const std::string& id = s.doc.id;
    std::vector<std::pair<std::size_t, std::size_t>> parts;  // (member, entries section)
    for (std::size_t k = s.base; k <= s.newest; ++k)
      if (auto section = entry_section(m_members[k].catalogue, *m_members[k].reader, id); !section)
        return fail(std::move(section).error());
      else if (*section)
        parts.emplace_back(k, **section);
    // The newest member that holds or deleted each key, among those after the first part.
    std::unordered_map<std::string, std::size_t> last;
    const std::size_t first = parts.empty() ? s.base : parts.front().first;
    for (std::size_t k = first + 1; k < m_members.size(); ++k) {
      const auto note = [&](const std::string& key) { last[key] = k; };
      for (const auto& [member, section] : parts)
        if (member == k) CL_CHECK(for_each_key(k, section, false, note));
      if (auto t = m_members[k].entry_tombstones.find(id); t != m_members[k].entry_tombstones.end())
        CL_CHECK(for_each_key(k, t->second, true, note));
    }
    CL_CHECK(m_writer->begin_section({std::string(backup::k_entries), s.doc.owner_id, s.doc.project_id, id}));
    std::int64_t messages = 0, records = 0;
    ingest::ParsedLine parsed;
    for (const auto& [member, section] : parts) {
      const auto k = member;  // a copy: clang 14 (the fuzz build) cannot capture a structured binding
      Member& m = m_members[k];
      Status inner;
      CL_CHECK(m.reader->read_section(m.reader->sections()[section], [&](std::string_view doc) {
        auto e = backup::decode_entry(doc);
        if (!e) {
          inner = fail(std::move(e).error());
          return false;
        }
        if (const auto it = last.find(e->key); it != last.end() && it->second > k) return true;
        std::optional<TimeMs> ts;
        if (m_parser.parse(e->line, parsed)) ts = parsed.entry.timestamp;
        inner = m_writer->append(doc, ts);
        (e->has_uuid ? messages : records) += 1;
        return inner.has_value();
      }));
      CL_CHECK(inner);
    }
    CL_CHECK(m_writer->end_section());
    return std::pair{messages, records};
  }

  const std::vector<ChainMember>& m_chain;
  const SynthesisOptions& m_options;
  std::vector<Member> m_members;
  std::map<std::string, store::Project> m_projects;
  std::unordered_set<std::string> m_dropped_projects;
  std::map<std::string, FinalSession> m_sessions;
  std::map<std::string, store::User> m_users;
  std::map<std::string, std::map<std::string, std::string>> m_documents;  ///< collection → id → document
  std::unique_ptr<format::ArchiveWriter> m_writer;
  ingest::LineParser m_parser;
  SynthesisOutcome m_out;
};

}  // namespace

Result<SynthesisOutcome> synthesize_chain(const std::vector<ChainMember>& chain, const SynthesisOptions& options) {
  Synthesis synthesis(chain, options);
  return synthesis.run();
}

}  // namespace claudelens::restore
