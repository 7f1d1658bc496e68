// The SQLite store: one file, WAL, synchronous=FULL, foreign keys on, a busy timeout, forward-only
// migrations tracked with PRAGMA user_version. The database file is created 0600.
#pragma once

#include <memory>
#include <string>

#include "pki/store/store.h"

namespace pki::store {

enum class OpenMode {
  kCreate,    // create the file when missing (pki init)
  kExisting,  // kNotFound when the file is missing
};

// Opens the database and applies pending migrations in one write transaction.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, OpenMode mode);

// The schema version this build knows (the highest migration).
int schema_version();

}  // namespace pki::store
