#include "pki/store/postgres_store.h"

#include <openssl/rand.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "../records.h"
#include "libpq.h"
#include "pki/core/time.h"
#include "pki/store/migrations.h"

namespace pki::store {

bool is_postgres_url(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

namespace {

// The transaction-scoped advisory lock every write transaction takes first ('PKI1').
constexpr std::int64_t kWriteLock = 0x504b4931;
// Rows read per statement when a visit walks many (certificates, revocations, audit rows): the
// memory stays bounded and the visitor may use the store between pages.
constexpr int kPage = 5000;

using records::t2s;

// A statement's parameters: text, bytea (sent in binary) or NULL.
class Params {
 public:
  Params& add(std::int64_t v) { return text(std::to_string(v)); }
  Params& add(int v) { return text(std::to_string(v)); }
  Params& add(bool v) { return text(v ? "true" : "false"); }
  Params& add(std::string_view v) { return text(std::string(v)); }
  Params& add(const std::string& v) { return text(v); }
  Params& add(const char* v) { return text(v); }
  Params& add(BytesView v) {
    values_.emplace_back(reinterpret_cast<const char*>(v.data()), v.size());
    nulls_.push_back(false);
    formats_.push_back(1);
    return *this;
  }
  Params& add(std::nullopt_t) {
    values_.emplace_back();
    nulls_.push_back(true);
    formats_.push_back(0);
    return *this;
  }
  template <class T>
  Params& add(const std::optional<T>& v) {
    return v ? add(*v) : add(std::nullopt);
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object: valid while it lives unchanged.
  void arrays(std::vector<const char*>& values, std::vector<int>& lengths, std::vector<int>& formats) const {
    for (std::size_t i = 0; i < values_.size(); ++i) {
      values.push_back(nulls_[i] ? nullptr : values_[i].data());
      lengths.push_back(static_cast<int>(values_[i].size()));
      formats.push_back(formats_[i]);
    }
  }

 private:
  Params& text(std::string v) {
    values_.push_back(std::move(v));
    nulls_.push_back(false);
    formats_.push_back(0);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

enum class ResultFormat { kText, kBinary };

// A query's rows, in text form, or binary (ResultFormat::kBinary: integers big-endian, bytea
// as its bytes, text as it is). Reading a value that does not parse (a time, a number, a SAN
// list) makes the result a store error: it is never read as 1970 or as "no SANs".
class Rows {
 public:
  Rows(const pg::Libpq* pq, PGresult* r) : pq_(pq), r_(r, pq->clear) {}
  int size() const { return pq_->ntuples(r_.get()); }
  bool ok() const {
    const ExecStatusType st = pq_->resultStatus(r_.get());
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  }
  const char* message() const { return r_ ? pq_->resultErrorMessage(r_.get()) : nullptr; }
  const char* sqlstate() const { return r_ ? pq_->resultErrorField(r_.get(), PG_DIAG_SQLSTATE) : nullptr; }
  bool is_null(int row, int col) const { return pq_->getisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const {
    return std::string(pq_->getvalue(r_.get(), row, col),
                       static_cast<std::size_t>(pq_->getlength(r_.get(), row, col)));
  }
  std::optional<std::string> optional_text(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return text(row, col);
  }
  std::int64_t integer(int row, int col) {
    if (binary(col)) {  // int2, int4 or int8, network order
      const auto* v = reinterpret_cast<const unsigned char*>(pq_->getvalue(r_.get(), row, col));
      const int n = pq_->getlength(r_.get(), row, col);
      if (n != 2 && n != 4 && n != 8) return bad(col, "an unreadable binary number"), 0;
      std::uint64_t u = v[0] & 0x80 ? ~std::uint64_t{0} : 0;  // the sign, extended
      for (int i = 0; i < n; ++i) u = (u << 8) | v[i];
      return static_cast<std::int64_t>(u);
    }
    const std::string t = text(row, col);
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || t.empty())
      bad(col, "an unreadable number '" + t + "'");
    return v;
  }
  std::optional<std::int64_t> optional_integer(int row, int col) {
    if (is_null(row, col)) return std::nullopt;
    return integer(row, col);
  }
  bool boolean(int row, int col) {
    if (binary(col))
      return pq_->getlength(r_.get(), row, col) == 1 && pq_->getvalue(r_.get(), row, col)[0] != 0;
    return text(row, col) == "t";
  }
  // bytea: its bytes in a binary result, else PostgreSQL's hex output form, \x0a1b...
  Bytes bytes(int row, int col) {
    if (is_null(row, col)) return {};
    const char* v = pq_->getvalue(r_.get(), row, col);
    const std::size_t n = static_cast<std::size_t>(pq_->getlength(r_.get(), row, col));
    if (binary(col))
      return Bytes(reinterpret_cast<const std::uint8_t*>(v), reinterpret_cast<const std::uint8_t*>(v) + n);
    Bytes out;
    if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0) return bad(col, "an unreadable bytea value"), out;
    out.resize((n - 2) / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const int hi = hex_value(v[2 + 2 * i]), lo = hex_value(v[3 + 2 * i]);
      if (hi < 0 || lo < 0) return bad(col, "an unreadable bytea value"), Bytes{};
      out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return out;
  }
  TimePoint time(int row, int col) {
    const std::string t = text(row, col);
    auto parsed = parse_rfc3339(t);
    if (!parsed) return bad(col, "an unreadable time '" + t + "'"), TimePoint{};
    return *parsed;
  }
  std::optional<TimePoint> optional_time(int row, int col) {
    if (is_null(row, col)) return std::nullopt;
    return time(row, col);
  }
  std::vector<std::string> strings(int row, int col) {
    const std::string t = text(row, col);
    auto list = records::string_list(t);
    if (!list) return bad(col, "an unreadable list '" + t + "'"), std::vector<std::string>{};
    return std::move(*list);
  }

  template <class T>
  Result<T> done(T value) {
    if (error_) return tl::unexpected(*error_);
    return value;
  }

 private:
  bool binary(int col) const { return pq_->fformat(r_.get(), col) == 1; }
  void bad(int col, const std::string& what) {
    if (!error_) error_ = records::damaged(what, pq_->fname(r_.get(), col));
  }
  const pg::Libpq* pq_;
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
  std::optional<Error> error_;
};

// The first line of a libpq message, without its "ERROR:  " or "FATAL:  " prefix.
std::string first_line(const char* message) {
  std::string m = message ? message : "";
  m = m.substr(0, m.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (m.starts_with(prefix)) m = m.substr(std::string_view(prefix).size());
  return m.empty() ? "no reason given" : m;
}

// One row of a result, read the way records.h reads rows.
class At {
 public:
  At(Rows& r, int row) : r_(r), row_(row) {}
  std::int64_t integer(int c) { return r_.integer(row_, c); }
  std::optional<std::int64_t> optional_integer(int c) { return r_.optional_integer(row_, c); }
  std::string text(int c) const { return r_.text(row_, c); }
  std::optional<std::string> optional_text(int c) const { return r_.optional_text(row_, c); }
  Bytes blob(int c) { return r_.bytes(row_, c); }
  bool is_null(int c) const { return r_.is_null(row_, c); }
  TimePoint time(int c) { return r_.time(row_, c); }
  std::optional<TimePoint> optional_time(int c) { return r_.optional_time(row_, c); }
  std::vector<std::string> strings(int c) { return r_.strings(row_, c); }
  template <class T>
  Result<T> done(T value) {
    return r_.done(std::move(value));
  }

 private:
  Rows& r_;
  int row_;
};

Result<CertificateRecord> read_certificate(Rows& r, int i) {
  At at(r, i);
  return records::certificate(at);
}
Result<AuthorityRecord> read_authority(Rows& r, int i) {
  At at(r, i);
  return records::authority(at);
}
Result<ProfileRecord> read_profile(Rows& r, int i) {
  At at(r, i);
  return records::profile(at);
}

using records::kAuthorityColumns;
using records::kCertColumns;
using records::origin_name;

class PostgresStore final : public Store {
 public:
  PostgresStore(const pg::Libpq* pq, PGconn* conn) : pq_(pq), conn_(conn, pq->finish) {}

  // Runs `sql` with `params`. A statement's first run is one round trip (parse, bind and run
  // together); one run again is prepared on the connection and kept, for the loops (bulk issuance).
  Result<Rows> query(const std::string& sql, const Params& params = {},
                     ResultFormat format = ResultFormat::kText) {
    return reconnecting(sql, [&] { return run_query(sql, params, format == ResultFormat::kBinary ? 1 : 0); });
  }
  Result<Rows> run_query(const std::string& sql, const Params& params, int result_format) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    params.arrays(values, lengths, formats);
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      prepared_.emplace(sql, std::string());
      Rows rows(pq_, pq_->execParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                                     lengths.data(), formats.data(), result_format));
      PKI_TRY(check(rows, "query"));
      return rows;
    }
    if (it->second.empty()) {
      const std::string name = "pki_" + std::to_string(++statements_);
      Rows made(pq_, pq_->prepare(conn_.get(), name.c_str(), sql.c_str(), params.size(), nullptr));
      PKI_TRY(check(made, "prepare"));
      it->second = name;
    }
    Rows rows(pq_, pq_->execPrepared(conn_.get(), it->second.c_str(), params.size(), values.data(),
                                     lengths.data(), formats.data(), result_format));
    PKI_TRY(check(rows, "query"));
    return rows;
  }
  // Runs a statement that takes no parameters and is never prepared (PostgreSQL prepares no FETCH).
  Result<Rows> fetch(const std::string& sql) {
    Rows rows(pq_, pq_->execParams(conn_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    PKI_TRY(check(rows, "query"));
    return rows;
  }
  // Runs SQL that may hold several statements and takes no parameters (migrations, BEGIN).
  Result<void> exec(const std::string& sql) {
    auto done = reconnecting(sql, [&]() -> Result<Rows> {
      Rows rows(pq_, pq_->exec(conn_.get(), sql.c_str()));
      PKI_TRY(check(rows, "statement"));
      return rows;
    });
    if (!done) return tl::unexpected(done.error());
    return {};
  }
  Result<std::int64_t> scalar(const std::string& sql, const Params& params = {}) {
    PKI_ASSIGN(Rows r, query(sql, params));
    if (r.size() != 1 || r.is_null(0, 0)) return fail(ErrorCode::kInternal, "a query gave no value: " + sql);
    const std::int64_t v = r.integer(0, 0);
    return r.done(v);
  }

  // The session's settings, on every connection (open_postgres, reopen). Run as it is, never
  // again on a new connection: reopen is what calls it then.
  Result<void> configure_session() {
    // Times are stored as RFC 3339 text; the session's own settings must not change what is read.
    // A writer waits for another's write lock 30 s at most, as SQLite's busy timeout; a pki stopped
    // in the middle of a transaction holds it 60 s at most.
    Rows rows(pq_, pq_->exec(conn_.get(),
                             "SET client_min_messages = warning; SET bytea_output = 'hex'; SET TIME ZONE "
                             "'UTC'; SET client_encoding = 'UTF8'; SET lock_timeout = '30s'; "
                             "SET idle_in_transaction_session_timeout = '60s'"));
    return check(rows, "statement");
  }

  Result<void> begin_write() override {
    if (in_tx_) return fail(ErrorCode::kInternal, "nested write transaction");
    // READ COMMITTED whatever the server's default: each statement after the lock sees every change
    // committed before it.
    PKI_TRY(exec("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"));
    in_tx_ = true;
    // One writer at a time across every host (postgres_store.h): waits for the one before.
    auto locked = query("SELECT pg_advisory_xact_lock($1::bigint)", Params().add(kWriteLock));
    if (!locked) {
      rollback();
      return tl::unexpected(locked.error());
    }
    return {};
  }
  Result<void> commit() override {
    // A transaction a failed statement aborted would "commit" as a rollback: say so instead.
    if (pq_->transactionStatus(conn_.get()) == PQTRANS_INERROR)
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "a statement of this change failed: nothing was stored");
    in_tx_ = false;
    committing_ = true;
    auto done = exec("COMMIT");
    committing_ = false;
    return done;
  }
  void rollback() noexcept override {
    if (!in_tx_) return;
    in_tx_ = false;
    if (pq_->status(conn_.get()) == CONNECTION_OK) (void)exec("ROLLBACK");
  }

  Result<std::int64_t> insert_key(const KeyRecord& k) override {
    PKI_ASSIGN(Rows r, query("INSERT INTO keys (key_type, pkcs8_pem, encrypted, spki_sha256, created_at, "
                             "pkcs8_sha256) VALUES ($1, $2, $3::bigint, $4, $5, $6) "
                             "ON CONFLICT (spki_sha256) DO NOTHING RETURNING id",
                             Params()
                                 .add(k.key_type)
                                 .add(k.pkcs8_pem)
                                 .add(std::int64_t{k.encrypted})
                                 .add(k.spki_sha256)
                                 .add(t2s(k.created_at))
                                 .add(sha256_hex(as_bytes(k.pkcs8_pem)))));
    if (r.size() == 0)
      return fail(ErrorCode::kRefused, "this key is already in the database: another CA holds it");
    const std::int64_t id = r.integer(0, 0);
    return r.done(id);
  }

  Result<KeyRecord> key(std::int64_t id) override {
    PKI_ASSIGN(Rows r,
               query("SELECT id, key_type, pkcs8_pem, encrypted, spki_sha256, created_at, pkcs8_sha256 "
                     "FROM keys WHERE id = $1::bigint",
                     Params().add(id)));
    if (r.size() == 0) return fail(ErrorCode::kStore, "key " + std::to_string(id) + " is missing");
    KeyRecord k{r.integer(0, 0), r.text(0, 1), r.text(0, 2),         r.integer(0, 3) != 0,
                r.text(0, 4),    r.time(0, 5), r.optional_text(0, 6)};
    return r.done(std::move(k));
  }

  Result<std::vector<std::int64_t>> key_ids() override {
    PKI_ASSIGN(Rows r, query("SELECT id FROM keys ORDER BY id"));
    std::vector<std::int64_t> ids;
    for (int i = 0; i < r.size(); ++i) ids.push_back(r.integer(i, 0));
    return r.done(std::move(ids));
  }

  Result<void> update_key_encryption(std::int64_t id, std::string_view pkcs8_pem, bool encrypted) override {
    return query(
               "UPDATE keys SET pkcs8_pem = $1, encrypted = $2::bigint, pkcs8_sha256 = $3 WHERE id = "
               "$4::bigint",
               Params()
                   .add(pkcs8_pem)
                   .add(std::int64_t{encrypted})
                   .add(sha256_hex(as_bytes(pkcs8_pem)))
                   .add(id))
        .map([](Rows&&) {});
  }

  Result<std::int64_t> insert_authority(const AuthorityRecord& a) override {
    Params p;
    p.add(a.name)
        .add(std::string_view(a.kind == AuthorityKind::kOutside ? "outside" : "local"))
        .add(a.parent_id)
        .add(a.key_id)
        .add(a.certificate_id)
        .add(a.crl_url);
    if (a.pending_csr)
      p.add(BytesView(*a.pending_csr));
    else
      p.add(std::nullopt);
    p.add(a.crl_number_floor)
        .add(t2s(a.created_at))
        .add(a.ocsp_url)
        .add(a.ca_issuers_url)
        .add(a.delta_crl_url);
    PKI_ASSIGN(Rows r,
               query("INSERT INTO authorities (name, kind, parent_id, key_id, certificate_id, crl_url, "
                     "pending_csr, crl_number_floor, created_at, ocsp_url, ca_issuers_url, delta_crl_url) "
                     "VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, $6, $7::bytea, $8::bigint, $9, "
                     "$10, $11, $12) ON CONFLICT (name) DO NOTHING RETURNING id",
                     p));
    if (r.size() == 0) return fail(ErrorCode::kRefused, "a CA named '" + a.name + "' already exists");
    const std::int64_t id = r.integer(0, 0);
    return r.done(id);
  }

  Result<void> update_authority(const AuthorityRecord& a) override {
    Params p;
    p.add(a.parent_id).add(a.key_id).add(a.certificate_id).add(a.crl_url);
    if (a.pending_csr)
      p.add(BytesView(*a.pending_csr));
    else
      p.add(std::nullopt);
    p.add(a.crl_number_floor).add(a.ocsp_url).add(a.ca_issuers_url).add(a.delta_crl_url).add(a.id);
    return query(
               "UPDATE authorities SET parent_id = $1::bigint, key_id = $2::bigint, certificate_id = "
               "$3::bigint, "
               "crl_url = $4, pending_csr = $5::bytea, crl_number_floor = $6::bigint, ocsp_url = $7, "
               "ca_issuers_url = $8, delta_crl_url = $9 WHERE id = $10::bigint",
               p)
        .map([](Rows&&) {});
  }

  Result<void> insert_generation(const KeyGeneration& g) override {
    return query(
               "INSERT INTO authority_keys (authority_id, generation, key_id, certificate_id, created_at) "
               "VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5)",
               Params()
                   .add(g.authority_id)
                   .add(g.generation)
                   .add(g.key_id)
                   .add(g.certificate_id)
                   .add(t2s(g.created_at)))
        .map([](Rows&&) {});
  }

  Result<std::vector<KeyGeneration>> generations(std::int64_t authority_id) override {
    PKI_ASSIGN(Rows r, query("SELECT authority_id, generation, key_id, certificate_id, created_at FROM "
                             "authority_keys WHERE authority_id = $1::bigint ORDER BY generation",
                             Params().add(authority_id)));
    std::vector<KeyGeneration> out;
    for (int i = 0; i < r.size(); ++i)
      out.push_back(KeyGeneration{r.integer(i, 0), static_cast<int>(r.integer(i, 1)), r.integer(i, 2),
                                  r.integer(i, 3), r.time(i, 4)});
    return r.done(std::move(out));
  }

  Result<std::optional<std::pair<AuthorityRecord, int>>> authority_of_certificate(
      std::int64_t certificate_id) override {
    PKI_ASSIGN(Rows r,
               query("SELECT authority_id, generation FROM authority_keys WHERE certificate_id = $1::bigint "
                     "UNION ALL SELECT id, 1 FROM authorities WHERE kind = 'outside' AND "
                     "certificate_id = $1::bigint",
                     Params().add(certificate_id)));
    if (r.size() == 0) return std::optional<std::pair<AuthorityRecord, int>>();
    const std::int64_t authority_id = r.integer(0, 0);
    const int generation = static_cast<int>(r.integer(0, 1));
    PKI_TRY(r.done(0));
    PKI_ASSIGN(auto a, authority_by_id(authority_id));
    if (!a) return fail(ErrorCode::kStore, "a key generation names a missing authority");
    return std::optional<std::pair<AuthorityRecord, int>>(std::pair{std::move(*a), generation});
  }

  Result<std::optional<AuthorityRecord>> authority_by_name(std::string_view name) override {
    return one<AuthorityRecord>(std::string(kAuthorityColumns) + "WHERE a.name = $1", Params().add(name),
                                read_authority);
  }
  Result<std::optional<AuthorityRecord>> authority_by_id(std::int64_t id) override {
    return one<AuthorityRecord>(std::string(kAuthorityColumns) + "WHERE a.id = $1::bigint", Params().add(id),
                                read_authority);
  }
  Result<std::vector<AuthorityRecord>> authorities() override {
    return all<AuthorityRecord>(std::string(kAuthorityColumns) + "ORDER BY a.id", {}, read_authority);
  }

  Result<std::optional<std::int64_t>> insert_certificate(const CertificateRecord& c) override {
    Params p;
    p.add(c.issuer_id)
        .add(c.generation)
        .add(c.serial)
        .add(c.subject)
        .add(nlohmann::json(c.sans).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .add(t2s(c.not_before))
        .add(t2s(c.not_after))
        .add(c.profile)
        .add(c.key_type);
    if (c.der.empty())
      p.add(std::nullopt).add(std::nullopt);
    else
      p.add(BytesView(c.der)).add(c.fingerprint);
    p.add(std::string_view(c.revocation ? "revoked" : "valid"))
        .add(origin_name(c.origin))
        .add(c.renews)
        .add(t2s(c.created_at))
        .add(c.profile_version ? std::optional<std::int64_t>(*c.profile_version) : std::nullopt);
    // A serial the issuer already gave (or any other UNIQUE clash, as SQLite reports them): no
    // row, and the caller draws another; no error, which would abort the transaction.
    PKI_ASSIGN(Rows r,
               query("INSERT INTO certificates (issuer_id, generation, serial, subject, sans, not_before, "
                     "not_after, profile, key_type, der, fingerprint, status, origin, renews, created_at, "
                     "profile_version) VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7, $8, $9, "
                     "$10::bytea, $11, $12, $13, $14::bigint, $15, $16::bigint) "
                     "ON CONFLICT DO NOTHING RETURNING id",
                     p));
    if (r.size() == 0) return std::optional<std::int64_t>();
    const std::int64_t id = r.integer(0, 0);
    PKI_TRY(r.done(0));
    if (c.revocation)
      PKI_TRY(
          query("INSERT INTO revocations (certificate_id, issuer_id, generation, serial, reason, revoked_at, "
                "invalidity_date) VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7)",
                Params()
                    .add(id)
                    .add(c.issuer_id)
                    .add(c.generation)
                    .add(c.serial)
                    .add(c.revocation->reason)
                    .add(t2s(c.revocation->revoked_at))
                    .add(t2s(c.revocation->invalidity_date))));
    return std::optional<std::int64_t>(id);
  }

  Result<std::optional<CertificateRecord>> certificate(std::int64_t id) override {
    return one<CertificateRecord>("SELECT " + std::string(kCertColumns) + "WHERE c.id = $1::bigint",
                                  Params().add(id), read_certificate);
  }

  Result<std::int64_t> renewal_count(std::int64_t certificate_id) override {
    return scalar("SELECT count(*) FROM certificates WHERE renews = $1::bigint",
                  Params().add(certificate_id));
  }

  Result<std::vector<CertificateRecord>> certificates_by_serial(
      std::string_view serial, std::optional<std::int64_t> issuer_id) override {
    return all<CertificateRecord>(
        "SELECT " + std::string(kCertColumns) +
            "WHERE c.serial = $1 AND ($2::bigint IS NULL OR c.issuer_id = $2::bigint) "
            "ORDER BY c.id",
        Params().add(serial).add(issuer_id), read_certificate);
  }

  Result<std::optional<CertificateRecord>> certificate_by_fingerprint(std::string_view fingerprint) override {
    return one<CertificateRecord>("SELECT " + std::string(kCertColumns) + "WHERE c.fingerprint = $1",
                                  Params().add(fingerprint), read_certificate);
  }

  Result<void> for_each_certificate(
      const CertificateFilter& f,
      const std::function<Result<void>(const CertificateRecord&)>& visit) override {
    // One statement for every filter: unused conditions get NULL and fall away. Pages by id.
    const std::string sql =
        "SELECT " + std::string(kCertColumns) +
        "WHERE c.id > $6::bigint AND ($1::bigint IS NULL OR c.issuer_id = $1::bigint) "
        "AND ($2::text = 'all' "
        "  OR ($2::text = 'revoked' AND c.status = 'revoked') "
        "  OR ($2::text = 'valid' AND c.status = 'valid' AND c.not_after >= $3::text) "
        "  OR ($2::text = 'expired' AND c.status = 'valid' AND c.not_after < $3::text)) "
        "AND ($4::text IS NULL OR (c.not_after >= $3::text AND c.not_after <= $4::text)) "
        "AND (NOT $5::boolean OR (c.status = 'valid' AND c.not_after >= $3::text "
        "  AND c.not_before IS NOT NULL AND $3::timestamptz >= c.not_before::timestamptz "
        "    + (c.not_after::timestamptz - c.not_before::timestamptz) * 2 / 3 "
        "  AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.renews = c.id) "
        "  AND c.origin <> 'outside' AND c.profile NOT IN ('root-ca', 'intermediate-ca') "
        "  AND NOT EXISTS (SELECT 1 FROM authority_keys k WHERE k.certificate_id = c.id))) "
        "ORDER BY c.id LIMIT " +
        std::to_string(kPage);
    const char* status = f.status == StatusFilter::kValid     ? "valid"
                         : f.status == StatusFilter::kRevoked ? "revoked"
                         : f.status == StatusFilter::kExpired ? "expired"
                                                              : "all";
    std::int64_t after = 0;
    for (;;) {
      PKI_ASSIGN(Rows r, query(sql, Params()
                                        .add(f.issuer_id)
                                        .add(status)
                                        .add(t2s(f.now))
                                        .add(t2s(f.expiring_before))
                                        .add(f.renewal_due)
                                        .add(after)));
      for (int i = 0; i < r.size(); ++i) {
        PKI_ASSIGN(const CertificateRecord c, read_certificate(r, i));
        after = c.id;
        PKI_TRY(visit(c));
      }
      if (r.size() < kPage) return {};
    }
  }

  Result<void> put_revocation(std::int64_t certificate_id, const RevocationRecord& r) override {
    PKI_TRY(
        query("INSERT INTO revocations (certificate_id, issuer_id, generation, serial, reason, revoked_at, "
              "invalidity_date) SELECT id, issuer_id, generation, serial, $2, $3, $4 FROM certificates "
              "WHERE id = $1::bigint ON CONFLICT (certificate_id) DO UPDATE SET reason = EXCLUDED.reason, "
              "revoked_at = EXCLUDED.revoked_at, invalidity_date = EXCLUDED.invalidity_date",
              Params().add(certificate_id).add(r.reason).add(t2s(r.revoked_at)).add(t2s(r.invalidity_date))));
    return query("UPDATE certificates SET status = 'revoked' WHERE id = $1::bigint",
                 Params().add(certificate_id))
        .map([](Rows&&) {});
  }

  Result<void> delete_revocation(std::int64_t certificate_id) override {
    PKI_TRY(query("DELETE FROM revocations WHERE certificate_id = $1::bigint", Params().add(certificate_id)));
    return query("UPDATE certificates SET status = 'valid' WHERE id = $1::bigint",
                 Params().add(certificate_id))
        .map([](Rows&&) {});
  }

  Result<std::int64_t> revocation_count(std::int64_t issuer_id, int generation) override {
    return scalar("SELECT count(*) FROM revocations WHERE issuer_id = $1::bigint AND generation = $2::bigint",
                  Params().add(issuer_id).add(generation));
  }

  Result<void> for_each_revocation(std::int64_t issuer_id, int generation,
                                   const std::function<Result<void>(const RevokedEntry&)>& visit) override {
    // In serial order (COLLATE "C": byte order, as SQLite's), a page at a time.
    const std::string sql =
        "SELECT serial, revoked_at, reason, invalidity_date FROM revocations WHERE issuer_id = $1::bigint "
        "AND generation = $2::bigint AND ($3::text IS NULL OR serial > $3::text) ORDER BY serial LIMIT " +
        std::to_string(kPage);
    std::optional<std::string> after;
    for (;;) {
      PKI_ASSIGN(Rows r, query(sql, Params().add(issuer_id).add(generation).add(after)));
      for (int i = 0; i < r.size(); ++i) {
        PKI_ASSIGN(const RevokedEntry e,
                   r.done(RevokedEntry{r.text(i, 0), r.time(i, 1), r.text(i, 2), r.optional_time(i, 3)}));
        after = e.serial;
        PKI_TRY(visit(e));
      }
      if (r.size() < kPage) return {};
    }
  }

  Result<std::int64_t> last_crl_number(std::int64_t issuer_id) override {
    return scalar(
        "SELECT GREATEST(COALESCE((SELECT MAX(crl_number) FROM crls WHERE issuer_id = $1::bigint), 0), "
        "(SELECT crl_number_floor FROM authorities WHERE id = $1::bigint))",
        Params().add(issuer_id));
  }

  Result<void> insert_crl(const CrlRecord& c) override {
    PKI_TRY(
        query("INSERT INTO crls (issuer_id, crl_number, this_update, next_update, entries, generation, "
              "delta_base, fingerprint, der) VALUES ($1::bigint, $2::bigint, $3, $4, $5::bigint, $6::bigint, "
              "$7::bigint, $8, $9::bytea)",
              Params()
                  .add(c.issuer_id)
                  .add(c.crl_number)
                  .add(t2s(c.this_update))
                  .add(t2s(c.next_update))
                  .add(c.entries)
                  .add(c.generation)
                  .add(c.delta_base)
                  .add(c.fingerprint)
                  .add(BytesView(c.der))));
    // The older CRLs of this key and kind become metadata: only the newest is served.
    return query(
               "UPDATE crls SET der = NULL WHERE issuer_id = $1::bigint AND generation = $2::bigint AND "
               "(delta_base IS NOT NULL) = $3::boolean AND crl_number < $4::bigint AND der IS NOT NULL "
               "AND fingerprint IS NOT NULL",
               Params().add(c.issuer_id).add(c.generation).add(c.delta_base.has_value()).add(c.crl_number))
        .map([](Rows&&) {});
  }

  Result<std::optional<CrlRecord>> latest_crl(std::int64_t issuer_id, int generation, bool delta,
                                              CrlPart part) override {
    return one<CrlRecord>(
        "SELECT " + records::crl_columns(part == CrlPart::kWhole) +
            " FROM crls WHERE issuer_id = $1::bigint AND generation = $2::bigint AND "
            "(delta_base IS NOT NULL) = $3::boolean ORDER BY crl_number DESC LIMIT 1",
        Params().add(issuer_id).add(generation).add(delta),
        [](Rows& r, int i) {
          At at(r, i);
          return records::crl(at);
        },
        // The CRL's bytes as they are: in hex text it would take twice its size again.
        part == CrlPart::kWhole ? ResultFormat::kBinary : ResultFormat::kText);
  }

  Result<std::optional<SerialStatus>> serial_status(std::int64_t issuer_id,
                                                    std::string_view serial) override {
    return one<SerialStatus>(
        "SELECT c.id, c.generation, r.reason, r.revoked_at, r.invalidity_date FROM certificates c "
        "LEFT JOIN revocations r ON r.certificate_id = c.id WHERE c.issuer_id = $1::bigint AND c.serial = $2",
        Params().add(issuer_id).add(serial), [](Rows& r, int i) {
          SerialStatus v;
          v.certificate_id = r.integer(i, 0);
          v.generation = static_cast<int>(r.integer(i, 1));
          if (!r.is_null(i, 2))
            v.revocation = RevocationRecord{r.text(i, 2), r.time(i, 3), r.optional_time(i, 4)};
          return r.done(std::move(v));
        });
  }

  Result<std::int64_t> insert_ocsp_responder(const OcspResponderRecord& o) override {
    return scalar(
        "INSERT INTO ocsp_responders (authority_id, generation, certificate_id, key_id, created_at) "
        "VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5) RETURNING id",
        Params()
            .add(o.authority_id)
            .add(o.generation)
            .add(o.certificate_id)
            .add(o.key_id)
            .add(t2s(o.created_at)));
  }

  Result<std::optional<OcspResponderRecord>> latest_ocsp_responder(std::int64_t authority_id,
                                                                   int generation) override {
    return one<OcspResponderRecord>(
        "SELECT id, authority_id, generation, certificate_id, key_id, created_at FROM ocsp_responders "
        "WHERE authority_id = $1::bigint AND generation = $2::bigint ORDER BY id DESC LIMIT 1",
        Params().add(authority_id).add(generation), [](Rows& r, int i) {
          OcspResponderRecord o{r.integer(i, 0), r.integer(i, 1), static_cast<int>(r.integer(i, 2)),
                                r.integer(i, 3), r.integer(i, 4), r.time(i, 5)};
          return r.done(std::move(o));
        });
  }

  Result<std::vector<ProfileRecord>> profiles() override {
    return all<ProfileRecord>(
        "SELECT " + std::string(records::kProfileColumns) +
            " FROM profiles p "
            "JOIN profile_versions v ON v.name = p.name AND v.version = p.version ORDER BY v.name",
        {}, read_profile);
  }

  Result<std::optional<ProfileRecord>> profile(std::string_view name, std::optional<int> version) override {
    return one<ProfileRecord>(
        "SELECT " + std::string(records::kProfileColumns) +
            " FROM profile_versions v WHERE v.name = $1 AND "
            "v.version = COALESCE($2::bigint, (SELECT p.version FROM profiles p WHERE p.name = $1))",
        Params().add(name).add(version ? std::optional<std::int64_t>(*version) : std::nullopt), read_profile);
  }

  Result<int> put_profile(std::string_view name, std::string_view document, TimePoint at) override {
    PKI_ASSIGN(const std::int64_t version,
               scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM profile_versions WHERE name = $1",
                      Params().add(name)));
    PKI_TRY(query(
        "INSERT INTO profile_versions (name, version, document, created_at) VALUES ($1, $2::bigint, $3, $4)",
        Params().add(name).add(version).add(document).add(t2s(at))));
    PKI_TRY(
        query("INSERT INTO profiles (name, version) VALUES ($1, $2::bigint) "
              "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version",
              Params().add(name).add(version)));
    return static_cast<int>(version);
  }

  Result<bool> remove_profile(std::string_view name) override {
    PKI_ASSIGN(Rows r, query("DELETE FROM profiles WHERE name = $1 RETURNING name", Params().add(name)));
    return r.size() > 0;
  }

  Result<void> append_audit(const AuditEvent& e) override {
    AuditRow row{0, t2s(e.at), e.os_user, e.verb, e.authority, e.serial, e.detail, {}, {}};
    PKI_ASSIGN(const AuditChainHead head, audit_chain_head());
    // After the highest id, whatever wrote it: a row added outside pki stays visible as such.
    PKI_ASSIGN(row.id, scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_events"));
    row.prev_hash = head.head_id == 0 ? audit_chain_start(head.store_id) : head.head_hash;
    row.hash = audit_row_hash(row.prev_hash, row);
    PKI_TRY(
        query("INSERT INTO audit_events (id, at, os_user, verb, authority, serial, detail, prev_hash, hash) "
              "VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8::bytea, $9::bytea)",
              Params()
                  .add(row.id)
                  .add(row.at)
                  .add(row.os_user)
                  .add(row.verb)
                  .add(row.authority)
                  .add(row.serial)
                  .add(row.detail)
                  .add(BytesView(row.prev_hash))
                  .add(BytesView(row.hash))));
    return query("UPDATE audit_chain SET head_id = $1::bigint, head_hash = $2::bytea WHERE id = 1",
                 Params().add(row.id).add(BytesView(row.hash)))
        .map([](Rows&&) {});
  }

  Result<void> for_each_audit_row(const AuditFilter& filter,
                                  const std::function<Result<void>(const AuditRow&)>& visit) override {
    const std::string sql =
        "SELECT id, at, os_user, verb, authority, serial, detail, prev_hash, hash FROM audit_events "
        "WHERE id > $3::bigint AND ($1::text IS NULL OR at >= $1::text) AND ($2::text IS NULL OR serial = "
        "$2::text) "
        "ORDER BY id LIMIT " +
        std::to_string(kPage);
    std::int64_t after = 0;
    for (;;) {
      PKI_ASSIGN(Rows r, query(sql, Params().add(filter.since).add(filter.serial).add(after)));
      for (int i = 0; i < r.size(); ++i) {
        AuditRow row{r.integer(i, 0),       r.text(i, 1), r.text(i, 2),  r.text(i, 3), r.optional_text(i, 4),
                     r.optional_text(i, 5), r.text(i, 6), r.bytes(i, 7), r.bytes(i, 8)};
        PKI_ASSIGN(row, r.done(std::move(row)));
        after = row.id;
        PKI_TRY(visit(row));
      }
      if (r.size() < kPage) return {};
    }
  }

  Result<AuditChainHead> audit_chain_head() override {
    PKI_ASSIGN(auto head,
               one<AuditChainHead>("SELECT store_id, head_id, head_hash FROM audit_chain WHERE id = 1", {},
                                   [](Rows& r, int i) {
                                     AuditChainHead h{r.bytes(i, 0), r.integer(i, 1), r.bytes(i, 2)};
                                     return r.done(std::move(h));
                                   }));
    if (!head || head->store_id.empty())
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "the audit log has lost its anchor (audit_chain): it was edited");
    return std::move(*head);
  }

  Result<std::vector<AuditEvent>> audit_for(const CertificateRecord& cert) override {
    return all<AuditEvent>(
        "SELECT id, at, os_user, verb, authority, serial, detail FROM audit_events "
        "WHERE (serial = $1 AND (authority = $2 OR (verb IN ('ca-create', 'ca-install', 'ca-import', "
        "'ca-rollover') AND authority IN (SELECT a.name FROM authorities a JOIN authority_keys k ON "
        "k.authority_id = a.id WHERE k.certificate_id = $3::bigint)))) "
        "OR ($4::boolean AND verb = 'ca-import' AND authority = $2 AND NOT EXISTS (SELECT 1 FROM "
        "authority_keys k WHERE k.certificate_id = $3::bigint)) ORDER BY id",
        Params().add(cert.serial).add(cert.issuer_name).add(cert.id).add(cert.origin == Origin::kImported),
        [](Rows& r, int i) {
          AuditEvent e{r.integer(i, 0),       r.time(i, 1),          r.text(i, 2), r.text(i, 3),
                       r.optional_text(i, 4), r.optional_text(i, 5), r.text(i, 6)};
          return r.done(std::move(e));
        });
  }

  Result<void> begin_snapshot() override {
    PKI_TRY(exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    in_snapshot_ = true;
    return {};
  }
  void end_snapshot() noexcept override {
    if (!in_snapshot_) return;
    in_snapshot_ = false;
    if (pq_->status(conn_.get()) == CONNECTION_OK) (void)exec("COMMIT");
  }

  Result<void> for_each_row(const Table& t,
                            const std::function<Result<void>(const RowValues&)>& visit) override {
    std::string cols;
    for (const Column& c : t.columns) cols += (cols.empty() ? "" : ", ") + std::string(c.name);
    // A cursor, fetched a page at a time: for_each_row runs inside begin_snapshot (or a load).
    const std::string cursor = "pki_rows_" + std::to_string(++statements_);
    PKI_TRY(exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR SELECT " + cols + " FROM " +
                 std::string(t.name) + " ORDER BY " + std::string(t.order_by)));
    auto walked = [&]() -> Result<void> {
      RowValues row(t.columns.size());
      for (;;) {
        PKI_ASSIGN(Rows r, fetch("FETCH " + std::to_string(kPage) + " FROM " + cursor));
        for (int i = 0; i < r.size(); ++i) {
          for (std::size_t c = 0; c < t.columns.size(); ++c) {
            const int col = static_cast<int>(c);
            if (r.is_null(i, col))
              row[c] = std::monostate{};
            else if (t.columns[c].type == ColumnType::kInteger)
              row[c] = r.integer(i, col);
            else if (t.columns[c].type == ColumnType::kText)
              row[c] = r.text(i, col);
            else
              row[c] = r.bytes(i, col);
          }
          PKI_TRY(r.done(0));
          PKI_TRY(visit(row));
        }
        if (r.size() < kPage) return {};
      }
    }();
    const auto closed = exec("CLOSE " + cursor);
    PKI_TRY(walked);
    return closed;
  }

  Result<void> begin_load() override {
    // References are checked at the commit; the append-only triggers are held back for the load
    // (ALTER TABLE is transactional: end_load, or a rollback, brings them back).
    // (ALTER TABLE first: PostgreSQL refuses it on a table with deferred checks pending.)
    for (const char* t : {"audit_events", "audit_chain", "profile_versions"})
      PKI_TRY(exec("ALTER TABLE " + std::string(t) + " DISABLE TRIGGER USER"));
    PKI_TRY(exec("SET CONSTRAINTS ALL DEFERRED"));
    for (auto t = tables().rbegin(); t != tables().rend(); ++t)
      PKI_TRY(exec("DELETE FROM " + std::string(t->name)));
    return {};
  }

  Result<void> insert_row(const Table& t, const RowValues& row) override {
    std::string cols, marks;
    Params p;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const Column& c = t.columns[i];
      cols += (cols.empty() ? "" : ", ") + std::string(c.name);
      marks += (marks.empty() ? "$" : ", $") + std::to_string(i + 1) +
               (c.type == ColumnType::kInteger ? "::bigint"
                : c.type == ColumnType::kBytes ? "::bytea"
                                               : "::text");
      if (const auto* v = std::get_if<std::int64_t>(&row[i]))
        p.add(*v);
      else if (const auto* text = std::get_if<std::string>(&row[i]))
        p.add(std::string_view(*text));
      else if (const auto* b = std::get_if<Bytes>(&row[i]))
        p.add(BytesView(*b));
      else
        p.add(std::nullopt);
    }
    // The ids are the source's: identity columns are GENERATED BY DEFAULT, which takes them.
    return query("INSERT INTO " + std::string(t.name) + " (" + cols + ") VALUES (" + marks + ")", p)
        .map([](Rows&&) {});
  }

  Result<void> end_load() override {
    // Every row is in: the deferred reference checks run now, then the triggers come back.
    PKI_TRY(exec("SET CONSTRAINTS ALL IMMEDIATE"));
    for (const char* t : {"audit_events", "audit_chain", "profile_versions"})
      PKI_TRY(exec("ALTER TABLE " + std::string(t) + " ENABLE TRIGGER USER"));
    // Identity sequences past the rows loaded, as SQLite's rowids are.
    for (const Table& t : tables())
      if (t.identity)
        PKI_TRY(exec("SELECT setval(pg_get_serial_sequence('" + std::string(t.name) +
                     "', 'id'), COALESCE(MAX(id), 0) + 1, "
                     "false) FROM " +
                     std::string(t.name)));
    return {};
  }

  // Makes the database a pki store, or brings it to this pki's schema (open_postgres).
  Result<void> prepare_schema(OpenMode mode, const std::string& where) {
    PKI_ASSIGN(std::int64_t present, scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                                            "current_schema() AND tablename = 'pki_store'"));
    if (present == 0 && mode != OpenMode::kCreate)
      return fail(ErrorCode::kNotFound, Field::kDatabase,
                  "the PostgreSQL database " + where + " holds no pki store");
    if (present != 0) {
      PKI_ASSIGN(const std::int64_t version, stored_version());
      if (version > schema_version())
        return fail(ErrorCode::kStore, "the database has schema version " + std::to_string(version) +
                                           ", newer than this pki knows (" +
                                           std::to_string(schema_version()) + "): upgrade pki");
      if (version == schema_version() || mode == OpenMode::kRead) return {};
    }
    PKI_TRY(begin_write());
    auto made = [&]() -> Result<void> {
      // Under the lock: another pki may have made or migrated it meanwhile.
      PKI_ASSIGN(present, scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                                 "current_schema() AND tablename = 'pki_store'"));
      std::int64_t version = 0;
      if (present == 0) {
        PKI_ASSIGN(const std::int64_t tables, scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE "
                                                     "schemaname = current_schema()"));
        if (tables != 0)
          return fail(
              ErrorCode::kBadInput, Field::kDatabase,
              "the PostgreSQL database " + where + " holds " + std::to_string(tables) +
                  " tables that are not a pki store's: refusing to touch it (give pki a database of its "
                  "own)");
      } else {
        PKI_ASSIGN(version, stored_version());
      }
      for (const Migration& m : postgres_migrations()) {
        if (m.version <= version) continue;
        PKI_TRY(exec(std::string(m.sql)));
      }
      if (present == 0) {
        Bytes store_id(32);
        if (RAND_bytes(store_id.data(), static_cast<int>(store_id.size())) != 1)
          return fail(ErrorCode::kInternal, "no random bytes for the store's identifier");
        PKI_TRY(query("INSERT INTO audit_chain (id, store_id) VALUES (1, $1::bytea)",
                      Params().add(BytesView(store_id))));
        PKI_TRY(
            query("INSERT INTO pki_store (id, application, schema_version) VALUES (1, 'pki', $1::integer)",
                  Params().add(schema_version())));
      } else {
        PKI_TRY(query("UPDATE pki_store SET schema_version = $1::integer WHERE id = 1",
                      Params().add(schema_version())));
      }
      return {};
    }();
    if (!made) {
      rollback();
      return made;
    }
    return commit();
  }

  Result<std::int64_t> stored_version() {
    PKI_ASSIGN(Rows r, query("SELECT application, schema_version FROM pki_store WHERE id = 1"));
    if (r.size() != 1 || r.text(0, 0) != "pki")
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "the database's pki_store row is missing: it was edited");
    const std::int64_t v = r.integer(0, 1);
    return r.done(v);
  }

