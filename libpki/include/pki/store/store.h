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

struct AuthorityRecord {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> parent_id;
  std::int64_t key_id = 0;
  std::optional<std::int64_t> certificate_id;
  std::optional<std::string> crl_url;
  TimePoint created_at{};
};

struct RevocationRecord {
  std::string reason;  // RFC 5280 reason name
  TimePoint revoked_at{};
  std::optional<TimePoint> invalidity_date;
};

struct CertificateRecord {
  std::int64_t id = 0;
  std::int64_t issuer_id = 0;
  std::string issuer_name;  // the issuing authority's name (read-only, joined)
  std::string serial;
  std::string subject;
  std::vector<std::string> sans;
  TimePoint not_before{};
  TimePoint not_after{};
  std::string profile;
  std::string key_type;
  Bytes der;
  std::string fingerprint;
  TimePoint created_at{};
  std::optional<RevocationRecord> revocation;  // set when revoked (read-only, joined)
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
  std::int64_t crl_number = 0;
  TimePoint this_update{};
  TimePoint next_update{};
  std::int64_t entries = 0;
  Bytes der;
};

struct AuditEvent {
  std::int64_t id = 0;
  TimePoint at{};
  std::string os_user;
  std::string verb;  // ca-create, issue, revoke, unhold, crl
  std::optional<std::string> authority;
  std::optional<std::string> serial;
  std::string detail = "{}";  // JSON object
};

enum class StatusFilter { kAll, kValid, kRevoked, kExpired };

struct CertificateFilter {
  std::optional<std::int64_t> issuer_id;
  StatusFilter status = StatusFilter::kAll;
  TimePoint now{};                           // what "expired" is measured against
  std::optional<TimePoint> expiring_before;  // not_after in [now, expiring_before]
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

  virtual Result<std::int64_t> insert_authority(const AuthorityRecord& authority) = 0;
  virtual Result<void> set_authority_certificate(std::int64_t authority_id, std::int64_t certificate_id) = 0;
  virtual Result<std::optional<AuthorityRecord>> authority_by_name(std::string_view name) = 0;
  virtual Result<std::optional<AuthorityRecord>> authority_by_id(std::int64_t id) = 0;
  virtual Result<std::vector<AuthorityRecord>> authorities() = 0;

  // nullopt when the issuer already has a certificate with this serial: draw another and retry.
  virtual Result<std::optional<std::int64_t>> insert_certificate(const CertificateRecord& cert) = 0;
  virtual Result<std::optional<CertificateRecord>> certificate(std::int64_t id) = 0;
  virtual Result<std::vector<CertificateRecord>> certificates_by_serial(
      std::string_view serial, std::optional<std::int64_t> issuer_id) = 0;
  virtual Result<std::optional<CertificateRecord>> certificate_by_fingerprint(
      std::string_view fingerprint) = 0;
  virtual Result<std::vector<CertificateRecord>> list_certificates(const CertificateFilter& filter) = 0;
  // Visits every certificate matching `filter` in order of id, without holding them all.
  virtual Result<void> for_each_certificate(
      const CertificateFilter& filter,
      const std::function<Result<void>(const CertificateRecord&)>& visit) = 0;

  // Records a revocation (or replaces a hold with a permanent reason) and sets the status.
  virtual Result<void> put_revocation(std::int64_t certificate_id, const RevocationRecord& revocation) = 0;
  // Lifts a certificateHold: the certificate is valid again.
  virtual Result<void> delete_revocation(std::int64_t certificate_id) = 0;
  // Visits one issuer's revoked certificates in serial order.
  virtual Result<void> for_each_revocation(std::int64_t issuer_id,
                                           const std::function<Result<void>(const RevokedEntry&)>& visit) = 0;

  virtual Result<std::int64_t> last_crl_number(std::int64_t issuer_id) = 0;  // 0 when none
  virtual Result<void> insert_crl(const CrlRecord& crl) = 0;
  virtual Result<std::optional<CrlRecord>> latest_crl(std::int64_t issuer_id) = 0;

  virtual Result<void> append_audit(const AuditEvent& event) = 0;
  // Events about one certificate (its creation as a CA's certificate, issuance, revocation,
  // holds), oldest first.
  virtual Result<std::vector<AuditEvent>> audit_for(const CertificateRecord& cert) = 0;
};

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
