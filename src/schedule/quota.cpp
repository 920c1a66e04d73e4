#include "schedule/quota.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cmath>

#include "schedule/settings.hpp"

namespace claudelens::schedule {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {
constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;

std::string gib(std::int64_t bytes) {
  return fmt::format("{:.3f} GiB", static_cast<double>(bytes) / k_gib);
}
}  // namespace

std::int64_t directory_usage_bytes(const fs::path& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<std::int64_t>(size);
    }
  }
  return total;
}

Result<std::optional<std::int64_t>> stored_quota_bytes(store::Reader& reader) {
  CL_TRY(settings, load_backup_settings(reader));
  const json::value* v = nullptr;
  if (const auto* storage = settings.if_contains("storage"); storage && storage->is_object())
    if (const auto* f = storage->as_object().if_contains("filesystem"); f && f->is_object())
      v = f->as_object().if_contains("max_size_gb");
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  if (!v->is_number() || !std::isfinite(v->to_number<double>()) || v->to_number<double>() <= 0)
    return fail(Errc::invalid_argument, "storage.filesystem.max_size_gb must be a number of GiB > 0");
  return std::optional<std::int64_t>{static_cast<std::int64_t>(v->to_number<double>() * k_gib)};
}

Status check_quota(store::Store& store, const fs::path& backup_dir, std::int64_t estimated_bytes) {
  CL_TRY(reader, store.read());
  CL_TRY(quota, stored_quota_bytes(*reader));
  if (!quota) return {};
  const std::int64_t used = directory_usage_bytes(backup_dir);
  if (used + estimated_bytes <= *quota) return {};
  return fail(Errc::no_space,
              fmt::format("storage quota exceeded: this backup needs about {} ({} bytes, estimated) and the backup "
                          "directory holds {} of its {} quota (storage.filesystem.max_size_gb); delete backups or "
                          "raise the quota",
                          gib(estimated_bytes), estimated_bytes, gib(used), gib(*quota)));
}

std::function<Status(const backup::Plan&)> quota_admission(store::Store& store, fs::path backup_dir) {
  return [&store, dir = std::move(backup_dir)](const backup::Plan& plan) {
    return check_quota(store, dir, plan.estimated_compressed_bytes);
  };
}

}  // namespace claudelens::schedule
