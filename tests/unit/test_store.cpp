#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "pki/core/io.h"
#include "pki/core/sqlite.h"
#include "pki/core/time.h"
#include "pki/profiles/profile.h"
#include "pki/store/migrations.h"
#include "pki/store/sqlite_store.h"
#include "support.h"

using namespace pki;

namespace {

// An independent connection, to look at the file as sqlite3 users would.
std::string query(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  SqlDb db(raw);
  auto st = test::must(db.prepare(sql));
  std::string out;
  if (test::must(st.step()) == SqlStatement::Step::kRow) out = st.column_text(0);
  return out;
}

}  // namespace

TEST_CASE("store: created 0600, migrated, WAL, and idempotent") {
  test::TempDir dir;
  const std::string path = dir.file("pki.db");
  { auto st = test::must(store::open_sqlite(path, store::OpenMode::kCreate)); }
  struct stat s {};
  REQUIRE(::stat(path.c_str(), &s) == 0);
  CHECK((s.st_mode & 0777) == 0600);
  CHECK(query(path, "PRAGMA user_version") == std::to_string(store::schema_version()));
  CHECK(query(path, "PRAGMA journal_mode") == "wal");
  CHECK(store::schema_version() == static_cast<int>(store::migrations().size()));
  // Opening again changes nothing.
  auto again = test::must(store::open_sqlite(path, store::OpenMode::kCreate));
  CHECK(query(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'certificates'") ==
        "1");
}

TEST_CASE("store: a missing database is not found, a foreign file is refused") {
  test::TempDir dir;
  auto missing = store::open_sqlite(dir.file("nope.db"), store::OpenMode::kWrite);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  test::must(write_file_atomic(dir.file("junk.db"), std::string(4096, 'x'), 0600));
  auto junk = store::open_sqlite(dir.file("junk.db"), store::OpenMode::kWrite);
  REQUIRE_FALSE(junk);
  CHECK(junk.error().code == ErrorCode::kNotFound);
  auto junk_init = store::open_sqlite(dir.file("junk.db"), store::OpenMode::kCreate);
  REQUIRE_FALSE(junk_init);
  CHECK(junk_init.error().code == ErrorCode::kBadInput);
  CHECK(test::must(read_input(dir.file("junk.db"))) == std::string(4096, 'x'));
}

TEST_CASE("store: another application's database is neither read as pki's nor initialised") {
  test::TempDir dir;
  const std::string path = dir.file("other.db");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    SqlDb db(raw);
    test::must(db.exec("CREATE TABLE notes (x); INSERT INTO notes VALUES (1);"));
  }
  const std::string before = test::must(read_input(path));
  auto existing = store::open_sqlite(path, store::OpenMode::kWrite);
  REQUIRE_FALSE(existing);
  CHECK(existing.error().code == ErrorCode::kNotFound);
  auto created = store::open_sqlite(path, store::OpenMode::kCreate);
  REQUIRE_FALSE(created);
  CHECK(created.error().code == ErrorCode::kBadInput);
  CHECK(test::must(read_input(path)) == before);
}

TEST_CASE("store: an existing file with a loose mode is tightened to 0600") {
  test::TempDir dir;
  const std::string path = dir.file("loose.db");
  test::must(write_file_atomic(path, "", 0644));
  auto st = test::must(store::open_sqlite(path, store::OpenMode::kCreate));
  struct stat s {};
  REQUIRE(::stat(path.c_str(), &s) == 0);
  CHECK((s.st_mode & 0777) == 0600);
  REQUIRE(::stat((path + "-wal").c_str(), &s) == 0);
  CHECK((s.st_mode & 0777) == 0600);
}

TEST_CASE("store: UNIQUE(issuer, serial) is a constraint; the caller sees a taken serial") {
  test::Fixture f;
  auto root = f.root();
  store::CertificateRecord c = root.certificate;
  c.fingerprint = "different";  // same issuer, same serial
  auto tx = test::must(store::WriteTransaction::begin(*f.store));
  auto id = test::must(f.store->insert_certificate(c));
  CHECK_FALSE(id.has_value());
}

