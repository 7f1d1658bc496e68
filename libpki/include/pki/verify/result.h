// VerifyResult: verification's answer as data. An invalid certificate is a result, not an error.
#pragma once

#include <string>
#include <vector>

#include "pki/cert/certificate.h"

namespace pki::verify {

enum class Outcome { kPass, kFail, kWarn, kSkip };
std::string_view to_string(Outcome o);

// The checks, in the order they are reported: the handshake's five first (DESIGN.md).
enum class Check {
  kValidity,    // notBefore <= time <= notAfter
  kTrustedCa,   // chains by name to the next certificate, and to a trust anchor
  kSignature,   // signed by the issuer's key; outer and inner algorithms agree
  kName,        // host name or IP (target), name constraints (every certificate)
  kRevocation,  // CRL status
  kBasicConstraints,
  kPathLength,
  kKeyUsage,
  kExtendedKeyUsage,
  kPolicy,
  kExtensions,  // critical extensions understood, extensions well formed
  kAlgorithm,   // signature algorithm and key strength
};
std::string_view to_string(Check c);

// What a finding says, as a stable id; to_string gives its kebab-case code for reports and
// scripts ("expired", "bad-signature", ...). Compare ids, never message text.
enum class FindingCode {
  kOk,  // a pass
  // validity
  kExpired,
  kNotYetValid,
  kAnchorExpired,  // warnings on a trust anchor, whose own fields do not constrain the path
  kAnchorNotYetValid,
  // trusted-ca
  kUnknownIssuer,
  kNameChaining,
  kPathTooLong,
  kBudgetExceeded,  // a search, signature or name-constraint budget was spent
  // signature
  kBadSignature,
  kSignatureAlgorithmMismatch,
  kNoIssuer,  // skipped: no issuer key to check with
  // name
  kHostnameMismatch,
  kIpMismatch,
  kNameConstraintViolation,
  kSelfIssued,  // skipped: self-issued intermediates are not subject to name constraints
  // revocation
  kRevoked,
  kRevocationUnknown,
  kNotChecked,     // skipped: no CRLs given
  kNoTrustedPath,  // skipped: the path does not reach an anchor
  // basic-constraints, path-length, key-usage, extended-key-usage
  kNotACa,
  kAnchorNotACa,
  kPathLengthExceeded,
  kAnchorPathLength,
  kKeyUsage,
  kAnchorKeyUsage,
  kEkuMismatch,
  kAnchorEku,
  // policy, extensions, algorithm
  kPolicy,
  kUnknownCriticalExtension,
  kMalformed,
  kWeakAlgorithm,
  kWeakKey,
};
std::string_view to_string(FindingCode c);

struct Finding {
  Check check;
  Outcome outcome;
  FindingCode code;     // kOk on a pass
  std::string message;  // for people
};

enum class Role { kTarget, kIntermediate, kTrustAnchor, kTargetAnchor };
std::string_view to_string(Role r);

struct CertificateReport {
  cert::CertificatePtr certificate;
  Role role = Role::kIntermediate;
  std::vector<Finding> findings;  // sorted by Check
  bool failed() const;
};

struct VerifyResult {
  bool valid = false;
  // The chosen path, target first, ending at the trust anchor when one was reached. When no path
  // verifies, the most useful failing path.
  std::vector<CertificateReport> chain;
  bool anchored = false;                                 // the chain ends at a trust anchor
  std::vector<std::string> user_constrained_policy_set;  // RFC 5280 6.1.6, when policy processing ran
  int paths_tried = 0;
  int signature_checks = 0;
  // The first failure, "code: message" (empty when valid).
  std::string summary;
  // Whether any certificate of the chain has a failing finding with this code.
  bool has_failure(FindingCode code) const;
  // Every failure, for scripts: "[index] code".
  std::vector<std::string> failure_codes() const;
};

}  // namespace pki::verify
