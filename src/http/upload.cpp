#include "http/upload.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "backup/filters.hpp"
#include "backup/runner.hpp"
#include "core/ids.hpp"
#include "format/reader.hpp"
#include "restore/catalogue.hpp"

namespace claudelens::http {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view k_upload_prefix = ".upload-";
constexpr std::string_view k_upload_suffix = ".tmp";

Error errno_error(std::string_view what, const fs::path& path) {
  const int err = errno;
  return Error(err == ENOSPC || err == EDQUOT ? Errc::no_space : Errc::io,
               fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

Status fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(errno_error("cannot open", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(errno_error("cannot fsync", dir));
  return {};
}

}  // namespace

UploadReceiver::UploadReceiver(fs::path temp, int fd, UploadLimits limits)
    : m_temp(std::move(temp)), m_fd(fd), m_limits(limits) {}

Result<std::unique_ptr<UploadReceiver>> UploadReceiver::create(const fs::path& backup_dir, const std::string& upload_id,
                                                               UploadLimits limits) {
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (ec) return fail(Errc::io, fmt::format("cannot create {}: {}", backup_dir.string(), ec.message()));
  const fs::path temp = backup_dir / fmt::format("{}{}{}", k_upload_prefix, upload_id, k_upload_suffix);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errno_error("cannot create", temp));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // new file: nobody else can hold it
    Error e = errno_error("cannot lock", temp);
    ::close(fd);
    fs::remove(temp, ec);
    return fail(std::move(e));
  }
  return std::unique_ptr<UploadReceiver>(new UploadReceiver(temp, fd, limits));
}

UploadReceiver::~UploadReceiver() {
  discard();  // before close: the lock still says "mine" while the file goes
  if (m_fd >= 0) ::close(m_fd);
}

void UploadReceiver::discard() noexcept {
  if (m_published || m_discarded) return;
  std::error_code ec;
  fs::remove(m_temp, ec);
  m_discarded = true;
}

Status UploadReceiver::on_part_begin(const PartInfo& part) {
  auto once = [&](bool seen) -> Status {
    if (seen) return fail(Errc::invalid_argument, fmt::format("{}: the form field is given twice", part.name));
    return {};
  };
  if (part.name == "file") {
    CL_CHECK(once(m_file_seen));
    m_file_seen = true;
    m_file_part = part;
    m_target = Target::file;
  } else if (part.name == "auto_restore") {
    CL_CHECK(once(m_auto_restore.has_value()));
    m_auto_restore.emplace();
    m_field = &*m_auto_restore;
    m_target = Target::auto_restore;
  } else if (part.name == "restore_options") {
    CL_CHECK(once(m_restore_options.has_value()));
    m_restore_options.emplace();
    m_field = &*m_restore_options;
    m_target = Target::restore_options;
  } else {
    return fail(Errc::invalid_argument,
                fmt::format("{}: not a known form field (file, auto_restore, restore_options)", part.name));
  }
  return {};
}

Status UploadReceiver::on_part_data(std::string_view bytes) {
  if (m_target != Target::file) {
    if (m_field->size() + bytes.size() > m_limits.max_field_bytes)
      return fail(
          Errc::invalid_argument,
          fmt::format("{}: longer than {} bytes", m_target == Target::auto_restore ? "auto_restore" : "restore_options",
                      m_limits.max_field_bytes));
    m_field->append(bytes);
    return {};
  }
  if (m_file_size + bytes.size() > m_limits.max_file_bytes)
    return fail(Errc::too_large,
                fmt::format("the file is larger than the upload limit of {} bytes", m_limits.max_file_bytes));
  m_sha.update(bytes);
  m_file_size += bytes.size();
  while (!bytes.empty()) {
    const ssize_t n = ::write(m_fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error("cannot write", m_temp));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status UploadReceiver::on_part_end() {
  m_target = Target::none;
  m_field = nullptr;
  return {};
}

std::string UploadReceiver::sha256_hex() const {
  return crypto::digest_hex(m_sha.digest());
}

Status UploadReceiver::sync() {
  if (::fsync(m_fd) != 0) return fail(errno_error("cannot fsync", m_temp));
  return {};
}

Status UploadReceiver::publish(const fs::path& final_path) {
  if (::rename(m_temp.c_str(), final_path.c_str()) != 0) return fail(errno_error("cannot rename to", final_path));
  m_published = true;
  return fsync_dir(final_path.parent_path());
}

Result<int> remove_stale_uploads(const fs::path& backup_dir) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(backup_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(k_upload_prefix) || !name.ends_with(k_upload_suffix)) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {  // no live receiver holds it
      std::error_code rm;
      if (fs::remove(it->path(), rm)) ++removed;
    }
    ::close(fd);
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(Errc::io, fmt::format("cannot list {}: {}", backup_dir.string(), ec.message()));
  return removed;
}

namespace {

const json::object* member_object(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}
std::string member_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
std::int64_t member_int(const json::object* o, std::string_view key) {
  const auto* v = o ? o->if_contains(key) : nullptr;
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

json::object parse_json_object_text(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object();
}

/// A user key may upload only archives whose users are itself (by id or by name).
Status check_owners(format::ArchiveReader& reader, const Uploader& uploader) {
  if (uploader.is_admin) return {};
  CL_TRY(catalogue, restore::read_catalogue(reader));
  for (const auto& u : catalogue.users)
    if (u.id != uploader.user_id && u.name != uploader.user_name)
      return fail(Errc::forbidden, fmt::format("the archive holds data of user '{}'; only an admin key may upload "
                                               "another user's backup",
                                               u.name));
  return {};
}

}  // namespace

Result<UploadCheck> register_upload(store::Store& store, const fs::path& backup_dir, UploadReceiver& received,
                                    const std::string& upload_id, const Uploader& uploader, TimeMs now,
                                    const crypto::Secret* passphrase) {
  CL_CHECK(received.sync());
  auto verified = format::verify_archive(received.temp_path(), {}, passphrase);
  if (!verified) {
    const Error& e = verified.error();
    if (e.code == Errc::incompatible_version || e.code == Errc::io || e.code == Errc::wrong_key) return fail(e);
    return fail(Errc::corrupted, fmt::format("the file is not a readable ClaudeLens backup: {}", e.message));
  }
  if (verified->sha256_hex != received.sha256_hex())
    return fail(Errc::io, "the file on disk differs from the bytes received");
  // An encrypted archive opens with the server's key only (wrong_key otherwise): its owners are checked.
  CL_TRY(reader, format::ArchiveReader::open(received.temp_path(), format::ReadOptions{.passphrase = passphrase}));
  CL_CHECK(check_owners(*reader, uploader));
  const json::object header = parse_json_object_text(reader->header_json());
  const json::object manifest = parse_json_object_text(reader->manifest_json());

  UploadCheck out;
  backup::BackupMetadata& m = out.metadata;
  m.id = upload_id;
  m.name = member_string(header, "name");
  if (backup::validate_backup_name(m.name)) {
    out.warnings.push_back(fmt::format("the archive's name '{}' breaks the naming rule; registered as 'upload {}'",
                                       m.name.substr(0, 100), upload_id));
    m.name = "upload " + upload_id;
  }
  const std::string taken = member_string(header, "created_at");
  m.description = fmt::format("uploaded as '{}'; taken {} by {}", received.file_part().filename.substr(0, 200),
                              taken.empty() ? "at an unknown time" : taken, member_string(header, "creator"));
  m.created_at = now;
  m.created_by = uploader.user_id;
  m.type = backup::parse_backup_type(member_string(header, "type")).value_or(backup::BackupType::full);
  if (const auto* f = header.if_contains("filters")) {
    std::vector<backup::FieldError> ignored;
    if (auto filters = backup::filters_from_json(*f, ignored)) m.filters = std::move(filters).value();
  }
  if (const auto* p = header.if_contains("parent_backup_id"); p && p->is_string())
    m.parent_backup_id = std::string(p->get_string());
  m.archive_backup_id = member_string(header, "backup_id");
  if (m.archive_backup_id == m.id) m.archive_backup_id.clear();
  const json::object* counts = member_object(manifest, "counts");
  backup::Contents& c = m.contents;
  c.users_count = member_int(counts, "users");
  c.projects_count = member_int(counts, "projects");
  c.sessions_count = member_int(counts, "sessions");
  c.messages_count = member_int(counts, "messages");
  c.records_count = member_int(counts, "records");
  c.prompts_count = member_int(counts, "prompts");
  c.prompt_folders_count = member_int(counts, "prompt_folders");
  c.ai_settings_count = member_int(counts, "ai_settings");
  c.audit_log_count = member_int(counts, "audit_log");
  c.total_documents = member_int(&manifest, "total_documents");
  if (const json::object* dr = member_object(manifest, "date_range")) {
    c.earliest = parse_iso8601(member_string(*dr, "earliest"));
    c.latest = parse_iso8601(member_string(*dr, "latest"));
  }
  m.size_bytes = member_int(&manifest, "uncompressed_size");
  m.compressed_size_bytes = static_cast<std::int64_t>(verified->file_size);
  m.compression_level = static_cast<int>(member_int(member_object(manifest, "compression"), "level"));
  m.checksum = verified->sha256_hex;
  m.version = fmt::format("{}.{}.0", reader->format_version(), reader->format_minor());
  m.status = backup::BackupStatus::completed;
  m.completed_at = now;
  m.validation = backup::Validation{now, true, {}, {}};
  if (reader->encrypted()) m.encryption_key_id = reader->key_id();
  m.filename = backup::backup_file_name(m.id, now);
  m.filepath = m.filename;
  reader.reset();

  {  // the same bytes registered before are worth a warning, not a refusal
    CL_TRY(r, store.read());
    CL_CHECK(backup::for_each_metadata(*r, [&](const backup::BackupMetadata& other) {
      if (other.checksum == m.checksum && (uploader.is_admin || other.created_by == uploader.user_id))
        out.warnings.push_back(fmt::format("the same file is registered already as backup {}", other.id));
      return true;
    }));
  }
  const fs::path final_path = backup_dir / m.filepath;
  CL_CHECK(received.publish(final_path));
  auto saved = [&]() -> Status {
    CL_TRY(w, store.write());
    CL_CHECK(backup::save_metadata(*w, m, now));
    return w->commit();
  }();
  if (!saved) {
    std::error_code ec;
    fs::remove(final_path, ec);
    return fail(std::move(saved).error());
  }
  return out;
}

}  // namespace claudelens::http
