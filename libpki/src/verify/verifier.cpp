#include "pki/verify/verifier.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/name_constraints.h"
#include "pki/cert/oids.h"
#include "pki/core/time.h"
#include "pki/verify/algorithms.h"
#include "pki/verify/hostname.h"
#include "pki/verify/policy_tree.h"

namespace pki::verify {

namespace {

using cert::Certificate;
using cert::CertificatePtr;
using cert::Crl;
using cert::CrlPtr;

// ReasonFlags bits 1 to 8 (RFC 5280 4.2.1.13): "all-reasons" of 6.3.3.
constexpr std::uint16_t kAllReasons = 0x1fe;
// Path search budget beside the signature budget: candidate extensions tried, and complete paths
// validated in full. Many certificates with one name (cross-signing, rollovers, or a hostile pile)
// make the search factorial; rustls-webpki bounds it with 200,000 build calls, and each of our
// calls is cheaper while each complete path costs a full validation, hence the two limits.
constexpr int kMaxSearchCalls = 10'000;
constexpr int kMaxPathsValidated = 50;
// CRL issuers whose own paths are validated inside another validation (separate CRL keys,
// indirect CRLs): three levels cover every PKITS case and keep a hostile CRL graph bounded.
constexpr int kMaxSignerDepth = 3;

std::string when(TimePoint t) { return format_rfc3339(t); }

bool names_equal(const X509_NAME& a, const X509_NAME& b) { return X509_NAME_cmp(&a, &b) == 0; }

// A candidate path: the target first; the last certificate is a trust anchor when `anchored`.
struct Path {
  std::vector<CertificatePtr> certs;
  bool anchored = false;
  std::string dead_end;      // why the search stopped here, for unanchored paths
  bool cut_by_depth = false;  // stopped by the depth limit, not for want of an issuer
};

struct Validation {
  std::vector<CertificateReport> reports;
  int failures = 0;
  bool anchored = false;
  std::vector<std::string> policies;
  bool valid() const { return anchored && failures == 0; }
};

// What a validation is for: the user's target, or a CRL issuer's certificate.
struct Mode {
  VerifyOptions options;
  bool leaf_checks = true;                      // purpose and host name of the target
  int signer_depth = 0;
  const Certificate* required_anchor = nullptr; // CRL issuers chain to the target's anchor (6.3.3 (f))
};

enum class Status { kGood, kRevoked, kUnknown };
struct RevocationOutcome {
  Status status = Status::kUnknown;
  std::string message;
};

// Orders candidate issuers: those whose SKI equals the child's AKI first, those without either
// next, mismatches last (RFC 4158 section 3.5.12).
void order_by_key_id(const std::optional<Bytes>& wanted, std::vector<CertificatePtr>& candidates) {
  if (!wanted) return;
  auto rank = [&](const CertificatePtr& c) {
    if (!c->subject_key_id()) return 1;
    return *c->subject_key_id() == *wanted ? 0 : 2;
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const CertificatePtr& a, const CertificatePtr& b) { return rank(a) < rank(b); });
}

std::optional<Bytes> aki_of(const Certificate& c) {
  if (c.authority_key_id() && c.authority_key_id()->key_id) return c.authority_key_id()->key_id;
  return std::nullopt;
}

// RFC 3279 2.3.2: a DSA key without parameters takes them from its issuer's key.
bool dsa_without_parameters(const Certificate& c) {
  X509_ALGOR* alg = nullptr;
  if (!X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, X509_get_X509_PUBKEY(&c.x509()))) return false;
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  X509_ALGOR_get0(&oid, &ptype, nullptr, alg);
  return OBJ_obj2nid(oid) == NID_dsa && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL);
}

OsslPtr<EVP_PKEY> inherit_dsa_parameters(const Certificate& c, const EVP_PKEY& from) {
  const unsigned char* pk = nullptr;
  int pklen = 0;
  if (!X509_PUBKEY_get0_param(nullptr, &pk, &pklen, nullptr, X509_get_X509_PUBKEY(&c.x509()))) return nullptr;
  OsslPtr<ASN1_INTEGER> yi(d2i_ASN1_INTEGER(nullptr, &pk, pklen));
  if (!yi) return nullptr;
  OsslPtr<BIGNUM> y(ASN1_INTEGER_to_BN(yi.get(), nullptr));
  BIGNUM *p = nullptr, *q = nullptr, *g = nullptr;
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_P, &p);
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_Q, &q);
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_G, &g);
  OsslPtr<BIGNUM> pp(p), qq(q), gg(g);
  if (!y || !p || !q || !g) return nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, q);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y.get());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    key = nullptr;
  OSSL_PARAM_free(params);
  drain_openssl_errors();
  return OsslPtr<EVP_PKEY>(key);
}

bool is_dsa(const EVP_PKEY* k) { return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_DSA; }

