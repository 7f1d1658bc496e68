#include "pki/store/sqlite_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "../records.h"
#include "file.h"
#include "pki/core/io.h"
#include "pki/core/sqlite.h"
#include "pki/core/time.h"
#include "pki/store/migrations.h"

namespace pki::store {

namespace {

// How long a writer waits for another process's write transaction before giving up. Transactions
// here last milliseconds (one issuance, one CRL); 30 s covers a million-entry CRL being written
// by another process, and stays well below any caller's timeout.
constexpr int kBusyTimeoutMs = 30'000;
// The migration that chains the audit log (schema/0007_audit_chain.sql): the rows already there
// are hashed right after it.
constexpr int kAuditChainVersion = 7;

using records::t2s;

// Reads one row's columns. A stored value that does not parse (a time, a SAN list) makes the row a
// store error: it is never read as 1970 or as "no SANs".
class Row {
 public:
  explicit Row(const SqlStatement& s) : s_(s) {}
  std::int64_t integer(int i) const { return s_.column_int(i); }
  std::optional<std::int64_t> optional_integer(int i) const { return s_.column_optional_int(i); }
  std::string text(int i) const { return s_.column_text(i); }
  std::optional<std::string> optional_text(int i) const { return s_.column_optional_text(i); }
  Bytes blob(int i) const { return s_.column_blob(i); }
  bool is_null(int i) const { return s_.column_is_null(i); }

  TimePoint time(int i) {
    const std::string text = s_.column_text(i);
    auto t = parse_rfc3339(text);
    if (!t) return bad(i, "an unreadable time '" + text + "'"), TimePoint{};
    return *t;
  }
  std::optional<TimePoint> optional_time(int i) {
    if (s_.column_is_null(i)) return std::nullopt;
    return time(i);
  }
  // A JSON array of strings.
  std::vector<std::string> strings(int i) {
    const std::string text = s_.column_text(i);
    auto list = records::string_list(text);
    if (!list) return bad(i, "an unreadable list '" + text + "'"), std::vector<std::string>{};
    return std::move(*list);
  }

  template <class T>
  Result<T> done(T value) {
    if (error_) return tl::unexpected(*error_);
    return value;
  }

 private:
  void bad(int i, const std::string& what) {
    if (!error_) error_ = records::damaged(what, sqlite3_column_name(s_.raw(), i));
  }
  const SqlStatement& s_;
  std::optional<Error> error_;
};

void bind_optional_blob(SqlStatement& s, int index, const std::optional<Bytes>& value) {
  if (value)
    s.bind(index, BytesView(*value));
  else
    s.bind(index, std::nullopt);
}

Result<CertificateRecord> read_certificate(const SqlStatement& s) {
  Row r(s);
  return records::certificate(r);
}
Result<AuthorityRecord> read_authority(const SqlStatement& s) {
  Row r(s);
  return records::authority(r);
}
Result<ProfileRecord> read_profile(const SqlStatement& s) {
  Row r(s);
  return records::profile(r);
}

using records::kAuthorityColumns;
using records::kCertColumns;
using records::origin_name;

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqlDb db) : db_(std::move(db)) {}
  sqlite3* handle() const { return db_.get(); }
  const SqlDb& db() const { return db_; }

  // Runs SQL that returns no rows (store creation sets the journal mode with it).
  Result<void> exec(const std::string& sql) { return db_.exec(sql); }

  Result<int> user_version() {
    PKI_ASSIGN(SqlStatement & st, stmt("PRAGMA user_version"));
    PKI_TRY(st.step());
    const int v = static_cast<int>(st.column_int(0));
    st.reset();
    return v;
  }

  // Applies pending migrations. Up-to-date databases are only read, so that commands that change
  // nothing leave the file as it was.
  Result<void> migrate() {
    PKI_ASSIGN(const int seen, user_version());
    if (seen == schema_version()) return {};
    PKI_TRY(begin_write());
    auto r = [&]() -> Result<void> {
      PKI_ASSIGN(const int current, user_version());  // another process may have migrated meanwhile
      if (current > schema_version())
        return fail(ErrorCode::kStore, "the database has schema version " + std::to_string(current) +
                                           ", newer than this pki knows (" +
                                           std::to_string(schema_version()) + "): upgrade pki");
      for (const Migration& m : migrations()) {
        if (m.version <= current) continue;
        PKI_TRY(db_.exec(std::string(m.sql)));
        PKI_TRY(db_.exec("PRAGMA user_version = " + std::to_string(m.version)));
        if (m.version == kAuditChainVersion) PKI_TRY(seal_audit_rows());
      }
      // Migrations that rebuild a table run with foreign keys off (SQLite's procedure for schema
      // changes): every reference must still hold before the change commits.
      PKI_ASSIGN(SqlStatement check, db_.prepare("PRAGMA foreign_key_check"));
      PKI_ASSIGN(auto row, check.step());
      if (row == SqlStatement::Step::kRow)
        return fail(ErrorCode::kStore, Field::kDatabase,
                    "the database's references do not hold after its migration (table " +
                        check.column_text(0) + "): it is damaged");
      return {};
    }();
    if (!r) {
      rollback();
      return r;
    }
    return commit();
  }

  Result<void> begin_write() override {
    if (in_tx_) return fail(ErrorCode::kInternal, "nested write transaction");
    // A statement left mid-result would hold a read snapshot, and SQLite refuses to upgrade a
    // reader to a writer without waiting (SQLITE_BUSY_SNAPSHOT): make sure none is open.
    for (auto& [sql, st] : cache_) st.reset();
    PKI_TRY(db_.exec("BEGIN IMMEDIATE"));
    in_tx_ = true;
    return {};
  }
  Result<void> commit() override {
    PKI_TRY(db_.exec("COMMIT"));
    in_tx_ = false;
    return {};
  }
  void rollback() noexcept override {
    if (!in_tx_) return;
    (void)db_.exec("ROLLBACK");
    in_tx_ = false;
  }

  Result<std::int64_t> insert_key(const KeyRecord& k) override {
    PKI_ASSIGN(
        SqlStatement & s,
        stmt("INSERT INTO keys (key_type, pkcs8_pem, encrypted, spki_sha256, created_at, pkcs8_sha256) "
             "VALUES (?, ?, ?, ?, ?, ?)"));
    s.bind(1, k.key_type)
        .bind(2, k.pkcs8_pem)
        .bind(3, std::int64_t{k.encrypted})
        .bind(4, k.spki_sha256)
        .bind(5, t2s(k.created_at))
        .bind(6, sha256_hex(as_bytes(k.pkcs8_pem)));
    PKI_ASSIGN(auto step, s.step());
    if (step == SqlStatement::Step::kConstraint)
      return fail(ErrorCode::kRefused, "this key is already in the database: another CA holds it");
    return sqlite3_last_insert_rowid(db_.get());
  }

