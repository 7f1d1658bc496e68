// Building CRLs (RFC 5280 section 5) from the store's revocations, and publishing them.
//
// A CRL is encoded here, entry by entry, straight from an index walk in serial order: no library
// object per entry, and the bytes are signed once. A million entries stay tens of megabytes.
#pragma once

#include <chrono>
#include <optional>
#include <span>

#include "pki/cert/builder.h"
#include "pki/cert/certificate.h"
#include "pki/cert/crl_reason.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/store/store.h"

namespace pki::crl {

struct Entry {
  Bytes serial;  // magnitude, big-endian
  TimePoint revoked_at{};
  cert::CrlReason reason = cert::CrlReason::kUnspecified;
  std::optional<TimePoint> invalidity_date;
};

// Encodes a CRL (v2) incrementally: add() entries in any order, then sign() once. Entries are
// written straight into the buffer that becomes the CRL, behind room left for the headers whose
// lengths are known only at the end: no object per entry, no copy of the list, one buffer of the
// CRL's size (reserve() it when the count is known).
class CrlEncoder {
 public:
  CrlEncoder(BytesView issuer_name_der, BytesView signature_algorithm, TimePoint this_update,
             TimePoint next_update);
  void reserve(std::size_t entries);
  void add(const Entry& entry);
  // The same, the serial given as its big-endian magnitude.
  void add(BytesView serial, TimePoint revoked_at, cert::CrlReason reason,
           const std::optional<TimePoint>& invalidity_date);
  std::size_t size() const { return count_; }
  // The TBSCertList with the given CRL extensions (AKI, CRL number, ...), as a copy.
  Bytes finish(std::span<const cert::Extension> crl_extensions) const;
  // The whole signed CRL, made in the encoder's buffer (the encoder is spent).
  Result<Bytes> sign(std::span<const cert::Extension> crl_extensions, const cert::Signer& signer) &&;

 private:
  // Places the TBSCertList's headers before the entries and its extensions after them; returns
  // where it starts in buf_.
  std::size_t place_tbs(std::span<const cert::Extension> crl_extensions);

  Bytes head_;  // version, signature, issuer, thisUpdate, nextUpdate
  Bytes algorithm_;
  std::size_t gap_ = 0;  // buf_[0, gap_) is room for the headers; the entries follow
  Bytes buf_;
  std::size_t count_ = 0;
};

// The CRL Number extension (RFC 5280 5.2.3).
cert::Extension crl_number_extension(std::int64_t number);
// The delta CRL indicator (RFC 5280 5.2.4): critical, the number of the complete CRL updated.
cert::Extension delta_crl_indicator(std::int64_t base_number);

// The default nextUpdate distance: a week, the usual CRL cadence (CA/Browser Forum BR 4.9.7 allows
// at most ten days for subscriber CRLs).
inline constexpr std::chrono::seconds kDefaultValidity = std::chrono::days{7};
// Delta CRLs exist to be fresher than the complete CRL: a day by default.
inline constexpr std::chrono::seconds kDefaultDeltaValidity = std::chrono::days{1};

struct PublishRequest {
  const store::AuthorityRecord* authority = nullptr;
  const cert::Certificate* ca_certificate = nullptr;
  const cert::Signer* signer = nullptr;
  std::chrono::seconds validity = kDefaultValidity;
  std::string actor;   // recorded in the audit log
  int generation = 1;  // the CA key that signs: the CRL covers what that key signed
  // A delta CRL (RFC 5280 5.2.4) against the newest complete CRL of that key: what changed since
  // it (new revocations, holds made permanent, with their reasons) and removeFromCRL for entries
  // it lists that are no longer revoked (lifted holds).
  bool delta = false;
};

// In one write transaction: takes the CA's next CRL number (one sequence for complete and delta
// CRLs), encodes every current revocation (or, for a delta, every change since its base), signs,
// stores the CRL and its audit row. thisUpdate is the clock's now. A complete CRL names the CA's
// delta CRL URL in freshestCRL when it has one.
Result<store::CrlRecord> publish(store::Store& store, const Clock& clock, const PublishRequest& request);

}  // namespace pki::crl
