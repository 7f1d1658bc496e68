// Crl: an immutable parsed view of an X.509 v2 CRL (RFC 5280 section 5): its scope (issuing
// distribution point), numbers, times, and an index of its entries by serial, built once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/crl_reason.h"
#include "pki/cert/general_name.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki::cert {

// RFC 5280 5.2.5.
struct IssuingDistributionPoint {
  std::optional<std::vector<GeneralName>> full_name;
  OsslPtr<X509_NAME> relative_name;  // nameRelativeToCRLIssuer, as a one-RDN name
  bool only_user_certs = false;
  bool only_ca_certs = false;
  bool only_attribute_certs = false;
  std::optional<std::uint16_t> only_some_reasons;  // ReasonFlags bits
  bool indirect = false;
};

struct CrlEntry {
  TimePoint revocation_date{};
  std::optional<CrlReason> reason;  // absent means unspecified
  std::optional<TimePoint> invalidity_date;
  int issuer_index = -1;  // into Crl::entry_issuers(); -1: the CRL issuer (RFC 5280 5.3.3)
};

class Crl {
 public:
  // The CRL is read by walking its DER: the entries straight into a compact sorted index, the
  // rest (issuer, times, extensions) through OpenSSL from a copy without the entries. A CRL of a
  // million entries is never a million OpenSSL objects.
  static Result<std::shared_ptr<const Crl>> from_der(BytesView der);
  // The same, keeping `der` itself rather than a copy (a CRL file read whole is not held twice).
  static Result<std::shared_ptr<const Crl>> from_der(Bytes&& der);

  // The crlExtensions (OpenSSL keeps no X509_CRL of the whole CRL: der() is what to give it).
  const STACK_OF(X509_EXTENSION) * extensions() const { return X509_CRL_get0_extensions(crl_.get()); }
  // Whether `key` signed the CRL as encoded (its signatureAlgorithm the same as the one inside
  // the signed part, RFC 5280 5.1.1.2).
  bool signature_verifies(const EVP_PKEY& key) const;
  const Bytes& der() const { return der_; }
  const std::string& fingerprint() const { return fingerprint_; }
  const X509_NAME& issuer() const { return *X509_CRL_get_issuer(crl_.get()); }
  const std::string& issuer_text() const { return issuer_text_; }
  int version() const { return version_; }
  TimePoint this_update() const { return this_update_; }
  const std::optional<TimePoint>& next_update() const { return next_update_; }
  // CRL numbers as lowercase hex magnitudes (they may be up to 20 octets).
  const std::optional<std::string>& crl_number() const { return crl_number_; }
  const std::optional<std::string>& delta_base() const { return delta_base_; }  // deltaCRLIndicator
  bool is_delta() const { return delta_base_.has_value(); }
  const std::optional<Bytes>& authority_key_id() const { return aki_; }
  const std::optional<IssuingDistributionPoint>& issuing_distribution_point() const { return idp_; }
  // A critical CRL or entry extension pki does not process: RFC 5280 5.2 and 5.3 forbid using the CRL.
  const std::optional<std::string>& unusable_reason() const { return unusable_; }
  const X509_ALGOR& signature_algorithm_identifier() const {
    const X509_ALGOR* alg = nullptr;
    X509_CRL_get0_signature(crl_.get(), nullptr, &alg);
    return *alg;
  }
  std::size_t entry_count() const { return entry_count_; }
  const std::vector<OsslPtr<X509_NAME>>& entry_issuers() const { return entry_issuers_; }

  // The entry for a certificate, matched by serial (sign included) and, for indirect CRLs, by the
  // entry's certificate issuer; nullopt when the certificate is not listed.
  std::optional<CrlEntry> find(const Certificate& cert) const;
  // The entries by serial (lowercase hex, "-" before a negative one), sorted: made on each call
  // (the CRL keeps a compact index, 32 bytes an entry, its serials where they are in der()).
  std::vector<std::pair<std::string, CrlEntry>> entries() const;

  // One entry of revokedCertificates, its extensions as encoded.
  struct RawEntry {
    std::string serial_hex;  // lowercase, "-" before a negative serial
    BytesView serial;        // the INTEGER's content octets, in der()
    TimePoint revocation_date{};
    BytesView extensions;  // the crlEntryExtensions SEQUENCE, tag and length included; empty if absent
  };
  // Each entry in the order the CRL lists them (`visit` may take the serial).
  Result<void> for_each_entry(const std::function<Result<void>(RawEntry&)>& visit) const;

  Crl(const Crl&) = delete;
  Crl& operator=(const Crl&) = delete;

 private:
  Crl() = default;
  Result<void> parse();

  OsslPtr<X509_CRL> crl_;  // parsed by OpenSSL without revokedCertificates: the header and extensions
  Bytes der_;
  BytesView tbs_, outer_algorithm_, inner_algorithm_;  // in der_
  BytesView revoked_;  // revokedCertificates' content, in der_; empty when there are no entries
  std::string fingerprint_;
  std::string issuer_text_;
  int version_ = 1;
  TimePoint this_update_{};
  std::optional<TimePoint> next_update_;
  std::optional<std::string> crl_number_;
  std::optional<std::string> delta_base_;
  std::optional<Bytes> aki_;
  std::optional<IssuingDistributionPoint> idp_;
  std::optional<std::string> unusable_;
  std::size_t entry_count_ = 0;
  std::vector<OsslPtr<X509_NAME>> entry_issuers_;
  // By serial hex ("-" for negative), then entry issuer: sorted, searched by binary search.
  // One entry of the index: its serial as the INTEGER's content octets in der_ (minimal two's
  // complement, so equal serials have equal octets), the rest as values. Sorted by (serial size,
  // serial octets, issuer_index).
  struct Slot {
    std::uint32_t serial_at = 0;
    std::uint32_t serial_size = 0;
    std::int64_t revoked = 0;     // TimePoint's count
    std::int64_t invalidity = 0;  // TimePoint's count, when has_invalidity
    std::int32_t issuer_index = -1;
    std::uint8_t reason = 0;  // CrlReason, when has_reason
    bool has_reason = false;
    bool has_invalidity = false;
  };
  BytesView serial_of(const Slot& s) const { return BytesView(der_).subspan(s.serial_at, s.serial_size); }
  CrlEntry entry_of(const Slot& s) const;
  Result<void> walk_entries(const std::function<Result<void>(RawEntry&)>& visit, bool with_hex) const;
  std::vector<Slot> index_;
};

using CrlPtr = std::shared_ptr<const Crl>;

// Compares two non-negative hex magnitudes as numbers: <0, 0, >0.
int compare_hex_numbers(const std::string& a, const std::string& b);

}  // namespace pki::cert
