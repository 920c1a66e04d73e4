// The key file of an encrypted backup (SPEC §3, §5.7): `--key-file F` wins over the environment
// variable CLAUDELENS_KEY_FILE. The passphrase is read once per command and wiped when the returned
// object goes away; it is never printed or logged. Single-threaded, like the CLI.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"
#include "crypto/encryption.hpp"

namespace claudelens::cli {

/// The passphrase of the key file named by `flag_value`, else by CLAUDELENS_KEY_FILE; null when
/// neither names one. Errors (exit 1 or 2) name the file and the flag or variable it came from.
Result<std::unique_ptr<crypto::Secret>> load_key_file(const std::string& flag_value);

}  // namespace claudelens::cli
