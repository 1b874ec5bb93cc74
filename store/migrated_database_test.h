// A test fixture for the tests of every layer that need a database: each test gets a fresh,
// migrated scratch database (store/scratch_database.h) on the backend it is instantiated with,
// e.g. INSTANTIATE_TEST_SUITE_P(Backends, MyTest, testing::Values(TestBackend::kSqlite,
// TestBackend::kPostgres)). For tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/scratch_database.h"
#include "store/store.h"

namespace pc::store {

class MigratedDatabaseTest : public testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    auto created = scratch_.Create(GetParam());
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto db = Database::Open(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
  }

  ScratchDatabase scratch_;
  std::unique_ptr<Database> db_;
};

}  // namespace pc::store
