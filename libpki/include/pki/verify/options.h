// What a verification is asked to check. The zero value is a safe default: purpose any, no name
// check, RFC 5280's default policy settings, the modern algorithm policy; the time must be given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/clock.h"

namespace pki::verify {

enum class Purpose { kAny, kServer, kClient };

// DESIGN.md, "Verification": below the anchor, MD5, SHA-1, DSA and unknown curves fail by default;
// kLegacy accepts SHA-1 and DSA, for auditing old hierarchies and suites such as NIST PKITS.
enum class AlgorithmPolicy { kModern, kLegacy };

enum class UnknownRevocation { kFail, kAllow };

// RFC 5280 6.1.1 (e), (f), (g): the initial policy settings.
enum class ExplicitPolicy { kNotRequired, kRequired };
enum class PolicyMappingInhibit { kAllowed, kInhibited };
enum class AnyPolicyInhibit { kAllowed, kInhibited };

// Path search limits.
// Depth: at most this many intermediates between the target and the trust anchor (counted as
// OpenSSL's -verify_depth counts them). Real TLS chains carry one to three; ten leaves room for
// cross-signing while keeping the search small.
inline constexpr int kDefaultMaxDepth = 10;
// Signature checks per verification, over every path tried and every CRL: rustls-webpki's default
// budget (src/verify_cert.rs, Budget::default), which bounds the work a hostile pile of
// cross-signed certificates can cause.
inline constexpr int kDefaultSignatureBudget = 100;
// Name-constraint comparisons per certificate: (names in the certificate) x (subtrees in force).
// Go's crypto/x509 default (VerifyOptions.MaxConstraintComparisions, 250,000): real hierarchies
// need a few hundred; a hostile certificate with thousands of names under thousands of subtrees
// would otherwise cost quadratic time.
inline constexpr long kDefaultNameConstraintBudget = 250'000;

struct VerifyOptions {
  TimePoint at{};
  Purpose purpose = Purpose::kAny;
  std::optional<std::string> host;  // a DNS name (A-labels) or an IP literal
  std::optional<Bytes> ip;          // 4 or 16 octets
  // RFC 5280 6.1.1 (c), (e), (f), (g). An empty set means {anyPolicy}.
  std::vector<std::string> initial_policy_set;
  ExplicitPolicy explicit_policy = ExplicitPolicy::kNotRequired;
  PolicyMappingInhibit policy_mapping = PolicyMappingInhibit::kAllowed;
  AnyPolicyInhibit any_policy = AnyPolicyInhibit::kAllowed;
  int max_depth = kDefaultMaxDepth;  // intermediates, not counting self-issued ones
  int signature_budget = kDefaultSignatureBudget;
  long name_constraint_budget = kDefaultNameConstraintBudget;
  AlgorithmPolicy algorithms = AlgorithmPolicy::kModern;
  // Revocation is checked when CRLs are given (Inputs::crls non-empty); then a status that cannot
  // be determined fails the path unless this says otherwise.
  UnknownRevocation unknown_revocation = UnknownRevocation::kFail;
};

}  // namespace pki::verify
