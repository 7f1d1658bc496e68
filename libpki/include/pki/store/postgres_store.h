// The PostgreSQL store: the same Store, for an organisation whose CA runs on several hosts.
//
// Selected by a libpq connection URI (`postgresql://...` or `postgres://...`), handed to libpq
// unchanged. libpq itself (Debian's libpq5) is loaded with dlopen when such a store is opened, so
// that a SQLite-only run never pays for loading it, and so that its own shared OpenSSL stays apart
// from the one linked into pki.
//
// Concurrency: every write transaction first takes one transaction-scoped advisory lock, as
// SQLite's BEGIN IMMEDIATE takes its write lock. Changes from any number of hosts are therefore
// applied one at a time, each seeing every change committed before it: CRL numbers follow one
// another without gap or repeat, a revocation is on the next CRL, and the audit chain stays one
// chain. Reads run outside that lock (READ COMMITTED). UNIQUE constraints are the second guard
// (serials per issuer, fingerprints, CA names).
//
// A lost connection fails the command (ErrorCode::kStore, exit 4) and PostgreSQL rolls back the
// transaction it was in: nothing is half-written, and running the command again succeeds once the
// server is back. A statement that only reads, or begins a transaction, run outside any
// transaction, connects again and runs once more (a long-running pki serve outlives a restart of
// the server); nothing else is run again.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pki/core/bytes.h"
#include "pki/store/sqlite_store.h"  // OpenMode
#include "pki/store/store.h"

namespace pki::store {

// Whether `db` names a PostgreSQL store (a postgresql:// or postgres:// URI) rather than a file.
bool is_postgres_url(std::string_view db);

// Connects (the password from libpq's own sources, PGPASSFILE or ~/.pgpass, or `password` when
// given: never from the command line) and checks the schema: kCreate makes the pki store in an
// empty database (or one that holds it already) in one transaction, kWrite applies pending
// migrations, and every mode refuses a database of a newer schema or one that is not pki's.
Result<std::unique_ptr<Store>> open_postgres(const std::string& url, OpenMode mode,
                                             const Secret* password = nullptr);

// Either store, by what `db` names.
Result<std::unique_ptr<Store>> open_store(const std::string& db, OpenMode mode,
                                          const Secret* postgres_password = nullptr);

}  // namespace pki::store
