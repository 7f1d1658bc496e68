// The schema migrations embedded from schema/NNNN_*.sql and schema/postgres/NNNN_*.sql (generated
// at build time).
#pragma once

#include <span>
#include <string_view>

namespace pki::store {

struct Migration {
  int version;  // the PRAGMA user_version once applied
  std::string_view name;
  std::string_view sql;
};

std::span<const Migration> migrations();
// The PostgreSQL dialect (schema/postgres/NNNN_*.sql): its first is the baseline, the whole schema
// of that version; from there each SQLite migration has its PostgreSQL twin of the same number.
std::span<const Migration> postgres_migrations();

}  // namespace pki::store
