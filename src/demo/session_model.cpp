// How a synthetic Claude Code session is put together (the figures come from docs/demo-data.md):
// a session is a series of turns; a turn is a typed prompt followed by 1..n assistant API calls, each
// spread over one line per content block sharing message.id/requestId/usage, each tool_use answered by
// a user tool_result line carrying toolUseResult. Around them sit the version-dependent records:
// progress hooks (2.1.1x-2.1.6x), attachments (2.1.1xx), file-history-snapshots, queue-operations,
// summaries, stop-hook summaries, compaction boundaries and inline sidechain (subagent) lines.
#include "demo/session_model.hpp"

#include <array>
#include <cstdio>
#include <map>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "crypto/sha256.hpp"
#include "demo/prng.hpp"
#include "demo/text.hpp"

namespace claudelens::demo {

namespace {

// Record kinds and fields that a Claude Code version writes (FORMAT.md).
enum Feature : unsigned {
  k_git_branch = 1u << 0,
  k_summary = 1u << 1,
  k_snapshot = 1u << 2,
  k_queue = 1u << 3,
  k_slug = 1u << 4,
  k_progress = 1u << 5,
  k_attachment = 1u << 6,
  k_last_prompt = 1u << 7,
  k_agent_id = 1u << 8,
  k_cache_creation = 1u << 9,
  k_system = 1u << 10,
  k_source_tool = 1u << 11,
};

struct Version {
  int day;  ///< first day (since the base date) this version is used
  std::string_view name;
  unsigned features;
  std::array<std::string_view, 3> models;  ///< main model first
};

constexpr unsigned k_v1 = k_summary;
constexpr unsigned k_v2 = k_summary | k_git_branch | k_agent_id | k_cache_creation | k_system;
constexpr unsigned k_v21 =
    k_git_branch | k_snapshot | k_queue | k_slug | k_agent_id | k_cache_creation | k_system | k_source_tool;

constexpr std::array<Version, 13> k_versions = {{
    {0, "1.0.17", k_v1, {"claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-sonnet-4-20250514"}},
    {20, "1.0.44", k_v1 | k_system, {"claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-sonnet-4-20250514"}},
    {40,
     "1.0.58",
     k_v1 | k_system | k_git_branch,
     {"claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"}},
    {70, "1.0.98", k_v2, {"claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"}},
    {100, "2.0.14", k_v2, {"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805"}},
    {125,
     "2.0.42",
     k_v2 | k_queue,
     {"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805"}},
    {145,
     "2.0.55",
     k_v2 | k_queue | k_snapshot | k_slug,
     {"claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {165,
     "2.0.76",
     k_v2 | k_queue | k_snapshot | k_slug,
     {"claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {190,
     "2.1.19",
     k_v21 | k_progress,
     {"claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {225, "2.1.39", k_v21 | k_progress, {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {260, "2.1.62", k_v21 | k_progress, {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {305,
     "2.1.104",
     k_v21 | k_attachment | k_last_prompt,
     {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
    {325,
     "2.1.114",
     k_v21 | k_attachment | k_last_prompt,
     {"claude-opus-4-7", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"}},
}};

const Version& version_for_day(int day) {
  const Version* v = &k_versions[0];
  for (const auto& candidate : k_versions)
    if (candidate.day <= day) v = &candidate;
  return *v;
}

/// USD per million tokens: input, output, cache write, cache read.
struct Price {
  double in, out, cache_write, cache_read;
};
Price price_for(std::string_view model) {
  if (model.find("opus-4-5") != std::string_view::npos || model.find("opus-4-6") != std::string_view::npos ||
      model.find("opus-4-7") != std::string_view::npos)
    return {5, 25, 6.25, 0.5};
  if (model.find("opus") != std::string_view::npos) return {15, 75, 18.75, 1.5};
  if (model.find("haiku-4-5") != std::string_view::npos) return {1, 5, 1.25, 0.1};
  if (model.find("haiku") != std::string_view::npos) return {0.8, 4, 1, 0.08};
  return {3, 15, 3.75, 0.3};
}

enum class Tool { bash, edit, read, todo_write, glob, grep, write, web_fetch, task };
struct ToolWeight {
  Tool tool;
  std::string_view name;
  int weight;  ///< out of 100, from the measured tool_use mix
};
constexpr std::array<ToolWeight, 9> k_tools = {{{Tool::bash, "Bash", 35},
                                                {Tool::edit, "Edit", 19},
                                                {Tool::read, "Read", 17},
                                                {Tool::todo_write, "TodoWrite", 7},
                                                {Tool::glob, "Glob", 6},
                                                {Tool::grep, "Grep", 5},
                                                {Tool::write, "Write", 5},
                                                {Tool::web_fetch, "WebFetch", 3},
                                                {Tool::task, "Task", 3}}};

/// A tool call between the assistant line that makes it and the user line that answers it.
struct ToolCall {
  Tool tool = Tool::bash;
  std::string_view name;
  std::string id;          ///< toolu_…
  std::string input;       ///< the `input` object, as JSON
  std::string path;        ///< the file it touches, if any
  std::uint32_t file = 0;  ///< index in the project's file pool
  std::string text;        ///< raw text the tool carries around (command, prompt)
};

constexpr std::array<std::string_view, 6> k_slash_commands = {"/clear", "/model",  "/compact",
                                                              "/init",  "/review", "/cost"};
constexpr std::array<std::string_view, 4> k_todo_status = {"completed", "in_progress", "pending", "pending"};

class Transcript {
 public:
  Transcript(const ProjectShape& project, const SessionShape& session, const EntrySink& sink)
      : m_project(project),
        m_session(session),
        m_sink(sink),
        m_rng(session.seed),
        m_version(version_for_day(session.day)),
        m_now(session.start),
        m_left(session.messages) {
    m_entry.session_id = session.session_id;
    m_cwd = project.cwd;
    if (m_rng.chance(0.1)) {  // a worktree or subfolder: projects carry several cwd values
      m_cwd += "/";
      m_cwd += identifier(m_rng);
    }
    if (has(k_git_branch)) {
      const auto r = m_rng.below(20);
      if (r < 9)
        m_branch = "main";
      else if (r == 9)
        m_branch = "HEAD";
      else if (r == 10)
        m_branch = "";
      else {
        m_branch = r < 16 ? "feature/" : "fix/";
        m_branch += word(m_rng);
        m_branch += '-';
        m_branch += identifier(m_rng);
      }
    }
    if (has(k_slug)) {
      m_slug = word(m_rng);
      m_slug += '-';
      m_slug += identifier(m_rng);
      m_slug += '-';
      m_slug += word(m_rng);
    }
    const auto r = m_rng.below(10);
    m_model = m_version.models[r < 7 ? 0 : (r < 9 ? 1 : 2)];
    m_price = price_for(m_model);
  }

  Result<SessionResult> run() {
    if (m_session.messages == 0) {
      lone_records();
    } else {
      if (has(k_summary) && m_rng.chance(0.35)) summaries(m_rng.between(1, 3));
      session_start_hooks();
      m_next_compaction = static_cast<std::int64_t>(m_rng.lognormal(900, 0.5, 300, 5000));
      while (m_left > 0 && m_error.message.empty()) turn();
      if (has(k_last_prompt) && !m_last_prompt.empty()) last_prompt();
      if (has(k_attachment) && m_rng.chance(0.3)) permission_mode();
    }
    if (!m_error.message.empty()) return fail(m_error);
    m_result.end = m_now;
    m_result.last_uuid = m_parent;
    return m_result;
  }

 private:
  bool has(unsigned feature) const { return (m_version.features & feature) != 0; }

  // ---- time ----------------------------------------------------------------------------------

  void advance_ms(double ms) { m_now += static_cast<TimeMs>(ms); }
  void think_pause() { advance_ms(m_rng.lognormal(1500, 1.0, 20, 120'000)); }
  void tool_pause() { advance_ms(m_rng.lognormal(300, 1.6, 2, 300'000)); }
  void tick() { advance_ms(static_cast<double>(m_rng.below(40))); }

  // ---- emitting ------------------------------------------------------------------------------

  std::string& begin_line() {
    m_entry.json.clear();
    m_entry.usage = store::Usage{};
    m_entry.message_id.clear();
    m_entry.cwd.clear();
    m_entry.timestamp.reset();
    return m_entry.json;
  }

  void new_uuid() {
    m_uuid.clear();
    append_uuid(m_rng, m_uuid);
  }

  /// `{"parentUuid":…,"isSidechain":…,…,"type":"<type>"` with the version's fields.
  void envelope(std::string_view type, bool root = false) {
    std::string& j = m_entry.json;
    const std::string& parent = m_sidechain ? m_side_parent : m_parent;
    j += "{\"parentUuid\":";
    if (root || parent.empty()) {
      j += "null";
    } else {
      j += '"';
      j += parent;
      j += '"';
    }
    j += m_sidechain ? ",\"isSidechain\":true" : ",\"isSidechain\":false";
    j += ",\"userType\":\"external\",\"cwd\":";
    append_json_string(j, m_cwd);
    j += ",\"sessionId\":\"";
    j += m_session.session_id;
    j += "\",\"version\":\"";
    j += m_version.name;
    j += '"';
    if (has(k_git_branch)) {
      j += ",\"gitBranch\":";
      append_json_string(j, m_branch);
    }
    if (m_sidechain && has(k_agent_id)) {
      j += ",\"agentId\":\"";
      j += m_agent_id;
      j += '"';
    }
    if (has(k_slug)) {
      j += ",\"slug\":\"";
      j += m_slug;
      j += '"';
    }
    j += ",\"type\":\"";
    j += type;
    j += '"';
    m_entry.type = type;
    m_entry.cwd = m_cwd;
  }

  /// `,"uuid":…,"timestamp":…` (without the closing brace).
  void uuid_and_time() {
    std::string& j = m_entry.json;
    j += ",\"uuid\":\"";
    j += m_uuid;
    j += "\",\"timestamp\":\"";
    append_iso8601_ms(j, m_now);
    j += '"';
    m_entry.timestamp = m_now;
  }

  /// Hands a finished message line (it has m_uuid) to the sink and moves the chain on.
  void emit_message() {
    m_entry.key = m_uuid;
    m_entry.has_uuid = true;
    if (m_sidechain)
      m_side_parent = m_uuid;
    else
      m_parent = m_uuid;
    --m_left;
    ++m_result.messages;
    ++m_since_compaction;
    deliver();
  }

  /// Hands a finished record without a uuid to the sink. Its key is ingest's (ingest/line_parser.hpp):
  /// "~" + hex of the first 16 bytes of the line's SHA-256 + ":" + occurrence (1 for the first copy).
  void emit_record(std::string_view type) {
    m_entry.type = type;
    m_entry.has_uuid = false;
    const crypto::Digest d = crypto::sha256(m_entry.json);
    std::string key = "~" + to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), 16));
    const std::int64_t occurrence = ++m_occurrences[key];
    m_entry.key = key + ":" + std::to_string(occurrence);
    deliver();
  }

  void deliver() {
    ++m_result.records;
    m_result.bytes += static_cast<std::int64_t>(m_entry.json.size());
    if (!m_error.message.empty()) return;
    if (auto st = m_sink(m_entry); !st) {
      m_error = st.error();
      m_left = 0;
    }
  }

  // ---- records without a uuid ----------------------------------------------------------------

  void summaries(std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      std::string& j = begin_line();
      m_text.clear();
      append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.between(20, 60)));
      while (!m_text.empty() && (m_text.back() == ' ' || m_text.back() == '.' || m_text.back() == '\n'))
        m_text.pop_back();
      if (m_result.summary.empty()) m_result.summary = m_text;
      j += "{\"type\":\"summary\",\"summary\":";
      append_json_string(j, m_text);
      j += ",\"leafUuid\":\"";
      if (m_session.previous_leaf.empty() || i > 0)
        append_uuid(m_rng, j);
      else
        j += m_session.previous_leaf;
      j += "\"}";
      emit_record("summary");
    }
  }

  /// A session file holding only summaries or only snapshots (both occur in real project folders).
  void lone_records() {
    if (has(k_summary) || !has(k_snapshot)) {
      summaries(m_rng.between(1, 4));
      return;
    }
    const auto n = m_rng.between(1, 3);
    for (std::int64_t i = 0; i < n; ++i) {
      new_uuid();
      snapshot(m_uuid);
      advance_ms(m_rng.lognormal(60'000, 1.0, 1000, 3'600'000));
    }
  }

  void snapshot(const std::string& message_id) {
    std::string& j = begin_line();
    j += "{\"type\":\"file-history-snapshot\",\"messageId\":\"";
    j += message_id;
    j += "\",\"snapshot\":{\"messageId\":\"";
    j += message_id;
    j += "\",\"trackedFileBackups\":{";
    const auto files = m_rng.chance(0.6) ? 0 : m_rng.between(1, 8);
    for (std::int64_t i = 0; i < files; ++i) {
      if (i > 0) j += ',';
      m_text.clear();
      append_path(m_rng, m_text, "");
      m_text.erase(0, 1);
      append_json_string(j, m_text);
      j += ":{\"backupFileName\":\"";
      append_hex(m_rng, j, 16);
      j += "@v";
      const auto version = m_rng.between(1, 6);
      j += std::to_string(version);
      j += "\",\"version\":";
      j += std::to_string(version);
      j += ",\"backupTime\":\"";
      append_iso8601_ms(j, m_now - static_cast<TimeMs>(m_rng.below(600'000)));
      j += "\"}";
    }
    j += "},\"timestamp\":\"";
    append_iso8601_ms(j, m_now);
    j += "\"},\"isSnapshotUpdate\":false}";
    emit_record("file-history-snapshot");
  }

  void queue_operations(std::string_view prompt) {
    std::string& j = begin_line();
    j += "{\"type\":\"queue-operation\",\"operation\":\"enqueue\",\"timestamp\":\"";
    append_iso8601_ms(j, m_now);
    j += "\",\"content\":[{\"type\":\"text\",\"text\":";
    append_json_string(j, utf8_prefix(prompt, 400));
    j += "}],\"sessionId\":\"";
    j += m_session.session_id;
    j += "\"}";
    m_entry.timestamp = m_now;
    emit_record("queue-operation");
    tick();
    std::string& k = begin_line();
    k += "{\"type\":\"queue-operation\",\"operation\":\"dequeue\",\"timestamp\":\"";
    append_iso8601_ms(k, m_now);
    k += "\",\"sessionId\":\"";
    k += m_session.session_id;
    k += "\"}";
    m_entry.timestamp = m_now;
    emit_record("queue-operation");
  }

  void last_prompt() {
    std::string& j = begin_line();
    j += "{\"type\":\"last-prompt\",\"lastPrompt\":";
    append_json_string(j, utf8_prefix(m_last_prompt, 200));
    j += ",\"sessionId\":\"";
    j += m_session.session_id;
    j += "\"}";
    emit_record("last-prompt");
  }

  void permission_mode() {
    std::string& j = begin_line();
    j += "{\"type\":\"permission-mode\",\"permissionMode\":\"";
    j += m_rng.chance(0.5) ? "acceptEdits" : "default";
    j += "\",\"sessionId\":\"";
    j += m_session.session_id;
    j += "\"}";
    emit_record("permission-mode");
  }

  // ---- hooks: progress (2.1.1x-2.1.6x), attachments (2.1.1xx), system ------------------------

  void session_start_hooks() {
    if (has(k_progress)) {
      for (int i = 0, n = static_cast<int>(m_rng.between(1, 3)); i < n && m_left > 0; ++i)
        hook_progress("SessionStart", "SessionStart:startup", nullptr, true);
    } else if (has(k_attachment)) {
      hook_attachment("SessionStart", "SessionStart:startup", true);
    }
  }

  void hook_progress(std::string_view event, std::string_view hook_name, const ToolCall* call, bool root = false) {
    if (m_left == 0) return;
    tick();
    new_uuid();
    std::string& j = begin_line();
    envelope("progress", root);
    j += ",\"data\":{\"type\":\"hook_progress\",\"hookEvent\":\"";
    j += event;
    j += "\",\"hookName\":\"";
    j += hook_name;
    j += "\",\"command\":";
    m_text.clear();
    m_text += m_rng.chance(0.5) ? "${CLAUDE_PLUGIN_ROOT}/hooks/" : "/home/user/.claude/hooks/";
    m_text += identifier(m_rng);
    m_text += '-';
    m_text += identifier(m_rng);
    m_text += ".sh";
    append_json_string(j, m_text);
    j += "},\"parentToolUseID\":\"";
    if (call)
      j += call->id;
    else
      append_uuid(m_rng, j);
    j += "\",\"toolUseID\":\"";
    if (call)
      j += call->id;
    else
      append_uuid(m_rng, j);
    j += '"';
    uuid_and_time();
    j += '}';
    emit_message();
  }

  void bash_progress(const ToolCall& call, std::int64_t n) {
    std::string full;
    for (std::int64_t i = 0; i < n && m_left > 0; ++i) {
      advance_ms(m_rng.lognormal(1000, 0.6, 100, 10'000));
      const std::size_t before = full.size();
      append_shell_output(m_rng, full, static_cast<std::size_t>(m_rng.between(40, 160)), m_cwd);
      new_uuid();
      std::string& j = begin_line();
      envelope("progress");
      j += ",\"data\":{\"type\":\"bash_progress\",\"output\":";
      append_json_string(j, std::string_view(full).substr(before));
      j += ",\"fullOutput\":";
      append_json_string(j, utf8_suffix(full, 600));
      j += ",\"elapsedTimeSeconds\":";
      j += std::to_string(i + 2);
      j += ",\"totalLines\":";
      j += std::to_string(i + 1);
      j += ",\"timeoutMs\":120000},\"toolUseID\":\"bash-progress-";
      j += std::to_string(i);
      j += "\",\"parentToolUseID\":\"";
      j += call.id;
      j += '"';
      uuid_and_time();
      j += '}';
      emit_message();
    }
  }

  void hook_attachment(std::string_view event, std::string_view hook_name, bool root = false) {
    if (m_left == 0) return;
    tick();
    new_uuid();
    std::string& j = begin_line();
    // Attachment lines put parentUuid/isSidechain first and the rest of the envelope after the payload.
    envelope("attachment", root);
    j += ",\"attachment\":{\"type\":\"hook_success\",\"hookName\":\"";
    j += hook_name;
    j += "\",\"toolUseID\":\"";
    append_uuid(m_rng, j);
    j += "\",\"hookEvent\":\"";
    j += event;
    j += "\",\"content\":\"\",\"stdout\":";
    m_text.clear();
    m_text += "{\"hookSpecificOutput\": {\"hookEventName\": \"";
    m_text += event;
    m_text += "\", \"additionalContext\": \"";
    append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.between(20, 200)));
    m_text += "\"}}\n";
    append_json_string(j, m_text);
    j += ",\"stderr\":\"\",\"exitCode\":0,\"durationMs\":";
    j += std::to_string(m_rng.between(5, 2500));
    j += '}';
    uuid_and_time();
    j += '}';
    emit_message();
  }

  void stop_hook_summary() {
    if (m_left == 0) return;
    tick();
    new_uuid();
    std::string& j = begin_line();
    envelope("system");
    const auto hooks = m_rng.between(1, 3);
    j += ",\"subtype\":\"stop_hook_summary\",\"hookCount\":";
    j += std::to_string(hooks);
    j += ",\"hookInfos\":[";
    for (std::int64_t i = 0; i < hooks; ++i) {
      if (i > 0) j += ',';
      j += "{\"command\":\"${CLAUDE_PLUGIN_ROOT}/hooks/";
      j += identifier(m_rng);
      j += ".sh\"}";
    }
    j += "],\"hookErrors\":[],\"preventedContinuation\":false,\"stopReason\":\"\",\"hasOutput\":true,"
         "\"level\":\"suggestion\"";
    uuid_and_time();
    j += ",\"toolUseID\":\"";
    append_uuid(m_rng, j);
    j += "\"}";
    emit_message();
  }

  void turn_duration(TimeMs turn_start) {
    if (m_left == 0) return;
    tick();
    new_uuid();
    std::string& j = begin_line();
    envelope("system");
    j += ",\"subtype\":\"turn_duration\",\"durationMs\":";
    j += std::to_string(m_now - turn_start);
    uuid_and_time();
    j += ",\"isMeta\":false}";
    emit_message();
  }

  void compaction() {
    if (m_left < 2) return;
    advance_ms(m_rng.lognormal(60'000, 0.8, 5000, 600'000));
    const std::string logical_parent = m_parent;
    new_uuid();
    std::string& j = begin_line();
    envelope("system", true);
    j += ",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted\",\"isMeta\":false";
    j += ",\"logicalParentUuid\":\"";
    j += logical_parent;
    j += '"';
    uuid_and_time();
    j += ",\"level\":\"info\",\"compactMetadata\":{\"trigger\":\"";
    j += m_rng.chance(0.7) ? "auto" : "manual";
    j += "\",\"preTokens\":";
    j += std::to_string(m_rng.between(100'000, 190'000));
    j += "}}";
    emit_message();
    tick();
    m_text.clear();
    m_text +=
        "This session is being continued from a previous conversation that ran out of context. "
        "The conversation is summarized below:\n";
    append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(7000, 0.5, 2000, 30'000)));
    new_uuid();
    std::string& k = begin_line();
    envelope("user");
    k += ",\"message\":{\"role\":\"user\",\"content\":";
    append_json_string(k, m_text);
    k += "},\"isVisibleInTranscriptOnly\":true,\"isCompactSummary\":true";
    uuid_and_time();
    k += '}';
    emit_message();
    m_since_compaction = 0;
    m_next_compaction = static_cast<std::int64_t>(m_rng.lognormal(900, 0.5, 300, 5000));
    m_context_tokens = m_rng.between(15'000, 30'000);
  }

  // ---- turns ---------------------------------------------------------------------------------

  void turn() {
    advance_ms(m_rng.lognormal(45'000, 1.5, 2000, 4 * 3'600'000.0));
    const TimeMs turn_start = m_now;
    m_text.clear();
    const bool command = m_rng.chance(0.07);
    if (command) {
      const auto cmd = k_slash_commands[m_rng.below(k_slash_commands.size())];
      m_text += "<command-name>";
      m_text += cmd;
      m_text += "</command-name>\n<command-message>";
      m_text += cmd.substr(1);
      m_text += "</command-message>\n<command-args></command-args>";
    } else {
      append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(220, 1.1, 8, 12'000)));
    }
    m_last_prompt = m_text;
    if (has(k_queue) && m_rng.chance(0.12)) queue_operations(m_text);
    std::string prompt_uuid;
    append_uuid(m_rng, prompt_uuid);
    if (has(k_snapshot)) snapshot(prompt_uuid);
    if (m_left == 0) return;
    tick();
    m_uuid = prompt_uuid;
    user_prompt(m_rng.chance(1.0 / 140));
    if (has(k_attachment) && m_rng.chance(0.5)) hook_attachment("UserPromptSubmit", "UserPromptSubmit");
    if (has(k_progress) && m_rng.chance(0.5)) hook_progress("UserPromptSubmit", "UserPromptSubmit", nullptr);

    const auto calls = command ? 1 : m_rng.count(4.0, 1, 60);
    for (std::int64_t c = 0; c < calls && m_left > 0; ++c) assistant_call(c + 1 == calls);
    if (has(k_system) && m_rng.chance(0.3)) stop_hook_summary();
    if ((has(k_progress) || has(k_attachment)) && m_rng.chance(0.25)) turn_duration(turn_start);
    if (m_since_compaction > m_next_compaction) compaction();
  }

  void user_prompt(bool with_image) {
    std::string& j = begin_line();
    envelope("user");
    j += ",\"message\":{\"role\":\"user\",\"content\":";
    if (with_image) {
      j += "[{\"type\":\"text\",\"text\":";
      append_json_string(j, m_text);
      j += "},{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo";
      append_base64(m_rng, j, static_cast<std::size_t>(m_rng.between(150'000, 1'000'000)) & ~std::size_t{3});
      j += "\"}}]";
    } else {
      append_json_string(j, m_text);
    }
    j += '}';
    if (has(k_last_prompt)) {
      j += ",\"promptId\":\"";
      append_uuid(m_rng, j);
      j += '"';
    }
    uuid_and_time();
    j += '}';
    emit_message();
  }

  ToolCall make_tool_call() {
    ToolCall call;
    auto pick = static_cast<int>(m_rng.below(100));
    for (const auto& t : k_tools) {
      if (pick < t.weight) {
        call.tool = t.tool;
        call.name = t.name;
        break;
      }
      pick -= t.weight;
    }
    if (call.tool == Tool::task && m_sidechain) {
      call.tool = Tool::read;
      call.name = "Read";
    }
    append_token(m_rng, call.id, "toolu_01", 22);
    std::string& in = call.input;
    switch (call.tool) {
      case Tool::bash: {
        expand_command(call.text);
        in += "{\"command\":";
        append_json_string(in, call.text);
        in += ",\"description\":";
        m_text.clear();
        append_prose(m_rng, m_text, 30);
        append_json_string(in, utf8_prefix(m_text, 60));
        in += '}';
        break;
      }
      case Tool::read:
      case Tool::edit:
      case Tool::write: {
        call.file = static_cast<std::uint32_t>(m_rng.below(48));
        Prng file_rng(derive_seed(m_project.files_seed, "file", call.file));
        append_path(file_rng, call.path, m_project.cwd);
        in += "{\"file_path\":";
        append_json_string(in, call.path);
        if (call.tool == Tool::edit) {
          in += ",\"old_string\":";
          m_text.clear();
          append_code(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(200, 0.9, 10, 6000)));
          append_json_string(in, m_text);
          in += ",\"new_string\":";
          call.text = m_text;
          append_code(m_rng, call.text, static_cast<std::size_t>(m_rng.lognormal(120, 0.9, 10, 4000)));
          append_json_string(in, call.text);
        } else if (call.tool == Tool::write) {
          in += ",\"content\":";
          call.text.clear();
          append_code(m_rng, call.text, static_cast<std::size_t>(m_rng.lognormal(1800, 1.0, 50, 40'000)));
          append_json_string(in, call.text);
        }
        in += '}';
        break;
      }
      case Tool::todo_write: {
        in += "{\"todos\":";
        todos(in);
        in += '}';
        break;
      }
      case Tool::glob:
      case Tool::grep: {
        in += call.tool == Tool::glob ? "{\"pattern\":\"**/*" : "{\"pattern\":\"";
        in += call.tool == Tool::glob ? std::string_view(".ts") : identifier(m_rng);
        in += "\",\"path\":";
        append_json_string(in, m_project.cwd);
        in += '}';
        break;
      }
      case Tool::web_fetch: {
        in += "{\"url\":\"https://docs.";
        in += word(m_rng);
        in += ".dev/";
        in += identifier(m_rng);
        in += "\",\"prompt\":";
        m_text.clear();
        append_prose(m_rng, m_text, 80);
        append_json_string(in, m_text);
        in += '}';
        break;
      }
      case Tool::task: {
        call.text.clear();
        append_prose(m_rng, call.text, static_cast<std::size_t>(m_rng.lognormal(600, 0.7, 80, 6000)));
        in += "{\"description\":";
        append_json_string(in, utf8_prefix(call.text, 40));
        in += ",\"prompt\":";
        append_json_string(in, call.text);
        in += ",\"subagent_type\":\"general-purpose\"}";
        break;
      }
    }
    return call;
  }

  void expand_command(std::string& out) {
    static constexpr std::array<std::string_view, 8> k_commands = {"npm test", "git status", "git diff",    "ls -la",
                                                                   "make -j2", "pytest -q",  "cargo build", "grep -rn"};
    out += k_commands[m_rng.below(k_commands.size())];
    out += ' ';
    out += identifier(m_rng);
    if (m_rng.chance(0.3)) {
      out += " 2>&1 | tail -";
      out += std::to_string(m_rng.between(5, 80));
    }
  }

  void todos(std::string& out) {
    out += '[';
    const auto n = m_rng.between(2, 8);
    for (std::int64_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      m_text.clear();
      append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.between(20, 80)));
      out += "{\"content\":";
      append_json_string(out, m_text);
      out += ",\"status\":\"";
      out += k_todo_status[m_rng.below(k_todo_status.size())];
      out += "\",\"activeForm\":";
      append_json_string(out, m_text);
      out += '}';
    }
    out += ']';
  }

  /// One API response: a line per content block (thinking, text, tool_use…), then the tool results.
  void assistant_call(bool final) {
    think_pause();
    std::string msg_id, request_id;
    append_token(m_rng, msg_id, "msg_01", 22);
    append_token(m_rng, request_id, "req_011C", 20);
    const bool thinking = m_rng.chance(0.25);
    const bool text = final || m_rng.chance(0.4);
    const auto tools = final ? 0 : (m_rng.chance(0.12) ? m_rng.between(2, 4) : 1);
    const auto blocks = static_cast<int>(thinking) + static_cast<int>(text) + tools;

    store::Usage usage;
    usage.input_tokens = m_rng.between(1, 12);
    usage.cache_creation_tokens = static_cast<std::int64_t>(m_rng.lognormal(1500, 1.4, 0, 60'000));
    usage.cache_read_tokens = m_context_tokens;
    usage.output_tokens = static_cast<std::int64_t>(m_rng.lognormal(250, 1.1, 1, 32'000));
    // The formula of ingest/pricing.cpp, so that re-ingesting an export gives the same costs.
    usage.cost_usd = 1e-6 * (static_cast<double>(usage.input_tokens) * m_price.in +
                             static_cast<double>(usage.output_tokens) * m_price.out +
                             static_cast<double>(usage.cache_creation_tokens) * m_price.cache_write +
                             static_cast<double>(usage.cache_read_tokens) * m_price.cache_read);
    m_context_tokens += usage.cache_creation_tokens + usage.output_tokens;

    std::vector<ToolCall> calls;
    int block = 0;
    auto line = [&](auto&& content) {
      if (m_left == 0) return;
      ++block;
      new_uuid();
      std::string& j = begin_line();
      envelope("assistant");
      j += ",\"message\":{\"model\":\"";
      j += m_model;
      j += "\",\"id\":\"";
      j += msg_id;
      j += "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[";
      content(j);
      j += "],\"stop_reason\":";
      j += block < blocks ? "null" : (final ? "\"end_turn\"" : "\"tool_use\"");
      j += ",\"stop_sequence\":null,\"usage\":{\"input_tokens\":";
      j += std::to_string(usage.input_tokens);
      j += ",\"cache_creation_input_tokens\":";
      j += std::to_string(usage.cache_creation_tokens);
      j += ",\"cache_read_input_tokens\":";
      j += std::to_string(usage.cache_read_tokens);
      if (has(k_cache_creation)) {
        j += ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":";
        j += std::to_string(usage.cache_creation_tokens);
        j += ",\"ephemeral_1h_input_tokens\":0}";
      }
      j += ",\"output_tokens\":";
      j += std::to_string(usage.output_tokens);
      j += ",\"service_tier\":\"standard\"}},\"requestId\":\"";
      j += request_id;
      j += '"';
      uuid_and_time();
      j += '}';
      m_entry.message_id = msg_id;
      m_entry.usage = usage;
      emit_message();
      tick();
    };
    if (thinking) {
      line([&](std::string& j) {
        m_text.clear();
        append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(350, 1.0, 40, 20'000)));
        j += "{\"type\":\"thinking\",\"thinking\":";
        append_json_string(j, m_text);
        j += ",\"signature\":\"";
        append_base64(m_rng, j, static_cast<std::size_t>(m_rng.between(300, 1600)));
        j += "\"}";
      });
    }
    if (text) {
      line([&](std::string& j) {
        m_text.clear();
        const double median = final ? 400 : 120;
        append_prose(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(median, 1.0, 10, 16'000)));
        if (final && m_rng.chance(0.3)) {
          m_text += "\n\n```\n";
          append_code(m_rng, m_text, static_cast<std::size_t>(m_rng.lognormal(400, 0.8, 40, 6000)));
          m_text += "```";
        }
        j += "{\"type\":\"text\",\"text\":";
        append_json_string(j, m_text);
        j += '}';
      });
    }
    for (std::int64_t t = 0; t < tools && m_left > 0; ++t) {
      calls.push_back(make_tool_call());
      const ToolCall& call = calls.back();
      line([&](std::string& j) {
        j += "{\"type\":\"tool_use\",\"id\":\"";
        j += call.id;
        j += "\",\"name\":\"";
        j += call.name;
        j += "\",\"input\":";
        j += call.input;
        j += '}';
      });
    }
    const std::string assistant_uuid = m_sidechain ? m_side_parent : m_parent;
    for (const auto& call : calls) {
      if (m_left == 0) break;
      run_tool(call, assistant_uuid);
    }
  }

  /// The tool runs: pre-hooks, progress, a subagent for Task, then the user line with its result.
  void run_tool(const ToolCall& call, const std::string& assistant_uuid) {
    if (has(k_progress) && m_rng.chance(0.9)) {  // 2.1.1x-2.1.6x: most lines are hook progress
      m_hook_name = "PreToolUse:";
      m_hook_name += call.name;
      for (auto i = m_rng.between(1, 3); i > 0; --i) hook_progress("PreToolUse", m_hook_name, &call);
    }
    tool_pause();
    std::string result;      // the tool_result content (raw text)
    std::string structured;  // toolUseResult (JSON)
    const bool error = call.tool != Tool::task && m_rng.chance(0.04);
    if (error) {
      result = "Error: ";
      append_prose(m_rng, result, static_cast<std::size_t>(m_rng.between(30, 300)));
      append_json_string(structured, result);
    } else {
      tool_output(call, result, structured);
    }
    if (m_left == 0) return;
    new_uuid();
    std::string& j = begin_line();
    envelope("user");
    j += ",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"";
    j += call.id;
    j += "\",\"type\":\"tool_result\",\"content\":";
    if (call.tool == Tool::task) {
      j += "[{\"type\":\"text\",\"text\":";
      append_json_string(j, result);
      j += "}]";
    } else {
      append_json_string(j, result);
    }
    if (error) j += ",\"is_error\":true";
    j += "}]}";
    uuid_and_time();
    j += ",\"toolUseResult\":";
    j += structured;
    if (has(k_source_tool)) {
      j += ",\"sourceToolAssistantUUID\":\"";
      j += assistant_uuid;
      j += '"';
    }
    j += '}';
    emit_message();
    if (has(k_progress) && m_rng.chance(0.8)) {
      m_hook_name = "PostToolUse:";
      m_hook_name += call.name;
      for (auto i = m_rng.between(1, 2); i > 0; --i) hook_progress("PostToolUse", m_hook_name, &call);
    } else if (has(k_attachment) && m_rng.chance(0.3)) {
      hook_attachment("PostToolUse", "PostToolUse");
    }
  }

  /// The project file `index`: the same path and content every time it is read in this project.
  void project_file(std::uint32_t index, std::string& path, std::string& content) {
    Prng file_rng(derive_seed(m_project.files_seed, "file", index));
    append_path(file_rng, path, m_project.cwd);
    const auto size = static_cast<std::size_t>(file_rng.lognormal(1800, 1.1, 60, 110'000));
    if (path.ends_with(".md"))
      append_prose(file_rng, content, size);
    else
      append_code(file_rng, content, size);
  }

  void tool_output(const ToolCall& call, std::string& result, std::string& structured) {
    switch (call.tool) {
      case Tool::bash: {
        if (has(k_progress) && m_rng.chance(0.5)) bash_progress(call, m_rng.between(1, 8));
        append_shell_output(m_rng, result, static_cast<std::size_t>(m_rng.lognormal(350, 1.5, 0, 120'000)), m_cwd);
        if (!result.empty()) result.pop_back();
        structured += "{\"stdout\":";
        append_json_string(structured, result);
        structured += ",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}";
        break;
      }
      case Tool::read: {
        std::string path, content;
        project_file(call.file, path, content);
        std::int64_t lines = 0;
        std::size_t start = 0;
        while (start < content.size()) {
          std::size_t end = content.find('\n', start);
          if (end == std::string::npos) end = content.size();
          char number[16];
          const int n = std::snprintf(number, sizeof number, "%6lld→", static_cast<long long>(++lines));
          result.append(number, static_cast<std::size_t>(n));
          result.append(content, start, end - start + 1);
          start = end + 1;
        }
        structured += "{\"type\":\"text\",\"file\":{\"filePath\":";
        append_json_string(structured, path);
        structured += ",\"content\":";
        append_json_string(structured, content);
        structured += ",\"numLines\":" + std::to_string(lines) +
                      ",\"startLine\":1,\"totalLines\":" + std::to_string(lines) + "}}";
        break;
      }
      case Tool::edit: {
        std::string path, content;
        project_file(call.file, path, content);
        result = "The file " + path +
                 " has been updated. Here's the result of running `cat -n` on a snippet of the "
                 "edited file:\n";
        const auto first = m_rng.between(1, 300);
        std::int64_t line = first;
        std::size_t start = 0;
        while (start < call.text.size()) {
          std::size_t end = call.text.find('\n', start);
          if (end == std::string::npos) end = call.text.size();
          result += std::to_string(line++);
          result += "→";
          result.append(call.text, start, end - start + 1);
          start = end + 1;
        }
        structured += "{\"filePath\":";
        append_json_string(structured, path);
        structured += ",\"oldString\":";
        const std::string_view old_part = utf8_prefix(call.text, call.text.size() / 2);
        append_json_string(structured, old_part);
        structured += ",\"newString\":";
        append_json_string(structured, std::string_view(call.text).substr(old_part.size()));
        structured += ",\"originalFile\":";
        append_json_string(structured, content);
        structured += ",\"structuredPatch\":[{\"oldStart\":" + std::to_string(first) +
                      ",\"oldLines\":" + std::to_string(line - first) + ",\"newStart\":" + std::to_string(first) +
                      ",\"newLines\":" + std::to_string(line - first) + ",\"lines\":[";
        m_text.clear();
        append_code(m_rng, m_text, 200);
        std::size_t s = 0;
        bool first_line = true;
        while (s < m_text.size()) {
          std::size_t e = m_text.find('\n', s);
          if (e == std::string::npos) e = m_text.size();
          if (!first_line) structured += ',';
          first_line = false;
          std::string patch_line(1, m_rng.chance(0.5) ? '+' : '-');
          patch_line.append(m_text, s, e - s);
          append_json_string(structured, patch_line);
          s = e + 1;
        }
        structured += "]}],\"userModified\":false,\"replaceAll\":false}";
        break;
      }
      case Tool::write: {
        result = "File created successfully at: " + call.path;
        structured += "{\"type\":\"create\",\"filePath\":";
        append_json_string(structured, call.path);
        structured += ",\"content\":";
        append_json_string(structured, call.text);
        structured += ",\"structuredPatch\":[]}";
        break;
      }
      case Tool::todo_write: {
        result =
            "Todos have been modified successfully. Ensure that you continue to use the todo list to track "
            "your progress. Please proceed with the current tasks if applicable";
        structured += "{\"oldTodos\":";
        todos(structured);
        structured += ",\"newTodos\":";
        todos(structured);
        structured += '}';
        break;
      }
      case Tool::glob:
      case Tool::grep: {
        const auto n = static_cast<std::int64_t>(m_rng.lognormal(8, 1.0, 0, 400));
        std::string names = "[";
        for (std::int64_t i = 0; i < n; ++i) {
          std::string path;
          append_path(m_rng, path, m_project.cwd);
          result += path;
          result += '\n';
          if (i > 0) names += ',';
          append_json_string(names, path);
        }
        names += ']';
        if (n == 0)
          result = "No files found";
        else
          result.pop_back();
        structured += call.tool == Tool::glob ? "{\"filenames\":" : "{\"mode\":\"files_with_matches\",\"filenames\":";
        structured += names;
        structured += ",\"durationMs\":" + std::to_string(m_rng.between(2, 400)) + ",\"numFiles\":" + std::to_string(n);
        structured += call.tool == Tool::glob ? ",\"truncated\":false}" : "}";
        break;
      }
      case Tool::web_fetch: {
        append_prose(m_rng, result, static_cast<std::size_t>(m_rng.lognormal(1200, 0.8, 100, 20'000)));
        structured +=
            "{\"bytes\":" + std::to_string(result.size() * 9) + ",\"code\":200,\"codeText\":\"OK\",\"result\":";
        append_json_string(structured, result);
        structured +=
            ",\"durationMs\":" + std::to_string(m_rng.between(200, 9000)) + ",\"url\":\"https://docs.example.dev/\"}";
        break;
      }
      case Tool::task: {
        subagent(call);
        append_prose(m_rng, result, static_cast<std::size_t>(m_rng.lognormal(2500, 0.8, 200, 30'000)));
        structured += "{\"status\":\"completed\",\"prompt\":";
        append_json_string(structured, call.text);
        structured += ",\"agentId\":\"" + m_agent_id + "\",\"content\":[{\"type\":\"text\",\"text\":";
        append_json_string(structured, result);
        structured += "}],\"totalDurationMs\":" + std::to_string(m_rng.between(5000, 600'000)) +
                      ",\"totalTokens\":" + std::to_string(m_rng.between(5000, 90'000)) +
                      ",\"totalToolUseCount\":" + std::to_string(m_rng.between(1, 30)) + "}";
        break;
      }
    }
  }

  /// A subagent's conversation, inline with isSidechain:true (and agentId from 2.0 on).
  void subagent(const ToolCall& call) {
    m_agent_id.clear();
    append_hex(m_rng, m_agent_id, 7);
    m_sidechain = true;
    m_side_parent.clear();
    new_uuid();
    std::string& j = begin_line();
    envelope("user", true);
    j += ",\"message\":{\"role\":\"user\",\"content\":";
    append_json_string(j, call.text);
    j += '}';
    uuid_and_time();
    j += '}';
    if (m_left > 0) emit_message();
    const auto calls = m_rng.count(4, 1, 25);
    for (std::int64_t c = 0; c < calls && m_left > 0; ++c) assistant_call(c + 1 == calls);
    m_sidechain = false;
  }

  const ProjectShape& m_project;
  const SessionShape& m_session;
  const EntrySink& m_sink;
  Prng m_rng;
  const Version& m_version;
  TimeMs m_now;
  std::int64_t m_left;  ///< messages still to produce
  std::string m_cwd, m_branch, m_slug;
  std::string_view m_model;
  Price m_price{};
  std::string m_parent;       ///< uuid of the main chain's last message
  std::string m_side_parent;  ///< uuid of the sidechain's last message
  bool m_sidechain = false;
  std::string m_agent_id;
  std::string m_uuid;  ///< uuid of the line being built
  std::string m_text;  ///< scratch text
  std::string m_hook_name;
  std::string m_last_prompt;
  std::int64_t m_context_tokens = 12'000;
  std::int64_t m_since_compaction = 0;
  std::int64_t m_next_compaction = 0;
  std::map<std::string, std::int64_t> m_occurrences;  ///< per content hash of records without a uuid
  store::Entry m_entry;
  SessionResult m_result;
  Error m_error{Errc::ok, ""};
};

}  // namespace

void append_iso8601_ms(std::string& out, TimeMs t) {
  // Civil-from-days (Howard Hinnant), valid for any date after 1970.
  const std::int64_t ms = t % 1000, secs = t / 1000;
  const std::int64_t days = secs / 86400, rem = secs % 86400;
  const std::int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60), static_cast<long long>(ms));
  out.append(buf, 24);
}

Result<SessionResult> generate_session(const ProjectShape& project, const SessionShape& session,
                                       const EntrySink& sink) {
  Transcript transcript(project, session, sink);
  return transcript.run();
}

}  // namespace claudelens::demo
