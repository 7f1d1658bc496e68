#include "revocation.h"

#include <algorithm>
#include <cctype>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/name_constraints.h"
#include "pki/core/time.h"
#include "pki/verify/algorithms.h"

namespace pki::verify {

namespace {

using cert::Certificate;
using cert::Crl;
using cert::CrlPtr;
using cert::GeneralName;
using cert::GeneralNameType;

// ReasonFlags bits 1 to 8 (RFC 5280 4.2.1.13): "all-reasons" of 6.3.3.
constexpr std::uint16_t kAllReasons = 0x1fe;

std::string when(TimePoint t) { return format_rfc3339(t); }

bool names_equal(const X509_NAME& a, const X509_NAME& b) { return X509_NAME_cmp(&a, &b) == 0; }

bool is_ca(const Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

// RFC 5280 6.3.3 (f): a CRL issuer's key must be allowed to sign CRLs, when keyUsage says.
bool may_sign_crls(const Certificate& c) {
  return !c.key_usage() || (*c.key_usage() & cert::key_usage::kCrlSign);
}

// A CRL without nextUpdate is unusable (Crl::parse), so never fresh here.
bool fresh(const Crl& crl, TimePoint at) {
  return crl.this_update() <= at && crl.next_update() && at <= *crl.next_update();
}

OsslPtr<X509_NAME> decode_name(const Bytes& der) {
  const unsigned char* p = der.data();
  return OsslPtr<X509_NAME>(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
}

// A URI compared as RFC 3986 6.2.2.1 allows: scheme and host are case-insensitive.
std::string uri_key(const std::string& uri) {
  std::string out = uri;
  const std::size_t scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  std::size_t host_end = out.find_first_of("/?#", scheme_end + 3);
  if (host_end == std::string::npos) host_end = out.size();
  for (std::size_t i = 0; i < host_end; ++i)
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return out;
}

// GeneralName equality for distribution point names: directory names under RFC 5280 7.1.
bool general_names_equal(const GeneralName& a, const GeneralName& b) {
  if (a.type != b.type) return false;
  if (a.type == GeneralNameType::kDirectory) {
    auto na = decode_name(a.bytes);
    auto nb = decode_name(b.bytes);
    return na && nb && names_equal(*na, *nb);
  }
  if (a.type == GeneralNameType::kDns) return cert::within_subtree(a, b) && cert::within_subtree(b, a);
  if (a.type == GeneralNameType::kUri) return uri_key(a.text) == uri_key(b.text);
  return a.text == b.text && a.bytes == b.bytes;
}

GeneralName directory_name(const X509_NAME& name) {
  GeneralName g{GeneralNameType::kDirectory, cert::format_dn(name), {}};
  if (auto der = cert::name_der(name)) g.bytes = std::move(*der);
  return g;
}

// A distribution point name as full names: nameRelativeToCRLIssuer is appended to `relative_to`.
std::vector<GeneralName> full_names(const std::optional<std::vector<GeneralName>>& full,
                                    const OsslPtr<X509_NAME>& relative, const X509_NAME& relative_to) {
  if (full) return *full;
  std::vector<GeneralName> out;
  if (relative) {
    OsslPtr<X509_NAME> name(X509_NAME_dup(&relative_to));
    for (int i = 0; i < X509_NAME_entry_count(relative.get()); ++i)
      X509_NAME_add_entry(name.get(), X509_NAME_get_entry(relative.get(), i), -1, i == 0 ? 0 : -1);
    out.push_back(directory_name(*name));
  }
  return out;
}

bool any_common(const std::vector<GeneralName>& a, const std::vector<GeneralName>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (general_names_equal(x, y)) return true;
  return false;
}

// Same scope for a complete CRL and a delta, or two complete CRLs (RFC 5280 5.2.4, 5.2.3): the
// issuer, the key that signed them (AKI) and the issuing distribution point.
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

// Newest first: CRL numbers order CRLs within a scope (5.2.3); thisUpdate breaks ties.
void newest_first(std::vector<CrlPtr>& pool) {
  std::stable_sort(pool.begin(), pool.end(), [](const CrlPtr& a, const CrlPtr& b) {
    if (a->crl_number() && b->crl_number()) {
      const int c = cert::compare_hex_numbers(*a->crl_number(), *b->crl_number());
      if (c != 0) return c > 0;
    }
    return a->this_update() > b->this_update();
  });
}

std::string crl_label(const Crl& crl) {
  return "CRL" + (crl.crl_number() ? " #" + *crl.crl_number() : std::string()) + " of " + crl.issuer_text();
}

}  // namespace

// A distribution point to check a certificate against (RFC 5280 6.3.3): one of the certificate's,
// or the default one (no reasons, no cRLIssuer, named after the certificate's issuer).
struct RevocationChecker::DistributionPoint {
  std::vector<GeneralName> names;  // full names; empty when absent
  std::optional<std::uint16_t> reasons;
  std::vector<GeneralName> crl_issuer;  // names in cRLIssuer
};

// One certificate's check in progress.
struct RevocationChecker::Call {
  const RevocationSubject& subject;
  TimePoint at;
  AlgorithmPolicy policy;
  std::uint16_t reasons_mask = 0;  // 6.3.2 (b): the reasons settled so far
  std::string last_problem;
  std::string used;
  std::optional<RevocationOutcome> revoked;
};

namespace {

using DistributionPoint = RevocationChecker::DistributionPoint;

// Does `crl` cover certificate `x` at distribution point `dp`? (6.3.3 (b)) `why` says why not,
// when it is worth telling.
bool in_scope(const Crl& crl, const Certificate& x, const DistributionPoint& dp, std::string& why) {
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
  if (!idp) return true;
  if (idp->full_name || idp->relative_name) {
    const auto idp_names = full_names(idp->full_name, idp->relative_name, crl.issuer());
    const bool ok =
        !dp.names.empty() ? any_common(idp_names, dp.names) : any_common(idp_names, dp.crl_issuer);
    if (!ok) {
      why = "the CRL's issuing distribution point does not match the certificate's";
      return false;
    }
  }
  if (idp->only_user_certs && is_ca(x))
    why = "the CRL covers only end-entity certificates";
  else if (idp->only_ca_certs && !is_ca(x))
    why = "the CRL covers only CA certificates";
  else if (idp->only_attribute_certs)
    why = "the CRL covers only attribute certificates";
  else
    return true;
  return false;
}

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
      if (n.type == GeneralNameType::kDirectory) {
        crl_issuer_dn = decode_name(n.bytes);
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
  out.push_back(std::move(def));
  return out;
}

}  // namespace

std::vector<CrlPtr> RevocationChecker::crls_for(const Certificate& x, const DistributionPoint& dp) const {
  std::vector<CrlPtr> pool;
  if (dp.crl_issuer.empty()) {
    crls_.by_issuer(x.issuer(), pool);
  } else {
    for (const auto& n : dp.crl_issuer) {
      if (n.type != GeneralNameType::kDirectory) continue;
      if (auto name = decode_name(n.bytes)) crls_.by_issuer(*name, pool);
    }
  }
  newest_first(pool);
  return pool;
}

// 6.3.3 (f), (g): the CRL issuer's key, with the CRL's signature checked. kIssuerKey: the key that
// signed the certificate, when its certificate names the CRL's issuer and may sign CRLs.
// kOtherKey: another certificate of the CRL's issuer whose own path reaches the same anchor.
std::optional<KeyRef> RevocationChecker::signer(const Crl& crl, SignerKind kind, Call& call,
                                                std::string& why) {
  const auto sv = judge_signature_algorithm(crl.signature_algorithm_identifier(), call.policy);
  if (sv.verdict == Verdict::kRefuse) {
    why = "its signature algorithm is refused: " + sv.detail;
    return std::nullopt;
  }
  if (kind == SignerKind::kOtherKey) return other_signer(crl, call, why);
  const Certificate* issuer = call.subject.issuer;
  if (!issuer || !names_equal(crl.issuer(), issuer->subject())) return std::nullopt;
  if (!may_sign_crls(*issuer)) {
    why = "its issuer's keyUsage lacks cRLSign";
    return std::nullopt;
  }
  const auto ok = signatures_.crl(crl, call.subject.issuer_key);
  if (ok && *ok) return call.subject.issuer_key;
  why =
      !ok ? "the signature check budget is spent" : "it is not signed by the key that signed the certificate";
  return std::nullopt;
}

std::optional<KeyRef> RevocationChecker::other_signer(const Crl& crl, Call& call, std::string& why) {
  const Certificate* issuer = call.subject.issuer;
  std::vector<cert::CertificatePtr> candidates;
  anchors_.by_subject(crl.issuer(), candidates);
  if (intermediates_) intermediates_->by_subject(crl.issuer(), candidates);
  // Those whose SKI is the CRL's AKI first (RFC 4158 3.5.12).
  if (const auto& aki = crl.authority_key_id()) {
    auto rank = [&](const cert::CertificatePtr& c) {
      return !c->subject_key_id() ? 1 : *c->subject_key_id() == *aki ? 0 : 2;
    };
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  }
  bool issuer_again = false;
  for (const auto& c : candidates) {
    // The issuer's own key was the first choice (kIssuerKey), which said why it did not sign.
    if (issuer && c->spki_der() == issuer->spki_der()) {
      issuer_again = true;
      continue;
    }
    const bool c_is_anchor = anchors_.contains(*c);
    if (c_is_anchor && c->fingerprint() != call.subject.anchor.fingerprint())
      continue;  // the same trust anchor only
    if (!may_sign_crls(*c)) {
      why = "the CRL issuer's keyUsage lacks cRLSign";
      continue;
    }
    if (!c_is_anchor && !issuer_paths_.valid_path(c, call.subject.anchor)) {
      why = "no valid path for the CRL issuer " + c->subject_text();
      continue;
    }
    const KeyRef key{c->public_key(), c.get()};
    const auto ok = signatures_.crl(crl, key);
    if (ok && *ok) return key;
    why = !ok ? "the signature check budget is spent" : "its signature does not verify";
  }
  if (why.empty() && !issuer_again) why = "no certificate for its issuer " + crl.issuer_text() + " was found";
  return std::nullopt;
}

// The freshest usable delta CRL for complete CRL `base` (RFC 5280 5.2.4), if any.
const Crl* RevocationChecker::find_delta(const Crl& base, KeyRef signer, TimePoint at,
                                         const std::vector<CrlPtr>& pool) {
  const Crl* best = nullptr;
  if (!base.crl_number()) return nullptr;
  for (const auto& d : pool) {
    if (!d->is_delta() || !d->crl_number() || !same_scope(base, *d)) continue;
    if (d->unusable_reason() || !fresh(*d, at)) continue;
    if (cert::compare_hex_numbers(*d->delta_base(), *base.crl_number()) > 0) continue;  // base too old for it
    if (cert::compare_hex_numbers(*d->crl_number(), *base.crl_number()) <= 0) continue;
    const auto ok = signatures_.crl(*d, signer);
    if (!ok || !*ok) continue;
    if (!best || cert::compare_hex_numbers(*d->crl_number(), *best->crl_number()) > 0) best = d.get();
  }
  return best;
}

// Consults the complete CRLs of `pool` for distribution point `dp`, with signers of one kind, the
// newest of each scope first. True when one of them, in scope and correctly signed, spoke for the
// certificate: then CRLs signed by other keys do not count.
bool RevocationChecker::consult(const DistributionPoint& dp, const std::vector<CrlPtr>& pool, SignerKind kind,
                                Call& call) {
  const Certificate& x = call.subject.certificate;
  bool spoke = false;
  std::vector<const Crl*> decided;
  for (const auto& crl_ptr : pool) {
    const Crl& crl = *crl_ptr;
    if (crl.is_delta()) continue;  // deltas are applied to their complete CRL
    // The newest CRL of each scope decides: an older one, though still current, may predate a
    // revocation (replaying it must not un-revoke) or a lifted hold.
    if (std::any_of(decided.begin(), decided.end(), [&](const Crl* d) { return same_scope(*d, crl); }))
      continue;
    std::string why;
    if (!in_scope(crl, x, dp, why)) {
      if (!why.empty()) call.last_problem = why;
      continue;
    }
    if (crl.unusable_reason()) {
      call.last_problem = "the CRL of " + crl.issuer_text() + " cannot be used: " + *crl.unusable_reason();
      continue;
    }
    if (crl.this_update() > call.at) {
      call.last_problem =
          "the CRL of " + crl.issuer_text() + " is not valid until " + when(crl.this_update());
      continue;
    }
    // (c), (d): the reasons this CRL can settle.
    std::uint16_t interim = kAllReasons;
    if (crl.issuing_distribution_point() && crl.issuing_distribution_point()->only_some_reasons)
      interim &= *crl.issuing_distribution_point()->only_some_reasons;
    if (dp.reasons) interim &= *dp.reasons;
    if ((interim & ~call.reasons_mask) == 0) continue;
    const auto key = signer(crl, kind, call, why);
    if (!key) {
      if (!why.empty()) call.last_problem = "the CRL of " + crl.issuer_text() + " cannot be used: " + why;
      continue;
    }
    spoke = true;
    decided.push_back(&crl);  // correctly signed: older CRLs of this scope no longer count
    // (a): a CRL past its nextUpdate is current only with a current delta CRL.
    const Crl* delta = find_delta(crl, *key, call.at, pool);
    if (!fresh(crl, call.at) && !delta) {
      call.last_problem = "the CRL of " + crl.issuer_text() + " expired on " + when(*crl.next_update()) +
                          " (checked at " + when(call.at) + ")";
      continue;
    }
    // (h), (i), (j): the delta first, then the complete CRL; removeFromCRL means not revoked.
    std::optional<cert::CrlEntry> entry;
    const Crl* listed_on = nullptr;
    if (delta && (entry = delta->find(x))) listed_on = delta;
    if (!entry && (entry = crl.find(x))) listed_on = &crl;
    if (entry && entry->reason != cert::CrlReason::kRemoveFromCrl) {
      const std::string reason(cert::to_string(entry->reason.value_or(cert::CrlReason::kUnspecified)));
      call.revoked =
          RevocationOutcome{RevocationStatus::kRevoked,
                            "revoked on " + when(entry->revocation_date) + " (" + reason + "), listed on " +
                                (listed_on->is_delta() ? "delta " : "") + crl_label(*listed_on)};
      return true;
    }
    call.reasons_mask |= interim;
    call.used = crl_label(crl) + (delta ? " and its delta" : "") +
                (crl.next_update() ? ", next update " + when(*crl.next_update()) : std::string());
    if (call.reasons_mask == kAllReasons) break;
  }
  return spoke;
}

RevocationOutcome RevocationChecker::check(const RevocationSubject& subject, TimePoint at,
                                           AlgorithmPolicy policy) {
  const Certificate& x = subject.certificate;
  Call call{subject, at, policy, 0, {}, {}, std::nullopt};
  for (const auto& dp : distribution_points(x)) {
    const std::vector<CrlPtr> pool = crls_for(x, dp);
    // CRL numbers order CRLs within one scope only, and the key that signed the certificate is
    // part of that scope (RFC 5280 5.2.3, 5.2.1): the CRLs of the certificate's issuer key speak
    // for it. Another key of the CRL issuer (a separate CRL-signing key, the new key after a
    // rollover, an indirect CRL issuer) counts only when none of those covers this point, and
    // only with its own valid path to the same anchor (6.3.3 (f)) - as PKITS 4.4.19 and 4.5.4
    // need, and as OpenSSL ranks CRLs by their signer.
    if (!consult(dp, pool, SignerKind::kIssuerKey, call) && !call.revoked)
      consult(dp, pool, SignerKind::kOtherKey, call);
    if (call.revoked) return *call.revoked;
    if (call.reasons_mask == kAllReasons) break;
  }
  if (call.reasons_mask == kAllReasons) return {RevocationStatus::kGood, "not revoked: " + call.used};
  if (call.reasons_mask != 0)
    return {RevocationStatus::kUnknown,
            "the CRLs found cover only some revocation reasons (" + call.used + ")"};
  return {RevocationStatus::kUnknown,
          call.last_problem.empty() ? "no CRL from " + x.issuer_text() + " was given" : call.last_problem};
}

}  // namespace pki::verify