bool is_ca(const Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

bool fresh(const Crl& crl, TimePoint at) {
  return crl.this_update() <= at && (!crl.next_update() || at <= *crl.next_update());
}

// A URI compared as RFC 3986 6.2.2.1 allows: scheme and host are case-insensitive.
std::string uri_key(const std::string& uri) {
  std::string out = uri;
  const std::size_t scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  std::size_t host_end = out.find_first_of("/?#", scheme_end + 3);
  if (host_end == std::string::npos) host_end = out.size();
  for (std::size_t i = 0; i < host_end; ++i) out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return out;
}

// GeneralName equality for distribution point names: directory names under RFC 5280 7.1.
bool general_names_equal(const cert::GeneralName& a, const cert::GeneralName& b) {
  if (a.type != b.type) return false;
  if (a.type == cert::GeneralNameType::kDirectory) {
    const unsigned char* pa = a.bytes.data();
    const unsigned char* pb = b.bytes.data();
    OsslPtr<X509_NAME> na(d2i_X509_NAME(nullptr, &pa, static_cast<long>(a.bytes.size())));
    OsslPtr<X509_NAME> nb(d2i_X509_NAME(nullptr, &pb, static_cast<long>(b.bytes.size())));
    return na && nb && names_equal(*na, *nb);
  }
  if (a.type == cert::GeneralNameType::kDns) return cert::within_subtree(a, b) && cert::within_subtree(b, a);
  if (a.type == cert::GeneralNameType::kUri) return uri_key(a.text) == uri_key(b.text);
  return a.text == b.text && a.bytes == b.bytes;
}

cert::GeneralName directory_name(const X509_NAME& name) {
  cert::GeneralName g{cert::GeneralNameType::kDirectory, cert::format_dn(name), {}};
  if (auto der = cert::name_der(name)) g.bytes = std::move(*der);
  return g;
}

// A distribution point name as full names: nameRelativeToCRLIssuer is appended to `relative_to`.
std::vector<cert::GeneralName> full_names(const std::optional<std::vector<cert::GeneralName>>& full,
                                          const OsslPtr<X509_NAME>& relative, const X509_NAME& relative_to) {
  if (full) return *full;
  std::vector<cert::GeneralName> out;
  if (relative) {
    OsslPtr<X509_NAME> name(X509_NAME_dup(&relative_to));
    for (int i = 0; i < X509_NAME_entry_count(relative.get()); ++i)
      X509_NAME_add_entry(name.get(), X509_NAME_get_entry(relative.get(), i), -1, i == 0 ? 0 : -1);
    out.push_back(directory_name(*name));
  }
  return out;
}

bool any_common(const std::vector<cert::GeneralName>& a, const std::vector<cert::GeneralName>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (general_names_equal(x, y)) return true;
  return false;
}

// A distribution point to check a certificate against (RFC 5280 6.3.3): one of the certificate's,
// or the default one (no reasons, no cRLIssuer, named after the certificate's issuer).
struct DistributionPoint {
  std::vector<cert::GeneralName> names;  // full names; empty when absent
  std::optional<std::uint16_t> reasons;
  std::vector<cert::GeneralName> crl_issuer;  // names in cRLIssuer
  bool is_default = false;
};

std::vector<DistributionPoint> distribution_points(const Certificate& c) {
  std::vector<DistributionPoint> out;
  for (const auto& dp : c.crl_distribution_points()) {
    DistributionPoint d;
    d.reasons = dp.reasons;
    d.crl_issuer = dp.crl_issuer;
    // A relative name is relative to the CRL issuer: the cRLIssuer when present, else the
    // certificate's issuer.
    const X509_NAME* base = &c.issuer();
    OsslPtr<X509_NAME> crl_issuer_dn;
    for (const auto& n : dp.crl_issuer)
      if (n.type == cert::GeneralNameType::kDirectory) {
        const unsigned char* p = n.bytes.data();
        crl_issuer_dn.reset(d2i_X509_NAME(nullptr, &p, static_cast<long>(n.bytes.size())));
        if (crl_issuer_dn) base = crl_issuer_dn.get();
        break;
      }
    d.names = full_names(dp.full_name, dp.relative_name, *base);
    out.push_back(std::move(d));
  }
  // "If the revocation status has not been determined, repeat the process above with any available
  // CRLs not specified in a distribution point but issued by the certificate issuer" (6.3.3).
  DistributionPoint def;
  def.names.push_back(directory_name(c.issuer()));
  def.is_default = true;
  out.push_back(std::move(def));
  return out;
}

// Same scope for a complete CRL and a delta (RFC 5280 5.2.4): issuer, IDP and AKI.
bool same_scope(const Crl& a, const Crl& b) {
  if (!names_equal(a.issuer(), b.issuer())) return false;
  if (a.authority_key_id() != b.authority_key_id()) return false;
  const auto& x = a.issuing_distribution_point();
  const auto& y = b.issuing_distribution_point();
  if (x.has_value() != y.has_value()) return false;
  if (!x) return true;
  if (x->only_user_certs != y->only_user_certs || x->only_ca_certs != y->only_ca_certs ||
      x->only_attribute_certs != y->only_attribute_certs || x->indirect != y->indirect ||
      x->only_some_reasons != y->only_some_reasons)
    return false;
  const auto nx = full_names(x->full_name, x->relative_name, a.issuer());
  const auto ny = full_names(y->full_name, y->relative_name, b.issuer());
  if (nx.size() != ny.size()) return false;
  for (std::size_t i = 0; i < nx.size(); ++i)
    if (!general_names_equal(nx[i], ny[i])) return false;
  return true;
}

}  // namespace

struct Verifier::Engine {
  Inputs in;
  // Across calls: signatures on CA certificates (keyed by child and issuer fingerprints) and
  // CRL signatures (keyed by CRL and signer). A leaf's signature is always checked.
  std::unordered_map<std::string, bool> ca_signatures;
  std::unordered_map<std::string, bool> crl_signatures;
  std::unordered_map<std::string, AlgorithmVerdict> ca_key_verdicts;  // by fingerprint and policy

  // Per call.
  std::unordered_map<std::string, bool> call_signatures;
  std::map<std::pair<std::string, std::string>, bool> signer_paths;  // (signer, anchor) -> validated
  std::vector<std::string> signer_stack;
  int signature_checks = 0;
  int paths_tried = 0;
  int search_calls = 0;
  int budget = 0;
  bool budget_exhausted = false;
  int assumptions = 0;  // CRL-issuer validations that trusted an issuer still being validated

  explicit Engine(Inputs i) : in(i) {}

  void reset_call(const VerifyOptions& o) {
    call_signatures.clear();
    signer_paths.clear();
    signer_stack.clear();
    signature_checks = 0;
    paths_tried = 0;
    search_calls = 0;
    assumptions = 0;
    budget = o.signature_budget;
    budget_exhausted = false;
  }

  bool spend() {
    if (signature_checks >= budget) {
      budget_exhausted = true;
      return false;
    }
    ++signature_checks;
    return true;
  }

  // Verifies `child`'s signature with `key`; `issuer` names the key's certificate for caching
  // (null when the key was derived, as with inherited DSA parameters: not cached).
  std::optional<bool> check_signature(const Certificate& child, const EVP_PKEY* key, const Certificate* issuer) {
    if (!key) return false;
    std::string cache_key;
    if (issuer) {
      cache_key = child.fingerprint() + issuer->fingerprint();
      if (auto it = call_signatures.find(cache_key); it != call_signatures.end()) return it->second;
      if (is_ca(child))
        if (auto it = ca_signatures.find(cache_key); it != ca_signatures.end()) return it->second;
    }
    if (!spend()) return std::nullopt;
    const bool ok = X509_verify(child.x509_mutable(), const_cast<EVP_PKEY*>(key)) == 1;
    drain_openssl_errors();
    if (issuer) {
      call_signatures[cache_key] = ok;
      if (is_ca(child)) ca_signatures[cache_key] = ok;
    }
    return ok;
  }

  // `signer_id` names the key's certificate for caching; empty for a derived key (not cached).
  std::optional<bool> check_crl_signature(const Crl& crl, const EVP_PKEY* key, const std::string& signer_id) {
    if (!key) return false;
    const std::string cache_key = crl.fingerprint() + signer_id;
    if (!signer_id.empty())
      if (auto it = crl_signatures.find(cache_key); it != crl_signatures.end()) return it->second;
    if (!spend()) return std::nullopt;
    const bool ok = X509_CRL_verify(crl.x509_mutable(), const_cast<EVP_PKEY*>(key)) == 1;
    drain_openssl_errors();
    if (!signer_id.empty()) crl_signatures[cache_key] = ok;
    return ok;
  }

