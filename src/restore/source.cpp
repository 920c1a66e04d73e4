#include "restore/source.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "backup/documents.hpp"

namespace claudelens::restore {

namespace {

class ArchiveSource final : public Source {
 public:
  explicit ArchiveSource(std::unique_ptr<format::ArchiveReader> reader) : m_reader(std::move(reader)) {}

  Status open() {
    CL_TRY(catalogue, read_catalogue(*m_reader, {.hold_projects = false}));
    m_catalogue = std::move(catalogue);
    return {};
  }

  const Catalogue& catalogue() const override { return m_catalogue; }

  Status for_each_project(const ProjectVisit& visit) override {
    return for_each_catalogue_project(*m_reader, m_catalogue, visit);
  }

  Result<Selection> select(const Selections& selections) override {
    return restore::select(m_catalogue, *m_reader, selections);
  }

  Result<bool> lists_session(const Selection& selection, std::string_view id) override {
    return restore::lists_session(m_catalogue, *m_reader, selection, id);
  }

  Status read_session_batch(const Selection& selection, std::size_t first,
                            std::vector<store::Session>& batch) override {
    return restore::read_session_batch(*m_reader, m_catalogue, selection, first, batch);
  }

  Status for_each_entry(const store::Session& session, const format::DocumentSink& sink) override {
    CL_TRY(index, entry_section(m_catalogue, *m_reader, session.id));
    if (!index) return fail(Errc::corrupted, fmt::format("archive: session '{}' has no entries section", session.id));
    CL_TRY(section, m_reader->section(*index));
    return m_reader->read_section(section, sink);
  }

  Result<EntryTotals> entry_totals(const store::Session& session) override {
    EntryTotals totals{session.message_count, session.records_count, 0};
    CL_TRY(index, entry_section(m_catalogue, *m_reader, session.id));
    if (index) {
      CL_TRY(section, m_reader->section(*index));
      totals.bytes = section.content_size;
    }
    return totals;
  }

  Status for_each_document(const format::DocumentSink& sink) override {
    return read_sections(m_catalogue.document_sections, sink);
  }

  Status for_each_audit(const format::DocumentSink& sink) override {
    return read_sections(m_catalogue.audit_sections, sink);
  }

  Result<std::uint64_t> validate(const Selection& selection, const ValidationNeeds& needs) override {
    const std::size_t frame_count = m_reader->frames().size();
    std::vector<bool> reads = selection.frames;     // every frame the restore reads
    std::vector<bool> checked(frame_count, false);  // ... of which these were read (and checked) already
    // The catalogue's own section lists (no walk over the paged index).
    auto mark_all = [&](const std::vector<std::size_t>& sections, bool read_already) -> Status {
      for (std::size_t i : sections) {
        CL_TRY(info, m_reader->section(i));
        for (std::uint64_t f = info.first_frame; f < info.first_frame + info.frame_count && f < frame_count; ++f) {
          reads[f] = true;
          if (read_already) checked[f] = true;
        }
      }
      return {};
    };
    CL_CHECK(mark_all(m_catalogue.catalogue_sections, true));
    CL_CHECK(mark_all(m_catalogue.session_sections, true));
    if (needs.documents) CL_CHECK(mark_all(m_catalogue.document_sections, false));
    if (needs.audit) CL_CHECK(mark_all(m_catalogue.audit_sections, false));
    const bool whole = std::all_of(reads.begin(), reads.end(), [](bool b) { return b; });
    auto keep_going = [&](std::uint64_t, std::uint64_t) {
      return !(needs.cancel && needs.cancel->load(std::memory_order_relaxed));
    };
    if (whole || needs.verify_all) {
      // A restore that reads every frame decompresses each one in its transaction (a frame that does
      // not decompress rolls it back): here the checksums and the file's SHA-256, not a second
      // decompression of the whole archive.
      CL_TRY(verified, m_reader->verify(keep_going, /*decompress=*/!whole));
      if (!needs.expected_sha256.empty() && verified.sha256_hex != needs.expected_sha256)
        return fail(Errc::corrupted, fmt::format("SHA-256 {} differs from the backup's recorded checksum {}",
                                                 verified.sha256_hex, needs.expected_sha256));
      return verified.file_size;
    }
    std::vector<std::size_t> frames;
    for (std::size_t f = 0; f < frame_count; ++f)
      if (reads[f] && !checked[f]) frames.push_back(f);
    return m_reader->verify_frames(frames, keep_going);
  }

  void read_ahead(bool on) override { m_reader->read_ahead(on); }
  std::uint64_t bytes_read() const override { return m_reader->bytes_read(); }
  std::uint64_t file_size() const override { return m_reader->file_size(); }

 private:
  Status read_sections(const std::vector<std::size_t>& which, const format::DocumentSink& sink) {
    bool stopped = false;
    const format::DocumentSink until_stopped = [&](std::string_view doc) { return !(stopped = !sink(doc)); };
    for (std::size_t i : which) {
      CL_TRY(section, m_reader->section(i));
      CL_CHECK(m_reader->read_section(section, until_stopped));
      if (stopped) break;
    }
    return {};
  }

  std::unique_ptr<format::ArchiveReader> m_reader;
  Catalogue m_catalogue;
};

}  // namespace

Result<std::unique_ptr<Source>> open_archive_source(const std::filesystem::path& archive,
                                                    const crypto::Secret* passphrase) {
  CL_TRY(reader, format::ArchiveReader::open(archive, {.passphrase = passphrase}));
  auto source = std::make_unique<ArchiveSource>(std::move(reader));
  CL_CHECK(source->open());
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace claudelens::restore
