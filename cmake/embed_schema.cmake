# Turns schema/NNNN_*.sql into a C++ source that lists the migrations in order, so that libpki carries
# its schema and `pki init` needs no files at run time. Run at build time (see libpki/CMakeLists.txt).
# FUNCTION names the function that lists them (migrations, postgres_migrations) and FIRST the
# number of the first one: the PostgreSQL dialect (schema/postgres) starts at a baseline.
if(NOT DEFINED FUNCTION)
  set(FUNCTION migrations)
endif()
if(NOT DEFINED FIRST)
  set(FIRST 1)
endif()
file(GLOB migrations "${SCHEMA_DIR}/[0-9][0-9][0-9][0-9]_*.sql")
list(SORT migrations)
set(body "")
set(expected ${FIRST})
foreach(path IN LISTS migrations)
  get_filename_component(name "${path}" NAME)
  string(SUBSTRING "${name}" 0 4 number)
  math(EXPR number "${number}")
  if(NOT number EQUAL expected)
    message(FATAL_ERROR "schema migrations in ${SCHEMA_DIR} must be numbered from ${FIRST} without gaps: ${name}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${path}" sql)
  string(APPEND body "    {${number}, \"${name}\", R\"pki_sql(${sql})pki_sql\"},\n")
endforeach()
set(content "// Generated from ${SCHEMA_DIR}/*.sql by cmake/embed_schema.cmake. Do not edit.
#include \"pki/store/migrations.h\"

namespace pki::store {

std::span<const Migration> ${FUNCTION}() {
  static const Migration kMigrations[] = {
${body}  };
  return kMigrations;
}

}  // namespace pki::store
")
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
