#include "pki/verify/verifier.h"

#include <algorithm>
#include <map>
#include <optional>

#include "chain_validator.h"
#include "path_builder.h"
#include "pki/cert/general_name.h"
#include "pki/verify/hostname.h"
#include "revocation.h"
#include "signature_cache.h"

namespace pki::verify {

namespace {

// CRL issuers whose own paths are validated inside another validation (separate CRL keys,
// indirect CRLs): three levels cover every PKITS case and keep a hostile CRL graph bounded.
constexpr std::size_t kMaxCrlIssuerDepth = 3;

// Each candidate path goes through RFC 5280 6.1.
class Validate final : public PathValidator {
 public:
  explicit Validate(const ValidationInputs& in) : in_(in) {}
  Validation validate(const Path& path) override { return ChainValidator(path, in_).run(); }

 private:
  const ValidationInputs& in_;
};

// The options for a CRL issuer's path (RFC 5280 6.3.3 (f)): the same time, limits and algorithm
// policy; no purpose, name or initial policy settings, which belong to the user's target.
VerifyOptions crl_issuer_options(const VerifyOptions& o) {
  VerifyOptions c;
  c.at = o.at;
  c.max_depth = o.max_depth;
  c.signature_budget = o.signature_budget;
  c.name_constraint_budget = o.name_constraint_budget;
  c.algorithms = o.algorithms;
  c.unknown_revocation = o.unknown_revocation;
  return c;
}

}  // namespace

// The verifier's state: the caches kept across calls, and for the call in progress its budget and
// the CRL issuers whose paths are being or have been validated.
struct Verifier::Engine final : CrlIssuerPaths {
  Inputs in;
  CheckMemory own_memory;  // unless given one to share
  SignatureCache signatures;

  // Per call.
  const VerifyOptions* options = nullptr;
  Budget* budget = nullptr;
  std::optional<RevocationChecker> revocation;
  std::map<std::pair<std::string, std::string>, bool> crl_issuer_paths;  // (CRL issuer, anchor) -> valid
  std::vector<std::string> crl_issuer_stack;
  int assumptions = 0;  // CRL-issuer validations that trusted an issuer still being validated

  explicit Engine(Inputs i) : in(i), signatures(i.memory ? *i.memory : own_memory) {}

  void begin(const VerifyOptions& o, Budget& b) {
    options = &o;
    budget = &b;
    signatures.begin(b);
    crl_issuer_paths.clear();
    crl_issuer_stack.clear();
    assumptions = 0;
    revocation.reset();
    if (in.crls && !in.crls->empty())
      revocation.emplace(*in.crls, *in.anchors, in.intermediates, signatures, *this);
  }

  BuildResult build(const cert::CertificatePtr& start, const VerifyOptions& o, TargetChecks checks,
                    const cert::Certificate* required_anchor) {
    const ValidationInputs inputs{o, checks, signatures, revocation ? &*revocation : nullptr, in.ocsp};
    Validate validate(inputs);
    PathBuilder builder(*in.anchors, in.intermediates, signatures, *budget);
    return builder.build(start, PathGoal{o.max_depth, required_anchor, o.at, o.purpose, o.algorithms},
                         validate);
  }

  bool valid_path(const cert::CertificatePtr& crl_issuer, const cert::Certificate& anchor) override {
    const auto key = std::make_pair(crl_issuer->fingerprint(), anchor.fingerprint());
    if (auto it = crl_issuer_paths.find(key); it != crl_issuer_paths.end()) return it->second;
    // A CRL issuer already being validated further up: its path is established by that
    // validation (the cycle of a CRL issuer covered by its own CRL).
    if (std::find(crl_issuer_stack.begin(), crl_issuer_stack.end(), crl_issuer->fingerprint()) !=
        crl_issuer_stack.end()) {
      ++assumptions;
      return true;
    }
    if (crl_issuer_stack.size() >= kMaxCrlIssuerDepth) return false;
    const int assumptions_before = assumptions;
    crl_issuer_stack.push_back(crl_issuer->fingerprint());
    const VerifyOptions o = crl_issuer_options(*options);
    const bool ok = build(crl_issuer, o, TargetChecks::kNo, &anchor).valid;
    crl_issuer_stack.pop_back();
    // A result that leaned on an issuer still being validated holds only inside that validation.
    if (assumptions == assumptions_before) crl_issuer_paths[key] = ok;
    return ok;
  }
};

Verifier::Verifier(Inputs inputs) : engine_(std::make_unique<Engine>(inputs)) {}
Verifier::~Verifier() = default;

Result<VerifyResult> Verifier::verify(const cert::CertificatePtr& target, const VerifyOptions& options) {
  if (!engine_->in.anchors) return fail(ErrorCode::kBadInput, "no trust anchors given");
  if (options.max_depth < 0)
    return fail(ErrorCode::kBadInput, Field::kMaxDepth, "the maximum path depth must be 0 or more");
  VerifyOptions opts = options;
  if (opts.host) {
    // An IP literal given as a host is an IP reference identity (RFC 9525 6.2); "[::1]" too.
    if (opts.host->size() > 2 && opts.host->front() == '[' && opts.host->back() == ']')
      opts.host = opts.host->substr(1, opts.host->size() - 2);
    if (auto ip = cert::parse_ip(*opts.host)) {
      opts.ip = *ip;
      opts.host.reset();
    } else {
      PKI_ASSIGN(opts.host, normalize_host(*opts.host));
    }
  }
  if (opts.ip && opts.ip->size() != 4 && opts.ip->size() != 16)
    return fail(ErrorCode::kBadInput, "an IP address is 4 or 16 octets");
  for (const auto& p : opts.initial_policy_set) {
    OsslPtr<ASN1_OBJECT> oid(OBJ_txt2obj(p.c_str(), 1));
    drain_openssl_errors();
    if (!oid) return fail(ErrorCode::kBadInput, "invalid policy OID '" + p + "'");
  }
  Engine& e = *engine_;
  Budget budget(opts.signature_budget);
  e.begin(opts, budget);
  BuildResult built = e.build(target, opts, TargetChecks::kYes, nullptr);

  VerifyResult r;
  r.paths_tried = budget.paths_tried();
  r.signature_checks = budget.signature_checks();
  if (built.best) {
    r.valid = built.valid;
    r.anchored = built.best->anchored;
    r.chain = std::move(built.best->reports);
    r.user_constrained_policy_set = std::move(built.best->policies);
  }
  // The search may have stopped before any path was complete (a mesh of same-named CAs): the
  // target alone is reported, with what stopped it.
  if (budget.exhausted() && !r.valid && r.chain.empty())
    r.chain.push_back(CertificateReport{target, Role::kTarget, {}});
  if (budget.exhausted() && !r.valid)
    r.chain.front().findings.push_back(
        Finding{Check::kTrustedCa, Outcome::kFail, FindingCode::kBudgetExceeded,
                "the search stopped at its budget, after " + std::to_string(r.paths_tried) + " path(s) and " +
                    std::to_string(r.signature_checks) + " signature checks"});
  if (!r.valid)
    for (const auto& c : r.chain)
      for (const auto& f : c.findings)
        if (f.outcome == Outcome::kFail && r.summary.empty())
          r.summary = std::string(to_string(f.code)) + ": " + f.message;
  return r;
}

}  // namespace pki::verify
