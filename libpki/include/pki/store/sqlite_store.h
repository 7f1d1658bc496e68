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

#include "pki/core/io.h"
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

struct CopyReport {
  int schema_version = 0;
  std::int64_t authorities = 0;
  std::int64_t certificates = 0;
  std::int64_t bytes = 0;  // the copy's size
};

// A consistent copy of the store at `path` in a new file `out` (0600): SQLite's online backup API
// copies one read snapshot while other processes go on writing (WAL), so the copy holds every
// change committed before it began and none half-made. The copy is one file (no -wal), checked
// with PRAGMA integrity_check, and given its name only then (kRefuse: never over an existing file;
// kAllow: replacing one atomically).
Result<CopyReport> backup_sqlite(const std::string& path, const std::string& out, Overwrite overwrite);

// Puts the store in the backup `from` (a pki store, checked whole, of a schema this pki knows) at
// `path`: a new file, or, with `replace`, over the store there, in one SQLite transaction holding
// it exclusively: a store that another process has open is refused (kRefused), never changed. The
// result is migrated to the current schema.
Result<CopyReport> restore_sqlite(const std::string& from, const std::string& path, bool replace);

}  // namespace pki::store
