// A small store for backup unit tests: two owners, three projects, sessions of known sizes and times.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::backup::testing {

inline std::unique_ptr<store::Store> open_store_in(const claudelens::testing::TempDir& dir) {
  auto s = store::open_store("sqlite:" + (dir / "db.sqlite").string());
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::move(s).value();
}

/// Session `id` in project (owner, name, cwd) with `messages` messages one minute apart from `start`,
/// plus one record without a uuid and without a timestamp.
inline void add_session(store::Writer& w, const std::string& owner, const std::string& project, const std::string& cwd,
                        const std::string& id, int messages, TimeMs start) {
  const std::string pid = w.ensure_project(owner, project, start).value();
  ASSERT_TRUE(w.ensure_session(id, pid, owner, start));
  for (int i = 0; i < messages; ++i) {
    store::Entry e;
    e.session_id = id;
    e.key = fmt::format("{}-u{}", id, i);
    e.has_uuid = true;
    e.type = i % 2 ? "assistant" : "user";
    e.timestamp = start + i * 60'000;
    e.cwd = cwd;
    e.json = fmt::format(R"({{"type":"{}","uuid":"{}","sessionId":"{}","timestamp":"{}","cwd":"{}","n":{}}})", e.type,
                         e.key, id, format_iso8601_ms(*e.timestamp), cwd, i);
    ASSERT_TRUE(w.insert_entry(e, store::OnExisting::keep));
  }
  store::Entry r;
  r.session_id = id;
  r.key = "~" + id + ":1";
  r.type = "summary";
  r.json = fmt::format(R"({{"type":"summary","summary":"about {}","leafUuid":"x"}})", id);
  ASSERT_TRUE(w.insert_entry(r, store::OnExisting::keep));
  ASSERT_TRUE(w.refresh_session_stats(id));
  ASSERT_TRUE(w.refresh_project_stats(pid));
}

constexpr TimeMs k_day = 86'400'000;
constexpr TimeMs k_t0 = 1'750'000'000'000;  // 2025-06-15

/// alice: -w-api (/w/api) s1 (3 msgs, day 0), s2 (10 msgs, day 2); -w-web (/w/web) s3 (5 msgs, day 4)
/// bob:   -w-cli (/w/cli) s4 (1 msg, day 6). Plus one prompt and one ai setting for alice.
inline void seed(store::Store& st) {
  auto w = st.write().value();
  ASSERT_TRUE(w->put_user({"alice", "alice", store::Role::user, 1}));
  ASSERT_TRUE(w->put_user({"bob", "bob", store::Role::user, 2}));
  add_session(*w, "alice", "-w-api", "/w/api", "s1", 3, k_t0);
  add_session(*w, "alice", "-w-api", "/w/api", "s2", 10, k_t0 + 2 * k_day);
  add_session(*w, "alice", "-w-web", "/w/web", "s3", 5, k_t0 + 4 * k_day);
  add_session(*w, "bob", "-w-cli", "/w/cli", "s4", 1, k_t0 + 6 * k_day);
  ASSERT_TRUE(w->put_document(store::Collection::prompts,
                              {"p1", "alice", "Review", 1, 2, R"({"name":"Review","content":"Check it"})"}));
  ASSERT_TRUE(
      w->put_document(store::Collection::ai_settings, {"a1", "alice", "default", 1, 2, R"({"model":"claude"})"}));
  ASSERT_TRUE(w->commit());
}

}  // namespace claudelens::backup::testing