TEST_CASE("store: rolled back unless committed") {
  test::Fixture f;
  {
    auto tx = test::must(store::WriteTransaction::begin(*f.store));
    store::AuditEvent e;
    e.at = f.clock.now();
    e.os_user = "t";
    e.verb = "test";
    test::must(f.store->append_audit(e));
  }  // no commit
  CHECK(query(f.dir.file("pki.db"), "SELECT count(*) FROM audit_events") == "0");
}

TEST_CASE("store: the audit log is append-only") {
  test::Fixture f;
  f.root();
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(f.dir.file("pki.db").c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  SqlDb db(raw);
  CHECK_FALSE(db.exec("UPDATE audit_events SET verb = 'x'"));
  CHECK_FALSE(db.exec("DELETE FROM audit_events"));
}

TEST_CASE("store: foreign keys are enforced") {
  test::Fixture f;
  auto tx = test::must(store::WriteTransaction::begin(*f.store));
  store::CertificateRecord c;
  c.issuer_id = 999;
  c.serial = "1";
  c.fingerprint = "x";
  CHECK_FALSE(f.store->insert_certificate(c));
}

TEST_CASE("store: a new store holds the stock profiles, each exactly as pki writes it") {
  test::TempDir dir;
  auto store = test::must(store::open_sqlite(dir.file("pki.db"), store::OpenMode::kCreate));
  const auto current = test::must(store->profiles());
  CHECK(current.size() == profiles::stock().size());
  for (const auto& p : profiles::stock()) {
    CAPTURE(p.name);
    const auto stored = test::must(store->profile(p.name));
    REQUIRE(stored);
    CHECK(stored->version == 1);
    // The migration's documents are the stock profiles' (an unchanged update stores nothing).
    CHECK(stored->document == profiles::to_json(p).dump());
    auto parsed = test::must(profiles::parse(stored->document, p.name));
    CHECK(profiles::to_json(parsed) == profiles::to_json(p));
  }
}

TEST_CASE("store: the PostgreSQL schema keeps step with SQLite's") {
  // Each schema change after the baseline is a pair of migrations with one number.
  const auto pg = store::postgres_migrations();
  REQUIRE(!pg.empty());
  CHECK(pg.back().version == store::schema_version());
  for (std::size_t i = 1; i < pg.size(); ++i) CHECK(pg[i].version == pg[i - 1].version + 1);
  // The baseline seeds the same stock profile documents, byte for byte.
  for (const auto& p : profiles::stock()) {
    CAPTURE(p.name);
    CHECK(pg.front().sql.find("'" + profiles::to_json(p).dump() + "'") != std::string_view::npos);
  }
}

TEST_CASE("store: profile versions count on across a removal, and are kept") {
  test::TempDir dir;
  auto store = test::must(store::open_sqlite(dir.file("pki.db"), store::OpenMode::kCreate));
  const TimePoint t = test::must(parse_rfc3339("2026-12-01T00:00:00Z"));
  test::must(store->begin_write());
  CHECK(test::must(store->put_profile("x", R"({"name":"x"})", t)) == 1);
  CHECK(test::must(store->put_profile("x", R"({"name":"x","description":"two"})", t)) == 2);
  CHECK(test::must(store->remove_profile("x")));
  CHECK_FALSE(test::must(store->remove_profile("x")));
  CHECK_FALSE(test::must(store->profile("x")));
  CHECK(test::must(store->put_profile("x", R"({"name":"x"})", t)) == 3);
  test::must(store->commit());
  CHECK(test::must(store->profile("x", 2))->document == R"({"name":"x","description":"two"})");
  CHECK(test::must(store->profile("x"))->version == 3);
}
