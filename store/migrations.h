// The migrations in store/migrations/, compiled into the binary by embed_migrations.cmake.
#pragma once

#include <span>
#include <string_view>

namespace pc::store {

// One numbered migration; a file written for both dialects has the same text in both fields.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite_sql;
  std::string_view postgres_sql;
};

// Every migration, in ascending version order (versions are unique, not necessarily dense).
std::span<const Migration> CompiledMigrations();

}  // namespace pc::store
