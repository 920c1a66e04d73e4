// Linked into every test executable: when a test suite's SetUpTestSuite fails (say, the shared ingest
// of an integration suite, or a sanitizer report from the binary it runs), gtest marks each of its
// tests "[  SKIPPED ]", and ctest's skip pattern (set by gtest_discover_tests) then reports them as
// Skipped, which does not fail the run. This listener ends the process with exit code 1 before the
// first such test is printed as skipped, so ctest reports it Failed. Nothing else changes.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace {

class NoSilentSkip : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& test) override {
    const ::testing::TestSuite* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (suite == nullptr || !suite->ad_hoc_test_result().Failed()) return;
    std::fprintf(stderr, "\n%s.SetUpTestSuite failed (see above): %s and the rest of the suite did not run\n",
                 test.test_suite_name(), test.name());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
  }
};

const bool k_registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new NoSilentSkip);
  return true;
}();

}  // namespace
