// Helpers shared by the store's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace claudelens::store {

/// The SQLite store `db.sqlite` in `dir`, created when new; a failure to open fails the test.
inline std::unique_ptr<Store> open_in(const claudelens::testing::TempDir& dir) {
  auto s = open_store("sqlite:" + (dir / "db.sqlite").string());
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return std::move(s).value();
}

}  // namespace claudelens::store
