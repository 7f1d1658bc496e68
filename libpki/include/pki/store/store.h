// The Store: where authorities, keys, certificates, revocations, CRLs and the audit log live.
//
// An interface, so that a server database can back it when one machine is not enough; SQLite
// (store/sqlite) is the embedded default. Records are plain data; the CA side gives them meaning.
// Every change runs inside one write transaction (WriteTransaction), all or nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"

namespace pki::store {

struct KeyRecord {
  std::int64_t id = 0;
  std::string key_type;
  std::string pkcs8_pem;
  bool encrypted = false;
  std::string spki_sha256;
  TimePoint created_at{};
  // SHA-256 of pkcs8_pem, taken when the key was stored (the store computes it); absent for keys
  // stored before schema version 2. A mismatch means the stored key is damaged.
  std::optional<std::string> pkcs8_sha256;
};

enum class AuthorityKind {
  kLocal,    // pki holds its key
  kOutside,  // an issuer above a CA, known only by its certificate: never a signer
};

struct AuthorityRecord {
  std::int64_t id = 0;
  std::string name;
  AuthorityKind kind = AuthorityKind::kLocal;
  std::optional<std::int64_t> parent_id;
  std::optional<std::int64_t> key_id;          // the current key; none for an outside issuer
  std::optional<std::int64_t> certificate_id;  // the current certificate; none while pending
  std::optional<std::string> crl_url;
  std::optional<std::string> ocsp_url;        // authorityInfoAccess id-ad-ocsp in what it signs
  std::optional<std::string> ca_issuers_url;  // authorityInfoAccess id-ad-caIssuers
  std::optional<std::string> delta_crl_url;   // freshestCRL in what it signs and in its complete CRLs
  std::optional<Bytes> pending_csr;           // a CA waiting for its certificate from an outside issuer
  std::int64_t crl_number_floor = 0;          // CRL numbers used before pki: pki's go above
  TimePoint created_at{};
  int generation = 0;  // the current key generation (read-only); 0 while pending or outside

  bool pending() const { return kind == AuthorityKind::kLocal && !certificate_id; }
};

// One key of a local CA and the certificate made for it; generation 1 is the first.
struct KeyGeneration {
  std::int64_t authority_id = 0;
  int generation = 0;
  std::int64_t key_id = 0;
  std::int64_t certificate_id = 0;
  TimePoint created_at{};
};

struct RevocationRecord {
  std::string reason;  // RFC 5280 reason name
  TimePoint revoked_at{};
  std::optional<TimePoint> invalidity_date;
};

enum class Origin {
  kIssued,    // signed by pki
  kImported,  // issued before pki by an imported CA (der empty when its file was not kept)
  kOutside,   // an outside issuer's certificate, or a CA certificate it signed
};

struct CertificateRecord {
  std::int64_t id = 0;
  std::int64_t issuer_id = 0;
  std::string issuer_name;  // the issuing authority's name (read-only, joined)
  int generation = 1;       // which of the issuer's keys signed it
  std::string serial;
  std::string subject;
  std::vector<std::string> sans;
  std::optional<TimePoint> not_before;  // unknown only for an imported record without its file
  TimePoint not_after{};
  std::string profile;
  std::optional<int> profile_version;  // the profile's version when it was issued (none before schema 8)
  std::string key_type;
  Bytes der;                // empty for an imported record without its file
  std::string fingerprint;  // empty with der
  Origin origin = Origin::kIssued;
  std::optional<std::int64_t> renews;  // the certificate this one replaced
  TimePoint created_at{};
  // When inserted, a revocation here is stored with the certificate (an import); when read, the
  // current revocation (joined).
  std::optional<RevocationRecord> revocation;
  std::optional<std::string> renews_serial;      // read-only, joined
  std::optional<std::string> renewed_by_serial;  // read-only: the newest certificate that renews this one

