// What route handlers share: the store, the backup folder, the clock, limits and the live settings.
// One Services lives as long as the server; handlers keep references to it. Members are set before the
// server starts and not reassigned; the objects they point to are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/time.hpp"
#include "crypto/encryption.hpp"
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
};

}  // namespace claudelens::http
