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
  kValidity,     // notBefore <= time <= notAfter
  kTrustedCa,    // chains by name to the next certificate, and to a trust anchor
  kSignature,    // signed by the issuer's key; outer and inner algorithms agree
  kName,         // host name or IP (target), name constraints (every certificate)
  kRevocation,   // CRL status
  kBasicConstraints,
  kPathLength,
  kKeyUsage,
  kExtendedKeyUsage,
  kPolicy,
  kExtensions,   // critical extensions understood, extensions well formed
  kAlgorithm,    // signature algorithm and key strength
};
std::string_view to_string(Check c);

struct Finding {
  Check check;
  Outcome outcome;
  std::string code;     // stable kebab-case: "ok" on a pass, else "expired", "bad-signature", ...
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
  bool anchored = false;  // the chain ends at a trust anchor
  std::vector<std::string> user_constrained_policy_set;  // RFC 5280 6.1.6, when policy processing ran
  int paths_tried = 0;
  int signature_checks = 0;
  // The first failure, "code: message" (empty when valid).
  std::string summary;
  // Every failure and warning, for scripts: "[index] code".
  std::vector<std::string> failure_codes() const;
};

}  // namespace pki::verify