  bool has_der() const { return !der.empty(); }
};

struct RevokedEntry {
  std::string serial;
  TimePoint revoked_at{};
  std::string reason;
  std::optional<TimePoint> invalidity_date;
};

struct CrlRecord {
  std::int64_t id = 0;
  std::int64_t issuer_id = 0;
  int generation = 1;  // the key generation that signed it
  std::int64_t crl_number = 0;
  TimePoint this_update{};
  TimePoint next_update{};
  std::int64_t entries = 0;
  Bytes der;
  std::optional<std::int64_t> delta_base;  // a delta CRL: the number of the complete CRL it updates
  std::string fingerprint;                 // SHA-256 of der, lowercase hex
};

// A delegated OCSP responder certificate of one CA key generation, and its key.
struct OcspResponderRecord {
  std::int64_t id = 0;
  std::int64_t authority_id = 0;
  int generation = 1;
  std::int64_t certificate_id = 0;
  std::int64_t key_id = 0;
  TimePoint created_at{};
};

// What an OCSP responder needs to know of one serial of an issuer.
struct SerialStatus {
  std::int64_t certificate_id = 0;
  int generation = 1;  // which key of the issuer signed it
  std::optional<RevocationRecord> revocation;
};

// One version of an issuance profile: its JSON document (profiles/profile.h reads it).
struct ProfileRecord {
  std::string name;
  int version = 0;
  std::string document;
  TimePoint created_at{};
};

struct AuditEvent {
  std::int64_t id = 0;
  TimePoint at{};
  std::string os_user;
  // ca-create, ca-install, ca-import, ca-rollover, issue, renewed, revoke, unhold, crl,
  // profile-add, profile-update, profile-remove
  std::string verb;
  std::optional<std::string> authority;
  std::optional<std::string> serial;
  std::string detail = "{}";  // JSON object
};

// An audit row as stored, its text as written (the hash chain covers these bytes). Each row's
// `hash` is audit_row_hash(prev_hash, row), and `prev_hash` the hash of the row before it (of the
// chain's start for the first): editing, deleting or inserting a row breaks the chain
// (verify_audit_chain).
struct AuditRow {
  std::int64_t id = 0;
  std::string at;
  std::string os_user;
  std::string verb;
  std::optional<std::string> authority;
  std::optional<std::string> serial;
  std::string detail;
  Bytes prev_hash;  // empty when the row has none (not written by pki)
  Bytes hash;
};

// The chain's anchor in the store: a random identifier made with the store (so that no two stores'
// chains start alike, and rows cannot be moved from one to another) and the last row pki wrote.
struct AuditChainHead {
  Bytes store_id;
  std::int64_t head_id = 0;  // 0: no row yet
  Bytes head_hash;           // empty when head_id is 0
};

struct AuditFilter {
  std::optional<std::string> since;  // rows at or after this time (RFC 3339, as stored)
  std::optional<std::string> serial;
};

// SHA-256 over a fixed label, `prev` and each field of `row` (id, then the texts, each with its
// length; absent fields marked), so that no two different rows hash alike.
Bytes audit_row_hash(BytesView prev, const AuditRow& row);
// What the first row's prev_hash is: SHA-256 of a fixed label and the store's identifier.
Bytes audit_chain_start(BytesView store_id);

// The tables of the current schema as `pki db copy` moves them between stores: every column, in
// the schema's order, and how each is read and written.
enum class ColumnType { kInteger, kText, kBytes };
struct Column {
  std::string_view name;
  ColumnType type;
};
struct Table {
  std::string_view name;
  std::vector<Column> columns;
  std::string_view order_by;  // its primary key
  bool identity = false;      // an `id` the store numbers (PostgreSQL: an identity column)
};
// Every table, in an order in which inserting them meets each reference after what it names
// (but for the one cycle, authorities <-> certificates, which the load defers to its commit).
const std::vector<Table>& tables();

// One column's value in a row: NULL, an integer, text or bytes.
using Value = std::variant<std::monostate, std::int64_t, std::string, Bytes>;
using RowValues = std::vector<Value>;

enum class StatusFilter { kAll, kValid, kRevoked, kExpired };

struct CertificateFilter {
  std::optional<std::int64_t> issuer_id;
  StatusFilter status = StatusFilter::kAll;
  TimePoint now{};                           // what "expired" is measured against
  std::optional<TimePoint> expiring_before;  // not_after in [now, expiring_before]
  // Valid, past two thirds of its lifetime at `now`, and not renewed yet.
  bool renewal_due = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // One write transaction at a time per store; WriteTransaction is the way to use these.
  virtual Result<void> begin_write() = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() noexcept = 0;

  virtual Result<std::int64_t> insert_key(const KeyRecord& key) = 0;
  virtual Result<KeyRecord> key(std::int64_t id) = 0;
  // Every stored key's id, oldest first.
  virtual Result<std::vector<std::int64_t>> key_ids() = 0;
  // Replaces a key's PKCS#8 text (re-encrypted: the same key) and its encrypted flag; the store
  // takes its checksum again.
  virtual Result<void> update_key_encryption(std::int64_t id, std::string_view pkcs8_pem, bool encrypted) = 0;

