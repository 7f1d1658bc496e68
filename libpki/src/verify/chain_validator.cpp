#include "chain_validator.h"

#include <algorithm>
#include <set>

#include "ocsp_check.h"
#include "pki/cert/builder.h"
#include "pki/cert/name_constraints.h"
#include "pki/cert/oids.h"
#include "pki/core/time.h"
#include "pki/verify/algorithms.h"
#include "pki/verify/hostname.h"

namespace pki::verify {

namespace {

using cert::Certificate;

std::string when(TimePoint t) { return format_rfc3339(t); }

bool is_ca(const Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

bool lists(const std::vector<std::string>& ekus, std::string_view want) {
  return std::find(ekus.begin(), ekus.end(), want) != ekus.end();
}

std::string_view purpose_eku(Purpose purpose) {
  return purpose == Purpose::kServer ? oid::kServerAuth : oid::kClientAuth;
}
const char* purpose_eku_name(Purpose purpose) {
  return purpose == Purpose::kServer ? "serverAuth" : "clientAuth";
}

// The extendedKeyUsage a purpose needs: the target's, or an intermediate's when present (as
// OpenSSL and browsers require; RFC 5280 leaves EKU in CA certificates undefined).
void check_extended_key_usage(Validation& v, int index, const Certificate& x, Purpose purpose, bool ca) {
  if (purpose == Purpose::kAny) return;
  const std::string_view want = purpose_eku(purpose);
  if (!x.extended_key_usage()) {
    if (!ca) v.pass(index, Check::kExtendedKeyUsage, "no extendedKeyUsage: any purpose");
    return;
  }
  for (const auto& e : *x.extended_key_usage())
    if (e == want || e == oid::kAnyExtendedKeyUsage) {
      v.pass(index, Check::kExtendedKeyUsage,
             std::string(purpose_eku_name(purpose)) + (e == want ? "" : " (anyExtendedKeyUsage)"));
      return;
    }
  v.fail(index, Check::kExtendedKeyUsage, FindingCode::kEkuMismatch,
         std::string("extendedKeyUsage does not allow ") + purpose_eku_name(purpose) +
             (ca ? " below this CA" : ""));
}

// What TLS needs of the target's key: a signature (ECDHE), key encipherment (RSA key exchange) or
// key agreement (static DH) for a server; a signature or key agreement for a client. The same bits
// OpenSSL's purpose checks accept.
void check_target_key_usage(Validation& v, int index, const Certificate& x, Purpose purpose) {
  if (purpose == Purpose::kAny || !x.key_usage()) return;
  namespace ku = cert::key_usage;
  const std::uint16_t need = purpose == Purpose::kServer
                                 ? (ku::kDigitalSignature | ku::kKeyEncipherment | ku::kKeyAgreement)
                                 : (ku::kDigitalSignature | ku::kKeyAgreement);
  if (*x.key_usage() & need)
    v.pass(
        index, Check::kKeyUsage,
        std::string("keyUsage allows TLS ") + (purpose == Purpose::kServer ? "server" : "client") + " use");
  else
    v.fail(index, Check::kKeyUsage, FindingCode::kKeyUsage, "keyUsage allows no TLS use of the key");
}

// The reference identity (RFC 9525): an IP address or a DNS name, in the subjectAltName only.
void check_reference_name(Validation& v, int index, const Certificate& x, const VerifyOptions& o) {
  if (o.ip) {
    if (auto m = match_ip(x, *o.ip))
      v.pass(index, Check::kName, cert::ip_to_string(*o.ip) + " matches " + *m);
    else
      v.fail(index, Check::kName, FindingCode::kIpMismatch,
             "no subjectAltName is IP " + cert::ip_to_string(*o.ip));
  } else if (o.host) {
    if (auto m = match_host(x, *o.host))
      v.pass(index, Check::kName, *o.host + " matches " + *m);
    else
      v.fail(
          index, Check::kName, FindingCode::kHostnameMismatch,
          "no subjectAltName matches " + *o.host +
              (x.subject_alt_names() ? "" : " (the certificate has no subjectAltName; the CN is not used)"));
  }
}

// A profile breach below the anchor fails the path, except a pathLenConstraint without cA, which
// path validation never reads (6.1.4 (m) reads it only for CA certificates): a warning.
Outcome outcome_of(const cert::Problem& p) {
  return p.id == cert::ProblemId::kPathLenWithoutCa ? Outcome::kWarn : Outcome::kFail;
}

// On an anchor every breach is a warning, except one that would lift a constraint the anchor
// imposes: a name constraints extension that is malformed or repeated cannot be applied as meant.
Outcome anchor_outcome_of(const cert::Problem& p) {
  const bool lifts_constraint =
      p.extension == oid::kNameConstraints && p.id != cert::ProblemId::kNameConstraintsWithoutCa;
  return lifts_constraint ? Outcome::kFail : Outcome::kWarn;
}

}  // namespace

ChainValidator::ChainValidator(const Path& path, const ValidationInputs& in)
    : path_(path),
      in_(in),
      o_(in.options),
      total_(static_cast<int>(path.certs.size())),
      n_(path.anchored ? total_ - 1 : total_),
      anchor_(path.anchored ? path.certs.back().get() : nullptr) {
  v_.anchored = path.anchored;
  v_.reports.resize(static_cast<std::size_t>(total_));
  for (int p = 0; p < total_; ++p) {
    auto& r = v_.reports[static_cast<std::size_t>(p)];
    r.certificate = path.certs[static_cast<std::size_t>(p)];
    r.role = (p == 0) ? (n_ == 0 ? Role::kTargetAnchor : Role::kTarget)
                      : (anchor_ && p == total_ - 1 ? Role::kTrustAnchor : Role::kIntermediate);
  }
}

Validation ChainValidator::run() {
  if (anchor_ && n_ > 0) process_trust_anchor();
  initialize();
  if (n_ == 0 && anchor_) {
    // The target is itself a trust anchor: it is judged as a target, without a signature.
    v_.pass(0, Check::kTrustedCa, "the target is a trust anchor");
    check_validity(0, *anchor_, Outcome::kFail);
  }
  for (int i = 1; i <= n_; ++i) {
    basic_certificate_processing(i);
    if (i < n_)
      prepare_for_next_certificate(i);
    else
      wrap_up(i);
    check_extensions(i);
  }
  if (in_.target_checks == TargetChecks::kYes && total_ > 0 && (n_ > 0 || anchor_)) check_target();
  for (auto& r : v_.reports)
    std::stable_sort(r.findings.begin(), r.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.check < b.check; });
  return std::move(v_);
}

void ChainValidator::process_trust_anchor() {
  const int p = total_ - 1;
  const Certificate& a = *anchor_;
  v_.pass(p, Check::kTrustedCa, "trust anchor");
  for (const auto& problem : a.problems())
    v_.add(p, Check::kExtensions, anchor_outcome_of(problem), FindingCode::kMalformed,
           "trust anchor: " + problem.message);
  check_validity(p, a, Outcome::kWarn);
  // The anchor's own fields do not constrain the path (RFC 5280 6.1.1 (d), DESIGN.md), but the
  // report says where they would have objected.
  if (!is_ca(a))
    v_.warn(p, Check::kBasicConstraints, FindingCode::kAnchorNotACa,
            "the trust anchor is not marked as a CA");
  if (const auto& bc = a.basic_constraints(); bc && bc->path_len && n_ - 1 > *bc->path_len)
    v_.warn(p, Check::kPathLength, FindingCode::kAnchorPathLength,
            "the path has more intermediates than the anchor's pathLenConstraint " +
                std::to_string(*bc->path_len));
  if (a.key_usage() && !(*a.key_usage() & cert::key_usage::kKeyCertSign))
    v_.warn(p, Check::kKeyUsage, FindingCode::kAnchorKeyUsage,
            "the trust anchor's keyUsage lacks keyCertSign");
  if (o_.purpose != Purpose::kAny && a.extended_key_usage() &&
      !lists(*a.extended_key_usage(), purpose_eku(o_.purpose)) &&
      !lists(*a.extended_key_usage(), oid::kAnyExtendedKeyUsage))
    v_.warn(p, Check::kExtendedKeyUsage, FindingCode::kAnchorEku,
            "the trust anchor's extendedKeyUsage does not list the purpose");
  // A critical extension pki does not understand may constrain what the anchor vouches for
  // (RFC 5280 4.2: such a certificate MUST be rejected); unlike the fields above, it fails.
  for (const auto& e : a.extensions())
    if (e.critical && !e.understood)
      v_.fail(p, Check::kExtensions, FindingCode::kUnknownCriticalExtension,
              "the trust anchor's critical extension " + e.oid + " is not understood");
  // The anchor's key checks the path's first signature: a key the algorithm policy refuses (an
  // unknown or weak curve, RSA under 1024 bits) fails the path as it does below the anchor, and one
  // it only warns about (RSA under 2048 bits) warns.
  if (const auto kv = in_.signatures.key_verdict(a, o_.algorithms); kv.verdict != Verdict::kAccept)
    v_.add(p, Check::kAlgorithm, kv.verdict == Verdict::kRefuse ? Outcome::kFail : Outcome::kWarn, kv.code,
           "trust anchor key: " + kv.detail);
}

void ChainValidator::initialize() {
  // An anchor's nameConstraints do constrain the path (as OpenSSL and Go apply them; RFC 5937).
  if (anchor_ && anchor_->name_constraints())
    name_constraints_.push_back({&*anchor_->name_constraints(), anchor_->subject_text()});
  explicit_policy_ = o_.explicit_policy == ExplicitPolicy::kRequired ? 0 : n_ + 1;
  inhibit_any_policy_ = o_.any_policy == AnyPolicyInhibit::kInhibited ? 0 : n_ + 1;
  policy_mapping_ = o_.policy_mapping == PolicyMappingInhibit::kInhibited ? 0 : n_ + 1;
  max_path_length_ = n_;
  if (anchor_) {
    working_issuer_name_ = &anchor_->subject();
    working_public_key_ = WorkingKey::of(*anchor_);
  }
}

void ChainValidator::fail_policy(int i, std::string message, FindingCode code) {
  if (policy_failed_) return;
  policy_failed_ = true;
  v_.fail(index(i), Check::kPolicy, code, std::move(message));
}

void ChainValidator::basic_certificate_processing(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  for (const auto& problem : x.problems())
    v_.add(p, Check::kExtensions, outcome_of(problem), FindingCode::kMalformed, problem.message);
  if (x.version() < 3 && !x.extensions().empty())
    v_.fail(p, Check::kExtensions, FindingCode::kMalformed,
            "a version " + std::to_string(x.version()) + " certificate with extensions");
  // RFC 5280 4.1.2.2: CAs MUST NOT use such serial numbers, and certificate users SHOULD handle
  // them gracefully: said, not failed.
  for (const auto& breach : {cert::serial_not_positive(x), cert::serial_too_long(x)})
    if (breach) v_.warn(p, Check::kExtensions, FindingCode::kMalformed, *breach + " (RFC 5280 4.1.2.2)");
  check_issuer_name(i);
  check_signature(i);
  check_algorithms(i);
  check_validity(p, x, Outcome::kFail);
  check_revocation(i);
  check_name_constraints(i);
  process_policies(i);
}

void ChainValidator::check_issuer_name(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  if (p + 1 >= total_) {
    v_.fail(p, Check::kTrustedCa,
            path_.cut_by_depth ? FindingCode::kPathTooLong : FindingCode::kUnknownIssuer,
            path_.dead_end.empty() ? "no trusted issuer found" : path_.dead_end);
    return;
  }
  const Certificate& issuer = *path_.certs[static_cast<std::size_t>(p) + 1];
  if (X509_NAME_cmp(&x.issuer(), working_issuer_name_) != 0)
    v_.fail(p, Check::kTrustedCa, FindingCode::kNameChaining,
            "its issuer " + x.issuer_text() + " is not the subject of the next certificate");
  else
    v_.pass(p, Check::kTrustedCa,
            std::string("issued by ") + (&issuer == anchor_ ? "trust anchor " : "") + issuer.subject_text());
}

void ChainValidator::check_signature(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  if (p + 1 >= total_) {
    v_.skip(p, Check::kSignature, FindingCode::kNoIssuer, "no issuer key to check it with");
    return;
  }
  const Certificate& issuer = *path_.certs[static_cast<std::size_t>(p) + 1];
  if (!x.signature_algorithms_match()) {
    v_.fail(p, Check::kSignature, FindingCode::kSignatureAlgorithmMismatch,
            "signatureAlgorithm differs from the TBS signature field (RFC 5280 4.1.1.2)");
    return;
  }
  const auto ok = in_.signatures.certificate(x, working_public_key_.ref());
  if (!ok)
    v_.fail(p, Check::kSignature, FindingCode::kBudgetExceeded, "the signature check budget is spent");
  else if (*ok)
    v_.pass(p, Check::kSignature, x.signature_algorithm() + " by " + issuer.subject_text());
  else
    v_.fail(p, Check::kSignature, FindingCode::kBadSignature,
            "the signature does not verify with the key of " + issuer.subject_text());
}

void ChainValidator::check_algorithms(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  const auto sv = judge_signature_algorithm(x.signature_algorithm_identifier(), o_.algorithms);
  std::optional<AlgorithmVerdict> kv;
  if (!dsa_without_parameters(x)) kv = in_.signatures.key_verdict(x, o_.algorithms);
  const AlgorithmVerdict* verdicts[] = {&sv, kv ? &*kv : nullptr};
  for (const AlgorithmVerdict* av : verdicts) {
    if (!av) continue;
    if (av->verdict == Verdict::kRefuse)
      v_.fail(p, Check::kAlgorithm, av->code, av->detail);
    else if (av->verdict == Verdict::kWarn)
      v_.warn(p, Check::kAlgorithm, av->code, av->detail);
  }
  if (sv.verdict == Verdict::kAccept && (!kv || kv->verdict == Verdict::kAccept))
    v_.pass(p, Check::kAlgorithm, sv.detail + (kv ? ", " + kv->detail : ""));
}

void ChainValidator::check_validity(int index, const Certificate& x, Outcome when_outside) {
  const bool anchor = when_outside == Outcome::kWarn;
  if (o_.at < x.not_before())
    v_.add(index, Check::kValidity, when_outside,
           anchor ? FindingCode::kAnchorNotYetValid : FindingCode::kNotYetValid,
           "not valid until " + when(x.not_before()) + " (checked at " + when(o_.at) + ")");
  else if (o_.at > x.not_after())
    v_.add(index, Check::kValidity, when_outside,
           anchor ? FindingCode::kAnchorExpired : FindingCode::kExpired,
           "expired on " + when(x.not_after()) + " (checked at " + when(o_.at) + ")");
  else
    v_.pass(index, Check::kValidity, "valid from " + when(x.not_before()) + " to " + when(x.not_after()));
}

void ChainValidator::check_revocation(int i) {
  const int p = index(i);
  if (!in_.revocation && !in_.ocsp) {
    v_.skip(p, Check::kRevocation, FindingCode::kNotChecked, "no CRLs given");
    return;
  }
  if (!anchor_) {
    v_.skip(p, Check::kRevocation, FindingCode::kNoTrustedPath,
            "not checked: the path does not reach a trust anchor");
    return;
  }
  const Certificate* issuer = path_.certs[static_cast<std::size_t>(p) + 1].get();
  // OCSP first: a good or revoked answer decides; otherwise the CRLs, if any, do.
  std::optional<RevocationOutcome> by_ocsp;
  if (in_.ocsp) {
    if (auto answer = in_.ocsp->answer(cert(i), *issuer))
      by_ocsp = check_ocsp_answer(*answer, cert(i), *issuer, o_.at, o_.algorithms);
  }
  RevocationOutcome r;
  if (by_ocsp && by_ocsp->status != RevocationStatus::kUnknown) {
    r = std::move(*by_ocsp);
  } else if (in_.revocation) {
    r = in_.revocation->check({cert(i), issuer, working_public_key_.ref(), *anchor_}, o_.at, o_.algorithms);
    if (by_ocsp && r.status == RevocationStatus::kUnknown) r.message = by_ocsp->message + "; " + r.message;
  } else if (by_ocsp) {
    r = std::move(*by_ocsp);
  } else {
    v_.skip(p, Check::kRevocation, FindingCode::kNotChecked, "no OCSP answer or CRL for it");
    return;
  }
  if (r.status == RevocationStatus::kGood)
    v_.pass(p, Check::kRevocation, r.message);
  else if (r.status == RevocationStatus::kRevoked)
    v_.fail(p, Check::kRevocation, FindingCode::kRevoked, r.message);
  else
    v_.add(p, Check::kRevocation,
           o_.unknown_revocation == UnknownRevocation::kAllow ? Outcome::kWarn : Outcome::kFail,
           FindingCode::kRevocationUnknown, r.message);
}

void ChainValidator::check_name_constraints(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  if (name_constraints_.empty()) return;
  if (x.self_issued() && i < n_) {
    v_.skip(p, Check::kName, FindingCode::kSelfIssued,
            "a self-issued intermediate is not subject to name constraints");
    return;
  }
  const auto names = cert::constrained_names(x);
  long subtrees = 0;
  for (const auto& c : name_constraints_)
    subtrees += static_cast<long>(c.subtrees->permitted.size() + c.subtrees->excluded.size());
  // The budget bounds (names) x (subtrees in force) for each certificate.
  if (static_cast<long>(names.size()) * subtrees > o_.name_constraint_budget) {
    v_.fail(p, Check::kName, FindingCode::kBudgetExceeded,
            std::to_string(names.size()) + " names against " + std::to_string(subtrees) +
                " name-constraint subtrees exceed the budget of " +
                std::to_string(o_.name_constraint_budget) + " comparisons");
    return;
  }
  for (const auto& c : name_constraints_)
    if (auto violation = cert::check(*c.subtrees, names)) {
      v_.fail(p, Check::kName, FindingCode::kNameConstraintViolation,
              cert::describe(*violation) + " of " + c.owner);
      return;
    }
  v_.pass(p, Check::kName,
          "within the name constraints of " + std::to_string(name_constraints_.size()) + " CA(s)");
}

void ChainValidator::process_policies(int i) {
  const Certificate& x = cert(i);
  if (x.policies() && !valid_policy_tree_.null()) {
    // (d): anyPolicy in the certificate is honoured while inhibit_anyPolicy > 0, or in a
    // self-issued intermediate.
    valid_policy_tree_.process_policies(i, *x.policies(),
                                        inhibit_any_policy_ > 0 || (i < n_ && x.self_issued()));
    if (valid_policy_tree_.exhausted())
      fail_policy(
          i, "the policy tree grew past its budget of " + std::to_string(PolicyTree::kMaxNodes) + " nodes",
          FindingCode::kBudgetExceeded);
  } else if (!x.policies()) {
    valid_policy_tree_.make_null();  // (e)
  }
  if (explicit_policy_ <= 0 && valid_policy_tree_.null())  // (f)
    fail_policy(i, "no valid policy, and an explicit policy is required (RFC 5280 6.1.3 (f))");
}

void ChainValidator::prepare_for_next_certificate(int i) {
  const Certificate& x = cert(i);
  update_policy_state(i);
  working_issuer_name_ = &x.subject();                // (c)
  working_public_key_ = working_public_key_.next(x);  // (d), (e), (f)
  if (x.name_constraints()) name_constraints_.push_back({&*x.name_constraints(), x.subject_text()});  // (g)
  check_ca(i);
}

void ChainValidator::update_policy_state(int i) {
  const Certificate& x = cert(i);
  // (a), (b): policy mappings; anyPolicy may not be mapped.
  if (const auto& maps = x.policy_mappings()) {
    const bool maps_any = std::any_of(maps->begin(), maps->end(), [](const cert::PolicyMapping& m) {
      return m.issuer_domain == oid::kAnyPolicy || m.subject_domain == oid::kAnyPolicy;
    });
    if (maps_any)
      fail_policy(i, "policyMappings maps anyPolicy (RFC 5280 6.1.4 (a))");
    else
      valid_policy_tree_.process_mappings(i, *maps, policy_mapping_ > 0);
  }
  // (h): the counters fall at each certificate that is not self-issued.
  if (!x.self_issued()) {
    if (explicit_policy_ > 0) --explicit_policy_;
    if (policy_mapping_ > 0) --policy_mapping_;
    if (inhibit_any_policy_ > 0) --inhibit_any_policy_;
  }
  // (i): policyConstraints; (j): inhibitAnyPolicy.
  if (const auto& pc = x.policy_constraints()) {
    if (pc->require_explicit_policy && *pc->require_explicit_policy < explicit_policy_)
      explicit_policy_ = static_cast<int>(*pc->require_explicit_policy);
    if (pc->inhibit_policy_mapping && *pc->inhibit_policy_mapping < policy_mapping_)
      policy_mapping_ = static_cast<int>(*pc->inhibit_policy_mapping);
  }
  if (x.inhibit_any_policy() && *x.inhibit_any_policy() < inhibit_any_policy_)
    inhibit_any_policy_ = static_cast<int>(*x.inhibit_any_policy());
}

void ChainValidator::check_ca(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  // (k): a CA. Every intermediate needs basicConstraints cA (the RFC asks it only of v3 ones).
  if (!is_ca(x))
    v_.fail(p, Check::kBasicConstraints, FindingCode::kNotACa,
            x.basic_constraints() ? "basicConstraints cA is FALSE" : "no basicConstraints: not a CA");
  else
    v_.pass(p, Check::kBasicConstraints, "CA");
  // (l), (m): path length; self-issued certificates do not count.
  bool length_ok = true;
  if (!x.self_issued()) {
    if (max_path_length_ <= 0) {
      v_.fail(p, Check::kPathLength, FindingCode::kPathLengthExceeded,
              "more CA certificates follow than a pathLenConstraint above allows");
      length_ok = false;
    } else {
      --max_path_length_;
    }
  }
  if (is_ca(x) && x.basic_constraints()->path_len && *x.basic_constraints()->path_len < max_path_length_)
    max_path_length_ = static_cast<int>(*x.basic_constraints()->path_len);
  if (length_ok) v_.pass(p, Check::kPathLength, "within the path length constraints");
  // (n): keyCertSign.
  if (x.key_usage() && !(*x.key_usage() & cert::key_usage::kKeyCertSign))
    v_.fail(p, Check::kKeyUsage, FindingCode::kKeyUsage, "keyUsage lacks keyCertSign");
  else
    v_.pass(p, Check::kKeyUsage, x.key_usage() ? "keyCertSign" : "no keyUsage extension");
  check_extended_key_usage(v_, p, x, o_.purpose, /*ca=*/true);
}

void ChainValidator::wrap_up(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  // (a), (b): explicit_policy.
  if (explicit_policy_ > 0) --explicit_policy_;
  if (x.policy_constraints() && x.policy_constraints()->require_explicit_policy &&
      *x.policy_constraints()->require_explicit_policy == 0)
    explicit_policy_ = 0;
  // (g): the intersection with the user-initial-policy-set.
  const std::set<std::string> user(o_.initial_policy_set.begin(), o_.initial_policy_set.end());
  valid_policy_tree_.intersect(n_, user);
  if (valid_policy_tree_.exhausted())
    fail_policy(i,
                "the policy tree grew past its budget of " + std::to_string(PolicyTree::kMaxNodes) + " nodes",
                FindingCode::kBudgetExceeded);
  if (explicit_policy_ <= 0 && valid_policy_tree_.null())
    fail_policy(i, "no valid policy, and an explicit policy is required (RFC 5280 6.1.5 (g))");
  if (policy_failed_) return;
  v_.policies =
      valid_policy_tree_.null() ? std::vector<std::string>{} : valid_policy_tree_.constrained_policies(n_);
  std::string listed;
  for (const auto& pol : v_.policies) listed += (listed.empty() ? "" : ", ") + pol;
  v_.pass(p, Check::kPolicy,
          listed.empty() ? std::string("no policy required") : "valid policies: " + listed);
}

void ChainValidator::check_extensions(int i) {
  const int p = index(i);
  const Certificate& x = cert(i);
  bool failed = false;
  for (const auto& e : x.extensions())
    if (e.critical && !e.understood) {
      v_.fail(p, Check::kExtensions, FindingCode::kUnknownCriticalExtension,
              "critical extension " + e.oid + " is not understood");
      failed = true;
    }
  for (const auto& problem : x.problems()) failed = failed || outcome_of(problem) == Outcome::kFail;
  if (x.version() < 3 && !x.extensions().empty()) failed = true;
  if (!failed) v_.pass(p, Check::kExtensions, "every critical extension is understood");
}

void ChainValidator::check_target() {
  const Certificate& t = *path_.certs[0];
  check_extended_key_usage(v_, 0, t, o_.purpose, /*ca=*/false);
  check_target_key_usage(v_, 0, t, o_.purpose);
  check_reference_name(v_, 0, t, o_);
}

}  // namespace pki::verify
