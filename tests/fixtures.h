// The shared fixtures (official examples and sample files under ../shared/fixtures, beside the
// checkout) for tests of any layer, and what a test does when one is missing:
//   - on a plain `git clone` with no ../shared, the test is SKIPPED with the reason (CTest shows
//     it as skipped: gtest_discover_tests matches gtest's "[  SKIPPED ]");
//   - where fixtures are required it FAILS: PARTNERCLOUD_REQUIRE_FIXTURES=1 (set by .ci/run), or
//     ../shared exists beside the checkout (then a missing file is a renamed or lost fixture).
// Header-only; each test target gets PC_FIXTURES_DIR from pc_test() in the top CMakeLists.txt.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pc::test {

// The fixtures folder: <checkout>/../shared/fixtures.
inline std::string FixturesDir() { return PC_FIXTURES_DIR; }

// True when a missing fixture must fail the test instead of skipping it.
inline bool FixturesRequired() {
  const char* env = std::getenv("PARTNERCLOUD_REQUIRE_FIXTURES");
  if (env != nullptr && *env != '\0') return std::string(env) != "0";
  std::error_code ec;
  return std::filesystem::is_directory(std::filesystem::path(FixturesDir()).parent_path(), ec);
}

// Why `path` cannot be used as a fixture, or "" when it is a readable file.
inline std::string MissingFixture(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return "";
  return "fixture not present: " + path +
         " (the shared fixtures live in ../shared/fixtures beside the checkout; " +
         (FixturesRequired()
              ? "they are required here: PARTNERCLOUD_REQUIRE_FIXTURES is set or ../shared exists)"
              : "absent on a plain clone, so this test is skipped)");
}

}  // namespace pc::test

// In a test body: skips the test (fails it where fixtures are required) when `path` is missing.
#define PC_REQUIRE_FIXTURE(path)                                                            \
  do {                                                                                      \
    if (std::string pc_missing_ = ::pc::test::MissingFixture(path); !pc_missing_.empty()) { \
      if (::pc::test::FixturesRequired()) FAIL() << pc_missing_;                            \
      GTEST_SKIP() << pc_missing_;                                                          \
    }                                                                                       \
  } while (0)
