// The database file as the file system sees it (private to store/sqlite): what is at a path
// before SQLite touches it, and the modes of a pki store's files.
#pragma once

#include <cstdint>
#include <string>

#include "pki/core/error.h"

namespace pki::store::sqlite_file {

// 'PKI1': the application_id a pki store carries in its SQLite header (schema/0002).
inline constexpr std::int32_t kApplicationId = 0x504b4931;

enum class Kind {
  kMissing,     // nothing at the path
  kNotRegular,  // a device, a FIFO, a directory, a socket
  kEmpty,       // a regular file of zero bytes
  kNotSqlite,   // a regular file without a SQLite header
  kPki,         // a pki store (its application_id)
  kLegacyPki,   // a store of the first release: schema version 1, the exact tables, no application_id
  kForeign,     // another application's SQLite database
};

struct Inspection {
  Kind kind = Kind::kMissing;
  std::string what;  // for messages: "a character device", "another application's SQLite database"
  int user_version = 0;
  bool wal = false;  // the header says WAL mode
};

// What is at `path`, read from the file header (and, for a SQLite file without an application_id,
// its table names through an immutable read-only connection): nothing is written, locked or
// created, so that a file that is not ours is left exactly as it was.
Result<Inspection> inspect(const std::string& path);

// Tightens a pki store's files (the database, its -wal and -shm) to 0600: only regular files that
// the user running pki owns, opened without following links. Never a device, never a link's target.
// Call it before SQLite opens the store: closing a descriptor drops the process's POSIX locks on
// that file, SQLite's among them.
void tighten_modes(const std::string& path);

// Whether the -wal file beside `path` is absent or empty (the main file then holds every
// committed change).
bool wal_empty(const std::string& path);

// `path` as a SQLite URI filename with `query` ("immutable=1&mode=ro").
std::string uri(const std::string& path, const std::string& query);

}  // namespace pki::store::sqlite_file
