#include "cli/key_file.hpp"

#include <cstdlib>

namespace claudelens::cli {

Result<std::unique_ptr<crypto::Secret>> load_key_file(const std::string& flag_value) {
  std::string path = flag_value;
  std::string source = "--key-file";
  if (path.empty()) {
    const char* env = std::getenv("CLAUDELENS_KEY_FILE");
    if (env == nullptr || *env == '\0') return std::unique_ptr<crypto::Secret>();
    path = env;
    source = "CLAUDELENS_KEY_FILE";
  }
  auto secret = crypto::read_key_file(path);
  if (!secret) {
    return fail(secret.error().code, secret.error().message + " (from " + source + ")");
  }
  return std::make_unique<crypto::Secret>(std::move(*secret));
}

}  // namespace claudelens::cli