  // The key policy's verdict on a certificate's key; remembered for CA certificates, as their
  // signatures are.
  AlgorithmVerdict key_verdict(const Certificate& c, AlgorithmPolicy policy) {
    const EVP_PKEY* k = c.public_key();
    if (!k) return {Verdict::kRefuse, "weak-key", "the public key cannot be decoded"};
    if (!is_ca(c)) return judge_key(*k, policy);
    const std::string cache_key = c.fingerprint() + (policy == AlgorithmPolicy::kLegacy ? "/legacy" : "/modern");
    if (auto it = ca_key_verdicts.find(cache_key); it != ca_key_verdicts.end()) return it->second;
    return ca_key_verdicts[cache_key] = judge_key(*k, policy);
  }

  bool in_path(const Path& path, const Certificate& c) const {
    for (const auto& p : path.certs) {
      if (p->fingerprint() == c.fingerprint()) return true;
      // The same name and key again is a loop through cross-certificates.
      if (names_equal(p->subject(), c.subject()) && p->spki_der() == c.spki_der()) return true;
    }
    return false;
  }

  // ---- Path search -------------------------------------------------------------------------

  struct Search {
    const Mode* mode = nullptr;
    std::optional<Validation> best;
    Path best_path;
    bool done = false;
  };

  static bool has_failure(const Validation& v, std::string_view code) {
    for (const auto& r : v.reports)
      for (const auto& f : r.findings)
        if (f.outcome == Outcome::kFail && f.code == code) return true;
    return false;
  }

  // The most useful failing path: one that reaches an anchor, then the fewest failures. But a
  // path whose signatures all verify, cut short only by the depth limit, says more than one that
  // reaches an anchor through a certificate whose signature does not verify.
  static bool better(const Validation& a, const Path& pa, const Validation& b, const Path& pb) {
    auto cut_but_sound = [](const Validation& v, const Path& p) {
      return !v.anchored && p.cut_by_depth && !has_failure(v, "bad-signature");
    };
    const bool a_cut = cut_but_sound(a, pa), b_cut = cut_but_sound(b, pb);
    if (a_cut && !b_cut && has_failure(b, "bad-signature")) return true;
    if (b_cut && !a_cut && has_failure(a, "bad-signature")) return false;
    if (a.anchored != b.anchored) return a.anchored;
    if (a.failures != b.failures) return a.failures < b.failures;
    return pa.certs.size() > pb.certs.size();
  }

  void evaluate(Path& path, Search& s) {
    if (paths_tried >= kMaxPathsValidated) {
      budget_exhausted = true;
      return;
    }
    ++paths_tried;
    Validation v = validate(path, *s.mode);
    if (v.valid()) {
      s.best = std::move(v);
      s.best_path = path;
      s.done = true;
      return;
    }
    if (!s.best || better(v, path, *s.best, s.best_path)) {
      s.best = std::move(v);
      s.best_path = path;
    }
  }

