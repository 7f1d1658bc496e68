#include "file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

namespace pki::store::sqlite_file {

namespace {

// The SQLite file header (https://www.sqlite.org/fileformat2.html#the_database_header).
constexpr std::size_t kHeaderSize = 100;
constexpr char kMagic[] = "SQLite format 3";     // 16 bytes with its NUL
constexpr std::size_t kWriteVersionOffset = 18;  // 2: WAL
constexpr std::size_t kUserVersionOffset = 60;
constexpr std::size_t kApplicationIdOffset = 68;

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

const char* file_type(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// The tables of schema version 1, the first release's store.
const std::set<std::string>& legacy_tables() {
  static const std::set<std::string> kTables = {"keys",        "authorities", "certificates",
                                                "revocations", "crls",        "audit_events"};
  return kTables;
}

// The table names of a SQLite file, read without locks, journals or side files.
Result<std::set<std::string>> table_names(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri(path, "mode=ro&immutable=1").c_str(), &raw,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) return fail(ErrorCode::kStore, "cannot read '" + path + "': " + sqlite3_errstr(rc));
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(raw,
                         "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                         -1, &st, nullptr) != SQLITE_OK)
    return fail(ErrorCode::kStore, "cannot read '" + path + "': " + sqlite3_errmsg(raw));
  std::set<std::string> out;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  if (step != SQLITE_DONE)
    return fail(ErrorCode::kStore, "cannot read '" + path + "': " + sqlite3_errmsg(raw));
  return out;
}

}  // namespace

std::string uri(const std::string& path, const std::string& query) {
  // RFC 3986 percent-encoding of everything but unreserved characters and '/'.
  std::string out = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "?" + query;
}

Result<Inspection> inspect(const std::string& path) {
  Inspection out;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return out;
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot open the database '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    out.kind = Kind::kNotRegular;
    out.what = file_type(st.st_mode);
    return out;
  }
  if (st.st_size == 0) {
    out.kind = Kind::kEmpty;
    out.what = "an empty file";
    return out;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot read the database '" + path + "': " + std::strerror(errno));
  unsigned char header[kHeaderSize] = {};
  const ssize_t n = ::pread(fd, header, sizeof header, 0);
  struct stat opened {};
  const bool same = ::fstat(fd, &opened) == 0 && S_ISREG(opened.st_mode);
  ::close(fd);
  if (!same) {
    out.kind = Kind::kNotRegular;
    out.what = "not a regular file";
    return out;
  }
  if (n != static_cast<ssize_t>(kHeaderSize) || std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    out.kind = Kind::kNotSqlite;
    out.what = "not a SQLite database";
    return out;
  }
  out.user_version = static_cast<int>(be32(header + kUserVersionOffset));
  out.wal = header[kWriteVersionOffset] == 2;
  const auto application_id = static_cast<std::int32_t>(be32(header + kApplicationIdOffset));
  if (application_id == kApplicationId) {
    out.kind = Kind::kPki;
    return out;
  }
  out.kind = Kind::kForeign;
  out.what = "another application's SQLite database";
  if (application_id != 0) return out;
  PKI_ASSIGN(const auto tables, table_names(path));
  if (tables.empty() && out.user_version == 0) {
    out.kind = Kind::kEmpty;  // a SQLite file with nothing in it yet
    out.what = "an empty SQLite database";
  } else if (out.user_version == 1 && tables == legacy_tables()) {
    out.kind = Kind::kLegacyPki;
  }
  return out;
}

void tighten_modes(const std::string& path) {
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) continue;  // absent, unreadable, or a link: left alone
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077))
      (void)::fchmod(fd, 0600);
    ::close(fd);
  }
}

bool wal_empty(const std::string& path) {
  struct stat st {};
  const std::string wal = path + "-wal";
  if (::lstat(wal.c_str(), &st) != 0) return errno == ENOENT;
  return S_ISREG(st.st_mode) && st.st_size == 0;
}

}  // namespace pki::store::sqlite_file
