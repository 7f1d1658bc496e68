// Revocation checking from CRLs, RFC 5280 6.3 (private to verify/): which CRLs cover a
// certificate (scope, issuer, signing key), the newest of each scope, delta CRLs, reasons.
//
// A CRL issuer other than the certificate's issuer (a separate CRL key, an indirect CRL) must
// itself have a valid path to the same trust anchor (6.3.3 (f)). That question goes through the
// CrlIssuerPaths interface: revocation never searches paths itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/verify/options.h"
#include "pki/verify/sources.h"
#include "signature_cache.h"

namespace pki::verify {

enum class RevocationStatus { kGood, kRevoked, kUnknown };

struct RevocationOutcome {
  RevocationStatus status = RevocationStatus::kUnknown;
  std::string message;  // for people: which CRL said so, or why none could
};

class CrlIssuerPaths {
 public:
  virtual ~CrlIssuerPaths() = default;
  // Whether `crl_issuer` has a valid certification path to `anchor` (RFC 5280 6.3.3 (f)).
  virtual bool valid_path(const cert::CertificatePtr& crl_issuer, const cert::Certificate& anchor) = 0;
};

// The certificate whose status is asked, where it sits in its path.
struct RevocationSubject {
  const cert::Certificate& certificate;
  const cert::Certificate* issuer;  // the next certificate of the path
  KeyRef issuer_key;                // the working public key that verified the certificate
  const cert::Certificate& anchor;  // the path's trust anchor
};

class RevocationChecker {
 public:
  RevocationChecker(const CrlSource& crls, const CertificateSet& anchors,
                    const CertificateSource* intermediates, SignatureCache& signatures,
                    CrlIssuerPaths& issuer_paths)
      : crls_(crls),
        anchors_(anchors),
        intermediates_(intermediates),
        signatures_(signatures),
        issuer_paths_(issuer_paths) {}

  // RFC 5280 6.3.3 for one certificate at time `at`. Revoked when a CRL in its scope lists it;
  // good when CRLs in its scope cover every reason; otherwise unknown, with the reason why.
  RevocationOutcome check(const RevocationSubject& subject, TimePoint at, AlgorithmPolicy policy);

  struct DistributionPoint;  // a certificate's distribution point, as 6.3.3 reads it (revocation.cpp)

 private:
  struct Call;
  enum class SignerKind { kIssuerKey, kOtherKey };

  bool consult(const DistributionPoint& dp, const std::vector<cert::CrlPtr>& pool, SignerKind kind,
               Call& call);
  std::optional<KeyRef> signer(const cert::Crl& crl, SignerKind kind, Call& call, std::string& why);
  std::optional<KeyRef> other_signer(const cert::Crl& crl, Call& call, std::string& why);
  const cert::Crl* find_delta(const cert::Crl& base, KeyRef signer, TimePoint at,
                              const std::vector<cert::CrlPtr>& pool);
  std::vector<cert::CrlPtr> crls_for(const cert::Certificate& x, const DistributionPoint& dp) const;

  const CrlSource& crls_;
  const CertificateSet& anchors_;
  const CertificateSource* intermediates_;
  SignatureCache& signatures_;
  CrlIssuerPaths& issuer_paths_;
};

}  // namespace pki::verify
