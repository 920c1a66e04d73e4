// A fresh scratch folder per test under CLAUDELENS_TEST_TMP, removed afterwards, and small helpers to
// write transcript files into it. Single-threaded test helper.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace claudelens::ingest::testing {

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_path = std::filesystem::path(CLAUDELENS_TEST_TMP) / "unit_ingest" /
             (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }

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

}  // namespace claudelens::ingest::testing
