// SQLite handles: RAII for the connection and statements, with typed bind and column helpers.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pki/core/bytes.h"
#include "pki/core/error.h"

namespace pki {

class SqlStatement {
 public:
  SqlStatement() = default;
  SqlStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqlStatement(SqlStatement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqlStatement& operator=(SqlStatement&& o) noexcept;
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;
  ~SqlStatement();

  // Resets the statement and clears its bindings, so that a kept statement can be reused.
  SqlStatement& reset();
  // Binds chain; a bind that fails (out of memory, a value too big) is remembered and makes the
  // next step() fail, so that no statement runs with a value missing.
  SqlStatement& bind(int index, std::int64_t value);
  SqlStatement& bind(int index, std::string_view value);
  SqlStatement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  SqlStatement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  SqlStatement& bind(int index, BytesView value);
  SqlStatement& bind(int index, std::nullopt_t);
  SqlStatement& bind(int index, const std::optional<std::string>& value);
  SqlStatement& bind(int index, const std::optional<std::int64_t>& value);

  enum class Step { kRow, kDone, kConstraint };
  // kConstraint reports a UNIQUE or PRIMARY KEY violation, which callers may handle (a serial
  // retry, a duplicate name); other constraint failures (foreign keys, CHECK) are errors.
  // Needs extended result codes on the connection.
  Result<Step> step();
  // Runs a statement that returns no rows.
  Result<void> run();

  std::int64_t column_int(int i) const;
  std::string column_text(int i) const;
  std::optional<std::string> column_optional_text(int i) const;
  std::optional<std::int64_t> column_optional_int(int i) const;
  Bytes column_blob(int i) const;
  bool column_is_null(int i) const;
  sqlite3_stmt* raw() const { return stmt_; }

 private:
  SqlStatement& bound(int rc, int index);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = SQLITE_OK;  // the first failed bind since reset()
  int bind_index_ = 0;
};

class SqlDb {
 public:
  SqlDb() = default;
  explicit SqlDb(sqlite3* db) : db_(db) {}
  SqlDb(SqlDb&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  SqlDb& operator=(SqlDb&& o) noexcept;
  SqlDb(const SqlDb&) = delete;
  SqlDb& operator=(const SqlDb&) = delete;
  ~SqlDb();

  sqlite3* get() const { return db_; }
  Result<SqlStatement> prepare(std::string_view sql) const;
  // Runs one or more statements that return no rows.
  Result<void> exec(const std::string& sql) const;
  std::string last_error() const;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace pki