  virtual Result<std::int64_t> insert_authority(const AuthorityRecord& authority) = 0;
  // Writes the authority's parent, current key and certificate, pending request and CRL floor.
  virtual Result<void> update_authority(const AuthorityRecord& authority) = 0;
  virtual Result<void> insert_generation(const KeyGeneration& generation) = 0;
  // Oldest first.
  virtual Result<std::vector<KeyGeneration>> generations(std::int64_t authority_id) = 0;
  // The authority a certificate belongs to as that authority's own (a key generation's
  // certificate, or an outside issuer's), with the generation (1 for an outside issuer).
  virtual Result<std::optional<std::pair<AuthorityRecord, int>>> authority_of_certificate(
      std::int64_t certificate_id) = 0;
  virtual Result<std::optional<AuthorityRecord>> authority_by_name(std::string_view name) = 0;
  virtual Result<std::optional<AuthorityRecord>> authority_by_id(std::int64_t id) = 0;
  virtual Result<std::vector<AuthorityRecord>> authorities() = 0;

  // nullopt when the issuer already has a certificate with this serial: draw another and retry.
  // A revocation in the record is stored with it.
  virtual Result<std::optional<std::int64_t>> insert_certificate(const CertificateRecord& cert) = 0;
  virtual Result<std::optional<CertificateRecord>> certificate(std::int64_t id) = 0;
  // How many certificates renew this one.
  virtual Result<std::int64_t> renewal_count(std::int64_t certificate_id) = 0;
  virtual Result<std::vector<CertificateRecord>> certificates_by_serial(
      std::string_view serial, std::optional<std::int64_t> issuer_id) = 0;
  virtual Result<std::optional<CertificateRecord>> certificate_by_fingerprint(
      std::string_view fingerprint) = 0;
  // Every certificate matching `filter`, in order of id (for_each_certificate, held).
  Result<std::vector<CertificateRecord>> list_certificates(const CertificateFilter& filter);
  // Visits every certificate matching `filter` in order of id, without holding them all.
  virtual Result<void> for_each_certificate(
      const CertificateFilter& filter,
      const std::function<Result<void>(const CertificateRecord&)>& visit) = 0;

  // Records a revocation (or replaces a hold with a permanent reason) and sets the status.
  virtual Result<void> put_revocation(std::int64_t certificate_id, const RevocationRecord& revocation) = 0;
  // Lifts a certificateHold: the certificate is valid again.
  virtual Result<void> delete_revocation(std::int64_t certificate_id) = 0;
  // How many revocations for_each_revocation visits.
  virtual Result<std::int64_t> revocation_count(std::int64_t issuer_id, int generation) = 0;
  // Visits the revoked certificates one key generation of an issuer signed, in serial order.
  virtual Result<void> for_each_revocation(std::int64_t issuer_id, int generation,
                                           const std::function<Result<void>(const RevokedEntry&)>& visit) = 0;

  // The highest CRL number the CA has used, across its keys and before pki (its floor); 0 when none.
  virtual Result<std::int64_t> last_crl_number(std::int64_t issuer_id) = 0;
  // Stores a CRL whole (and its fingerprint); the older CRLs of the same key generation and kind
  // (complete or delta) keep their metadata and fingerprint only: the newest is the one served.
  virtual Result<void> insert_crl(const CrlRecord& crl) = 0;
  // The newest complete CRL (or, with `delta`, the newest delta CRL) one key generation of the
  // issuer signed; CrlPart::kMetadata leaves out the CRL itself (der empty), which a million-entry
  // CRL makes tens of MB: for callers that want its number, times, entries or fingerprint.
  enum class CrlPart { kWhole, kMetadata };
  virtual Result<std::optional<CrlRecord>> latest_crl(std::int64_t issuer_id, int generation, bool delta,
                                                      CrlPart part) = 0;

  // The status of the certificate an issuer gave this serial (lowercase hex); nullopt when it gave
  // none.
  virtual Result<std::optional<SerialStatus>> serial_status(std::int64_t issuer_id,
                                                            std::string_view serial) = 0;

