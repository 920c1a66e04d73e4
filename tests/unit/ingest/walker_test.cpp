#include <gtest/gtest.h>

#include <algorithm>

#include "ingest/walker.hpp"
#include "temp_dir.hpp"

namespace claudelens::ingest {
namespace {

using testing::TempDir;

/// "project|session|file name" per source, in order, to compare whole listings at once.
std::vector<std::string> describe(const std::vector<SourceFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files)
    out.push_back(f.project_name + "|" + f.session_fallback + "|" + f.path.filename().string());
  return out;
}

std::vector<std::string> must_collect(const std::vector<std::filesystem::path>& paths) {
  auto r = collect_sources(paths);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? describe(*r) : std::vector<std::string>{};
}

/// A ~/.claude/projects folder with the three subagent layouts (inline isSidechain needs no file).
void make_projects(const TempDir& t) {
  t.write("projects/-home-a/s1.jsonl", "{}\n");
  t.write("projects/-home-a/agent-1234abcd.jsonl", "{}\n");              // 2.0.x: beside the sessions
  t.write("projects/-home-a/s1/subagents/agent-a1b2c3d.jsonl", "{}\n");  // 2.1.x: under the session
  t.write("projects/-home-a/s1/subagents/agent-acompact-946d2b.jsonl", "{}\n");
  t.write("projects/-home-a/s1/tool-results/x.txt", "not a transcript");
  t.write("projects/-home-a/notes.txt", "ignored");
  t.write("projects/-home-b/s2.jsonl", "");
  t.write("projects/-home-c/nothing.txt", "");
  t.write("projects/README", "ignored");
}

TEST(Walker, projects_folder_subfolders_are_projects) {
  TempDir t;
  make_projects(t);
  EXPECT_EQ(must_collect({t.path() / "projects"}),
            (std::vector<std::string>{"-home-a|agent-1234abcd|agent-1234abcd.jsonl", "-home-a|s1|s1.jsonl",
                                      "-home-a|s1|agent-a1b2c3d.jsonl", "-home-a|s1|agent-acompact-946d2b.jsonl",
                                      "-home-b|s2|s2.jsonl"}));
}

TEST(Walker, agent_file_beside_sessions_falls_back_to_its_own_stem) {
  TempDir t;
  make_projects(t);
  auto files = must_collect({t.path() / "projects" / "-home-a"});
  EXPECT_EQ(files.front(), "-home-a|agent-1234abcd|agent-1234abcd.jsonl");
}

TEST(Walker, project_folder_given_directly_with_trailing_slash) {
  TempDir t;
  make_projects(t);
  EXPECT_EQ(must_collect({(t.path() / "projects" / "-home-a").string() + "/"}),
            (std::vector<std::string>{"-home-a|agent-1234abcd|agent-1234abcd.jsonl", "-home-a|s1|s1.jsonl",
                                      "-home-a|s1|agent-a1b2c3d.jsonl", "-home-a|s1|agent-acompact-946d2b.jsonl"}));
}

TEST(Walker, folder_with_only_session_subagents_is_a_project) {
  TempDir t;
  t.write("p/-x/s9/subagents/agent-abc.jsonl", "{}\n");
  EXPECT_EQ(must_collect({t.path() / "p" / "-x"}), (std::vector<std::string>{"-x|s9|agent-abc.jsonl"}));
  EXPECT_EQ(must_collect({t.path() / "p"}), (std::vector<std::string>{"-x|s9|agent-abc.jsonl"}));
}

TEST(Walker, file_given_alone_belongs_to_its_folder) {
  TempDir t;
  make_projects(t);
  EXPECT_EQ(must_collect({t.path() / "projects/-home-a/s1.jsonl"}), (std::vector<std::string>{"-home-a|s1|s1.jsonl"}));
}

TEST(Walker, subagent_file_given_alone_belongs_to_the_folder_above_its_session) {
  TempDir t;
  make_projects(t);
  EXPECT_EQ(must_collect({t.path() / "projects/-home-a/s1/subagents/agent-a1b2c3d.jsonl"}),
            (std::vector<std::string>{"-home-a|s1|agent-a1b2c3d.jsonl"}));
}

TEST(Walker, relative_paths_and_dot) {
  TempDir t;
  make_projects(t);
  const auto old = std::filesystem::current_path();
  std::filesystem::current_path(t.path() / "projects" / "-home-b");
  const auto files = must_collect({"."});
  std::filesystem::current_path(old);
  EXPECT_EQ(files, (std::vector<std::string>{"-home-b|s2|s2.jsonl"}));
}

TEST(Walker, a_file_reached_twice_is_listed_once) {
  TempDir t;
  make_projects(t);
  auto r = collect_sources({t.path() / "projects/-home-b", t.path() / "projects/-home-b/s2.jsonl"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

TEST(Walker, missing_path_is_not_found_and_names_it) {
  TempDir t;
  auto r = collect_sources({t.path() / "nope"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("nope"), std::string::npos);
}

TEST(Walker, lists_file_sizes) {
  TempDir t;
  t.write("p/-x/s.jsonl", "{}\n{}\n");
  auto r = collect_sources({t.path() / "p"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().size, 6);
}

TEST(Walker, names_that_are_not_utf8_are_escaped) {
  TempDir t;
  t.write("projects/caf\xe9/s\xff" "1.jsonl", "{}\n");
  auto files = collect_sources({t.path() / "projects"});
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].project_name, "caf%E9");
  EXPECT_EQ((*files)[0].session_fallback, "s%FF1");
  EXPECT_EQ(classify_file(t.path() / "projects" / "caf\xe9" / "s\xff" "1.jsonl").project_name, "caf%E9");
}

}  // namespace
}  // namespace claudelens::ingest