 private:
  // Runs `run` (one statement: `sql`); when the connection turns out lost (the server restarted,
  // a network cut) and the statement was one that only reads or opens a transaction (a SELECT
  // or a BEGIN: a SELECT with effects, setval or the write lock, runs only inside a transaction),
  // run while no transaction was open, connects again and runs it once more: pki serve, which
  // holds one connection for as long as it runs, goes on answering. Nothing else is run again: a
  // write's outcome is unknown once its connection is lost, and a transaction's work died with it.
  template <class Run>
  Result<Rows> reconnecting(const std::string& sql, Run run) {
    const bool idle =
        !in_tx_ && !in_snapshot_ &&
        (pq_->status(conn_.get()) != CONNECTION_OK || pq_->transactionStatus(conn_.get()) == PQTRANS_IDLE);
    if (idle && !session_ready_ && !reopen())
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "lost the connection to the PostgreSQL store, and a new one could not be set up: try "
                  "again once the server is back");
    auto rows = run();
    if (rows || !idle || pq_->status(conn_.get()) == CONNECTION_OK ||
        !(sql.starts_with("SELECT ") || sql.starts_with("BEGIN ")))
      return rows;
    if (!reopen()) return rows;  // still down: the first failure says so
    return run();
  }
  // A new connection with the session's settings. An attempt that failed slowly (a host that
  // does not answer: up to connect_timeout) is not made again for 5 s, since pki serve holds its
  // store's lock meanwhile: the requests in between fail at once instead of queueing behind it.
  // One refused at once (the server down, its host up) may be made again at the next statement.
  bool reopen() {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    if (start < next_reopen_) return false;
    pq_->reset(conn_.get());
    session_ready_ = false;
    const auto end = Clock::now();
    next_reopen_ =
        end - start >= std::chrono::seconds(1) ? end + std::chrono::seconds(5) : Clock::time_point{};
    if (pq_->status(conn_.get()) != CONNECTION_OK) return false;
    prepared_.clear();  // prepared statements belonged to the old session
    if (!configure_session()) return false;
    session_ready_ = true;
    return true;
  }

  // A failed statement: the server's message, or the lost connection said plainly.
  Result<void> check(const Rows& rows, const char* what) {
    if (rows.ok()) return {};
    if (pq_->status(conn_.get()) != CONNECTION_OK)
      return fail(
          ErrorCode::kStore, Field::kDatabase,
          "lost the connection to the PostgreSQL store (" + first_line(pq_->errorMessage(conn_.get())) +
              (committing_ ? "): while committing, so this change may or may not be stored; check with "
                             "pki list or pki audit once the server is back"
                           : "): the change in progress is not stored; run the command again once the "
                             "server is back"));
    const char* state = rows.sqlstate();
    if (state && std::string_view(state) == "55P03")
      return fail(ErrorCode::kStore, Field::kDatabase,
                  "another pki process has held the store's write lock for 30 s: try again");
    const char* m = rows.message();
    return fail(ErrorCode::kStore, Field::kDatabase,
                std::string("the PostgreSQL store refused a ") + what + ": " +
                    first_line(m && *m ? m : pq_->errorMessage(conn_.get())));
  }

  template <class T, class Read>
  Result<std::optional<T>> one(const std::string& sql, const Params& params, Read read,
                               ResultFormat format = ResultFormat::kText) {
    PKI_ASSIGN(Rows r, query(sql, params, format));
    if (r.size() == 0) return std::optional<T>();
    PKI_ASSIGN(T value, read(r, 0));
    return std::optional<T>(std::move(value));
  }
  template <class T, class Read>
  Result<std::vector<T>> all(const std::string& sql, const Params& params, Read read) {
    PKI_ASSIGN(Rows r, query(sql, params));
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
      PKI_ASSIGN(T value, read(r, i));
      out.push_back(std::move(value));
    }
    return out;
  }

  const pg::Libpq* pq_;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL -> its prepared name, once run twice
  int statements_ = 0;
  bool committing_ = false;  // a lost connection now leaves the outcome unknown
  bool in_tx_ = false;
  bool in_snapshot_ = false;
  bool session_ready_ = true;  // false after a reconnection whose settings failed: reopen again
  std::chrono::steady_clock::time_point next_reopen_{};
};