  virtual Result<std::int64_t> insert_ocsp_responder(const OcspResponderRecord& responder) = 0;
  // The newest delegated responder of a CA key generation.
  virtual Result<std::optional<OcspResponderRecord>> latest_ocsp_responder(std::int64_t authority_id,
                                                                           int generation) = 0;

  // The current version of every profile, by name.
  virtual Result<std::vector<ProfileRecord>> profiles() = 0;
  // One version of a profile (nullopt: the current one), removed profiles' versions included.
  virtual Result<std::optional<ProfileRecord>> profile(std::string_view name,
                                                       std::optional<int> version = std::nullopt) = 0;
  // Stores a new version of the profile (one above any it had, even if it was removed) and makes
  // it the current one; returns the version.
  virtual Result<int> put_profile(std::string_view name, std::string_view document, TimePoint at) = 0;
  // The profile is no longer current (its versions stay); false when there was none.
  virtual Result<bool> remove_profile(std::string_view name) = 0;

  // Appends `event` to the audit log, chained to the row before it (AuditRow), in the write
  // transaction that makes the change it records.
  virtual Result<void> append_audit(const AuditEvent& event) = 0;
  // Every audit row matching `filter`, oldest first.
  virtual Result<void> for_each_audit_row(const AuditFilter& filter,
                                          const std::function<Result<void>(const AuditRow&)>& visit) = 0;
  virtual Result<AuditChainHead> audit_chain_head() = 0;
  // Events about one certificate (its creation as a CA's certificate, issuance, revocation,
  // holds), oldest first.
  virtual Result<std::vector<AuditEvent>> audit_for(const CertificateRecord& cert) = 0;

  // A whole store, row by row (pki db copy). Reads between begin_snapshot and end_snapshot see
  // one consistent state, whatever other processes commit meanwhile.
  virtual Result<void> begin_snapshot() = 0;
  virtual void end_snapshot() noexcept = 0;
  // One table's rows in primary key order, each value typed as the Table says; called between
  // begin_snapshot and end_snapshot, or in a write transaction.
  virtual Result<void> for_each_row(const Table& table,
                                    const std::function<Result<void>(const RowValues&)>& visit) = 0;
  // Loading a whole store into this one, inside a write transaction: begin_load empties it (a
  // new store's stock profiles and audit anchor included), holds back the append-only rules and
  // defers reference checks to the commit; insert_row writes rows as they are, ids included;
  // end_load puts the rules back (and PostgreSQL's id sequences past the rows).
  virtual Result<void> begin_load() = 0;
  virtual Result<void> insert_row(const Table& table, const RowValues& row) = 0;
  virtual Result<void> end_load() = 0;
};

// What copy_store moved: each table's rows and a SHA-256 over all of them (every value, typed and
// length-framed), which the copy gives again when read back.
struct StoreCopy {
  std::vector<std::pair<std::string, std::int64_t>> rows;  // by table, in tables() order
  std::int64_t certificates = 0;
  Bytes digest;
};
// Copies every row of `from` (read in one snapshot) into `to`, which must hold no CA, key,
// certificate or audit row, in one write transaction, which commits only once `to`, read back in
// it, gives each table's rows and digest again and its audit chain holds. Stores of either kind.
Result<StoreCopy> copy_store(Store& from, Store& to);

// Whether the audit log is as pki wrote it: every row's hash matches its content and chains to the
// row before, and the last row is the head the store recorded. An editor with the file who
// computes every hash again is caught only against a head recorded elsewhere: `expected_head`,
// when given, must be the hash of a row in the chain.
struct AuditCheck {
  bool holds = true;
  std::int64_t rows = 0;
  std::int64_t head_id = 0;
  Bytes head_hash;
  std::optional<std::int64_t> first_bad_row;  // the first row found edited, inserted or after a deletion
  std::string problem;                        // what was found, when it does not hold
};
Result<AuditCheck> verify_audit_chain(Store& store, std::optional<Bytes> expected_head = std::nullopt);

// Scoped write transaction: rolled back unless committed.
class WriteTransaction {
 public:
  static Result<WriteTransaction> begin(Store& store);
  WriteTransaction(WriteTransaction&& o) noexcept : store_(o.store_) { o.store_ = nullptr; }
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  WriteTransaction(const WriteTransaction&) = delete;
  ~WriteTransaction();
  Result<void> commit();

 private:
  explicit WriteTransaction(Store& store) : store_(&store) {}
  Store* store_;
};

}  // namespace pki::store