  void search(Path& path, Search& s) {
    if (++search_calls > kMaxSearchCalls) {
      budget_exhausted = true;
      return;
    }
    const Certificate& cur = *path.certs.back();
    const auto aki = aki_of(cur);
    bool explored = false;

    std::vector<CertificatePtr> anchors;
    in.anchors->by_subject(cur.issuer(), anchors);
    order_by_key_id(aki, anchors);
    for (const auto& a : anchors) {
      if (s.mode->required_anchor && a->fingerprint() != s.mode->required_anchor->fingerprint()) continue;
      if (in_path(path, *a)) continue;
      explored = true;
      path.certs.push_back(a);
      path.anchored = true;
      evaluate(path, s);
      path.certs.pop_back();
      path.anchored = false;
      if (s.done || budget_exhausted) return;
    }

    std::vector<CertificatePtr> candidates;
    if (in.intermediates) in.intermediates->by_subject(cur.issuer(), candidates);
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const CertificatePtr& c) { return in_path(path, *c) || in.anchors->contains(*c); }),
                     candidates.end());
    order_by_key_id(aki, candidates);
    // --max-depth counts intermediates as pathLenConstraint does (RFC 5280 4.2.1.9): self-issued
    // ones (key rollover) are not counted. The search budgets still bound them.
    const int intermediates_so_far = static_cast<int>(
        std::count_if(path.certs.begin() + 1, path.certs.end(), [](const CertificatePtr& c) { return !c->self_issued(); }));
    const bool had_candidates = !candidates.empty();
    // Every certificate still counts against a hard cap, so that a bundle of self-issued
    // certificates cannot stretch one path without end.
    const std::size_t hard_cap = 2 * static_cast<std::size_t>(s.mode->options.max_depth) + 1;
    if (path.certs.size() - 1 >= hard_cap)
      candidates.clear();
    else if (intermediates_so_far >= s.mode->options.max_depth)
      candidates.erase(std::remove_if(candidates.begin(), candidates.end(), [](const CertificatePtr& c) { return !c->self_issued(); }),
                       candidates.end());
    if (had_candidates && candidates.empty()) {
      if (!explored) {
        path.dead_end = "the path would need more than " + std::to_string(s.mode->options.max_depth) +
                        " intermediates (--max-depth)";
        path.cut_by_depth = true;
        evaluate(path, s);
        path.dead_end.clear();
        path.cut_by_depth = false;
      }
      return;
    }
    // Candidates whose signature on `cur` verifies go first; the others only after.
    std::vector<CertificatePtr> good, doubtful;
    for (const auto& c : candidates) {
      if (dsa_without_parameters(*c)) {  // its key needs its issuer's parameters: judged on a full path
        good.push_back(c);
        continue;
      }
      const auto ok = check_signature(cur, c->public_key(), c.get());
      if (!ok) return;  // budget exhausted
      (*ok ? good : doubtful).push_back(c);
    }
    for (auto* group : {&good, &doubtful}) {
      for (const auto& c : *group) {
        explored = true;
        path.certs.push_back(c);
        search(path, s);
        path.certs.pop_back();
        if (s.done || budget_exhausted) return;
      }
    }
    if (!explored) {
      path.dead_end = cur.self_issued() ? cur.subject_text() + " is self-issued and not a trust anchor"
                                        : "no trust anchor or intermediate is named " + cert::format_dn(cur.issuer());
      evaluate(path, s);
      path.dead_end.clear();
    }
  }

  // ---- RFC 5280 6.1 on one path ----------------------------------------------------------

  Validation validate(const Path& path, const Mode& mode) {
    const VerifyOptions& o = mode.options;
    const auto& certs = path.certs;
    const int total = static_cast<int>(certs.size());
    const int n = path.anchored ? total - 1 : total;
    const Certificate* anchor = path.anchored ? certs.back().get() : nullptr;

    Validation v;
    v.anchored = path.anchored;
    v.reports.resize(static_cast<std::size_t>(total));
    for (int p = 0; p < total; ++p) {
      auto& r = v.reports[static_cast<std::size_t>(p)];
      r.certificate = certs[static_cast<std::size_t>(p)];
      r.role = (p == 0) ? (n == 0 ? Role::kTargetAnchor : Role::kTarget)
                        : (anchor && p == total - 1 ? Role::kTrustAnchor : Role::kIntermediate);
    }
    auto add = [&](int p, Check c, Outcome out, std::string code, std::string msg) {
      v.reports[static_cast<std::size_t>(p)].findings.push_back(Finding{c, out, std::move(code), std::move(msg)});
      if (out == Outcome::kFail) ++v.failures;
    };
    auto pass = [&](int p, Check c, std::string msg) { add(p, c, Outcome::kPass, "ok", std::move(msg)); };

    auto check_validity = [&](int p, const Certificate& x, bool warn_only) {
      const Outcome bad = warn_only ? Outcome::kWarn : Outcome::kFail;
      if (o.at < x.not_before())
        add(p, Check::kValidity, bad, warn_only ? "anchor-not-yet-valid" : "not-yet-valid",
            "not valid until " + when(x.not_before()) + " (checked at " + when(o.at) + ")");
      else if (o.at > x.not_after())
        add(p, Check::kValidity, bad, warn_only ? "anchor-expired" : "expired",
            "expired on " + when(x.not_after()) + " (checked at " + when(o.at) + ")");
      else
        pass(p, Check::kValidity, "valid from " + when(x.not_before()) + " to " + when(x.not_after()));
    };

    // The trust anchor: a name and a key. Its own fields are reported, not enforced.
    if (anchor && n > 0) {
      const int p = total - 1;
      pass(p, Check::kTrustedCa, "trust anchor");
      // An anchor's oddities are warnings, except where they would lift a constraint it imposes:
      // a name constraints extension that is malformed or repeated cannot be applied as meant.
      for (const auto& problem : anchor->problems()) {
        const bool constraining = problem.find("nameConstraints") != std::string::npos;
        add(p, Check::kExtensions, constraining ? Outcome::kFail : Outcome::kWarn, "malformed", "trust anchor: " + problem);
      }
      check_validity(p, *anchor, true);
      // The anchor's own fields do not constrain the path (RFC 5280 6.1.1 (d), DESIGN.md), but the
      // report says where they would have objected.
      if (!is_ca(*anchor)) add(p, Check::kBasicConstraints, Outcome::kWarn, "anchor-not-a-ca", "the trust anchor is not marked as a CA");
      if (const auto& bc = anchor->basic_constraints(); bc && bc->path_len && n - 1 > *bc->path_len)
        add(p, Check::kPathLength, Outcome::kWarn, "anchor-path-length",
            "the path has more intermediates than the anchor's pathLenConstraint " + std::to_string(*bc->path_len));
      if (anchor->key_usage() && !(*anchor->key_usage() & cert::key_usage::kKeyCertSign))
        add(p, Check::kKeyUsage, Outcome::kWarn, "anchor-key-usage", "the trust anchor's keyUsage lacks keyCertSign");
      if (o.purpose != Purpose::kAny && anchor->extended_key_usage()) {
        const std::string_view want = o.purpose == Purpose::kServer ? oid::kServerAuth : oid::kClientAuth;
        const auto& eku = *anchor->extended_key_usage();
        if (std::find(eku.begin(), eku.end(), want) == eku.end() &&
            std::find(eku.begin(), eku.end(), oid::kAnyExtendedKeyUsage) == eku.end())
          add(p, Check::kExtendedKeyUsage, Outcome::kWarn, "anchor-eku", "the trust anchor's extendedKeyUsage does not list the purpose");
      }
      // A critical extension pki does not understand may constrain what the anchor vouches for
      // (RFC 5280 4.2: such a certificate MUST be rejected); unlike the fields above, it fails.
      for (const auto& e : anchor->extensions())
        if (e.critical && !e.understood)
          add(p, Check::kExtensions, Outcome::kFail, "unknown-critical-extension",
              "the trust anchor's critical extension " + e.oid + " is not understood");
      if (const auto kv = key_verdict(*anchor, o.algorithms); kv.verdict != Verdict::kAccept)
        add(p, Check::kAlgorithm, Outcome::kWarn, kv.code, "trust anchor key: " + kv.detail);
    }

    // 6.1.2 initialisation.
    std::vector<std::pair<const cert::NameConstraints*, std::string>> constraints;
    if (anchor && anchor->name_constraints()) constraints.emplace_back(&*anchor->name_constraints(), anchor->subject_text());
    PolicyTree tree;
    int explicit_policy = o.initial_explicit_policy ? 0 : n + 1;
    int inhibit_any = o.initial_any_policy_inhibit ? 0 : n + 1;
    int policy_mapping = o.initial_policy_mapping_inhibit ? 0 : n + 1;
    int max_path_length = n;
    const X509_NAME* working_issuer_name = anchor ? &anchor->subject() : nullptr;
    const Certificate* working_cert = anchor;  // whose key is the working key
    const EVP_PKEY* working_key = anchor ? anchor->public_key() : nullptr;
    std::vector<OsslPtr<EVP_PKEY>> derived_keys;  // inherited-parameter DSA keys
    bool working_key_derived = false;
    bool policy_failed = false;

    auto fail_policy = [&](int p, std::string msg) {
      if (policy_failed) return;
      policy_failed = true;
      add(p, Check::kPolicy, Outcome::kFail, "policy", std::move(msg));
    };

    if (n == 0 && anchor) {
      // The target is itself a trust anchor: it is judged as a target, without a signature.
      pass(0, Check::kTrustedCa, "the target is a trust anchor");
      check_validity(0, *anchor, false);
    }

    for (int i = 1; i <= n; ++i) {
      const int p = n - i;
      const Certificate& x = *certs[static_cast<std::size_t>(p)];
      const bool last = i == n;
      const bool issuer_known = p + 1 < total;
      const Certificate* issuer = issuer_known ? certs[static_cast<std::size_t>(p) + 1].get() : nullptr;

      for (const auto& problem : x.problems()) add(p, Check::kExtensions, Outcome::kFail, "malformed", problem);
      if (x.version() < 3 && !x.extensions().empty())
        add(p, Check::kExtensions, Outcome::kFail, "malformed", "a version " + std::to_string(x.version()) + " certificate with extensions");

      // 6.1.3 (a)(4) and the trust check.
      if (!issuer_known) {
        add(p, Check::kTrustedCa, Outcome::kFail, path.cut_by_depth ? "path-too-long" : "unknown-issuer",
            path.dead_end.empty() ? "no trusted issuer found" : path.dead_end);
      } else if (!names_equal(x.issuer(), *working_issuer_name)) {
        add(p, Check::kTrustedCa, Outcome::kFail, "name-chaining",
            "its issuer " + x.issuer_text() + " is not the subject of the next certificate");
      } else {
        pass(p, Check::kTrustedCa, std::string("issued by ") + (issuer == anchor ? "trust anchor " : "") + issuer->subject_text());
      }

      // 6.1.3 (a)(1): the signature, with the working public key.
      if (issuer_known) {
        if (!x.signature_algorithms_match()) {
          add(p, Check::kSignature, Outcome::kFail, "signature-algorithm-mismatch",
              "signatureAlgorithm differs from the TBS signature field (RFC 5280 4.1.1.2)");
        } else {
          const auto ok = check_signature(x, working_key, working_key_derived ? nullptr : working_cert);
          if (!ok) add(p, Check::kSignature, Outcome::kFail, "budget-exceeded", "the signature check budget is spent");
          else if (*ok) pass(p, Check::kSignature, x.signature_algorithm() + " by " + issuer->subject_text());
          else add(p, Check::kSignature, Outcome::kFail, "bad-signature", "the signature does not verify with the key of " + issuer->subject_text());
        }
      } else {
        add(p, Check::kSignature, Outcome::kSkip, "no-issuer", "no issuer key to check it with");
      }

      // Algorithm and key policy (the delegate).
      {
        const auto sv = judge_signature_algorithm(x.signature_algorithm_identifier(), o.algorithms);
        std::optional<AlgorithmVerdict> kv;
        if (!dsa_without_parameters(x)) kv = key_verdict(x, o.algorithms);
        const AlgorithmVerdict* verdicts[] = {&sv, kv ? &*kv : nullptr};
        for (const AlgorithmVerdict* av : verdicts) {
          if (!av) continue;
          if (av->verdict == Verdict::kRefuse) add(p, Check::kAlgorithm, Outcome::kFail, av->code, av->detail);
          else if (av->verdict == Verdict::kWarn) add(p, Check::kAlgorithm, Outcome::kWarn, av->code, av->detail);
        }
        if (sv.verdict == Verdict::kAccept && (!kv || kv->verdict == Verdict::kAccept))
          pass(p, Check::kAlgorithm, sv.detail + (kv ? ", " + kv->detail : ""));
      }

      // 6.1.3 (a)(2).
      check_validity(p, x, false);

      // 6.1.3 (a)(3): revocation, with the issuer's (working) key.
      if (in.crls && !in.crls->empty()) {
        if (!anchor) {
          add(p, Check::kRevocation, Outcome::kSkip, "no-trusted-path", "not checked: the path does not reach a trust anchor");
        } else {
          const auto r = revocation(x, issuer, working_key, working_key_derived ? nullptr : working_cert, *anchor, mode);
          if (r.status == Status::kGood) pass(p, Check::kRevocation, r.message);
          else if (r.status == Status::kRevoked) add(p, Check::kRevocation, Outcome::kFail, "revoked", r.message);
          else add(p, Check::kRevocation, o.unknown_revocation == UnknownRevocation::kAllow ? Outcome::kWarn : Outcome::kFail,
                   "revocation-unknown", r.message);
        }
      } else {
        add(p, Check::kRevocation, Outcome::kSkip, "not-checked", "not checked: no CRLs given");
      }

      // 6.1.3 (b), (c): name constraints, except on self-issued intermediates.
      if (!constraints.empty()) {
        if (x.self_issued() && !last) {
          add(p, Check::kName, Outcome::kSkip, "self-issued", "a self-issued intermediate is not subject to name constraints");
        } else {
          const auto names = cert::constrained_names(x, true);
          bool ok = true;
          for (const auto& [nc, owner] : constraints) {
            if (auto viol = cert::check(*nc, names)) {
              add(p, Check::kName, Outcome::kFail, "name-constraint-violation", cert::describe(*viol) + " of " + owner);
              ok = false;
              break;
            }
          }
          if (ok) pass(p, Check::kName, "within the name constraints of " + std::to_string(constraints.size()) + " CA(s)");
        }
      }

      // 6.1.3 (d), (e), (f): certificate policies.
      if (x.policies() && !tree.null()) {
        tree.process_policies(i, *x.policies(), inhibit_any > 0 || (!last && x.self_issued()));
        if (tree.exhausted()) fail_policy(p, "the policy tree grew too large");
      } else if (!x.policies()) {
        tree.make_null();
      }
      if (explicit_policy <= 0 && tree.null())
        fail_policy(p, "no valid policy, and an explicit policy is required (RFC 5280 6.1.3 (f))");

      if (!last) {
        // 6.1.4 preparation for certificate i+1.
        if (const auto& maps = x.policy_mappings()) {
          bool any = false;
          for (const auto& m : *maps)
            if (m.issuer_domain == oid::kAnyPolicy || m.subject_domain == oid::kAnyPolicy) any = true;
          if (any) fail_policy(p, "policyMappings maps anyPolicy (RFC 5280 6.1.4 (a))");
          else tree.process_mappings(i, *maps, policy_mapping > 0);
        }
        working_issuer_name = &x.subject();
        if (dsa_without_parameters(x) && is_dsa(working_key)) {
          derived_keys.push_back(inherit_dsa_parameters(x, *working_key));
          working_key = derived_keys.back().get();
          working_key_derived = true;
        } else {
          working_key = x.public_key();
          working_key_derived = false;
        }
        working_cert = &x;
        if (x.name_constraints()) constraints.emplace_back(&*x.name_constraints(), x.subject_text());
        if (!x.self_issued()) {
          if (explicit_policy > 0) --explicit_policy;
          if (policy_mapping > 0) --policy_mapping;
          if (inhibit_any > 0) --inhibit_any;
        }
        if (const auto& pc = x.policy_constraints()) {
          if (pc->require_explicit_policy && *pc->require_explicit_policy < explicit_policy)
            explicit_policy = static_cast<int>(*pc->require_explicit_policy);
          if (pc->inhibit_policy_mapping && *pc->inhibit_policy_mapping < policy_mapping)
            policy_mapping = static_cast<int>(*pc->inhibit_policy_mapping);
        }
        if (x.inhibit_any_policy() && *x.inhibit_any_policy() < inhibit_any) inhibit_any = static_cast<int>(*x.inhibit_any_policy());

        // (k) a CA.
        if (!is_ca(x)) add(p, Check::kBasicConstraints, Outcome::kFail, "not-a-ca",
                           x.basic_constraints() ? "basicConstraints cA is FALSE" : "no basicConstraints: not a CA");
        else pass(p, Check::kBasicConstraints, "CA");
        // (l), (m) path length.
        bool length_ok = true;
        if (!x.self_issued()) {
          if (max_path_length <= 0) {
            add(p, Check::kPathLength, Outcome::kFail, "path-length-exceeded", "more CA certificates follow than a pathLenConstraint above allows");
            length_ok = false;
          } else {
            --max_path_length;
          }
        }
        if (x.basic_constraints() && x.basic_constraints()->path_len && *x.basic_constraints()->path_len < max_path_length)
          max_path_length = static_cast<int>(*x.basic_constraints()->path_len);
        if (length_ok) pass(p, Check::kPathLength, "within the path length constraints");
        // (n) keyCertSign.
        if (x.key_usage() && !(*x.key_usage() & cert::key_usage::kKeyCertSign))
          add(p, Check::kKeyUsage, Outcome::kFail, "key-usage", "keyUsage lacks keyCertSign");
        else
          pass(p, Check::kKeyUsage, x.key_usage() ? "keyCertSign" : "no keyUsage extension");
        // An intermediate's EKU, when present, bounds the purpose.
        check_eku(p, x, o.purpose, /*ca=*/true, add, pass);
      } else {
        // 6.1.5 wrap-up.
        if (explicit_policy > 0) --explicit_policy;
        if (x.policy_constraints() && x.policy_constraints()->require_explicit_policy &&
            *x.policy_constraints()->require_explicit_policy == 0)
          explicit_policy = 0;
        std::set<std::string> user(o.initial_policy_set.begin(), o.initial_policy_set.end());
        tree.intersect(n, user);
        if (tree.exhausted()) fail_policy(p, "the policy tree grew too large");
        if (explicit_policy <= 0 && tree.null())
          fail_policy(p, "no valid policy, and an explicit policy is required (RFC 5280 6.1.5 (g))");
        if (!policy_failed) {
          v.policies = tree.null() ? std::vector<std::string>{} : tree.constrained_policies(n);
          pass(p, Check::kPolicy,
               v.policies.empty() ? std::string("no policy required") : "valid policies: " + [&] {
                 std::string s;
                 for (const auto& pol : v.policies) s += (s.empty() ? "" : ", ") + pol;
                 return s;
               }());
        }
      }

      // (o) and 6.1.5 (f): critical extensions pki does not understand.
      bool unknown = false;
      for (const auto& e : x.extensions())
        if (e.critical && !e.understood) {
          add(p, Check::kExtensions, Outcome::kFail, "unknown-critical-extension", "critical extension " + e.oid + " is not understood");
          unknown = true;
        }
      if (!unknown && x.problems().empty()) pass(p, Check::kExtensions, "every critical extension is understood");
    }

    // The target's purpose and name (a TLS client checks the server's; a server checks the client's).
    if (mode.leaf_checks && total > 0 && (n > 0 || anchor)) {
      const Certificate& t = *certs[0];
      check_eku(0, t, o.purpose, /*ca=*/false, add, pass);
      check_leaf_key_usage(0, t, o.purpose, add, pass);
      check_name(0, t, o, add, pass);
    }

    for (auto& r : v.reports)
      std::stable_sort(r.findings.begin(), r.findings.end(),
                       [](const Finding& a, const Finding& b) { return a.check < b.check; });
    return v;
  }

  template <class Add, class Pass>
  static void check_eku(int p, const Certificate& x, Purpose purpose, bool ca, Add& add, Pass& pass) {
    if (purpose == Purpose::kAny) return;
    const std::string_view want = purpose == Purpose::kServer ? oid::kServerAuth : oid::kClientAuth;
    const char* want_name = purpose == Purpose::kServer ? "serverAuth" : "clientAuth";
    if (!x.extended_key_usage()) {
      if (!ca) pass(p, Check::kExtendedKeyUsage, "no extendedKeyUsage: any purpose");
      return;
    }
    for (const auto& e : *x.extended_key_usage())
      if (e == want || e == oid::kAnyExtendedKeyUsage) {
        pass(p, Check::kExtendedKeyUsage, std::string(want_name) + (e == want ? "" : " (anyExtendedKeyUsage)"));
        return;
      }
    add(p, Check::kExtendedKeyUsage, Outcome::kFail, "eku-mismatch",
        std::string("extendedKeyUsage does not allow ") + want_name + (ca ? " below this CA" : ""));
  }

  template <class Add, class Pass>
  static void check_leaf_key_usage(int p, const Certificate& x, Purpose purpose, Add& add, Pass& pass) {
    if (purpose == Purpose::kAny || !x.key_usage()) return;
    namespace ku = cert::key_usage;
    // What TLS needs of the key: a signature (ECDHE), key encipherment (RSA key exchange) or key
    // agreement (static DH) for a server; a signature or key agreement for a client. The same
    // bits OpenSSL's purpose checks accept.
    const std::uint16_t need = purpose == Purpose::kServer ? (ku::kDigitalSignature | ku::kKeyEncipherment | ku::kKeyAgreement)
                                                           : (ku::kDigitalSignature | ku::kKeyAgreement);
    if (*x.key_usage() & need) pass(p, Check::kKeyUsage, "keyUsage allows TLS " + std::string(purpose == Purpose::kServer ? "server" : "client") + " use");
    else add(p, Check::kKeyUsage, Outcome::kFail, "key-usage", "keyUsage allows no TLS use of the key");
  }

  template <class Add, class Pass>
  static void check_name(int p, const Certificate& x, const VerifyOptions& o, Add& add, Pass& pass) {
    if (o.ip) {
      if (auto m = match_ip(x, *o.ip)) pass(p, Check::kName, cert::to_string(cert::GeneralName{cert::GeneralNameType::kIp, {}, *o.ip}) + " matches " + *m);
      else add(p, Check::kName, Outcome::kFail, "ip-mismatch",
               "no subjectAltName is IP " + cert::ip_to_string(*o.ip));
    } else if (o.host) {
      if (auto m = match_host(x, *o.host)) pass(p, Check::kName, *o.host + " matches " + *m);
      else add(p, Check::kName, Outcome::kFail, "hostname-mismatch",
               "no subjectAltName matches " + *o.host + (x.subject_alt_names() ? "" : " (the certificate has no subjectAltName; the CN is not used)"));
    }
  }

  // ---- RFC 5280 6.3: revocation from CRLs --------------------------------------------------

  // Does `crl` cover certificate `x` at distribution point `dp`? (6.3.3 (b))
  static bool in_scope(const Crl& crl, const Certificate& x, const DistributionPoint& dp, std::string& why) {
    const auto& idp = crl.issuing_distribution_point();
    if (!dp.crl_issuer.empty()) {
      bool match = false;
      for (const auto& n : dp.crl_issuer)
        if (general_names_equal(n, directory_name(crl.issuer()))) match = true;
      if (!match) return false;
      if (!idp || !idp->indirect) {
        why = "the CRL of " + crl.issuer_text() + " is not marked indirect";
        return false;
      }
    } else if (!names_equal(crl.issuer(), x.issuer())) {
      return false;
    }
    if (idp) {
      if (idp->full_name || idp->relative_name) {
        const auto idp_names = full_names(idp->full_name, idp->relative_name, crl.issuer());
        const bool ok = !dp.names.empty() ? any_common(idp_names, dp.names) : any_common(idp_names, dp.crl_issuer);
        if (!ok) {
          why = "the CRL's issuing distribution point does not match the certificate's";
          return false;
        }
      }
      if (idp->only_user_certs && is_ca(x)) {
        why = "the CRL covers only end-entity certificates";
        return false;
      }
      if (idp->only_ca_certs && !is_ca(x)) {
        why = "the CRL covers only CA certificates";
        return false;
      }
      if (idp->only_attribute_certs) {
        why = "the CRL covers only attribute certificates";
        return false;
      }
    }
    return true;
  }

  // 6.3.3 (f), (g): finds the CRL issuer's key and checks the CRL's signature with it. The
  // certificate's own issuer comes first when it is the CRL issuer; otherwise a certificate named
  // as the CRL issuer whose own path reaches the same trust anchor.
  struct Signer {
    const EVP_PKEY* key = nullptr;
    std::string id;
  };
  std::optional<Signer> crl_signer(const Crl& crl, const Certificate* issuer, const EVP_PKEY* issuer_key,
                                   const Certificate* issuer_for_cache, const Certificate& anchor, const Mode& mode,
                                   std::string& why) {
    const auto sv = judge_signature_algorithm(crl.signature_algorithm_identifier(), mode.options.algorithms);
    if (sv.verdict == Verdict::kRefuse) {
      why = "its signature algorithm is refused: " + sv.detail;
      return std::nullopt;
    }
    auto try_key = [&](const EVP_PKEY* key, const std::string& id) -> std::optional<Signer> {
      const auto ok = check_crl_signature(crl, key, id);
      if (ok && *ok) return Signer{key, id};
      if (!ok) why = "the signature check budget is spent";
      else why = "its signature does not verify";
      return std::nullopt;
    };
    auto crl_sign_ok = [](const Certificate& c) {
      return !c.key_usage() || (*c.key_usage() & cert::key_usage::kCrlSign);
    };
    // RFC 5280 6.3.3 (f): cRLSign, when keyUsage is present, for any CRL issuer (an anchor too).
    if (issuer && names_equal(crl.issuer(), issuer->subject())) {
      if (!crl_sign_ok(*issuer)) {
        why = "its issuer's keyUsage lacks cRLSign";
      } else if (auto s = try_key(issuer_key, issuer_for_cache ? issuer_for_cache->fingerprint() : std::string())) {
        return s;
      }
    }
    std::vector<CertificatePtr> candidates;
    in.anchors->by_subject(crl.issuer(), candidates);
    if (in.intermediates) in.intermediates->by_subject(crl.issuer(), candidates);
    order_by_key_id(crl.authority_key_id(), candidates);
    for (const auto& c : candidates) {
      if (issuer && c->fingerprint() == issuer->fingerprint()) continue;
      const bool c_is_anchor = in.anchors->contains(*c);
      if (c_is_anchor && c->fingerprint() != anchor.fingerprint()) continue;  // the same trust anchor only
      if (!crl_sign_ok(*c)) {
        why = "the CRL issuer's keyUsage lacks cRLSign";
        continue;
      }
      if (!c_is_anchor) {
        if (!signer_path_valid(c, anchor, mode)) {
          why = "no valid path for the CRL issuer " + c->subject_text();
          continue;
        }
      }
      if (auto s = try_key(c->public_key(), c->fingerprint())) return s;
    }
    if (why.empty()) why = "no certificate for its issuer " + crl.issuer_text() + " was found";
    return std::nullopt;
  }

  bool signer_path_valid(const CertificatePtr& signer, const Certificate& anchor, const Mode& mode) {
    const auto key = std::make_pair(signer->fingerprint(), anchor.fingerprint());
    if (auto it = signer_paths.find(key); it != signer_paths.end()) return it->second;
    // A CRL issuer already being validated further up: its path is established by that
    // validation (the cycle of a CRL signer covered by its own CRL).
    if (std::find(signer_stack.begin(), signer_stack.end(), signer->fingerprint()) != signer_stack.end()) {
      ++assumptions;
      return true;
    }
    if (mode.signer_depth >= kMaxSignerDepth) return false;
    Mode m;
    m.options = mode.options;
    m.options.purpose = Purpose::kAny;
    m.options.host.reset();
    m.options.ip.reset();
    m.options.initial_policy_set.clear();
    m.options.initial_explicit_policy = false;
    m.options.initial_policy_mapping_inhibit = false;
    m.options.initial_any_policy_inhibit = false;
    m.leaf_checks = false;
    m.signer_depth = mode.signer_depth + 1;
    m.required_anchor = &anchor;
    const int assumptions_before = assumptions;
    signer_stack.push_back(signer->fingerprint());
    Search s;
    s.mode = &m;
    Path path;
    path.certs.push_back(signer);
    search(path, s);
    signer_stack.pop_back();
    const bool ok = s.done;
    // A result that leaned on an issuer still being validated holds only inside that validation.
    if (assumptions == assumptions_before) signer_paths[key] = ok;
    return ok;
  }

  // The freshest usable delta CRL for complete CRL `base` (RFC 5280 5.2.4), if any.
  const Crl* find_delta(const Crl& base, const Signer& signer, TimePoint at, std::vector<CrlPtr>& pool) {
    const Crl* best = nullptr;
    if (!base.crl_number()) return nullptr;
    for (const auto& d : pool) {
      if (!d->is_delta() || !d->crl_number() || !same_scope(base, *d)) continue;
      if (d->unusable_reason() || !fresh(*d, at)) continue;
      if (cert::compare_hex_numbers(*d->delta_base(), *base.crl_number()) > 0) continue;  // base too old for it
      if (cert::compare_hex_numbers(*d->crl_number(), *base.crl_number()) <= 0) continue;
      const auto ok = check_crl_signature(*d, signer.key, signer.id);
      if (!ok || !*ok) continue;
      if (!best || cert::compare_hex_numbers(*d->crl_number(), *best->crl_number()) > 0) best = d.get();
    }
    return best;
  }

  RevocationOutcome revocation(const Certificate& x, const Certificate* issuer, const EVP_PKEY* issuer_key,
                               const Certificate* issuer_for_cache, const Certificate& anchor, const Mode& mode) {
    const TimePoint at = mode.options.at;
    std::uint16_t reasons_mask = 0;
    std::string last_problem;
    std::string used;
    for (const auto& dp : distribution_points(x)) {
      std::vector<CrlPtr> pool;
      if (dp.crl_issuer.empty()) {
        in.crls->by_issuer(x.issuer(), pool);
      } else {
        for (const auto& n : dp.crl_issuer) {
          if (n.type != cert::GeneralNameType::kDirectory) continue;
          const unsigned char* pn = n.bytes.data();
          OsslPtr<X509_NAME> name(d2i_X509_NAME(nullptr, &pn, static_cast<long>(n.bytes.size())));
          if (name) in.crls->by_issuer(*name, pool);
        }
      }
      // The newest CRL of each scope decides: an older one, though still current, may predate a
      // revocation (replaying it must not un-revoke) or a lifted hold.
      std::stable_sort(pool.begin(), pool.end(), [](const CrlPtr& a, const CrlPtr& b) {
        if (a->crl_number() && b->crl_number()) {
          const int c = cert::compare_hex_numbers(*a->crl_number(), *b->crl_number());
          if (c != 0) return c > 0;
        }
        return a->this_update() > b->this_update();
      });
      std::vector<const Crl*> decided;
      for (const auto& crl_ptr : pool) {
        const Crl& crl = *crl_ptr;
        if (crl.is_delta()) continue;  // deltas are applied to their complete CRL
        if (std::any_of(decided.begin(), decided.end(), [&](const Crl* d) { return same_scope(*d, crl); })) continue;
        std::string why;
        if (!in_scope(crl, x, dp, why)) {
          if (!why.empty()) last_problem = why;
          continue;
        }
        if (crl.unusable_reason()) {
          last_problem = "the CRL of " + crl.issuer_text() + " cannot be used: " + *crl.unusable_reason();
          continue;
        }
        if (crl.this_update() > at) {
          last_problem = "the CRL of " + crl.issuer_text() + " is not valid until " + when(crl.this_update());
          continue;
        }
        // (c), (d): the reasons this CRL can settle.
        std::uint16_t interim = kAllReasons;
        if (crl.issuing_distribution_point() && crl.issuing_distribution_point()->only_some_reasons)
          interim &= *crl.issuing_distribution_point()->only_some_reasons;
        if (dp.reasons) interim &= *dp.reasons;
        if ((interim & ~reasons_mask) == 0) continue;
        auto signer = crl_signer(crl, issuer, issuer_key, issuer_for_cache, anchor, mode, why);
        if (!signer) {
          last_problem = "the CRL of " + crl.issuer_text() + " cannot be used: " + why;
          continue;
        }
        decided.push_back(&crl);  // correctly signed: older CRLs of this scope no longer count
        // (a): a CRL past its nextUpdate is current only with a current delta CRL.
        const Crl* delta = find_delta(crl, *signer, at, pool);
        if (!fresh(crl, at) && !delta) {
          last_problem = "the CRL of " + crl.issuer_text() + " expired on " + when(*crl.next_update()) + " (checked at " + when(at) + ")";
          continue;
        }
        // (h), (i), (j): the delta first, then the complete CRL; removeFromCRL means not revoked.
        const cert::CrlEntry* entry = nullptr;
        const Crl* listed_on = nullptr;
        if (delta && (entry = delta->find(x))) listed_on = delta;
        if (!entry && (entry = crl.find(x))) listed_on = &crl;
        const bool removed = entry && entry->reason == cert::CrlReason::kRemoveFromCrl;
        if (entry && !removed) {
          const std::string reason(cert::to_string(entry->reason.value_or(cert::CrlReason::kUnspecified)));
          return {Status::kRevoked, "revoked on " + when(entry->revocation_date) + " (" + reason + "), listed on " +
                                        (listed_on->is_delta() ? "delta " : "") + "CRL" +
                                        (listed_on->crl_number() ? " #" + *listed_on->crl_number() : "") + " of " +
                                        crl.issuer_text()};
        }
        reasons_mask |= interim;
        used = "CRL" + (crl.crl_number() ? " #" + *crl.crl_number() : std::string()) + (delta ? " and its delta" : "") +
               " of " + crl.issuer_text() +
               (crl.next_update() ? ", next update " + when(*crl.next_update()) : std::string());
        if (reasons_mask == kAllReasons) break;
      }
      if (reasons_mask == kAllReasons) break;
    }
    if (reasons_mask == kAllReasons) return {Status::kGood, "not revoked: " + used};
    if (reasons_mask != 0)
      return {Status::kUnknown, "the CRLs found cover only some revocation reasons (" + used + ")"};
    return {Status::kUnknown, last_problem.empty() ? "no CRL from " + x.issuer_text() + " was given" : last_problem};
  }
};

