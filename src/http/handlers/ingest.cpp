// POST /ingest/batch: transcript records as the upstream ClaudeLens CLI sends them,
// `{messages: [≤ 1000 records], overwrite_mode}`, each record a Claude Code JSONL line as a JSON object plus
// `_project_path` (the project folder or the working directory). One write transaction per batch; the
// caller owns what it sends. A bad record is counted in `messages_failed` and listed in `error_details`;
// the others are stored. A record whose session belongs to another user fails (nothing crosses owners).
// Records without a `uuid` are keyed by content and occurrence within the batch (docs/ingest.md).
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "http/handlers/common.hpp"
#include "http/routes.hpp"
#include "ingest/ingester.hpp"
#include "ingest/line_parser.hpp"

namespace claudelens::http {
namespace {

namespace json = boost::json;

constexpr std::size_t k_max_records = 1000;

/// The Claude project folder name for `_project_path`: a folder name as it is ("-Users-x-app"), or a
/// working directory encoded as Claude Code does ('/', '.', '_' → '-').
std::string project_name_for(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.starts_with('-')) return std::string(base);
  std::string name(path);
  for (char& c : name)
    if (c == '/' || c == '.' || c == '_' || c == '\\' || c == ':') c = '-';
  return name;
}

struct BatchStats {
  std::int64_t processed = 0, skipped = 0, failed = 0, updated = 0;
  std::int64_t sessions_created = 0, sessions_updated = 0;
  json::array projects_created;
  json::array error_details;
};

class BatchIngest {
 public:
  BatchIngest(store::Writer& writer, const Caller& caller, TimeMs now, bool overwrite)
      : m_writer(writer), m_caller(caller), m_now(now), m_overwrite(overwrite) {}

  /// Stores one record; a record-level problem is counted, a store failure is returned.
  Status add(std::size_t index, const json::value& record) {
    if (!record.is_object()) return failed(index, "a record must be a JSON object");
    json::object line = record.as_object();
    const json::value* path = line.if_contains("_project_path");
    if (!path || !path->is_string() || path->as_string().empty())
      return failed(index, "_project_path is required (a non-empty string)");
    const std::string project_name = project_name_for(path->as_string());
    line.erase("_project_path");
    const std::string text = json::serialize(line);
    if (auto parsed = m_parser.parse(text, m_parsed); !parsed) return failed(index, parsed.error().message);
    store::Entry& e = m_parsed.entry;
    if (e.session_id.empty()) return failed(index, "sessionId is required");
    if (!e.has_uuid) e.key = fmt::format("{}:{}", ingest::content_key_prefix(text), ++m_occurrences[text]);

    CL_TRY(session, m_writer.get_session(e.session_id));
    if (session && session->owner_id != m_caller.user_id)
      return failed(index, fmt::format("session {} cannot take records from this key", e.session_id));
    if (!session) {
      CL_TRY(project_id, project(project_name));
      CL_CHECK(m_writer.ensure_session(e.session_id, project_id, m_caller.user_id, m_now));
      m_new_sessions.insert(e.session_id);
    }
    CL_TRY(existing, m_writer.get_entry(e.session_id, e.key));
    CL_TRY(is_new, m_writer.insert_entry(e, m_overwrite ? store::OnExisting::replace : store::OnExisting::keep));
    if (is_new) {
      ++m_stats.processed;
    } else if (m_overwrite && existing && existing->json != e.json) {
      ++m_stats.processed;
      ++m_stats.updated;
    } else {
      ++m_stats.skipped;
      return {};
    }
    m_touched.insert(e.session_id);
    return {};
  }

  /// Refreshes what changed and commits.
  Result<BatchStats> finish() {
    std::set<std::string> projects;
    for (const auto& id : m_touched) {
      CL_CHECK(m_writer.refresh_session_stats(id));
      CL_CHECK(ingest::refresh_session_summary(m_writer, id));
      CL_TRY(session, m_writer.get_session(id));
      if (session) projects.insert(session->project_id);
      if (!m_new_sessions.contains(id)) ++m_stats.sessions_updated;
    }
    m_stats.sessions_created = static_cast<std::int64_t>(m_new_sessions.size());
    for (const auto& id : projects) CL_CHECK(m_writer.refresh_project_stats(id));
    CL_CHECK(m_writer.commit());
    return std::move(m_stats);
  }

 private:
  Status failed(std::size_t index, std::string message) {
    ++m_stats.failed;
    if (m_stats.error_details.size() < 100)
      m_stats.error_details.push_back(json::object{{"index", index}, {"message", std::move(message)}});
    return {};
  }

  Result<std::string> project(const std::string& name) {
    if (const auto it = m_projects.find(name); it != m_projects.end()) return it->second;
    CL_TRY(found, m_writer.find_project_by_name(m_caller.user_id, name));
    std::string id;
    if (found) {
      id = found->id;
    } else {
      CL_TRY(made, m_writer.ensure_project(m_caller.user_id, name, m_now));
      id = made;
      m_stats.projects_created.push_back(json::object{{"_id", id}, {"name", name}});
    }
    m_projects.emplace(name, id);
    return id;
  }

  store::Writer& m_writer;
  const Caller& m_caller;
  TimeMs m_now;
  bool m_overwrite;
  ingest::LineParser m_parser;
  ingest::ParsedLine m_parsed;
  BatchStats m_stats;
  std::map<std::string, std::string> m_projects;  ///< project name → id
  std::set<std::string> m_new_sessions, m_touched;
  std::map<std::string, std::int64_t> m_occurrences;  ///< identical records without a uuid so far
};

Response ingest_batch(Services& s, Request& req) {
  const auto started = std::chrono::steady_clock::now();
  auto body = parse_json_object(req);
  if (auto* e = std::get_if<ApiError>(&body)) return std::move(*e);
  std::vector<FieldError> errors;
  Fields f(std::get<json::object>(body), "", errors);
  f.reject_unknown({"messages", "overwrite_mode"});
  const json::array* records = f.array("messages", true);
  const bool overwrite = f.boolean("overwrite_mode").value_or(false);
  if (records && records->size() > k_max_records)
    f.error("messages", "range", fmt::format("at most {} records per batch", k_max_records));
  if (!errors.empty()) return validation_failed(std::move(errors));

  auto writer = s.store->write();
  if (!writer) return api_error(writer.error());
  BatchIngest batch(**writer, req.who(), s.clock->now_ms(), overwrite);
  for (std::size_t i = 0; i < records->size(); ++i)
    if (auto r = batch.add(i, (*records)[i]); !r) return api_error(r.error());
  auto stats = batch.finish();
  if (!stats) return api_error(stats.error());
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return Response::json(200, json::object{{"success", stats->failed == 0},
                                          {"stats", json::object{{"messages_received", records->size()},
                                                                 {"messages_processed", stats->processed},
                                                                 {"messages_skipped", stats->skipped},
                                                                 {"messages_failed", stats->failed},
                                                                 {"messages_updated", stats->updated},
                                                                 {"sessions_created", stats->sessions_created},
                                                                 {"sessions_updated", stats->sessions_updated},
                                                                 {"projects_created", stats->projects_created},
                                                                 {"duration_ms", ms},
                                                                 {"error_details", stats->error_details}}}});
}

}  // namespace

void add_ingest_routes(Router& router, Services& services) {
  RouteOptions options;
  options.max_body_bytes = std::size_t{64} << 20;  // 1000 transcript lines with large tool results
  router.add(Method::post, "/api/v1/ingest/batch", handlers::bind(services, ingest_batch), options);
}

}  // namespace claudelens::http
