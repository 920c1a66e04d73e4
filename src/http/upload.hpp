// POST /restore/upload without the network: receiving a multipart body (the `file` part streamed to a
// temporary file in the backup directory and hashed as it is written; the small fields `auto_restore`
// and `restore_options` collected), then checking the archive and registering it as a backup.
//
// The temporary file is ".upload-<id>.tmp" in the backup directory, held under an exclusive flock while
// its receiver lives, so that remove_stale_uploads() (run at server start) removes only the leftovers of
// a process that died. A receiver destroyed before publish() removes its file: a client that disconnects,
// a body over the limit or a bad archive leaves nothing behind.
// Not thread-safe: one receiver per request (the server calls it from one thread at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "backup/metadata.hpp"
#include "core/result.hpp"
#include "crypto/encryption.hpp"
#include "crypto/sha256.hpp"
#include "http/multipart.hpp"
#include "store/store.hpp"

namespace claudelens::http {

struct UploadLimits {
  std::uint64_t max_file_bytes = 10240ull << 20;  ///< the `file` part (--max-upload-mb). Default: 10 GiB
  std::size_t max_field_bytes = 64 << 10;         ///< each small field. Default: 64 KiB
};

class UploadReceiver : public MultipartHandler {
 public:
  /// Creates the temporary file for upload `upload_id` in `backup_dir` (created when missing).
  static Result<std::unique_ptr<UploadReceiver>> create(const std::filesystem::path& backup_dir,
                                                        const std::string& upload_id, UploadLimits limits);
  ~UploadReceiver() override;  ///< removes the temporary file unless publish() moved it
  UploadReceiver(const UploadReceiver&) = delete;
  UploadReceiver& operator=(const UploadReceiver&) = delete;

  /// Errors: invalid_argument for an unknown or repeated field or an oversized small field (naming
  /// it), too_large for a file over the limit, no_space / io when the disk refuses a write.
  Status on_part_begin(const PartInfo& part) override;
  Status on_part_data(std::string_view bytes) override;
  Status on_part_end() override;

  bool has_file() const noexcept { return m_file_seen; }
  const PartInfo& file_part() const noexcept { return m_file_part; }
  std::uint64_t file_size() const noexcept { return m_file_size; }
  /// SHA-256 of the file part's bytes (complete once the part ended).
  std::string sha256_hex() const;
  const std::optional<std::string>& auto_restore() const noexcept { return m_auto_restore; }
  const std::optional<std::string>& restore_options() const noexcept { return m_restore_options; }
  const std::filesystem::path& temp_path() const noexcept { return m_temp; }

  /// Removes the temporary file now (unless published); the destructor does it otherwise. Idempotent.
  void discard() noexcept;
  /// Flushes the file to disk (fsync); call before reading it back.
  Status sync();
  /// Renames the temporary file to `final_path` (same directory) and fsyncs the directory; from then
  /// on the file is no longer the receiver's to remove.
  Status publish(const std::filesystem::path& final_path);

 private:
  UploadReceiver(std::filesystem::path temp, int fd, UploadLimits limits);
  enum class Target { none, file, auto_restore, restore_options };
  std::filesystem::path m_temp;
  int m_fd = -1;
  UploadLimits m_limits;
  Target m_target = Target::none;
  bool m_file_seen = false;
  bool m_published = false;
  bool m_discarded = false;
  PartInfo m_file_part;
  std::uint64_t m_file_size = 0;
  crypto::Sha256 m_sha;
  std::optional<std::string> m_auto_restore, m_restore_options;
  std::string* m_field = nullptr;  ///< the small field being collected
};

/// Removes ".upload-*.tmp" files in `backup_dir` that no live receiver holds. Returns how many.
Result<int> remove_stale_uploads(const std::filesystem::path& backup_dir);

/// Who uploads: the new backup's owner, and whether it may hold other users' data.
struct Uploader {
  std::string user_id;
  std::string user_name;
  bool is_admin = false;
};

/// What checking an uploaded archive found (API.md's upload `validation` object).
struct UploadCheck {
  backup::BackupMetadata metadata;  ///< the backup as registered
  std::vector<std::string> warnings;
};

/// Checks the received file (every frame, the trailer and the whole-file SHA-256, which must equal the
/// streamed one), reads its header and manifest, and registers it: the file is renamed into the backup
/// directory under a server-made name and a completed backup record (id `upload_id`, owner the
/// uploader) is saved. Errors: corrupted (not a readable archive: truncated, damaged, foreign),
/// incompatible_version (a newer format), forbidden (a user key uploading an archive that holds other
/// users' data), wrong_key (an encrypted archive that `passphrase`, the server's key, does not open, or
/// no key), io/database. On any error the temporary file is left to the receiver (which removes it).
Result<UploadCheck> register_upload(store::Store& store, const std::filesystem::path& backup_dir,
                                    UploadReceiver& received, const std::string& upload_id, const Uploader& uploader,
                                    TimeMs now, const crypto::Secret* passphrase = nullptr);

}  // namespace claudelens::http
