// The SQLite implementation of the Store (store.hpp). Only open_store() includes this header.
// WAL mode, foreign keys on, versioned migrations (sqlite/migrations.cpp), a small connection pool.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace claudelens::store::sqlite {

/// Opens (creating when allowed) the database file at `path` and migrates it to the current schema.
Result<std::unique_ptr<Store>> open(std::string url, std::string path, const StoreOptions& options);

/// The schema version this build writes.
int current_schema_version() noexcept;

}  // namespace claudelens::store::sqlite