void ignore_notice(void*, const char*) {}

// The connection's connect_timeout in milliseconds (libpq's reading: none or 0 is no limit, less
// than 2 s is 2 s; -1 for no limit), and whether its URI names more than one host.
struct ConnectLimits {
  int timeout_ms = -1;
  bool several_hosts = false;
};
ConnectLimits connect_limits(const pg::Libpq& pq, PGconn* conn) {
  ConnectLimits out;
  if (PQconninfoOption* options = pq.conninfo(conn)) {
    for (const PQconninfoOption* o = options; o->keyword; ++o) {
      const std::string_view key(o->keyword);
      if (!o->val) continue;
      if (key == "connect_timeout" && std::atoi(o->val) > 0)
        out.timeout_ms = std::max(std::atoi(o->val), 2) * 1000;
      if ((key == "host" || key == "hostaddr") &&
          std::string_view(o->val).find(',') != std::string_view::npos)
        out.several_hosts = true;
    }
    pq.conninfoFree(options);
  }
  return out;
}

// Completes a connection begun by PQconnectStartParams, whose notice processor is already pki's.
// PQconnectdbParams would run the handshake with libpq's default processor, which prints to
// stderr: a server whose postmaster dies just as it accepts the connection sends its FATAL reason
// right behind ReadyForQuery, and libpq hands a message that comes while idle to the notice
// processor. Driven by PQconnectPoll while the server answers. A step that waits longer than
// connect_timeout ends the attempt ("timeout expired", as libpq says); with several hosts, PQreset
// then connects again with libpq's own loop, which moves on to the next host at each timeout (and
// keeps the processor). Otherwise the outcome is in PQstatus.
Result<void> complete_connection(const pg::Libpq& pq, PGconn* conn) {
  if (pq.status(conn) == CONNECTION_BAD) return {};
  const ConnectLimits limits = connect_limits(pq, conn);
  PostgresPollingStatusType step = PGRES_POLLING_WRITING;  // as libpq says to begin
  while (step == PGRES_POLLING_READING || step == PGRES_POLLING_WRITING) {
    pollfd p{pq.socket(conn), static_cast<short>(step == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    const int ready = ::poll(&p, 1, limits.timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (!limits.several_hosts)
        return fail(ErrorCode::kStore, Field::kDatabase,
                    "cannot connect to the PostgreSQL store: timeout expired");
      pq.reset(conn);
      return {};
    }
    step = pq.connectPoll(conn);
  }
  return {};
}

// Whether libpq would read a password from the URI (user:password@host, a password= or
// sslpassword= parameter, percent-encoded or not): libpq's own parser decides.
Result<bool> carries_password(const pg::Libpq* pq, const std::string& url) {
  char* why = nullptr;
  PQconninfoOption* options = pq->conninfoParse(url.c_str(), &why);
  if (options == nullptr) {
    if (why) pq->freemem(why);  // its message may quote the URI, password and all: not repeated
    return fail(ErrorCode::kBadInput, Field::kDatabase, "the database URI is not one libpq reads");
  }
  bool found = false;
  for (const PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val && *o->val &&
        (std::string_view(o->keyword) == "password" || std::string_view(o->keyword) == "sslpassword"))
      found = true;
  pq->conninfoFree(options);
  return found;
}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, OpenMode mode, const Secret* password) {
  if (!is_postgres_url(url))
    return fail(ErrorCode::kBadInput, Field::kDatabase, "a PostgreSQL store is named by a postgresql:// URI");
  PKI_ASSIGN(const pg::Libpq* pq, pg::libpq());
  // A URI is seen in the process list and shell history, and printed in messages.
  PKI_ASSIGN(const bool has_password, carries_password(pq, url));
  if (has_password)
    return fail(ErrorCode::kBadInput, Field::kDatabase,
                "the database URI carries a password: give it in --db-passphrase-file, PGPASSFILE or "
                "~/.pgpass instead");
  // Later keywords override earlier ones: the URI's own settings win over pki's defaults, and a
  // password file given to pki over the URI's.
  // A dead network is noticed within about a minute (keepalives), and with several hosts in the
  // URI the writable one is chosen.
  std::vector<const char*> keys{
      "connect_timeout",  "fallback_application_name", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "target_session_attrs",      "dbname"};
  std::vector<const char*> values{"10", "pki", "30", "10", "3", "read-write", url.c_str()};
  if (password) {
    keys.push_back("password");
    values.push_back(password->reveal().c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = pq->connectStartParams(keys.data(), values.data(), 1);
  if (raw == nullptr)
    return fail(ErrorCode::kStore, Field::kDatabase, "cannot connect to PostgreSQL: out of memory");
  auto store = std::make_unique<PostgresStore>(pq, raw);
  pq->setNoticeProcessor(raw, ignore_notice, nullptr);
  PKI_TRY(complete_connection(*pq, raw));
  if (pq->status(raw) != CONNECTION_OK)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "cannot connect to the PostgreSQL store: " + first_line(pq->errorMessage(raw)));
  PKI_TRY(store->configure_session());
  PKI_TRY(store->prepare_schema(mode, "'" + url + "'"));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> open_store(const std::string& db, OpenMode mode,
                                          const Secret* postgres_password) {
  if (is_postgres_url(db)) return open_postgres(db, mode, postgres_password);
  return open_sqlite(db, mode);
}

}  // namespace pki::store
