// Crl: an immutable parsed view of an X.509 v2 CRL (RFC 5280 section 5): its scope (issuing
// distribution point), numbers, times, and an index of its entries by serial, built once.
#pragma once

#include <cstdint>
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
  static Result<std::shared_ptr<const Crl>> from_x509(OsslPtr<X509_CRL> crl);
  static Result<std::shared_ptr<const Crl>> from_der(BytesView der);

  const X509_CRL& x509() const { return *crl_; }
  X509_CRL* x509_mutable() const { return crl_.get(); }
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
  // entry's certificate issuer; nullptr when the certificate is not listed.
  const CrlEntry* find(const Certificate& cert) const;

  Crl(const Crl&) = delete;
  Crl& operator=(const Crl&) = delete;

 private:
  Crl() = default;
  Result<void> parse();

  OsslPtr<X509_CRL> crl_;
  Bytes der_;
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
  std::vector<std::pair<std::string, CrlEntry>> entries_;
};

using CrlPtr = std::shared_ptr<const Crl>;

// Compares two non-negative hex magnitudes as numbers: <0, 0, >0.
int compare_hex_numbers(const std::string& a, const std::string& b);

}  // namespace pki::cert
