// A restore of a few sessions chosen by id (docs/restore.md, stage 2): the selection decodes only the
// catalogue documents that can be theirs (the id's bytes, or a `\u` escape, in the document), so what
// it checks of the `sessions` catalogue is the chosen sessions' documents and the frames it reads (their
// checksums); a session listed twice is refused when it is a chosen one, and is another restore's
// concern otherwise (a restore of the whole archive refuses it: identity_and_scope_test.cpp).
#include <gtest/gtest.h>

#include <functional>

#include "backup/documents.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "restore/catalogue.hpp"
#include "unit/restore/restore_test_support.hpp"

namespace claudelens::testing {
namespace {

using restore::Mode;

/// `archive` written again as `out`, the documents of each `sessions` section passed through `edit`
/// (which may change, add or drop them); every other section as it was.
void rewrite_sessions(const std::filesystem::path& archive, const std::filesystem::path& out,
                      const std::function<void(std::vector<std::string>&)>& edit) {
  auto reader = format::ArchiveReader::open(archive);
  ASSERT_TRUE(reader) << reader.error().message;
  auto writer = format::ArchiveWriter::create(out, (*reader)->header_json());
  ASSERT_TRUE(writer) << writer.error().message;
  for (const auto& section : (*reader)->sections()) {
    std::vector<std::string> docs;
    ASSERT_TRUE((*reader)->read_section(section, [&](std::string_view doc) {
      docs.emplace_back(doc);
      return true;
    }));
    if (section.key.collection == backup::k_sessions) edit(docs);
    ASSERT_TRUE((*writer)->begin_section(section.key));
    for (const auto& doc : docs) ASSERT_TRUE((*writer)->append(doc));
  }
  ASSERT_TRUE((*writer)->finish((*reader)->manifest_json()));
}

class OneSession : public ::testing::Test {
 protected:
  void SetUp() override {
    source.ingest("app", "A", {line("A", "a1", 1)});
    source.ingest("lib", "D", {line("D", "d1", 2, "/w/lib")});
    archive = source.backup();
  }

  Result<restore::RestoreReport> restore_sessions(const std::filesystem::path& file, std::vector<std::string> ids) {
    restore::RestoreOptions o;
    o.mode = Mode::selective;
    o.selections.sessions = std::move(ids);
    return target.restore(file, o);
  }

  TempDir dir;
  RestoreFixture source{dir, "source"};
  RestoreFixture target{dir, "target"};
  std::filesystem::path archive;
};

TEST_F(OneSession, another_session_listed_twice_is_not_this_restores_concern_the_chosen_one_is) {
  const auto twice = dir.path() / "twice.claudelens";
  std::string doubled;  // the session whose catalogue document is listed twice
  rewrite_sessions(archive, twice, [&](std::vector<std::string>& docs) {
    ASSERT_FALSE(docs.empty());
    auto s = backup::decode_session(docs.front());
    ASSERT_TRUE(s) << s.error().message;
    doubled = s->id;
    docs.push_back(docs.front());
  });
  ASSERT_FALSE(doubled.empty());
  const std::string other = doubled == "A" ? "D" : "A";

  auto ok = restore_sessions(twice, {other});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(target.keys(other), (std::set<std::string>{other == "A" ? "a1" : "d1"}));
  EXPECT_FALSE(target.session(doubled));

  auto chosen = restore_sessions(twice, {doubled});
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code, Errc::corrupted);
  EXPECT_NE(chosen.error().message.find("twice"), std::string::npos) << chosen.error().message;
  EXPECT_FALSE(target.session(doubled));

  // A project selection decodes every session's document: the duplicate is refused there.
  restore::RestoreOptions by_project;
  by_project.mode = Mode::selective;
  by_project.selections.projects = {other == "A" ? "app" : "lib"};
  auto projects = target.restore(twice, by_project);
  ASSERT_FALSE(projects);
  EXPECT_EQ(projects.error().code, Errc::corrupted);
}

TEST_F(OneSession, a_catalogue_document_that_escapes_the_session_id_is_still_found) {
  // JSON may write any character as \uXXXX: such a document is decoded whatever its bytes.
  const auto escaped = dir.path() / "escaped.claudelens";
  int changed = 0;
  rewrite_sessions(archive, escaped, [&](std::vector<std::string>& docs) {
    for (auto& doc : docs) {
      const std::string plain = R"("_id":"A")";
      if (const auto at = doc.find(plain); at != std::string::npos) {
        doc.replace(at, plain.size(), R"("_id":"\u0041")");
        ++changed;
      }
    }
  });
  ASSERT_EQ(changed, 1);
  auto r = restore_sessions(escaped, {"A"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.keys("A"), (std::set<std::string>{"a1"}));
  EXPECT_FALSE(target.session("D"));
}

TEST_F(OneSession, an_id_with_a_character_json_escapes_otherwise_decodes_every_document) {
  EXPECT_EQ(restore::session_id_filter({.sessions = {"A", "D"}})->size(), 2u);
  EXPECT_EQ(restore::session_id_filter({.sessions = {"a/b"}}), nullptr);
  EXPECT_EQ(restore::session_id_filter({.sessions = {"a\"b"}}), nullptr);
  EXPECT_EQ(restore::session_id_filter({.sessions = {"a\\b"}}), nullptr);
  EXPECT_EQ(restore::session_id_filter({.sessions = {"a\nb"}}), nullptr);
  EXPECT_EQ(restore::session_id_filter({.projects = {"app"}, .sessions = {"A"}}), nullptr);
  EXPECT_EQ(restore::session_id_filter({}), nullptr);
  EXPECT_EQ(restore::session_id_filter({.sessions = std::vector<std::string>(17, "A")}), nullptr);
  // Through a whole restore: the same sessions as without the filter.
  auto r = restore_sessions(archive, {"D", "no/such/session"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(target.keys("D"), (std::set<std::string>{"d1"}));
  EXPECT_FALSE(target.session("A"));
}

TEST_F(OneSession, a_damaged_catalogue_frame_is_refused_before_any_write) {
  // The sessions catalogue's frames are read (and their checksums checked) whatever the filter skips.
  std::uint64_t at = 0;
  {
    auto reader = format::ArchiveReader::open(archive);
    ASSERT_TRUE(reader) << reader.error().message;
    for (const auto& s : (*reader)->sections())
      if (s.key.collection == backup::k_sessions) {
        const auto& f = (*reader)->frames()[s.first_frame];
        at = f.offset + f.stored_size / 2;
      }
  }
  ASSERT_GT(at, 0u);
  {
    std::fstream file(archive, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(at));
    file.put(static_cast<char>(c ^ 0x01));
  }
  auto r = restore_sessions(archive, {"A"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::corrupted) << r.error().message;
  EXPECT_EQ(target.counts().sessions, 0);
}

}  // namespace
}  // namespace claudelens::testing