  Result<std::vector<std::int64_t>> key_ids() override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT id FROM keys ORDER BY id"));
    return all<std::int64_t>(s,
                             [](const SqlStatement& st) -> Result<std::int64_t> { return st.column_int(0); });
  }

  Result<void> update_key_encryption(std::int64_t id, std::string_view pkcs8_pem, bool encrypted) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("UPDATE keys SET pkcs8_pem = ?, encrypted = ?, pkcs8_sha256 = ? WHERE id = ?"));
    s.bind(1, pkcs8_pem)
        .bind(2, std::int64_t{encrypted})
        .bind(3, sha256_hex(as_bytes(pkcs8_pem)))
        .bind(4, id);
    return s.run();
  }

  Result<KeyRecord> key(std::int64_t id) override {
    PKI_ASSIGN(
        SqlStatement & s,
        stmt("SELECT id, key_type, pkcs8_pem, encrypted, spki_sha256, created_at, pkcs8_sha256 FROM keys "
             "WHERE id = ?"));
    s.bind(1, id);
    PKI_ASSIGN(auto k, one<KeyRecord>(s, [](const SqlStatement& st) {
                 Row r(st);
                 KeyRecord k{r.integer(0), r.text(1), r.text(2),         r.integer(3) != 0,
                             r.text(4),    r.time(5), r.optional_text(6)};
                 return r.done(std::move(k));
               }));
    if (!k) return fail(ErrorCode::kStore, "key " + std::to_string(id) + " is missing");
    return std::move(*k);
  }

  Result<std::int64_t> insert_authority(const AuthorityRecord& a) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO authorities (name, kind, parent_id, key_id, certificate_id, crl_url, "
                    "pending_csr, crl_number_floor, created_at, ocsp_url, ca_issuers_url, delta_crl_url) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, a.name)
        .bind(2, std::string_view(a.kind == AuthorityKind::kOutside ? "outside" : "local"))
        .bind(3, a.parent_id)
        .bind(4, a.key_id)
        .bind(5, a.certificate_id)
        .bind(6, a.crl_url)
        .bind(8, a.crl_number_floor)
        .bind(9, t2s(a.created_at))
        .bind(10, a.ocsp_url)
        .bind(11, a.ca_issuers_url)
        .bind(12, a.delta_crl_url);
    bind_optional_blob(s, 7, a.pending_csr);
    PKI_ASSIGN(auto step, s.step());
    if (step == SqlStatement::Step::kConstraint)
      return fail(ErrorCode::kRefused, "a CA named '" + a.name + "' already exists");
    return sqlite3_last_insert_rowid(db_.get());
  }

  Result<void> update_authority(const AuthorityRecord& a) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("UPDATE authorities SET parent_id = ?, key_id = ?, certificate_id = ?, crl_url = ?, "
                    "pending_csr = ?, crl_number_floor = ?, ocsp_url = ?, ca_issuers_url = ?, "
                    "delta_crl_url = ? WHERE id = ?"));
    s.bind(1, a.parent_id)
        .bind(2, a.key_id)
        .bind(3, a.certificate_id)
        .bind(4, a.crl_url)
        .bind(6, a.crl_number_floor)
        .bind(7, a.ocsp_url)
        .bind(8, a.ca_issuers_url)
        .bind(9, a.delta_crl_url)
        .bind(10, a.id);
    bind_optional_blob(s, 5, a.pending_csr);
    return s.run();
  }

  Result<void> insert_generation(const KeyGeneration& g) override {
    PKI_ASSIGN(
        SqlStatement & s,
        stmt("INSERT INTO authority_keys (authority_id, generation, key_id, certificate_id, created_at) "
             "VALUES (?, ?, ?, ?, ?)"));
    s.bind(1, g.authority_id)
        .bind(2, std::int64_t{g.generation})
        .bind(3, g.key_id)
        .bind(4, g.certificate_id)
        .bind(5, t2s(g.created_at));
    return s.run();
  }

  Result<std::vector<KeyGeneration>> generations(std::int64_t authority_id) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT authority_id, generation, key_id, certificate_id, created_at FROM authority_keys "
                    "WHERE authority_id = ? ORDER BY generation"));
    s.bind(1, authority_id);
    return all<KeyGeneration>(s, [](const SqlStatement& st) {
      Row r(st);
      KeyGeneration g{r.integer(0), static_cast<int>(r.integer(1)), r.integer(2), r.integer(3), r.time(4)};
      return r.done(g);
    });
  }

  Result<std::optional<std::pair<AuthorityRecord, int>>> authority_of_certificate(
      std::int64_t certificate_id) override {
    PKI_ASSIGN(SqlStatement & k,
               stmt("SELECT authority_id, generation FROM authority_keys WHERE certificate_id = ? "
                    "UNION ALL SELECT id, 1 FROM authorities WHERE kind = 'outside' AND "
                    "certificate_id = ?"));
    k.bind(1, certificate_id).bind(2, certificate_id);
    PKI_ASSIGN(auto step, k.step());
    if (step != SqlStatement::Step::kRow) return std::optional<std::pair<AuthorityRecord, int>>();
    const std::int64_t authority_id = k.column_int(0);
    const int generation = static_cast<int>(k.column_int(1));
    k.reset();
    PKI_ASSIGN(auto a, authority_by_id(authority_id));
    if (!a) return fail(ErrorCode::kStore, "a key generation names a missing authority");
    return std::optional<std::pair<AuthorityRecord, int>>(std::pair{std::move(*a), generation});
  }

  Result<std::optional<AuthorityRecord>> authority_by_name(std::string_view name) override {
    PKI_ASSIGN(SqlStatement & s, stmt(std::string(kAuthorityColumns) + "WHERE a.name = ?"));
    s.bind(1, name);
    return one<AuthorityRecord>(s, read_authority);
  }

  Result<std::optional<AuthorityRecord>> authority_by_id(std::int64_t id) override {
    PKI_ASSIGN(SqlStatement & s, stmt(std::string(kAuthorityColumns) + "WHERE a.id = ?"));
    s.bind(1, id);
    return one<AuthorityRecord>(s, read_authority);
  }

  Result<std::vector<AuthorityRecord>> authorities() override {
    PKI_ASSIGN(SqlStatement & s, stmt(std::string(kAuthorityColumns) + "ORDER BY a.id"));
    return all<AuthorityRecord>(s, read_authority);
  }

  Result<std::optional<std::int64_t>> insert_certificate(const CertificateRecord& c) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO certificates (issuer_id, generation, serial, subject, sans, not_before, "
                    "not_after, profile, key_type, der, fingerprint, status, origin, renews, created_at, "
                    "profile_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    s.bind(1, c.issuer_id)
        .bind(2, std::int64_t{c.generation})
        .bind(3, c.serial)
        .bind(4, c.subject)
        .bind(5, nlohmann::json(c.sans).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(6, t2s(c.not_before))
        .bind(7, t2s(c.not_after))
        .bind(8, c.profile)
        .bind(9, c.key_type)
        .bind(12, std::string_view(c.revocation ? "revoked" : "valid"))
        .bind(13, origin_name(c.origin))
        .bind(14, c.renews)
        .bind(15, t2s(c.created_at))
        .bind(16, c.profile_version ? std::optional<std::int64_t>(*c.profile_version) : std::nullopt);
    if (c.der.empty()) {
      s.bind(10, std::optional<std::string>()).bind(11, std::optional<std::string>());
    } else {
      s.bind(10, BytesView(c.der)).bind(11, c.fingerprint);
    }
    PKI_ASSIGN(auto step, s.step());
    if (step == SqlStatement::Step::kConstraint) return std::optional<std::int64_t>();
    const std::int64_t id = sqlite3_last_insert_rowid(db_.get());
    if (c.revocation) {
      PKI_ASSIGN(SqlStatement & r,
                 stmt("INSERT INTO revocations (certificate_id, issuer_id, generation, serial, reason, "
                      "revoked_at, invalidity_date) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      r.bind(1, id)
          .bind(2, c.issuer_id)
          .bind(3, std::int64_t{c.generation})
          .bind(4, c.serial)
          .bind(5, c.revocation->reason)
          .bind(6, t2s(c.revocation->revoked_at))
          .bind(7, t2s(c.revocation->invalidity_date));
      PKI_TRY(r.run());
    }
    return std::optional<std::int64_t>(id);
  }

  Result<std::int64_t> renewal_count(std::int64_t certificate_id) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT count(*) FROM certificates WHERE renews = ?"));
    s.bind(1, certificate_id);
    PKI_TRY(s.step());
    const std::int64_t n = s.column_int(0);
    s.reset();
    return n;
  }

  Result<std::optional<CertificateRecord>> certificate(std::int64_t id) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT " + std::string(kCertColumns) + "WHERE c.id = ?"));
    s.bind(1, id);
    return one<CertificateRecord>(s, read_certificate);
  }

  Result<std::vector<CertificateRecord>> certificates_by_serial(
      std::string_view serial, std::optional<std::int64_t> issuer_id) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT " + std::string(kCertColumns) +
                    "WHERE c.serial = ?1 AND (?2 IS NULL OR c.issuer_id = ?2) ORDER BY c.id"));
    s.bind(1, serial).bind(2, issuer_id);
    return all<CertificateRecord>(s, read_certificate);
  }

  Result<std::optional<CertificateRecord>> certificate_by_fingerprint(std::string_view fingerprint) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT " + std::string(kCertColumns) + "WHERE c.fingerprint = ?"));
    s.bind(1, fingerprint);
    return one<CertificateRecord>(s, read_certificate);
  }

  Result<void> for_each_certificate(
      const CertificateFilter& f,
      const std::function<Result<void>(const CertificateRecord&)>& visit) override {
    // One statement for every filter: unused conditions bind NULL and fall away.
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT " + std::string(kCertColumns) +
                    "WHERE (?1 IS NULL OR c.issuer_id = ?1) "
                    "AND (?2 = 'all' "
                    "  OR (?2 = 'revoked' AND c.status = 'revoked') "
                    "  OR (?2 = 'valid' AND c.status = 'valid' AND c.not_after >= ?3) "
                    "  OR (?2 = 'expired' AND c.status = 'valid' AND c.not_after < ?3)) "
                    "AND (?4 IS NULL OR (c.not_after >= ?3 AND c.not_after <= ?4)) "
                    "AND (?5 = 0 OR (c.status = 'valid' AND c.not_after >= ?3 "
                    "  AND c.not_before IS NOT NULL AND julianday(?3) >= julianday(c.not_before) "
                    "    + 2.0 * (julianday(c.not_after) - julianday(c.not_before)) / 3.0 "
                    "  AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.renews = c.id) "
                    "  AND c.origin != 'outside' AND c.profile NOT IN ('root-ca', 'intermediate-ca') "
                    "  AND NOT EXISTS (SELECT 1 FROM authority_keys k WHERE k.certificate_id = c.id))) "
                    "ORDER BY c.id"));
    const char* status = f.status == StatusFilter::kValid     ? "valid"
                         : f.status == StatusFilter::kRevoked ? "revoked"
                         : f.status == StatusFilter::kExpired ? "expired"
                                                              : "all";
    s.bind(1, f.issuer_id)
        .bind(2, std::string_view(status))
        .bind(3, t2s(f.now))
        .bind(4, t2s(f.expiring_before))
        .bind(5, std::int64_t{f.renewal_due});
    for (;;) {
      PKI_ASSIGN(auto step, s.step());
      if (step != SqlStatement::Step::kRow) break;
      auto rec = read_certificate(s);
      auto r = rec ? visit(*rec) : Result<void>(tl::unexpected(rec.error()));
      if (!r) {
        s.reset();
        return r;
      }
    }
    s.reset();
    return {};
  }

  Result<void> put_revocation(std::int64_t certificate_id, const RevocationRecord& r) override {
    PKI_ASSIGN(
        SqlStatement & s,
        stmt("INSERT INTO revocations (certificate_id, issuer_id, generation, serial, reason, revoked_at, "
             "invalidity_date) SELECT id, issuer_id, generation, serial, ?2, ?3, ?4 FROM certificates "
             "WHERE id = ?1 "
             "ON CONFLICT (certificate_id) DO UPDATE SET reason = excluded.reason, "
             "revoked_at = excluded.revoked_at, invalidity_date = excluded.invalidity_date"));
    s.bind(1, certificate_id).bind(2, r.reason).bind(3, t2s(r.revoked_at)).bind(4, t2s(r.invalidity_date));
    PKI_TRY(s.run());
    PKI_ASSIGN(SqlStatement & u, stmt("UPDATE certificates SET status = 'revoked' WHERE id = ?"));
    u.bind(1, certificate_id);
    return u.run();
  }

  Result<void> delete_revocation(std::int64_t certificate_id) override {
    PKI_ASSIGN(SqlStatement & s, stmt("DELETE FROM revocations WHERE certificate_id = ?"));
    s.bind(1, certificate_id);
    PKI_TRY(s.run());
    PKI_ASSIGN(SqlStatement & u, stmt("UPDATE certificates SET status = 'valid' WHERE id = ?"));
    u.bind(1, certificate_id);
    return u.run();
  }

  Result<std::int64_t> revocation_count(std::int64_t issuer_id, int generation) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT count(*) FROM revocations WHERE issuer_id = ? AND generation = ?"));
    s.bind(1, issuer_id).bind(2, std::int64_t{generation});
    PKI_TRY(s.step());
    const std::int64_t n = s.column_int(0);
    s.reset();
    return n;
  }

  Result<void> for_each_revocation(std::int64_t issuer_id, int generation,
                                   const std::function<Result<void>(const RevokedEntry&)>& visit) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT serial, revoked_at, reason, invalidity_date FROM revocations "
                                      "WHERE issuer_id = ? AND generation = ? ORDER BY serial"));
    s.bind(1, issuer_id).bind(2, std::int64_t{generation});
    for (;;) {
      PKI_ASSIGN(auto step, s.step());
      if (step != SqlStatement::Step::kRow) break;
      Row row(s);
      auto entry = row.done(RevokedEntry{row.text(0), row.time(1), row.text(2), row.optional_time(3)});
      auto r = entry ? visit(*entry) : Result<void>(tl::unexpected(entry.error()));
      if (!r) {
        s.reset();
        return r;
      }
    }
    s.reset();
    return {};
  }

  Result<std::int64_t> last_crl_number(std::int64_t issuer_id) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT MAX(COALESCE((SELECT MAX(crl_number) FROM crls WHERE issuer_id = ?1), 0), "
                    "(SELECT crl_number_floor FROM authorities WHERE id = ?1))"));
    s.bind(1, issuer_id);
    PKI_TRY(s.step());
    const std::int64_t n = s.column_int(0);
    s.reset();
    return n;
  }

  Result<void> insert_crl(const CrlRecord& c) override {
    // A CRL may be tens of megabytes: its row is made with room for it (zeroblob), then the bytes
    // are written into the row in place, so that SQLite builds no copy of them in memory.
    if (c.der.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      return fail(ErrorCode::kStore, "the CRL is too large for the database");
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO crls (issuer_id, crl_number, this_update, next_update, entries, der, "
                    "generation, delta_base, fingerprint) VALUES (?, ?, ?, ?, ?, zeroblob(?), ?, ?, ?)"));
    s.bind(1, c.issuer_id)
        .bind(2, c.crl_number)
        .bind(3, t2s(c.this_update))
        .bind(4, t2s(c.next_update))
        .bind(5, c.entries)
        .bind(6, static_cast<std::int64_t>(c.der.size()))
        .bind(7, std::int64_t{c.generation})
        .bind(8, c.delta_base)
        .bind(9, c.fingerprint);
    PKI_TRY(s.run());
    sqlite3_blob* blob = nullptr;
    int rc =
        sqlite3_blob_open(db_.get(), "main", "crls", "der", sqlite3_last_insert_rowid(db_.get()), 1, &blob);
    if (rc == SQLITE_OK) rc = sqlite3_blob_write(blob, c.der.data(), static_cast<int>(c.der.size()), 0);
    const int closed = sqlite3_blob_close(blob);
    if (rc == SQLITE_OK) rc = closed;
    if (rc != SQLITE_OK)
      return fail(ErrorCode::kStore, "cannot store the CRL: " + std::string(sqlite3_errmsg(db_.get())));
    // The older CRLs of this key and kind become metadata (schema 0006): only the newest is served.
    PKI_ASSIGN(SqlStatement & older,
               stmt("UPDATE crls SET der = NULL WHERE issuer_id = ? AND generation = ? AND "
                    "(delta_base IS NOT NULL) = ? AND crl_number < ? AND der IS NOT NULL AND fingerprint IS "
                    "NOT NULL"));
    older.bind(1, c.issuer_id)
        .bind(2, std::int64_t{c.generation})
        .bind(3, std::int64_t{c.delta_base.has_value()})
        .bind(4, c.crl_number);
    return older.run();
  }

  Result<std::optional<CrlRecord>> latest_crl(std::int64_t issuer_id, int generation, bool delta,
                                              CrlPart part) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT " + records::crl_columns(part == CrlPart::kWhole) +
                                      " FROM crls WHERE issuer_id = ? AND generation = ? "
                                      "AND (delta_base IS NOT NULL) = ? ORDER BY crl_number DESC LIMIT 1"));
    s.bind(1, issuer_id).bind(2, std::int64_t{generation}).bind(3, std::int64_t{delta});
    return one<CrlRecord>(s, [](const SqlStatement& st) {
      Row r(st);
      return records::crl(r);
    });
  }

  Result<std::optional<SerialStatus>> serial_status(std::int64_t issuer_id,
                                                    std::string_view serial) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT c.id, c.generation, r.reason, r.revoked_at, r.invalidity_date "
                    "FROM certificates c LEFT JOIN revocations r ON r.certificate_id = c.id "
                    "WHERE c.issuer_id = ? AND c.serial = ?"));
    s.bind(1, issuer_id).bind(2, serial);
    return one<SerialStatus>(s, [](const SqlStatement& st) {
      Row r(st);
      SerialStatus v;
      v.certificate_id = r.integer(0);
      v.generation = static_cast<int>(r.integer(1));
      if (!r.is_null(2)) {
        RevocationRecord rev;
        rev.reason = r.text(2);
        rev.revoked_at = r.time(3);
        rev.invalidity_date = r.optional_time(4);
        v.revocation = std::move(rev);
      }
      return r.done(std::move(v));
    });
  }

  Result<std::int64_t> insert_ocsp_responder(const OcspResponderRecord& o) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO ocsp_responders (authority_id, generation, certificate_id, key_id, "
                    "created_at) VALUES (?, ?, ?, ?, ?)"));
    s.bind(1, o.authority_id)
        .bind(2, std::int64_t{o.generation})
        .bind(3, o.certificate_id)
        .bind(4, o.key_id)
        .bind(5, t2s(o.created_at));
    PKI_TRY(s.run());
    return sqlite3_last_insert_rowid(db_.get());
  }

  Result<std::optional<OcspResponderRecord>> latest_ocsp_responder(std::int64_t authority_id,
                                                                   int generation) override {
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT id, authority_id, generation, certificate_id, key_id, created_at "
                    "FROM ocsp_responders WHERE authority_id = ? AND generation = ? "
                    "ORDER BY id DESC LIMIT 1"));
    s.bind(1, authority_id).bind(2, std::int64_t{generation});
    return one<OcspResponderRecord>(s, [](const SqlStatement& st) {
      Row r(st);
      OcspResponderRecord o{r.integer(0), r.integer(1), static_cast<int>(r.integer(2)),
                            r.integer(3), r.integer(4), r.time(5)};
      return r.done(std::move(o));
    });
  }

  Result<void> append_audit(const AuditEvent& e) override {
    AuditRow row{0, t2s(e.at), e.os_user, e.verb, e.authority, e.serial, e.detail, {}, {}};
    PKI_ASSIGN(const AuditChainHead head, audit_chain_head());
    // After the highest id, whatever wrote it: a row added outside pki stays visible as such.
    PKI_ASSIGN(SqlStatement & next, stmt("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_events"));
    PKI_TRY(next.step());
    row.id = next.column_int(0);
    next.reset();
    return append_chained(row, head.head_id == 0 ? audit_chain_start(head.store_id) : head.head_hash);
  }

  Result<void> for_each_audit_row(const AuditFilter& filter,
                                  const std::function<Result<void>(const AuditRow&)>& visit) override {
    // Its own statement, not a cached one: `visit` may use the store.
    PKI_ASSIGN(SqlStatement s,
               db_.prepare("SELECT id, at, os_user, verb, authority, serial, detail, prev_hash, hash "
                           "FROM audit_events WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR serial = ?2) "
                           "ORDER BY id"));
    s.bind(1, filter.since).bind(2, filter.serial);
    for (;;) {
      PKI_ASSIGN(auto step, s.step());
      if (step != SqlStatement::Step::kRow) return {};
      Row r(s);
      AuditRow row{r.integer(0),       r.text(1), r.text(2), r.text(3), r.optional_text(4),
                   r.optional_text(5), r.text(6), r.blob(7), r.blob(8)};
      PKI_TRY(visit(row));
    }
  }

  Result<AuditChainHead> audit_chain_head() override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT store_id, head_id, head_hash FROM audit_chain WHERE id = 1"));
    PKI_ASSIGN(auto head, one<AuditChainHead>(s, [](const SqlStatement& st) {
                 Row r(st);
                 AuditChainHead h{r.blob(0), r.integer(1), r.blob(2)};
                 return r.done(std::move(h));
               }));
    if (!head || head->store_id.empty())
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "the audit log has lost its anchor (audit_chain): it was edited");
    return std::move(*head);
  }

  Result<std::vector<AuditEvent>> audit_for(const CertificateRecord& cert) override {
    // Issuance, revocation and holds are recorded under the issuer's name; a CA's creation under
    // the new CA's own name, with its certificate's serial.
    PKI_ASSIGN(SqlStatement & s,
               stmt("SELECT id, at, os_user, verb, authority, serial, detail FROM audit_events "
                    "WHERE (serial = ?1 AND (authority = ?2 OR (verb IN ('ca-create', 'ca-install', "
                    "'ca-import', 'ca-rollover') AND authority IN (SELECT a.name FROM authorities a JOIN "
                    "authority_keys k ON k.authority_id = a.id WHERE k.certificate_id = ?3)))) "
                    "OR (?4 AND verb = 'ca-import' AND authority = ?2 AND NOT EXISTS (SELECT 1 FROM "
                    "authority_keys k WHERE k.certificate_id = ?3)) ORDER BY id"));
    s.bind(1, cert.serial)
        .bind(2, cert.issuer_name)
        .bind(3, cert.id)
        .bind(4, std::int64_t{cert.origin == Origin::kImported});
    return all<AuditEvent>(s, [](const SqlStatement& st) {
      Row r(st);
      AuditEvent e{r.integer(0),       r.time(1),          r.text(2), r.text(3),
                   r.optional_text(4), r.optional_text(5), r.text(6)};
      return r.done(std::move(e));
    });
  }

 private:
  // Writes `row` (its id set) chained to `prev`, and makes it the chain's head.
  Result<void> append_chained(AuditRow& row, const Bytes& prev) {
    row.prev_hash = prev;
    row.hash = audit_row_hash(row.prev_hash, row);
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO audit_events (id, at, os_user, verb, authority, serial, detail, prev_hash, "
                    "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(1, row.id)
        .bind(2, row.at)
        .bind(3, row.os_user)
        .bind(4, row.verb)
        .bind(5, row.authority)
        .bind(6, row.serial)
        .bind(7, row.detail)
        .bind(8, BytesView(row.prev_hash))
        .bind(9, BytesView(row.hash));
    PKI_TRY(s.run());
    return set_chain_head(row.id, row.hash);
  }

  Result<void> set_chain_head(std::int64_t id, const Bytes& hash) {
    PKI_ASSIGN(SqlStatement & s, stmt("UPDATE audit_chain SET head_id = ?, head_hash = ? WHERE id = 1"));
    s.bind(1, id).bind(2, BytesView(hash));
    return s.run();
  }

  Result<std::vector<ProfileRecord>> profiles() override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT " + std::string(records::kProfileColumns) +
                                      " FROM profiles p "
                                      "JOIN profile_versions v ON v.name = p.name AND v.version = p.version "
                                      "ORDER BY v.name"));
    return all<ProfileRecord>(s, read_profile);
  }

  Result<std::optional<ProfileRecord>> profile(std::string_view name, std::optional<int> version) override {
    PKI_ASSIGN(SqlStatement & s, stmt("SELECT " + std::string(records::kProfileColumns) +
                                      " FROM profile_versions v "
                                      "WHERE v.name = ?1 AND v.version = COALESCE(?2, "
                                      "(SELECT p.version FROM profiles p WHERE p.name = ?1))"));
    s.bind(1, name).bind(2, version ? std::optional<std::int64_t>(*version) : std::nullopt);
    return one<ProfileRecord>(s, read_profile);
  }

  Result<int> put_profile(std::string_view name, std::string_view document, TimePoint at) override {
    PKI_ASSIGN(SqlStatement & next,
               stmt("SELECT COALESCE(MAX(version), 0) + 1 FROM profile_versions WHERE name = ?"));
    next.bind(1, name);
    PKI_TRY(next.step());
    const auto version = next.column_int(0);
    next.reset();
    PKI_ASSIGN(SqlStatement & ins,
               stmt("INSERT INTO profile_versions (name, version, document, created_at) VALUES (?,?,?,?)"));
    ins.bind(1, name).bind(2, version).bind(3, document).bind(4, t2s(at));
    PKI_TRY(ins.run());
    PKI_ASSIGN(SqlStatement & cur, stmt("INSERT INTO profiles (name, version) VALUES (?1, ?2) "
                                        "ON CONFLICT (name) DO UPDATE SET version = ?2"));
    cur.bind(1, name).bind(2, version);
    PKI_TRY(cur.run());
    return static_cast<int>(version);
  }

  Result<bool> remove_profile(std::string_view name) override {
    PKI_ASSIGN(SqlStatement & s, stmt("DELETE FROM profiles WHERE name = ? RETURNING name"));
    s.bind(1, name);
    PKI_ASSIGN(auto step, s.step());
    const bool removed = step == SqlStatement::Step::kRow;
    s.reset();
    return removed;
  }

  Result<void> begin_snapshot() override {
    // A read transaction: SQLite keeps its snapshot (WAL) from the first read to the COMMIT.
    for (auto& [sql, st] : cache_) st.reset();
    return db_.exec("BEGIN");
  }
  void end_snapshot() noexcept override { (void)db_.exec("COMMIT"); }

  Result<void> for_each_row(const Table& t,
                            const std::function<Result<void>(const RowValues&)>& visit) override {
    std::string cols;
    for (const Column& c : t.columns) cols += (cols.empty() ? "" : ", ") + std::string(c.name);
    // Its own statement: `visit` may write to another store, or read this one.
    PKI_ASSIGN(SqlStatement s, db_.prepare("SELECT " + cols + " FROM " + std::string(t.name) + " ORDER BY " +
                                           std::string(t.order_by)));
    RowValues row(t.columns.size());
    for (;;) {
      PKI_ASSIGN(auto step, s.step());
      if (step != SqlStatement::Step::kRow) return {};
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const int col = static_cast<int>(i);
        if (s.column_is_null(col))
          row[i] = std::monostate{};
        else if (t.columns[i].type == ColumnType::kInteger)
          row[i] = s.column_int(col);
        else if (t.columns[i].type == ColumnType::kText)
          row[i] = s.column_text(col);
        else
          row[i] = s.column_blob(col);
      }
      PKI_TRY(visit(row));
    }
  }

  Result<void> begin_load() override {
    // References are checked at the commit; the triggers (append-only rules) are dropped for the
    // load and made again from their own SQL by end_load, all in this one transaction.
    PKI_TRY(db_.exec("PRAGMA defer_foreign_keys = ON"));
    PKI_ASSIGN(SqlStatement list, db_.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"));
    held_triggers_.clear();
    for (;;) {
      PKI_ASSIGN(auto step, list.step());
      if (step != SqlStatement::Step::kRow) break;
      held_triggers_.emplace_back(list.column_text(0), list.column_text(1));
    }
    for (const auto& [name, sql] : held_triggers_) PKI_TRY(db_.exec("DROP TRIGGER \"" + name + "\""));
    for (auto t = tables().rbegin(); t != tables().rend(); ++t)
      PKI_TRY(db_.exec("DELETE FROM " + std::string(t->name)));
    return {};
  }

  Result<void> insert_row(const Table& t, const RowValues& row) override {
    std::string cols, marks;
    for (const Column& c : t.columns) {
      cols += (cols.empty() ? "" : ", ") + std::string(c.name);
      marks += marks.empty() ? "?" : ", ?";
    }
    PKI_ASSIGN(SqlStatement & s,
               stmt("INSERT INTO " + std::string(t.name) + " (" + cols + ") VALUES (" + marks + ")"));
    for (std::size_t i = 0; i < row.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const auto* v = std::get_if<std::int64_t>(&row[i]))
        s.bind(index, *v);
      else if (const auto* text = std::get_if<std::string>(&row[i]))
        s.bind(index, std::string_view(*text));
      else if (const auto* b = std::get_if<Bytes>(&row[i]))
        s.bind(index, BytesView(*b));
      else
        s.bind(index, std::nullopt);
    }
    return s.run();
  }

  Result<void> end_load() override {
    for (const auto& [name, sql] : held_triggers_) PKI_TRY(db_.exec(sql));
    held_triggers_.clear();
    return {};
  }

  // Gives the rows written before the audit log was chained (schema 7) their hashes, oldest first.
  Result<void> seal_audit_rows() {
    PKI_ASSIGN(const AuditChainHead head, audit_chain_head());
    std::vector<AuditRow> rows;
    PKI_TRY(for_each_audit_row({}, [&](const AuditRow& r) -> Result<void> {
      rows.push_back(r);
      return {};
    }));
    Bytes prev = audit_chain_start(head.store_id);
    PKI_ASSIGN(SqlStatement update,
               db_.prepare("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?"));
    for (AuditRow& r : rows) {
      r.prev_hash = prev;
      r.hash = audit_row_hash(prev, r);
      update.reset();
      update.bind(1, BytesView(r.prev_hash)).bind(2, BytesView(r.hash)).bind(3, r.id);
      PKI_TRY(update.run());
      prev = r.hash;
    }
    if (!rows.empty()) PKI_TRY(set_chain_head(rows.back().id, prev));
    return {};
  }

  // Prepared statements live as long as the store (DESIGN.md, "Built for speed").
  Result<SqlStatement*> stmt_ptr(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      PKI_ASSIGN(SqlStatement s, db_.prepare(sql));
      it = cache_.emplace(sql, std::move(s)).first;
    }
    it->second.reset();
    return &it->second;
  }
  Result<std::reference_wrapper<SqlStatement>> stmt(const std::string& sql) {
    PKI_ASSIGN(SqlStatement * s, stmt_ptr(sql));
    return std::ref(*s);
  }

  // `read` turns the current row into a Result<T>.
  template <class T, class Read>
  Result<std::optional<T>> one(SqlStatement& s, Read read) {
    PKI_ASSIGN(auto step, s.step());
    std::optional<T> out;
    if (step == SqlStatement::Step::kRow) {
      auto row = read(s);
      if (!row) {
        s.reset();
        return tl::unexpected(row.error());
      }
      out = std::move(*row);
    }
    s.reset();
    return out;
  }

  template <class T, class Read>
  Result<std::vector<T>> all(SqlStatement& s, Read read) {
    std::vector<T> out;
    for (;;) {
      PKI_ASSIGN(auto step, s.step());
      if (step != SqlStatement::Step::kRow) break;
      auto row = read(s);
      if (!row) {
        s.reset();
        return tl::unexpected(row.error());
      }
      out.push_back(std::move(*row));
    }
    s.reset();
    return out;
  }

  SqlDb db_;
  std::map<std::string, SqlStatement, std::less<>> cache_;
  bool in_tx_ = false;
  std::vector<std::pair<std::string, std::string>> held_triggers_;  // name, SQL (begin_load)
};

}  // namespace

