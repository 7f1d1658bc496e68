#include "pki/verify/result.h"

namespace pki::verify {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kSkip:
      return "skip";
  }
  return "?";
}

std::string_view to_string(Check c) {
  switch (c) {
    case Check::kValidity:
      return "validity";
    case Check::kTrustedCa:
      return "trusted-ca";
    case Check::kSignature:
      return "signature";
    case Check::kName:
      return "name";
    case Check::kRevocation:
      return "revocation";
    case Check::kBasicConstraints:
      return "basic-constraints";
    case Check::kPathLength:
      return "path-length";
    case Check::kKeyUsage:
      return "key-usage";
    case Check::kExtendedKeyUsage:
      return "extended-key-usage";
    case Check::kPolicy:
      return "policy";
    case Check::kExtensions:
      return "extensions";
    case Check::kAlgorithm:
      return "algorithm";
  }
  return "?";
}

std::string_view to_string(FindingCode c) {
  switch (c) {
    case FindingCode::kOk:
      return "ok";
    case FindingCode::kExpired:
      return "expired";
    case FindingCode::kNotYetValid:
      return "not-yet-valid";
    case FindingCode::kAnchorExpired:
      return "anchor-expired";
    case FindingCode::kAnchorNotYetValid:
      return "anchor-not-yet-valid";
    case FindingCode::kUnknownIssuer:
      return "unknown-issuer";
    case FindingCode::kNameChaining:
      return "name-chaining";
    case FindingCode::kPathTooLong:
      return "path-too-long";
    case FindingCode::kBudgetExceeded:
      return "budget-exceeded";
    case FindingCode::kBadSignature:
      return "bad-signature";
    case FindingCode::kSignatureAlgorithmMismatch:
      return "signature-algorithm-mismatch";
    case FindingCode::kNoIssuer:
      return "no-issuer";
    case FindingCode::kHostnameMismatch:
      return "hostname-mismatch";
    case FindingCode::kIpMismatch:
      return "ip-mismatch";
    case FindingCode::kNameConstraintViolation:
      return "name-constraint-violation";
    case FindingCode::kSelfIssued:
      return "self-issued";
    case FindingCode::kRevoked:
      return "revoked";
    case FindingCode::kRevocationUnknown:
      return "revocation-unknown";
    case FindingCode::kNotChecked:
      return "not-checked";
    case FindingCode::kNoTrustedPath:
      return "no-trusted-path";
    case FindingCode::kNotACa:
      return "not-a-ca";
    case FindingCode::kAnchorNotACa:
      return "anchor-not-a-ca";
    case FindingCode::kPathLengthExceeded:
      return "path-length-exceeded";
    case FindingCode::kAnchorPathLength:
      return "anchor-path-length";
    case FindingCode::kKeyUsage:
      return "key-usage";
    case FindingCode::kAnchorKeyUsage:
      return "anchor-key-usage";
    case FindingCode::kEkuMismatch:
      return "eku-mismatch";
    case FindingCode::kAnchorEku:
      return "anchor-eku";
    case FindingCode::kPolicy:
      return "policy";
    case FindingCode::kUnknownCriticalExtension:
      return "unknown-critical-extension";
    case FindingCode::kMalformed:
      return "malformed";
    case FindingCode::kWeakAlgorithm:
      return "weak-algorithm";
    case FindingCode::kWeakKey:
      return "weak-key";
  }
  return "?";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::kTarget:
      return "target";
    case Role::kIntermediate:
      return "intermediate";
    case Role::kTrustAnchor:
      return "trust-anchor";
    case Role::kTargetAnchor:
      return "target-trust-anchor";
  }
  return "?";
}

bool CertificateReport::failed() const {
  for (const auto& f : findings)
    if (f.outcome == Outcome::kFail) return true;
  return false;
}

bool VerifyResult::has_failure(FindingCode code) const {
  for (const auto& c : chain)
    for (const auto& f : c.findings)
      if (f.outcome == Outcome::kFail && f.code == code) return true;
  return false;
}

std::vector<std::string> VerifyResult::failure_codes() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < chain.size(); ++i)
    for (const auto& f : chain[i].findings)
      if (f.outcome == Outcome::kFail)
        out.push_back("[" + std::to_string(i) + "] " + std::string(to_string(f.code)));
  return out;
}

}  // namespace pki::verify
