#include "ingest/ingester.hpp"

#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/test_hooks.hpp"
#include "ingest/line_parser.hpp"
#include "ingest/line_reader.hpp"

namespace claudelens::ingest {
namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// What one file did to one session.
struct SessionTouch {
  bool has_new = false;          ///< an entry was added
  bool new_messages = false;     ///< a message was added (may be the leaf a summary points at)
  bool summary_records = false;  ///< the file holds `summary` records for it
};

/// Ingests one file in one transaction. Holds the per-file state: the project, the sessions touched
/// and the occurrence counts of identical records without a uuid.
class FileIngest {
 public:
  FileIngest(store::Writer& writer, const SourceFile& file, const IngestOptions& options, LineParser& parser,
             IngestReport& report, KillSwitch& kill)
      : m_writer(writer), m_file(file), m_options(options), m_parser(parser), m_report(report), m_kill(kill) {}

  Status run(LineReader& reader) {
    for (;;) {
      CL_TRY(line, reader.next());
      if (!line) break;
      CL_CHECK(add_line(*line));
    }
    return finish();
  }

  const std::string& project_id() const { return m_project_id; }
  const std::map<std::string, SessionTouch>& sessions() const { return m_sessions; }

 private:
  void report_error(std::int64_t line, std::string message) {
    ++m_report.skipped_lines;
    if (m_report.errors.size() >= m_options.max_errors) {
      m_report.errors_truncated = true;
      return;
    }
    m_report.errors.push_back({m_file.path.string(), line, std::move(message)});
  }

  Status add_line(const Line& line) {
    if (line.too_long) {
      report_error(line.number, fmt::format("line longer than {} bytes", LineReader::k_default_max_line));
      return {};
    }
    std::string_view text = line.text;
    std::size_t capacity = line.capacity;
    if (line.number == 1 && text.starts_with(k_bom)) {  // a byte-order mark is not part of the JSON
      text.remove_prefix(k_bom.size());
      capacity -= k_bom.size();
    }
    if (is_blank(text)) return {};
    if (auto parsed = m_parser.parse(text, m_line, capacity); !parsed) {
      report_error(line.number, parsed.error().message);
      return {};
    }
    ++m_report.records;
    store::Entry& e = m_line.entry;
    if (e.session_id.empty()) e.session_id = m_file.session_fallback;
    if (!e.has_uuid) {
      std::string prefix = content_key_prefix(text);
      const std::int64_t n = ++m_occurrences[prefix];
      e.key = fmt::format("{}:{}", prefix, n);
    }
    const TimeMs now = m_options.clock->now_ms();
    if (m_project_id.empty()) {
      CL_TRY(id, m_writer.ensure_project(m_options.owner_id, m_file.project_name, now));
      m_project_id = id;
    }
    auto [touch, first] = m_sessions.try_emplace(e.session_id);
    if (first) CL_CHECK(m_writer.ensure_session(e.session_id, m_project_id, m_options.owner_id, now));
    m_kill.before_document();
    CL_TRY(is_new, m_writer.insert_entry(e, store::OnExisting::keep));
    if (is_new) {
      ++m_report.new_records;
      touch->second.has_new = true;
      touch->second.new_messages |= e.has_uuid;
    }
    touch->second.summary_records |= e.type == "summary";
    return {};
  }

  /// Refreshes what changed: sessions that received entries, their summaries, their projects.
  Status finish() {
    std::set<std::string> projects;
    for (const auto& [id, touch] : m_sessions) {
      if (!touch.has_new) continue;
      CL_CHECK(m_writer.refresh_session_stats(id));
      CL_TRY(session, m_writer.get_session(id));
      if (!session) return fail(Errc::internal, fmt::format("session {} vanished during ingest", id));
      projects.insert(session->project_id);  // an existing session keeps its project
      if (touch.summary_records || (touch.new_messages && !session->summary.empty()))
        CL_CHECK(refresh_session_summary(m_writer, id));
    }
    for (const auto& id : projects) CL_CHECK(m_writer.refresh_project_stats(id));
    return m_writer.commit();
  }

  store::Writer& m_writer;
  const SourceFile& m_file;
  const IngestOptions& m_options;
  LineParser& m_parser;
  IngestReport& m_report;
  KillSwitch& m_kill;  ///< crash tests only (core/test_hooks.hpp)
  ParsedLine m_line;   ///< reused for every line, so its strings keep their capacity
  std::string m_project_id;
  std::map<std::string, SessionTouch> m_sessions;
  std::unordered_map<std::string, std::int64_t> m_occurrences;  ///< content key prefix -> copies so far
};

}  // namespace

Status refresh_session_summary(store::Writer& writer, const std::string& session_id) {
  struct Candidate {
    std::string summary, leaf_uuid;
  };
  std::vector<Candidate> candidates;
  LineParser parser;
  ParsedLine parsed;
  store::EntryFilter filter;
  filter.session_id = session_id;
  CL_CHECK(writer.for_each_entry(filter, [&](const store::Entry& e) {
    if (e.type == "summary" && parser.parse(e.json, parsed) && !parsed.summary.empty())
      candidates.push_back({parsed.summary, parsed.leaf_uuid});
    return true;
  }));
  std::string chosen = candidates.empty() ? std::string() : candidates.back().summary;
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (it->leaf_uuid.empty()) continue;
    CL_TRY(leaf, writer.get_entry(session_id, it->leaf_uuid));
    if (leaf && leaf->has_uuid) {
      chosen = it->summary;
      break;
    }
  }
  CL_TRY(session, writer.get_session(session_id));
  if (session && session->summary == chosen) return {};
  return writer.set_session_summary(session_id, chosen);
}

Result<IngestReport> ingest_files(store::Store& store, const std::vector<SourceFile>& files,
                                  const IngestOptions& options) {
  IngestReport report;
  IngestProgress progress;
  progress.files_total = static_cast<std::int64_t>(files.size());
  for (const auto& f : files) progress.bytes_total += f.size;
  std::set<std::string> projects, sessions;
  LineParser parser;
  KillSwitch kill;
  for (const SourceFile& file : files) {
    CL_TRY(reader, LineReader::open(file.path, LineParser::padding()));
    CL_TRY(writer, store.write());
    FileIngest one(*writer, file, options, parser, report, kill);
    CL_CHECK(one.run(reader));
    ++report.files;
    report.bytes += reader.offset();
    if (!one.project_id().empty()) projects.insert(one.project_id());
    for (const auto& [id, touch] : one.sessions()) sessions.insert(id);
    ++progress.files_done;
    progress.bytes_done += reader.offset();
    if (options.on_progress) options.on_progress(progress);
  }
  report.projects = static_cast<std::int64_t>(projects.size());
  report.sessions = static_cast<std::int64_t>(sessions.size());
  return report;
}

Result<IngestReport> ingest_paths(store::Store& store, const std::vector<std::filesystem::path>& paths,
                                  const IngestOptions& options) {
  CL_TRY(files, collect_sources(paths));
  return ingest_files(store, files, options);
}

}  // namespace claudelens::ingest
