// The data set around the sessions: how many projects and sessions, their names, paths and timeline,
// the prompts / prompt folders / AI settings documents, and the batching of everything into the store.
// Shapes are from docs/demo-data.md; the lines themselves come from session_model.cpp.
#include "demo/demo_data.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "demo/prng.hpp"
#include "demo/session_model.hpp"
#include "demo/text.hpp"

namespace claudelens::demo {

namespace {

constexpr TimeMs k_day_ms = 86'400'000;
constexpr TimeMs k_base_date = 1'748'736'000'000;  // 2025-06-01T00:00:00Z, when the oldest versions ran

constexpr std::array<std::string_view, 8> k_users = {"dain", "alice", "mkumar", "jsmith",
                                                     "USER", "sofia", "kenji",  "ole"};
constexpr std::array<std::string_view, 5> k_workspaces = {"workspace", "projects", "code", "src", "dev"};

/// Write transactions of bounded size: a new Writer after every `batch_entries` rows or `batch_bytes`.
class Batcher {
 public:
  Batcher(store::Store& store, const DemoOptions& options) : m_store(store), m_options(options) {}

  Result<store::Writer*> writer() {
    if (!m_writer) {
      CL_TRY(w, m_store.write());
      m_writer = std::move(w);
    }
    return m_writer.get();
  }

  /// Counts one written row of `bytes`; commits when the batch is full.
  Status wrote(std::int64_t bytes) {
    ++m_rows;
    m_bytes += bytes;
    if (m_rows >= m_options.batch_entries || m_bytes >= m_options.batch_bytes) return commit();
    return {};
  }

  Status commit() {
    if (m_writer) {
      CL_CHECK(m_writer->commit());
      m_writer.reset();
    }
    m_rows = 0;
    m_bytes = 0;
    if (m_options.on_progress) m_options.on_progress(progress);
    return {};
  }

  DemoProgress progress;

 private:
  store::Store& m_store;
  const DemoOptions& m_options;
  std::unique_ptr<store::Writer> m_writer;
  std::int64_t m_rows = 0;
  std::int64_t m_bytes = 0;
};

/// A MongoDB-ObjectId-shaped id (what ClaudeLens' API uses): 12 hex of time, 12 hex from `rng`.
std::string object_id(Prng& rng, TimeMs t) {
  std::string id = fmt::format("{:012x}", static_cast<std::uint64_t>(t) & 0xffffffffffffULL);
  append_hex(rng, id, 12);
  return id;
}

std::string title(Prng& rng) {
  std::string t;
  append_prose(rng, t, static_cast<std::size_t>(rng.between(12, 40)));
  while (!t.empty() && (t.back() == ' ' || t.back() == '.' || t.back() == '\n' || t.back() == ':')) t.pop_back();
  return t;
}

class Generator {
 public:
  Generator(store::Store& store, const std::string& owner_id, const DemoOptions& options)
      : m_owner(owner_id), m_options(options), m_batch(store, options), m_rng(derive_seed(options.seed, "dataset", 0)) {
    m_base = k_base_date + static_cast<TimeMs>(options.seed % 61) * k_day_ms;
    m_user = k_users[m_rng.below(k_users.size())];
    m_home = m_rng.chance(0.5) ? fmt::format("/Users/{}", m_user) : fmt::format("/home/{}", m_user);
    m_batch.progress.target = options.messages;
  }

  Result<DemoSummary> run() {
    const auto started = std::chrono::steady_clock::now();
    CL_CHECK(documents());
    for (std::int64_t p = 0; m_summary.messages < m_options.messages; ++p) CL_CHECK(project(p));
    CL_CHECK(m_batch.commit());
    m_summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return m_summary;
  }

