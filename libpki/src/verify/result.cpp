#include "pki/verify/result.h"

namespace pki::verify {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kWarn: return "warn";
    case Outcome::kSkip: return "skip";
  }
  return "?";
}

std::string_view to_string(Check c) {
  switch (c) {
    case Check::kValidity: return "validity";
    case Check::kTrustedCa: return "trusted-ca";
    case Check::kSignature: return "signature";
    case Check::kName: return "name";
    case Check::kRevocation: return "revocation";
    case Check::kBasicConstraints: return "basic-constraints";
    case Check::kPathLength: return "path-length";
    case Check::kKeyUsage: return "key-usage";
    case Check::kExtendedKeyUsage: return "extended-key-usage";
    case Check::kPolicy: return "policy";
    case Check::kExtensions: return "extensions";
    case Check::kAlgorithm: return "algorithm";
  }
  return "?";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::kTarget: return "target";
    case Role::kIntermediate: return "intermediate";
    case Role::kTrustAnchor: return "trust-anchor";
    case Role::kTargetAnchor: return "target-trust-anchor";
  }
  return "?";
}

bool CertificateReport::failed() const {
  for (const auto& f : findings)
    if (f.outcome == Outcome::kFail) return true;
  return false;
}

std::vector<std::string> VerifyResult::failure_codes() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < chain.size(); ++i)
    for (const auto& f : chain[i].findings)
      if (f.outcome == Outcome::kFail) out.push_back("[" + std::to_string(i) + "] " + f.code);
  return out;
}

}  // namespace pki::verify
