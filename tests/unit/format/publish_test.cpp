#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "format/partial_files.hpp"

namespace claudelens::format {
namespace {

TEST(ArchivePublish, final_name_appears_only_at_finish) {
  const auto dir = test::scratch_dir();
  auto w = ArchiveWriter::create(dir / "b.clbk", "{}", {});
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->begin_section({"c", "o", "p", "s"}).has_value());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*w)->append(R"({"i":)" + std::to_string(i) + "}").has_value());
  EXPECT_FALSE(std::filesystem::exists(dir / "b.clbk"));
  EXPECT_TRUE(std::filesystem::exists((*w)->temporary_path()));
  EXPECT_EQ((*w)->temporary_path().parent_path(), dir);
  EXPECT_TRUE(is_partial_name((*w)->temporary_path().filename().string()));
  auto done = (*w)->finish("{}");
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir / "b.clbk"));
  EXPECT_FALSE(std::filesystem::exists((*w)->temporary_path()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}

TEST(ArchivePublish, abort_and_destruction_remove_the_temporary) {
  const auto dir = test::scratch_dir();
  {
    auto w = ArchiveWriter::create(dir / "a.clbk", "{}", {});
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE((*w)->begin_section({"c", "o", "p", "s"}).has_value());
    ASSERT_TRUE((*w)->append("{}").has_value());
    (*w)->abort();
    EXPECT_FALSE(std::filesystem::exists((*w)->temporary_path()));
    EXPECT_EQ((*w)->finish("{}").error().code, Errc::invalid_argument);
  }
  {
    auto w = ArchiveWriter::create(dir / "b.clbk", "{}", {});
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE((*w)->begin_section({"c", "o", "p", "s"}).has_value());
    ASSERT_TRUE((*w)->append("{}").has_value());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(ArchivePublish, refuses_to_replace_an_existing_archive) {
  const auto dir = test::scratch_dir();
  test::write_file(dir / "a.clbk", "existing");
  auto w = ArchiveWriter::create(dir / "a.clbk", "{}", {});
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, Errc::already_exists);

  auto late = ArchiveWriter::create(dir / "b.clbk", "{}", {});
  ASSERT_TRUE(late.has_value());
  test::write_file(dir / "b.clbk", "appeared meanwhile");
  auto done = (*late)->finish("{}");
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, Errc::already_exists);
  EXPECT_EQ(test::read_file(dir / "b.clbk"), "appeared meanwhile");
}

TEST(ArchivePublish, leftover_partial_files_are_found_and_removed) {
  const auto dir = test::scratch_dir();
  test::write_file(dir / ".x.clbk.partial-0123456789abcdef", "half");
  test::write_file(dir / ".y.clbk.partial-fedcba9876543210-index", "half index");
  test::write_file(dir / "done.clbk", "keep");
  test::write_file(dir / ".hidden", "keep");
  test::write_file(dir / ".z.partial-xyz", "keep: not our shape");
  auto found = find_partial_files(dir);
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 2u);
  auto removed = remove_partial_files(dir);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir / ".x.clbk.partial-0123456789abcdef"));
  EXPECT_TRUE(std::filesystem::exists(dir / "done.clbk"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".hidden"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".z.partial-xyz"));
  auto again = find_partial_files(dir);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->empty());
}

TEST(ArchivePublish, progress_counts_documents_and_bytes) {
  const auto dir = test::scratch_dir();
  auto w = ArchiveWriter::create(dir / "a.clbk", "{}", WriterOptions{.frame_bytes = 4096});
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->begin_section({"c", "o", "p", "s"}).has_value());
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE((*w)->append(R"({"i":)" + std::to_string(i) + "}").has_value());
  EXPECT_EQ((*w)->documents(), 5000u);
  const std::uint64_t before = (*w)->bytes_written();
  EXPECT_GT(before, 0u);
  auto done = (*w)->finish("{}");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ((*w)->bytes_written(), done->file_size);
}

}  // namespace
}  // namespace claudelens::format
