// A fresh scratch directory under CLAUDELENS_TEST_TMP for one test, removed when the test ends
// (kept when the environment has CLAUDELENS_KEEP_TMP=1, to look at after a failure).
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace claudelens::testing {

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
    m_path = std::filesystem::path(CLAUDELENS_TEST_TMP) / (name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    const char* keep = std::getenv("CLAUDELENS_KEEP_TMP");
    if (!(keep && std::string(keep) == "1")) {
      std::error_code ec;
      std::filesystem::remove_all(m_path, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  /// Writes `bytes` to path()/rel (creating folders) and returns the full path.
  std::filesystem::path write(const std::string& rel, std::string_view bytes) const {
    const auto p = m_path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace claudelens::testing
