#include "core/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

namespace pc {
namespace {

TEST(SecretBoxTest, SealsAndOpens) {
  auto box = SecretBox::Random();
  std::string sealed = box.Seal("=;;n.=s9Z");
  EXPECT_EQ(sealed.find("=;;n.=s9Z"), std::string::npos);
  EXPECT_EQ(sealed.rfind("sb1:", 0), 0u);
  EXPECT_NE(box.Seal("=;;n.=s9Z"), sealed);  // fresh nonce each time
  auto opened = box.Open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "=;;n.=s9Z");
  EXPECT_FALSE(SecretBox::Random().Open(sealed).ok());  // another key
  EXPECT_FALSE(box.Open("sb1:AAAA").ok());
  EXPECT_FALSE(box.Open("plain").ok());
}

TEST(SecretBoxTest, KeyFileIsCreatedPrivateAndReused) {
  auto dir = std::filesystem::temp_directory_path() / ("pc-key-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string file = (dir / "secret.key").string();
  auto first = SecretBox::Load(file);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = SecretBox::Load(file);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->Open(first->Seal("x")), "x");
  std::filesystem::remove_all(dir);
}

// Processes that start at once on a new installation (several `support mail-in` from the MTA)
// all end up with the one key that was written whole, and leave no temporary file behind.
TEST(SecretBoxTest, RacingFirstLoadsAgreeOnOneKey) {
  auto dir = std::filesystem::temp_directory_path() / ("pc-key-race-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string file = (dir / "secret.key").string();
  std::vector<std::optional<SecretBox>> boxes(8);
  std::vector<std::thread> threads;
  for (auto& box : boxes) {
    threads.emplace_back([&box, &file] {
      auto loaded = SecretBox::Load(file);
      if (loaded.ok()) box = std::move(*loaded);
    });
  }
  for (auto& t : threads) t.join();
  auto reread = SecretBox::Load(file);
  ASSERT_TRUE(reread.ok()) << reread.error().message;
  for (const auto& box : boxes) {
    ASSERT_TRUE(box.has_value());
    EXPECT_EQ(*reread->Open(box->Seal("same key")), "same key");
  }
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pc
