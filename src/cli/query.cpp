// `claudelens stats`, `projects`, `sessions [--project ID_OR_PATH]` and `export --session ID`: what the
// store holds (SPEC §3, §4), for people (tables) and scripts (--json, one document on stdout).
// Everything is read from one snapshot; every owner's data is shown (the CLI acts as admin).
#include <fmt/format.h>
#include <boost/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "core/time.hpp"

namespace claudelens::cli {
namespace {

namespace json = boost::json;

json::value time_json(const std::optional<TimeMs>& t) {
  return t ? json::value(format_iso8601_ms(*t)) : json::value(nullptr);
}

std::string time_text(const std::optional<TimeMs>& t) {
  return t ? format_iso8601(*t) : "-";
}

Result<std::unique_ptr<store::Reader>> open_reader(Context& ctx) {
  CL_TRY(st, ctx.store());
  return st->read();
}

// ---- stats ---------------------------------------------------------------------------------------

int run_stats(Context& ctx) {
  auto reader = open_reader(ctx);
  if (!reader) return report(reader.error());
  auto c = (*reader)->counts(std::nullopt);
  if (!c) return report(c.error());
  if (ctx.json) {
    print_json(json::object{{"projects", c->projects},
                            {"sessions", c->sessions},
                            {"messages", c->messages},
                            {"records", c->records},
                            {"prompts", c->prompts},
                            {"prompt_folders", c->prompt_folders},
                            {"ai_settings", c->ai_settings},
                            {"users", c->users},
                            {"api_keys", c->api_keys},
                            {"bytes", c->entry_bytes},
                            {"earliest", time_json(c->earliest)},
                            {"latest", time_json(c->latest)}});
    return k_exit_ok;
  }
  std::cout << fmt::format(
      "projects        {}\nsessions        {}\nmessages        {}\nrecords         {}\nbytes           {}\n"
      "prompts         {}\nprompt folders  {}\nai settings     {}\nusers           {}\napi keys        {}\n"
      "from            {}\nto              {}\n",
      c->projects, c->sessions, c->messages, c->records, c->entry_bytes, c->prompts, c->prompt_folders, c->ai_settings,
      c->users, c->api_keys, time_text(c->earliest), time_text(c->latest));
  return k_exit_ok;
}

// ---- projects ------------------------------------------------------------------------------------

json::object project_json(const store::Project& p) {
  return json::object{{"_id", p.id},
                      {"name", p.name},
                      {"path", p.path},
                      {"owner_id", p.owner_id},
                      {"description", p.description},
                      {"sessions_count", p.sessions_count},
                      {"messages_count", p.messages_count},
                      {"records_count", p.records_count},
                      {"created_at", format_iso8601_ms(p.created_at)},
                      {"updated_at", format_iso8601_ms(p.updated_at)}};
}

int run_projects(Context& ctx) {
  auto reader = open_reader(ctx);
  if (!reader) return report(reader.error());
  std::vector<store::Project> projects;
  const Status scan = (*reader)->for_each_project({}, [&](const store::Project& p) {
    projects.push_back(p);
    return true;
  });
  if (!scan) return report(scan.error());
  if (ctx.json) {
    json::array out;
    for (const auto& p : projects) out.push_back(project_json(p));
    print_json(out);
    return k_exit_ok;
  }
  std::cout << fmt::format("{:<24}  {:>8}  {:>8}  {:>8}  {:<40}  {}\n", "ID", "SESSIONS", "MESSAGES", "RECORDS", "NAME",
                           "PATH");
  for (const auto& p : projects)
    std::cout << fmt::format("{:<24}  {:>8}  {:>8}  {:>8}  {:<40}  {}\n", p.id, p.sessions_count, p.messages_count,
                             p.records_count, p.name, p.path);
  return k_exit_ok;
}

// ---- sessions ------------------------------------------------------------------------------------

/// The projects `what` names: a project id, a path (the cwd most records carry) or a folder name.
Result<std::vector<std::string>> resolve_projects(store::Reader& reader, std::string what) {
  while (what.size() > 1 && what.back() == '/') what.pop_back();
  std::vector<std::string> ids;
  CL_CHECK(reader.for_each_project({}, [&](const store::Project& p) {
    if (p.id == what || p.path == what || p.name == what) ids.push_back(p.id);
    return true;
  }));
  if (ids.empty())
    return fail(Errc::not_found, fmt::format("project '{}' not found (give an id, a path or a folder name; see "
                                             "`claudelens projects`)",
                                             what));
  return ids;
}

json::object session_json(const store::Session& s) {
  return json::object{{"_id", s.id},
                      {"project_id", s.project_id},
                      {"owner_id", s.owner_id},
                      {"started_at", time_json(s.started_at)},
                      {"ended_at", time_json(s.ended_at)},
                      {"message_count", s.message_count},
                      {"records_count", s.records_count},
                      {"summary", s.summary},
                      {"input_tokens", s.usage.input_tokens},
                      {"output_tokens", s.usage.output_tokens},
                      {"cache_creation_tokens", s.usage.cache_creation_tokens},
                      {"cache_read_tokens", s.usage.cache_read_tokens},
                      {"cost_usd", s.usage.cost_usd}};
}

int run_sessions(Context& ctx, const std::string& project) {
  auto reader = open_reader(ctx);
  if (!reader) return report(reader.error());
  store::SessionFilter filter;
  if (!project.empty()) {
    auto ids = resolve_projects(**reader, project);
    if (!ids) return report(ids.error());
    filter.project_ids = std::move(*ids);
  }
  json::array out;
  std::vector<store::Session> sessions;
  const Status scan = (*reader)->for_each_session(filter, [&](const store::Session& s) {
    sessions.push_back(s);
    return true;
  });
  if (!scan) return report(scan.error());
  if (ctx.json) {
    for (const auto& s : sessions) out.push_back(session_json(s));
    print_json(out);
    return k_exit_ok;
  }
  std::cout << fmt::format("{:<36}  {:<20}  {:<20}  {:>8}  {:>7}  {}\n", "ID", "STARTED", "ENDED", "MESSAGES",
                           "RECORDS", "SUMMARY");
  for (const auto& s : sessions)
    std::cout << fmt::format("{:<36}  {:<20}  {:<20}  {:>8}  {:>7}  {}\n", s.id, time_text(s.started_at),
                             time_text(s.ended_at), s.message_count, s.records_count, s.summary);
  return k_exit_ok;
}

// ---- export --------------------------------------------------------------------------------------

/// Writes the session's records as stored, one per line, in stored order.
int run_export(Context& ctx, const std::string& session_id) {
  auto reader = open_reader(ctx);
  if (!reader) return report(reader.error());
  auto session = (*reader)->get_session(session_id);
  if (!session) return report(session.error());
  if (!*session) return report(Error(Errc::not_found, fmt::format("session {} not found", session_id)));
  store::EntryFilter filter;
  filter.session_id = session_id;
  bool write_failed = false;
  const Status scan = (*reader)->for_each_entry(filter, [&](const store::Entry& e) {
    write_failed =
        std::fwrite(e.json.data(), 1, e.json.size(), stdout) != e.json.size() || std::fputc('\n', stdout) == EOF;
    return !write_failed;
  });
  if (!scan) return report(scan.error());
  if (write_failed || std::fflush(stdout) != 0) return report(Error(Errc::io, "export: cannot write to stdout"));
  return k_exit_ok;
}

}  // namespace

void add_query_commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("stats", "Counts of what is stored")->callback([&ctx] {
    ctx.action = [&ctx] { return run_stats(ctx); };
  });
  app.add_subcommand("projects", "The stored projects")->callback([&ctx] {
    ctx.action = [&ctx] { return run_projects(ctx); };
  });

  auto project = std::make_shared<std::string>();
  CLI::App* sessions = app.add_subcommand("sessions", "The stored sessions");
  sessions->add_option("--project", *project, "Only this project: an id, a path or a folder name");
  sessions->callback([&ctx, project] { ctx.action = [&ctx, project] { return run_sessions(ctx, *project); }; });

  auto session = std::make_shared<std::string>();
  CLI::App* exp = app.add_subcommand("export", "A session's records as JSONL on stdout, as ingested");
  exp->add_option("--session", *session, "The Claude sessionId")->required();
  exp->callback([&ctx, session] { ctx.action = [&ctx, session] { return run_export(ctx, *session); }; });
}

}  // namespace claudelens::cli