 private:
  Status project(std::int64_t index) {
    Prng rng(derive_seed(m_options.seed, "project", static_cast<std::uint64_t>(index)));
    ProjectShape shape;
    std::string leaf = std::string(identifier(rng)) + "-" + std::string(word(rng));
    if (!m_names.insert(leaf).second) leaf += fmt::format("-{}", index);
    shape.cwd = fmt::format("{}/{}/{}", m_home, k_workspaces[rng.below(k_workspaces.size())], leaf);
    shape.files_seed = rng.next();
    std::string folder = shape.cwd;  // Claude Code's folder name: '/', '.' and '_' become '-'
    for (char& c : folder)
      if (c == '/' || c == '.' || c == '_') c = '-';

    // Projects start over ~11 months, more of them recently (day = 330 * sqrt(u)): usage grows over time.
    const auto day = static_cast<TimeMs>(330.0 * std::sqrt(rng.unit()));
    TimeMs t = m_base + day * k_day_ms + static_cast<TimeMs>(rng.below(k_day_ms));
    CL_TRY(writer, m_batch.writer());
    CL_TRY(project_id, writer->ensure_project(m_owner, folder, t));
    ++m_summary.projects;

    const auto sessions = static_cast<std::int64_t>(rng.lognormal(6, 1.0, 1, 400));
    std::string previous_leaf;
    for (std::int64_t s = 0; s < sessions && m_summary.messages < m_options.messages; ++s) {
      SessionShape session;
      session.seed = derive_seed(m_options.seed, "session", static_cast<std::uint64_t>(m_session_index++));
      Prng srng(session.seed ^ 0x5bd1e995ULL);
      append_uuid(srng, session.session_id);
      session.start = t;
      session.day = static_cast<int>((t - m_base) / k_day_ms);
      session.previous_leaf = previous_leaf;
      const std::int64_t left = m_options.messages - m_summary.messages;
      session.messages =
          srng.chance(0.03) ? 0
                            : std::min<std::int64_t>(left, static_cast<std::int64_t>(srng.lognormal(40, 1.3, 1, 8000)));
      CL_TRY(result, write_session(shape, session, project_id));
      if (!result.last_uuid.empty()) previous_leaf = result.last_uuid;
      t = result.end + static_cast<TimeMs>(srng.lognormal(6 * 3'600'000.0, 1.5, 60'000, 30 * k_day_ms));
    }
    CL_TRY(w, m_batch.writer());
    return w->refresh_project_stats(project_id);
  }

  Result<SessionResult> write_session(const ProjectShape& shape, const SessionShape& session,
                                      const std::string& project_id) {
    {
      CL_TRY(writer, m_batch.writer());
      CL_CHECK(writer->ensure_session(session.session_id, project_id, m_owner, session.start));
    }
    const EntrySink sink = [&](const store::Entry& entry) -> Status {
      CL_TRY(writer, m_batch.writer());
      CL_TRY(inserted, writer->insert_entry(entry, store::OnExisting::keep));
      (void)inserted;  // a second run with the same seed finds its entries already there
      m_batch.progress.messages += entry.has_uuid ? 1 : 0;
      m_batch.progress.bytes += static_cast<std::int64_t>(entry.json.size());
      return m_batch.wrote(static_cast<std::int64_t>(entry.json.size()));
    };
    CL_TRY(result, generate_session(shape, session, sink));
    CL_TRY(writer, m_batch.writer());
    if (!result.summary.empty()) CL_CHECK(writer->set_session_summary(session.session_id, result.summary));
    CL_CHECK(writer->refresh_session_stats(session.session_id));
    ++m_summary.sessions;
    m_summary.messages += result.messages;
    m_summary.records += result.records;
    m_summary.bytes += result.bytes;
    return result;
  }

  Status put(store::Collection c, store::Document doc) {
    CL_TRY(writer, m_batch.writer());
    CL_CHECK(writer->put_document(c, doc));
    m_summary.bytes += static_cast<std::int64_t>(doc.json.size());
    return m_batch.wrote(static_cast<std::int64_t>(doc.json.size()));
  }

  /// Prompt folders, prompts and AI settings, in numbers that grow slowly with the data set.
  Status documents() {
    Prng rng(derive_seed(m_options.seed, "documents", 0));
    const std::int64_t prompts = std::clamp<std::int64_t>(m_options.messages / 2000, 5, 20'000);
    const std::int64_t folders = std::clamp<std::int64_t>(prompts / 8, 2, 2000);
    const std::int64_t settings = std::clamp<std::int64_t>(m_options.messages / 250'000 + 2, 2, 50);
    auto when = [&] { return m_base + static_cast<TimeMs>(rng.below(300 * k_day_ms)); };
    auto times = [&](std::string& j, TimeMs created, TimeMs updated) {
      j += ",\"created_at\":\"";
      append_iso8601_ms(j, created);
      j += "\",\"updated_at\":\"";
      append_iso8601_ms(j, updated);
      j += "\"}";
    };

    std::vector<std::string> folder_ids;  // bounded: at most 2000
    for (std::int64_t i = 0; i < folders; ++i) {
      store::Document doc;
      doc.created_at = when();
      doc.updated_at = doc.created_at + static_cast<TimeMs>(rng.below(30 * k_day_ms));
      doc.id = object_id(rng, doc.created_at);
      doc.owner_id = m_owner;
      doc.name = title(rng);
      std::string& j = doc.json;
      j += "{\"_id\":\"" + doc.id + "\",\"name\":";
      append_json_string(j, doc.name);
      j += ",\"parent_id\":";
      j += folder_ids.empty() || rng.chance(0.7) ? std::string("null")
                                                 : "\"" + folder_ids[rng.below(folder_ids.size())] + "\"";
      j += fmt::format(",\"color\":\"#{:06x}\",\"position\":{}", rng.below(0x1000000), i);
      times(j, doc.created_at, doc.updated_at);
      folder_ids.push_back(doc.id);
      CL_CHECK(put(store::Collection::prompt_folders, std::move(doc)));
      ++m_summary.prompt_folders;
    }
    for (std::int64_t i = 0; i < prompts; ++i) {
      store::Document doc;
      doc.created_at = when();
      doc.updated_at = doc.created_at + static_cast<TimeMs>(rng.below(60 * k_day_ms));
      doc.id = object_id(rng, doc.created_at);
      doc.owner_id = m_owner;
      doc.name = title(rng);
      std::string content;
      append_prose(rng, content, static_cast<std::size_t>(rng.lognormal(700, 1.0, 40, 20'000)));
      if (rng.chance(0.3)) {
        content += "\n\n```\n";
        append_code(rng, content, static_cast<std::size_t>(rng.between(100, 1500)));
        content += "```\n{{input}}";
      }
      std::string& j = doc.json;
      j += "{\"_id\":\"" + doc.id + "\",\"name\":";
      append_json_string(j, doc.name);
      j += ",\"description\":";
      append_json_string(j, title(rng));
      j += ",\"content\":";
      append_json_string(j, content);
      j += ",\"folder_id\":";
      j += rng.chance(0.2) ? std::string("null") : "\"" + folder_ids[rng.below(folder_ids.size())] + "\"";
      j += ",\"tags\":[";
      for (std::int64_t t = 0, n = rng.between(0, 4); t < n; ++t) {
        if (t > 0) j += ',';
        append_json_string(j, identifier(rng));
      }
      j += "],\"variables\":[";
      if (content.ends_with("{{input}}")) j += "\"input\"";
      j += fmt::format("],\"is_starred\":{},\"use_count\":{}", rng.chance(0.15), rng.below(200));
      times(j, doc.created_at, doc.updated_at);
      CL_CHECK(put(store::Collection::prompts, std::move(doc)));
      ++m_summary.prompts;
    }
    static constexpr std::array<std::string_view, 4> k_models = {
        "claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101"};
    for (std::int64_t i = 0; i < settings; ++i) {
      store::Document doc;
      doc.created_at = when();
      doc.updated_at = doc.created_at + static_cast<TimeMs>(rng.below(90 * k_day_ms));
      doc.id = object_id(rng, doc.created_at);
      doc.owner_id = m_owner;
      doc.name = i == 0 ? std::string("Default") : title(rng);
      std::string system_prompt;
      append_prose(rng, system_prompt, static_cast<std::size_t>(rng.between(100, 1500)));
      std::string& j = doc.json;
      j += "{\"_id\":\"" + doc.id + "\",\"name\":";
      append_json_string(j, doc.name);
      j += fmt::format(",\"provider\":\"anthropic\",\"model\":\"{}\",\"temperature\":{}.{},\"max_tokens\":{}",
                       k_models[rng.below(k_models.size())], rng.below(2), rng.below(10), 1024 << rng.below(5));
      j += ",\"system_prompt\":";
      append_json_string(j, system_prompt);
      j += fmt::format(",\"is_default\":{}", i == 0);
      times(j, doc.created_at, doc.updated_at);
      CL_CHECK(put(store::Collection::ai_settings, std::move(doc)));
      ++m_summary.ai_settings;
    }
    return {};
  }

  const std::string& m_owner;
  const DemoOptions& m_options;
  Batcher m_batch;
  Prng m_rng;
  TimeMs m_base = 0;
  std::string_view m_user;
  std::string m_home;
  std::set<std::string> m_names;  ///< project folder leaves used so far (thousands at 10M messages)
  std::int64_t m_session_index = 0;
  DemoSummary m_summary;
};

}  // namespace

Result<DemoSummary> generate(store::Store& store, const std::string& owner_id, const DemoOptions& options) {
  if (options.messages <= 0)
    return fail(Errc::invalid_argument, fmt::format("--messages must be at least 1 (got {})", options.messages));
  if (options.batch_entries <= 0 || options.batch_bytes <= 0)
    return fail(Errc::invalid_argument, "demo-data batch limits must be positive");
  Generator generator(store, owner_id, options);
  return generator.run();
}

}  // namespace claudelens::demo