Verifier::Verifier(Inputs inputs) : engine_(std::make_unique<Engine>(inputs)) {}
Verifier::~Verifier() = default;

Result<VerifyResult> Verifier::verify(const CertificatePtr& target, const VerifyOptions& options) {
  if (!engine_->in.anchors) return fail(ErrorCode::kBadInput, "no trust anchors given");
  if (options.max_depth < 0) return fail(ErrorCode::kBadInput, "--max-depth must be 0 or more");
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
  for (const auto& p : opts.initial_policy_set) {
    auto bytes = OsslPtr<ASN1_OBJECT>(OBJ_txt2obj(p.c_str(), 1));
    if (!bytes) return fail(ErrorCode::kBadInput, "invalid policy OID '" + p + "'");
  }
  Engine& e = *engine_;
  e.reset_call(opts);
  Mode mode;
  mode.options = opts;

  Engine::Search s;
  s.mode = &mode;
  Path path;
  path.certs.push_back(target);
  if (e.in.anchors->contains(*target)) {
    path.anchored = true;
    e.evaluate(path, s);
  } else {
    e.search(path, s);
  }

  VerifyResult r;
  r.paths_tried = e.paths_tried;
  r.signature_checks = e.signature_checks;
  if (s.best) {
    r.valid = s.best->valid();
    r.anchored = s.best->anchored;
    r.chain = std::move(s.best->reports);
    r.user_constrained_policy_set = std::move(s.best->policies);
  }
  if (e.budget_exhausted && !r.valid && !r.chain.empty())
    r.chain.front().findings.push_back(Finding{Check::kTrustedCa, Outcome::kFail, "budget-exceeded",
                                               "the search stopped at its budget, after " + std::to_string(e.paths_tried) +
                                                   " path(s) and " + std::to_string(e.signature_checks) + " signature checks"});
  if (!r.valid)
    for (const auto& c : r.chain)
      for (const auto& f : c.findings)
        if (f.outcome == Outcome::kFail && r.summary.empty()) r.summary = f.code + ": " + f.message;
  return r;
}

}  // namespace pki::verify
