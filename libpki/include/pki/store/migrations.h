// The schema migrations embedded from schema/NNNN_*.sql (generated at build time).
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

}  // namespace pki::store