int schema_version() { return migrations().empty() ? 0 : migrations().back().version; }

namespace {

using sqlite_file::Inspection;
using sqlite_file::Kind;

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// SQLite's connection settings: a busy timeout, extended result codes; and, on a connection that
// writes, durable commits and foreign keys (neither writes to the file by itself).
void configure(sqlite3* raw) {
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
}

// How build_beside gives the file its name.
enum class Placing {
  kNew,            // linked: fails when the name is taken
  kNewOrExisting,  // linked; a file already there is as good (concurrent inits of one store)
  kReplace,        // renamed over what is there
};

// A SQLite file made whole beside `path`: created 0600 under a temporary name (temporary_name, so
// that one a killed run left is removed later), filled by `build` through its own connection
// (closed when `build` returns), synced, then given its name as `placing` says, and the directory
// synced. Nothing is left behind when a step fails. `doing` and `field` shape the messages
// ("cannot create the database 'x': ...").
Result<void> build_beside(const std::string& path, Placing placing, const std::string& doing, Field field,
                          const std::function<Result<void>(SqlDb)>& build) {
  auto failed = [&](ErrorCode code, const std::string& reason) -> Result<void> {
    return fail(code, field, "cannot " + doing + " '" + path + "': " + reason);
  };
  PKI_ASSIGN(const std::string tmp, temporary_name(path));
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed(ErrorCode::kStore, std::strerror(errno));
  ::close(fd);
  auto cleanup = [&] {
    for (const std::string& f : {tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"}) ::unlink(f.c_str());
  };
  auto built = [&]() -> Result<void> {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    SqlDb db(raw);
    if (rc != SQLITE_OK) return failed(ErrorCode::kStore, sqlite3_errstr(rc));
    configure(raw);
    PKI_TRY(db.exec("PRAGMA synchronous = FULL;"));
    return build(std::move(db));
  }();
  if (!built) {
    cleanup();
    return built;
  }
  const int sync_fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = sync_fd >= 0 && ::fsync(sync_fd) == 0;
  if (sync_fd >= 0) ::close(sync_fd);
  bool placed = synced;
  if (placed && placing == Placing::kReplace)
    placed = ::rename(tmp.c_str(), path.c_str()) == 0;
  else if (placed)
    placed =
        ::link(tmp.c_str(), path.c_str()) == 0 || (errno == EEXIST && placing == Placing::kNewOrExisting);
  const int err = errno;
  cleanup();
  if (!placed)
    return failed(err == EEXIST ? ErrorCode::kBadInput : ErrorCode::kStore,
                  err == EEXIST ? "file exists" : std::strerror(err));
  sync_directory(path);
  return {};
}

// A new store: built beside `path` whole (schema, application_id, WAL), then linked into place,
// which fails if anything appeared there meanwhile. Concurrent inits of one new file all succeed:
// one links its store, the others find it there.
Result<void> create_store(const std::string& path) {
  return build_beside(path, Placing::kNewOrExisting, "create the database", Field::kDatabase,
                      [](SqlDb db) -> Result<void> {
                        SqliteStore store(std::move(db));
                        PKI_TRY(store.migrate());
                        return store.exec("PRAGMA journal_mode = WAL;");
                      });
}

// SQLite on a file known to be a pki store (or an empty file that `pki init` makes one).
Result<SqlDb> connect(const std::string& path, OpenMode mode, const Inspection& in) {
  const bool read_only = mode == OpenMode::kRead;
  auto open = [&](const std::string& name, int flags) -> Result<SqlDb> {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    SqlDb db(raw);
    if (rc != SQLITE_OK)
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "cannot open the database '" + path + "': " + (raw ? db.last_error() : sqlite3_errstr(rc)));
    configure(raw);
    return db;
  };
  PKI_ASSIGN(SqlDb db, open(path, read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE));
  if (!read_only && sqlite3_db_readonly(db.get(), "main") == 1)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot change the database '" + path + "': the file is read-only for this user");
  // The first read: in WAL mode SQLite needs the -shm file beside the database, and makes it when
  // it is missing.
  if (db.exec("SELECT count(*) FROM sqlite_master")) return db;
  const int code = sqlite3_extended_errcode(db.get());
  const bool side_files = (code & 0xff) == SQLITE_CANTOPEN || code == SQLITE_READONLY_CANTINIT ||
                          code == SQLITE_READONLY_RECOVERY || code == SQLITE_READONLY_DIRECTORY;
  if (!side_files)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot read the database '" + path + "': " + db.last_error());
  if (!read_only)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot change the database '" + path + "': SQLite cannot make its -wal and -shm files in '" +
                    dir_of(path) + "' (is the directory read-only for this user?)");
  // Reading a store in a directory this user may not write: the main file alone, which holds every
  // committed change when the -wal file is empty (pki empties it at every close).
  if (!in.wal || !sqlite_file::wal_empty(path))
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot read the database '" + path +
                    "': its -wal file holds changes that only a user who may write '" + dir_of(path) +
                    "' can apply");
  PKI_ASSIGN(db, open(sqlite_file::uri(path, "mode=ro&immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI));
  PKI_TRY(db.exec("SELECT count(*) FROM sqlite_master"));
  return db;
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, OpenMode mode) {
  if (path.empty()) return fail(ErrorCode::kBadInput, Field::kDatabase, "an empty database path");
  if (mode != OpenMode::kRead) PKI_TRY(in_field(check_protected_links(path), Field::kDatabase));
  PKI_ASSIGN(Inspection in, sqlite_file::inspect(path));
  const ErrorCode not_ours = mode == OpenMode::kCreate ? ErrorCode::kBadInput : ErrorCode::kNotFound;
  switch (in.kind) {
    case Kind::kMissing: {
      if (mode != OpenMode::kCreate)
        return fail(ErrorCode::kNotFound, Field::kDatabase, "no database at '" + path + "'");
      PKI_TRY(create_store(path));
      PKI_ASSIGN(in, sqlite_file::inspect(path));  // made here, or by an init beside this one
      if (in.kind != Kind::kPki)
        return fail(ErrorCode::kStore, Field::kDatabase, "'" + path + "' changed while it was being created");
      break;
    }
    case Kind::kEmpty:
      if (mode != OpenMode::kCreate)
        return fail(ErrorCode::kNotFound, Field::kDatabase,
                    "'" + path + "' is not a pki database (" + in.what + ")");
      break;  // `pki init` makes it one, in place
    case Kind::kPki:
    case Kind::kLegacyPki:
      break;
    case Kind::kNotRegular:
    case Kind::kNotSqlite:
    case Kind::kForeign:
      return fail(not_ours, Field::kDatabase,
                  "'" + path + "' is not a pki database (" + in.what + "): refusing to touch it");
  }
  // SQLite keeps the -wal and -shm files beside the store and never follows a link to them; one
  // that is a link or anything but a regular file was not made by SQLite: say so.
  if (mode != OpenMode::kRead)
    for (const std::string& side : {path + "-wal", path + "-shm"}) {
      struct stat st {};
      if (::lstat(side.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return fail(ErrorCode::kStore, Field::kDatabase,
                    "cannot change the database '" + path + "': '" + side + "' is " +
                        (S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file") +
                        ", not a file SQLite made: remove it");
    }
  // Known to be ours: its files tightened to 0600 now, before SQLite opens them (SQLite makes new
  // -wal and -shm files with the main file's mode). Not after: closing any descriptor of a file
  // drops every POSIX lock this process holds on it, SQLite's included.
  sqlite_file::tighten_modes(path);
  PKI_ASSIGN(SqlDb db, connect(path, mode, in));
  // SQLite's own view, which the -wal file may have moved on from the file header: still ours?
  std::int32_t id = 0;
  int version = 0;
  {
    PKI_ASSIGN(SqlStatement st, db.prepare("SELECT (SELECT application_id FROM pragma_application_id), "
                                           "(SELECT user_version FROM pragma_user_version)"));
    PKI_TRY(st.step());
    id = static_cast<std::int32_t>(st.column_int(0));
    version = static_cast<int>(st.column_int(1));
  }
  if (id != sqlite_file::kApplicationId && !(id == 0 && in.kind != Kind::kPki))
    return fail(not_ours, Field::kDatabase, "'" + path + "' is not a pki database: refusing to touch it");
  if (version > schema_version())
    return fail(ErrorCode::kStore, "the database has schema version " + std::to_string(version) +
                                       ", newer than this pki knows (" + std::to_string(schema_version()) +
                                       "): upgrade pki");
  if (mode == OpenMode::kRead && version < schema_version()) {
    // An older store is migrated first, when this user may write it.
    db = SqlDb();
    auto migrated = open_sqlite(path, OpenMode::kWrite);
    if (migrated) return migrated;
    return fail(ErrorCode::kStore, Field::kDatabase,
                "the database '" + path + "' has schema version " + std::to_string(version) +
                    " and must be migrated before it can be read, which this user cannot do: " +
                    migrated.error().message);
  }
  if (mode != OpenMode::kRead) {
    // synchronous=FULL makes each commit durable (DESIGN.md); WAL lets readers run beside one writer.
    // Foreign keys are switched on once the migrations have run (see migrate()).
    PKI_TRY(db.exec("PRAGMA synchronous = FULL;"));
    if (!in.wal) PKI_TRY(db.exec("PRAGMA journal_mode = WAL;"));
    // Keep the WAL file between processes (emptied at each close by the checkpoint, so the main
    // file alone always holds every committed change): each short `pki` run then skips creating,
    // syncing and deleting it.
    int persist = 1;
    sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    PKI_TRY(db.exec("PRAGMA journal_size_limit = 0;"));
    // The page cache stays small: a CRL of a million entries (tens of megabytes, written into its
    // row in place) and the revocations it is streamed from then need no more memory than the CRL
    // itself. A bigger transaction (an import of a million-line index) spills pages to the WAL
    // before it commits, which costs it little.
    PKI_TRY(db.exec("PRAGMA cache_size = -16384;"));  // KiB: 16 MiB at most
  }
  auto store = std::make_unique<SqliteStore>(std::move(db));
  if (mode != OpenMode::kRead) {
    PKI_TRY(store->migrate());
    PKI_TRY(store->exec("PRAGMA foreign_keys = ON;"));
  }
  return std::unique_ptr<Store>(std::move(store));
}

namespace {

// What a copy holds, read from its own connection; and that it is whole.
Result<CopyReport> check_copy(const SqlDb& db, const std::string& shown) {
  {
    PKI_ASSIGN(SqlStatement st, db.prepare("PRAGMA integrity_check"));
    PKI_ASSIGN(auto step, st.step());
    if (step != SqlStatement::Step::kRow || st.column_text(0) != "ok")
      return fail(ErrorCode::kStore,
                  "'" + shown + "' fails SQLite's integrity check: " +
                      (step == SqlStatement::Step::kRow ? st.column_text(0) : "no answer"));
  }
  CopyReport r;
  PKI_ASSIGN(SqlStatement st,
             db.prepare("SELECT (SELECT user_version FROM pragma_user_version), "
                        "(SELECT count(*) FROM authorities), (SELECT count(*) FROM certificates), "
                        "(SELECT page_count * page_size FROM pragma_page_count, pragma_page_size)"));
  PKI_TRY(st.step());
  r.schema_version = static_cast<int>(st.column_int(0));
  r.authorities = st.column_int(1);
  r.certificates = st.column_int(2);
  r.bytes = st.column_int(3);
  return r;
}

// Copies every page of `from` into `to` in one step: one read snapshot of the source, one write
// transaction on the destination.
Result<void> copy_pages(sqlite3* from, sqlite3* to, const std::string& shown) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) return fail(ErrorCode::kStore, "cannot copy into '" + shown + "': " + sqlite3_errmsg(to));
  const int step = sqlite3_backup_step(b, -1);
  const int done = sqlite3_backup_finish(b);
  if (step != SQLITE_DONE || done != SQLITE_OK)
    return fail(ErrorCode::kStore,
                "cannot copy into '" + shown + "': " + sqlite3_errstr(step != SQLITE_DONE ? step : done));
  return {};
}

Result<SqlDb> open_raw(const std::string& path, int flags, const std::string& shown) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqlDb db(raw);
  if (rc != SQLITE_OK)
    return fail(ErrorCode::kStore,
                "cannot open '" + shown + "': " + (raw ? db.last_error() : sqlite3_errstr(rc)));
  configure(raw);
  return db;
}

// A -wal or -journal file at `path` belongs to a store open there, or one not closed cleanly:
// SQLite would replay it onto whatever file is put at the name.
Result<void> no_side_files(const std::string& path) {
  for (const std::string& side : {path + "-wal", path + "-journal"}) {
    struct stat st {};
    if (::lstat(side.c_str(), &st) == 0)
      return fail(ErrorCode::kBadInput, "'" + side + "' is there: a store at '" + path +
                                            "' is open, or was not closed cleanly (open it with pki once, or "
                                            "remove it): refusing to put a copy under that name");
  }
  return {};
}

// A copy of `source` (its pages) built beside `out`, checked, and given its name.
Result<CopyReport> write_copy(sqlite3* source, const std::string& out, Overwrite overwrite) {
  PKI_TRY(check_writable(out, overwrite));
  PKI_TRY(no_side_files(out));
  CopyReport report;
  PKI_TRY(build_beside(out, overwrite == Overwrite::kAllow ? Placing::kReplace : Placing::kNew, "write",
                       Field::kNone, [&](SqlDb copy) -> Result<void> {
                         PKI_TRY(copy_pages(source, copy.get(), out));
                         // One self-contained file: the copy leaves WAL mode (a store opened for
                         // writing returns to it).
                         PKI_TRY(copy.exec("PRAGMA journal_mode = DELETE;"));
                         PKI_ASSIGN(report, check_copy(copy, out));
                         return {};
                       }));
  return report;
}

}  // namespace

Result<CopyReport> backup_sqlite(const std::string& path, const std::string& out, Overwrite overwrite) {
  PKI_ASSIGN(auto store, open_sqlite(path, OpenMode::kRead));
  auto* sqlite = dynamic_cast<SqliteStore*>(store.get());
  if (!sqlite) return fail(ErrorCode::kInternal, "not a SQLite store");
  return write_copy(sqlite->handle(), out, overwrite);
}

Result<CopyReport> restore_sqlite(const std::string& from, const std::string& path, bool replace) {
  // The backup: a pki store, whole, of a schema this pki knows; only read (an older one is
  // migrated in its copy, never in place).
  PKI_ASSIGN(const Inspection in, sqlite_file::inspect(from));
  if (in.kind != Kind::kPki && in.kind != Kind::kLegacyPki)
    return fail(ErrorCode::kBadInput,
                "'" + from + "' is not a pki database" + (in.what.empty() ? "" : " (" + in.what + ")"));
  PKI_ASSIGN(SqlDb source, open_raw(from, SQLITE_OPEN_READONLY, from));
  PKI_ASSIGN(const CopyReport in_backup, check_copy(source, from));
  if (in_backup.schema_version > schema_version())
    return fail(ErrorCode::kStore, "the backup has schema version " +
                                       std::to_string(in_backup.schema_version) +
                                       ", newer than this pki knows: upgrade pki");
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return fail(ErrorCode::kStore, "cannot restore to '" + path + "': " + std::strerror(errno));
    PKI_TRY(write_copy(source.get(), path, Overwrite::kRefuse));
  } else {
    if (!replace)
      return fail(ErrorCode::kBadInput, Field::kOverwrite,
                  "refusing to replace the database '" + path + "' with the backup");
    PKI_TRY(open_sqlite(path, OpenMode::kWrite));  // a pki store (nothing else is replaced), migrated
    PKI_ASSIGN(SqlDb target, open_raw(path, SQLITE_OPEN_READWRITE, path));
    // Held exclusively from here until the connection closes (locking_mode EXCLUSIVE): leaving WAL
    // mode needs the only connection to the file, so a store another process has open is refused
    // here, before anything changes, and none can open it until the copy is done. The page copy
    // runs as one rollback-journal transaction (a crash leaves the old store), then back to WAL.
    sqlite3_busy_timeout(target.get(), 2000);
    PKI_TRY(target.exec("PRAGMA locking_mode = EXCLUSIVE;"));
    if (!target.exec("PRAGMA journal_mode = DELETE;") || !target.exec("BEGIN EXCLUSIVE; COMMIT;")) {
      return fail(ErrorCode::kRefused, Field::kDatabase,
                  "the database '" + path + "' is in use by another process: stop it, then restore");
    }
    PKI_TRY(target.exec("PRAGMA synchronous = FULL;"));
    PKI_TRY(copy_pages(source.get(), target.get(), path));
    PKI_TRY(target.exec("PRAGMA journal_mode = WAL;"));
  }
  source = SqlDb();
  // Migrated to this pki's schema, and reported as it now is.
  PKI_ASSIGN(auto restored, open_sqlite(path, OpenMode::kWrite));
  auto* result = dynamic_cast<SqliteStore*>(restored.get());
  return check_copy(result->db(), path);
}

}  // namespace pki::store
