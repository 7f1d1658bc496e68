#include "pki/core/sqlite.h"

#include <cstdint>

namespace pki {

namespace {

// What a failed statement tells the user: a busy database and a full disk said plainly (the
// transaction is rolled back, so nothing was stored), anything else as SQLite says it.
tl::unexpected<Error> sqlite_failure(int rc, const std::string& detail, std::string_view sql) {
  const std::string where = " (" + std::string(sql.substr(0, 60)) + ", code " + std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fail(ErrorCode::kStore, "the database is busy: another process holds it too long",
                  detail + where);
    case SQLITE_FULL:
      return fail(ErrorCode::kStore,
                  "the disk holding the database is full: nothing was changed; free some space and run "
                  "the command again",
                  detail + where);
    default:
      return fail(ErrorCode::kStore, "database error: " + detail, std::string(sql));
  }
}

}  // namespace

SqlStatement& SqlStatement::operator=(SqlStatement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

SqlStatement::~SqlStatement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

SqlStatement& SqlStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  return *this;
}

SqlStatement& SqlStatement::bound(int rc, int index) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

namespace {

// SQLite takes lengths as int: a longer value is refused rather than truncated.
int length_of(std::size_t n) { return n > static_cast<std::size_t>(INT32_MAX) ? -1 : static_cast<int>(n); }

}  // namespace

SqlStatement& SqlStatement::bind(int index, std::int64_t value) {
  return bound(sqlite3_bind_int64(stmt_, index, value), index);
}
SqlStatement& SqlStatement::bind(int index, std::string_view value) {
  const int n = length_of(value.size());
  return bound(n < 0 ? SQLITE_TOOBIG : sqlite3_bind_text(stmt_, index, value.data(), n, SQLITE_TRANSIENT),
               index);
}
SqlStatement& SqlStatement::bind(int index, BytesView value) {
  const int n = length_of(value.size());
  return bound(n < 0 ? SQLITE_TOOBIG : sqlite3_bind_blob(stmt_, index, value.data(), n, SQLITE_TRANSIENT),
               index);
}
SqlStatement& SqlStatement::bind(int index, std::nullopt_t) {
  return bound(sqlite3_bind_null(stmt_, index), index);
}
SqlStatement& SqlStatement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}
SqlStatement& SqlStatement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind(index, std::nullopt);
}

Result<SqlStatement::Step> SqlStatement::step() {
  if (bind_rc_ != SQLITE_OK)
    return fail(ErrorCode::kStore,
                "database error: cannot bind parameter " + std::to_string(bind_index_) + ": " +
                    sqlite3_errstr(bind_rc_),
                sqlite3_sql(stmt_));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  if (rc == SQLITE_DONE) return Step::kDone;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    sqlite3_reset(stmt_);
    return Step::kConstraint;
  }
  const std::string detail = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  return sqlite_failure(rc, detail, sqlite3_sql(stmt_));
}

Result<void> SqlStatement::run() {
  PKI_ASSIGN(Step s, step());
  if (s == Step::kConstraint)
    return fail(ErrorCode::kStore, "database constraint violated: " + std::string(sqlite3_errmsg(db_)));
  return {};
}

std::int64_t SqlStatement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
std::string SqlStatement::column_text(int i) const {
  const auto* p = sqlite3_column_text(stmt_, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string();
}
std::optional<std::string> SqlStatement::column_optional_text(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_text(i);
}
std::optional<std::int64_t> SqlStatement::column_optional_int(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int(i);
}
Bytes SqlStatement::column_blob(int i) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, i));
  const int n = sqlite3_column_bytes(stmt_, i);
  return p ? Bytes(p, p + n) : Bytes();
}
bool SqlStatement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

SqlDb& SqlDb::operator=(SqlDb&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

SqlDb::~SqlDb() {
  if (db_) sqlite3_close_v2(db_);
}

Result<SqlStatement> SqlDb::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) {
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
      return fail(ErrorCode::kStore, "the database is busy",
                  last_error() + " (" + std::string(sql.substr(0, 60)) + ")");
    return fail(ErrorCode::kStore, "database error: " + last_error(), std::string(sql));
  }
  return SqlStatement(db_, stmt);
}

Result<void> SqlDb::exec(const std::string& sql) const {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return sqlite_failure(rc, msg, sql);
  }
  return {};
}

std::string SqlDb::last_error() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

}  // namespace pki
