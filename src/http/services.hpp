// What route handlers share: the store, the backup folder, the clock, limits and the live settings.
// One Services lives as long as the server; handlers keep references to it. Members are set before the
// server starts and not reassigned; the objects they point to are thread-safe. Copies share the caches
// (they must then use the same store).
#pragma once

#include <cstdint>
#include <filesystem>

#include <memory>

#include "core/time.hpp"
#include "crypto/encryption.hpp"
#include "http/auth.hpp"
#include "http/backup_registry.hpp"
#include "store/store.hpp"

namespace claudelens::jobs {
class JobService;
}  // namespace claudelens::jobs

namespace claudelens::http {

class RateLimiter;

struct Services {
  store::Store* store = nullptr;                    ///< thread-safe (store.hpp)
  std::filesystem::path backup_dir;                 ///< --backup-dir
  const Clock* clock = &system_clock();             ///< injectable (CLAUDELENS_TEST_CLOCK in tests)
  std::uint64_t max_upload_bytes = 10240ull << 20;  ///< --max-upload-mb. Default: 10 GiB.
  RateLimiter* rate_limiter = nullptr;              ///< the settings handler updates its limits
  jobs::JobService* jobs = nullptr;                 ///< backups and restores run as its jobs (thread-safe)
  /// `serve --key-file`: encrypts backups that ask for it, opens encrypted archives (previews, uploads).
  /// Never logged or shown. Default: none (encryption refused, encrypted archives fail with wrong_key).
  const crypto::Secret* passphrase = nullptr;
  /// The backups registry as handlers read it, cached while the store's data_version holds (thread-safe).
  std::shared_ptr<BackupRegistry> registry = std::make_shared<BackupRegistry>();
  /// Which user each API key belongs to, cached the same way (thread-safe; the server's authentication).
  std::shared_ptr<KeyCache> keys = std::make_shared<KeyCache>();
};

}  // namespace claudelens::http
