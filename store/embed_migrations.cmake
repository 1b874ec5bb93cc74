# Writes OUTPUT, a C++ source defining pc::store::CompiledMigrations(), from the SQL files in
# MIGRATIONS_DIR. Run at build time: cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P this-file.
#
# File names: NNNN_name.sql (both dialects) or the pair NNNN_name.sqlite.sql +
# NNNN_name.postgresql.sql. Anything else in the folder is an error, so a typo is not skipped.
cmake_minimum_required(VERSION 3.25)

set(delimiter "pc_sql")
file(GLOB files RELATIVE "${MIGRATIONS_DIR}" "${MIGRATIONS_DIR}/*")
list(SORT files)
set(versions "")
foreach(file IN LISTS files)
  if(NOT file MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)(\\.(sqlite|postgresql))?\\.sql$")
    message(FATAL_ERROR "${MIGRATIONS_DIR}/${file}: a migration is named NNNN_name.sql, "
                        "NNNN_name.sqlite.sql or NNNN_name.postgresql.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")  # drops leading zeros
  set(name "${CMAKE_MATCH_2}")
  set(dialect "${CMAKE_MATCH_4}")
  if(NOT dialect)
    set(dialect "both")
  endif()
  if(DEFINED name_${version} AND NOT name_${version} STREQUAL name)
    message(FATAL_ERROR "${MIGRATIONS_DIR}/${file}: version ${version} is already used by "
                        "\"${name_${version}}\"")
  endif()
  if(DEFINED file_${version}_${dialect})
    message(FATAL_ERROR "${MIGRATIONS_DIR}/${file}: duplicate migration file")
  endif()
  set(name_${version} "${name}")
  set(stem_${version} "${CMAKE_MATCH_1}_${name}")
  set(file_${version}_${dialect} "${file}")
  list(APPEND versions ${version})
endforeach()
if(NOT versions)
  message(FATAL_ERROR "${MIGRATIONS_DIR} holds no migrations")
endif()
list(REMOVE_DUPLICATES versions)
list(SORT versions COMPARE NATURAL)

function(read_sql file out)
  file(READ "${MIGRATIONS_DIR}/${file}" sql)
  string(FIND "${sql}" ")${delimiter}\"" found)
  if(NOT found EQUAL -1)
    message(FATAL_ERROR "${MIGRATIONS_DIR}/${file} contains \")${delimiter}\"\", which ends the "
                        "raw string literal it is embedded in")
  endif()
  set(${out} "R\"${delimiter}(${sql})${delimiter}\"" PARENT_SCOPE)
endfunction()

set(entries "")
foreach(version IN LISTS versions)
  set(both "${file_${version}_both}")
  set(sqlite "${file_${version}_sqlite}")
  set(postgresql "${file_${version}_postgresql}")
  if(both AND (sqlite OR postgresql))
    message(FATAL_ERROR "migration ${version}: ${both} and a dialect-specific file both exist")
  endif()
  if(both)
    read_sql("${both}" sqlite_literal)
    set(postgres_literal "${sqlite_literal}")
  elseif(sqlite AND postgresql)
    read_sql("${sqlite}" sqlite_literal)
    read_sql("${postgresql}" postgres_literal)
  else()
    message(FATAL_ERROR "migration ${version}: needs both ${stem_${version}}.sqlite.sql and "
                        "${stem_${version}}.postgresql.sql")
  endif()
  string(APPEND entries
    "    {${version}, \"${name_${version}}\",\n     ${sqlite_literal},\n     ${postgres_literal}},\n")
endforeach()

set(source "// Generated from store/migrations/ by store/embed_migrations.cmake. Do not edit.
#include \"store/migrations.h\"

namespace pc::store {

namespace {
constexpr Migration kMigrations[] = {
${entries}};
}  // namespace

std::span<const Migration> CompiledMigrations() { return kMigrations; }

}  // namespace pc::store
")
file(WRITE "${OUTPUT}.tmp" "${source}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
