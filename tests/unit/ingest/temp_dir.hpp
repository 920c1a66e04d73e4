// The ingest tests' scratch folder: the shared one (tests/support/temp_dir.hpp), under this name.
#pragma once

#include "support/temp_dir.hpp"

namespace claudelens::ingest::testing {

using TempDir = claudelens::testing::TempDir;

}  // namespace claudelens::ingest::testing
