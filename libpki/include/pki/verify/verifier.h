// Certificate verification as both ends of a TLS handshake do it: a path from the target through
// untrusted intermediates to a trust anchor, RFC 5280 section 6.1 on that path, the purpose and the
// host name, and revocation from CRLs (RFC 5280 6.3).
//
// The parts, in libpki/src/verify/ (BoringSSL's pki/ is the model):
//  - path_builder: candidates by name, ordered by AKI/SKI, anchors first, verified signatures
//    before doubtful ones; budgets; the most useful failing path when none is valid.
//  - chain_validator: RFC 5280 6.1 on one path, a function per step (6.1.1 (d) trust anchor
//    processing, 6.1.3 basic certificate processing, 6.1.4 preparation for the next certificate,
//    6.1.5 wrap-up) with the state variables of 6.1.2 as members.
//  - revocation: RFC 5280 6.3 (CRL scope, issuer and signing key, delta CRLs, reasons); a CRL
//    issuer's own path is asked of the CrlIssuerPaths interface, which this Verifier implements.
//  - signature_cache: signature checks against the budget, remembered across calls for CAs.
//
// Path building (RFC 4158's approach, depth first): the first path that validates wins. When none
// does, the most useful failing path is reported: one that reaches an anchor over one that does not
// (unless it does so through a bad signature and the other was cut only by the depth limit), then
// the one with the fewest failures. The search stops at VerifyOptions::max_depth intermediates
// (self-issued ones not counted, as in pathLenConstraint) and VerifyOptions::signature_budget
// signature checks; name constraints stop at VerifyOptions::name_constraint_budget comparisons per
// certificate.
//
// Trust anchors are a name and a key (RFC 5280 6.1.1 (d)): an anchor certificate's validity,
// basicConstraints, keyUsage, extendedKeyUsage and policies do not constrain the path; oddities
// are warnings. Deviations from RFC 5280:
//  - An anchor's nameConstraints do constrain the path (as OpenSSL and Go do); RFC 5937 allows it.
//    So does a critical extension on the anchor that pki does not understand: it fails.
//  - Below the anchor, the profile rules paths rely on fail the path (as OpenSSL's strict mode
//    does): an empty issuer, a CA with an empty subject, a missing authorityKeyIdentifier
//    keyIdentifier (except self-issued), a CA without subjectKeyIdentifier, nameConstraints in a
//    certificate that is not a CA's, malformed extensions. A pathLenConstraint without cA is a
//    warning: path validation never reads it.
//  - Every intermediate needs basicConstraints cA (6.1.4 (k) asks it only of v3 certificates).
//  - An intermediate's extendedKeyUsage, when present, must allow the purpose (as OpenSSL and
//    browsers require); RFC 5280 leaves EKU in CA certificates undefined.
//  - A CRL speaks for a certificate when signed by the key that signed the certificate; a CRL of
//    another key of the same CA (a separate CRL key, a new key after a rollover) counts only when
//    no CRL of the certificate's issuer key covers its distribution point. RFC 5280 5.2.3 orders
//    CRLs by number within one scope, and the signing key is part of it.
//  - Revocation of a CRL issuer's own certificate, when that CRL issuer signs the CRL that covers it,
//    is judged with that CRL (the cycle cannot be broken otherwise).
//
// Caller responsibilities: give the time; give CRLs to have revocation checked (with none, it is
// reported as skipped). A Verifier keeps caches between calls (signatures on CA certificates, CRL
// signatures), so that many leaves under one CA cost one signature each; use one per thread, and
// one CheckMemory for the Verifiers of several threads to share what they checked.
#pragma once

#include <memory>

#include "pki/core/error.h"
#include "pki/verify/options.h"
#include "pki/verify/result.h"
#include "pki/verify/sources.h"

namespace pki::verify {

// What Verifiers remember across calls: signatures on CA certificates, CRL signatures and CA key
// verdicts. Each Verifier keeps its own unless given one; Verifiers on several threads given the
// same one check each of those signatures once between them (it locks; the rest of a Verifier is
// its thread's own).
class CheckMemory {
 public:
  CheckMemory();
  ~CheckMemory();
  CheckMemory(const CheckMemory&) = delete;
  CheckMemory& operator=(const CheckMemory&) = delete;

 private:
  friend class SignatureCache;
  struct State;
  std::unique_ptr<State> state_;
};

struct Inputs {
  const CertificateSet* anchors = nullptr;           // required
  const CertificateSource* intermediates = nullptr;  // may be null
  const CrlSource* crls = nullptr;                   // may be null
  // May be null. With it, each certificate's status is asked of OCSP first; a good or revoked
  // answer decides, otherwise the CRLs do. With neither, revocation is not checked.
  const OcspSource* ocsp = nullptr;
  // May be null: the Verifier then remembers for itself.
  CheckMemory* memory = nullptr;
};

class Verifier {
 public:
  explicit Verifier(Inputs inputs);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // The error arm means verification could not run (bad options); an invalid certificate is a
  // VerifyResult with valid == false.
  Result<VerifyResult> verify(const cert::CertificatePtr& target, const VerifyOptions& options);

 private:
  struct Engine;
  std::unique_ptr<Engine> engine_;
};

}  // namespace pki::verify
