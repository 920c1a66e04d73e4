#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "crypto/sha256.hpp"
#include "format/frames.hpp"

#include <optional>

namespace claudelens::format {
namespace {

/// A syntactically valid archive with no data frames and one empty section, assembled from the
/// grammar's encoders, so that tests can set header fields the writer does not produce.
/// `trailer` supplies the trailer's version and minor revision (its version defaults to the header's).
std::string assemble(const Header& header, std::string_view extra_index_record = {},
                     std::optional<Trailer> trailer = std::nullopt, std::string_view records_override = {}) {
  std::string file = encode_header_frame(header);
  SectionInfo section;
  section.key = {"messages", "o", "p", "s"};
  std::string records(records_override);
  if (records.empty()) {
    EXPECT_TRUE(encode_section_record(section, records).has_value());
  }
  records += extra_index_record;
  Trailer t = trailer.value_or(Trailer{});
  if (!trailer) t.version = header.version;
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

/// The one message both the header and the trailer give for a version this build does not read.
std::string incompatible_message(int version) {
  return "incompatible archive format version " + std::to_string(version) + ", this build reads versions 1 to " +
         std::to_string(k_format_version);
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
  EXPECT_EQ(r.error().message, incompatible_message(k_format_version + 1));
}

TEST(ArchiveVersion, version_zero_is_incompatible_alike_from_the_header_and_from_the_trailer) {
  const auto dir = test::scratch_dir();
  Header h;
  h.version = 0;
  h.json = "{}";
  Trailer good_trailer;  // version 1: only the header says 0
  test::write_file(dir / "header0.clbk", assemble(h, {}, good_trailer));
  h.version = k_format_version;
  Trailer zero;
  zero.version = 0;  // only the trailer says 0
  test::write_file(dir / "trailer0.clbk", assemble(h, {}, zero));
  for (const char* name : {"header0.clbk", "trailer0.clbk"}) {
    auto r = ArchiveReader::open(dir / name);
    ASSERT_FALSE(r.has_value()) << name;
    EXPECT_EQ(r.error().code, Errc::incompatible_version) << name;
    EXPECT_EQ(r.error().message, incompatible_message(0)) << name;
  }
}

TEST(ArchiveVersion, every_minor_revision_reads_and_is_reported) {
  const auto dir = test::scratch_dir();
  Header h;
  h.json = "{}";
  for (std::uint16_t minor : {0, 1, 7, 0xFFFF}) {  // 0: a 1.0 writer's "reserved" field
    Trailer t;
    t.minor = minor;
    const auto path = dir / ("minor" + std::to_string(minor) + ".clbk");
    test::write_file(path, assemble(h, {}, t));
    auto r = ArchiveReader::open(path);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ((*r)->format_minor(), minor);
    EXPECT_TRUE((*r)->verify().has_value());
  }
}

TEST(ArchiveVersion, section_times_are_ignored_when_has_time_is_zero) {
  const auto dir = test::scratch_dir();
  SectionInfo section;
  section.key = {"messages", "o", "p", "s"};
  std::string record;
  ASSERT_TRUE(encode_section_record(section, record).has_value());
  // Body: 4 key strings (2 + 8 + 2 + 1 + 2 + 1 + 2 + 1 bytes), documents u64, has_time u8, then min and max.
  const std::size_t times_at = k_record_header_size + 2 + 8 + 2 + 1 + 2 + 1 + 2 + 1 + 8 + 1;
  ASSERT_EQ(record[times_at - 1], '\0');  // has_time = 0
  for (std::size_t i = 0; i < 16; ++i) record[times_at + i] = static_cast<char>(0x7F);
  Header h;
  h.json = "{}";
  test::write_file(dir / "times.clbk", assemble(h, {}, std::nullopt, record));
  auto r = ArchiveReader::open(dir / "times.clbk");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ((*r)->sections().size(), 1u);
  EXPECT_FALSE((*r)->sections()[0].min_time.has_value());
  EXPECT_FALSE((*r)->sections()[0].max_time.has_value());
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

TEST(ArchiveVersion, an_encrypted_archive_is_refused_at_open_by_verify_and_by_readers) {
  // This build implements no decryption: "verify OK" would promise an archive it cannot restore.
  const auto dir = test::scratch_dir();
  Header h;
  h.flags = k_flag_encrypted;
  h.json = R"({"encryption":{"cipher":"aes-256-gcm","kdf":"argon2id"},"parent_backup_id":null})";
  test::write_file(dir / "enc.clbk", assemble(h));
  auto opened = ArchiveReader::open(dir / "enc.clbk");
  ASSERT_FALSE(opened.has_value());
  auto verified = verify_archive(dir / "enc.clbk");
  ASSERT_FALSE(verified.has_value());
  for (const Error& e : {opened.error(), verified.error()}) {
    EXPECT_EQ(e.code, Errc::incompatible_version);
    EXPECT_NE(e.message.find("archive is encrypted"), std::string::npos) << e.message;
  }
}

TEST(ArchiveVersion, an_encrypted_flag_without_encryption_parameters_is_damage_with_a_clear_message) {
  // The case an independent tester hit: flag bit 0 set over plain frames and "encryption": null. It
  // verified OK, then a restore failed with "archive is encrypted (null)".
  const auto dir = test::scratch_dir();
  Header h;
  h.flags = k_flag_encrypted;
  h.json = R"({"encryption":null,"parent_backup_id":null})";
  test::write_file(dir / "flag.clbk", assemble(h));
  Header other;
  other.json = R"({"encryption":{"cipher":"aes-256-gcm"}})";  // parameters without the flag
  test::write_file(dir / "params.clbk", assemble(other));
  for (const char* name : {"flag.clbk", "params.clbk"}) {
    auto r = verify_archive(dir / name);
    ASSERT_FALSE(r.has_value()) << name;
    EXPECT_EQ(r.error().code, Errc::corrupted) << name;
    EXPECT_NE(r.error().message.find("encrypted flag"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("(null)"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace claudelens::format
