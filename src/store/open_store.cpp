// The factory: picks the implementation a store URL names. The only place that knows them all.
#include <fmt/format.h>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace claudelens::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options) {
  std::string_view path = url;
  if (url.starts_with("sqlite://")) {
    path = url.substr(9);
  } else if (url.starts_with("sqlite:")) {
    path = url.substr(7);
  } else if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return fail(Errc::invalid_argument, "PostgreSQL stores are not supported by this build yet (use sqlite:PATH)");
  } else if (url.find("://") != std::string_view::npos) {
    return fail(Errc::invalid_argument, fmt::format("unknown store URL scheme in '{}' (use sqlite:PATH)", url));
  }
  if (path.empty()) return fail(Errc::invalid_argument, "empty database path in store URL");
  return sqlite::open(std::string(url), std::string(path), options);
}

}  // namespace claudelens::store
