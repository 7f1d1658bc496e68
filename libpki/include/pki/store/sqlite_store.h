// The SQLite store: one file, WAL, synchronous=FULL, foreign keys on, a busy timeout, forward-only
// migrations tracked with PRAGMA user_version. The database file is created 0600.
//
// Opening never touches a file that is not a pki store: what is at the path is read from its
// header first (a pki store carries the application_id 'PKI1'; a store of the first release is
// recognised by schema version 1 and its exact tables), and anything else (a device, another
// application's SQLite file, a non-SQLite file) is refused before SQLite opens it. Modes are
// tightened to 0600 only on the store's own regular files, owned by this user, never through a
// link. A link to the store in a sticky world-writable directory is followed only under the rule
// of fs.protected_symlinks (check_protected_links).
#pragma once

#include <memory>
#include <string>

#include "pki/store/store.h"

namespace pki::store {

enum class OpenMode {
  kCreate,  // create the store when missing, or make an empty file one (pki init); migrate it
  kWrite,   // an existing store, to change it; pending migrations are applied
  kRead,    // an existing store, only read: nothing is written, and a store in a directory this
            // user may not write (or owned by another user) can still be read
};

// Opens the database; for kCreate and kWrite, applies pending migrations in one write transaction.
// A new store appears whole: it is built under a temporary name and linked into place, so that any
// number of concurrent `pki init`s of one file succeed.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, OpenMode mode);

// The schema version this build knows (the highest migration).
int schema_version();

}  // namespace pki::store
