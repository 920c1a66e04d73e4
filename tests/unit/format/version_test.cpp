#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "crypto/sha256.hpp"
#include "format/frames.hpp"

namespace claudelens::format {
namespace {

/// A syntactically valid archive with no data frames and one empty section, assembled from the
/// grammar's encoders, so that tests can set header fields the writer does not produce.
std::string assemble(const Header& header, std::string_view extra_index_record = {}) {
  std::string file = encode_header_frame(header);
  SectionInfo section;
  section.key = {"messages", "o", "p", "s"};
  std::string records;
  EXPECT_TRUE(encode_section_record(section, records).has_value());
  records += extra_index_record;
  Trailer t;
  t.index_offset = file.size();
  std::string index = encode_index_prefix(0, 1, records.size()) + records;
  const crypto::Digest d = crypto::sha256(std::string_view(index).substr(k_frame_header_size));
  index.append(reinterpret_cast<const char*>(d.data()), d.size());
  file += index;
  t.index_frame_size = index.size();
  t.manifest_offset = file.size();
  const std::string manifest = encode_manifest_frame("{}");
  file += manifest;
  t.manifest_frame_size = manifest.size();
  t.body_digest = crypto::sha256(file);
  return file + encode_trailer(t);
}

TEST(ArchiveVersion, a_newer_format_version_is_incompatible) {
  const auto dir = test::scratch_dir();
  Header h;
  h.version = k_format_version + 1;
  h.json = "{}";
  test::write_file(dir / "new.clbk", assemble(h));
  auto r = ArchiveReader::open(dir / "new.clbk");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::incompatible_version);
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
}

TEST(ArchiveVersion, unknown_header_flags_are_incompatible) {
  const auto dir = test::scratch_dir();
  Header h;
  h.flags = 0x8000;
  h.json = "{}";
  test::write_file(dir / "flags.clbk", assemble(h));
  auto r = ArchiveReader::open(dir / "flags.clbk");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::incompatible_version);
}

TEST(ArchiveVersion, unknown_header_fields_and_index_records_are_ignored) {
  const auto dir = test::scratch_dir();
  Header h;
  h.json = R"({"future_field":{"x":1},"encryption":null})";
  const std::string unknown_record(
      "\x09\x03\x00\x00\x00"
      "abc",
      8);  // kind 9, 3-byte body
  test::write_file(dir / "future.clbk", assemble(h, unknown_record));
  auto r = ArchiveReader::open(dir / "future.clbk");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ((*r)->sections().size(), 1u);
  EXPECT_EQ((*r)->header_json(), h.json);
  EXPECT_TRUE((*r)->verify().has_value());
}

TEST(ArchiveVersion, an_encrypted_archive_opens_and_verifies_but_reading_needs_a_key) {
  const auto dir = test::scratch_dir();
  Header h;
  h.flags = k_flag_encrypted;
  h.json = R"({"encryption":{"cipher":"aes-256-gcm","kdf":"argon2id"},"parent_backup_id":null})";
  test::write_file(dir / "enc.clbk", assemble(h));
  auto r = ArchiveReader::open(dir / "enc.clbk");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE((*r)->encrypted());
  EXPECT_TRUE((*r)->verify().has_value());
  Status s = (*r)->read_all([](const SectionInfo&, std::string_view) { return true; });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::wrong_key);
  EXPECT_NE(s.error().message.find("encrypted"), std::string::npos);
}

}  // namespace
}  // namespace claudelens::format
