#include "signature_cache.h"

namespace pki::verify {

namespace {

bool is_ca(const cert::Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

}  // namespace

void SignatureCache::begin(Budget& budget) {
  budget_ = &budget;
  this_call_.clear();
}

std::optional<bool> SignatureCache::certificate(const cert::Certificate& child, KeyRef key) {
  if (!key.key) return false;
  std::string cache_key;
  if (key.owner) {
    cache_key = child.fingerprint() + key.owner->fingerprint();
    if (auto it = this_call_.find(cache_key); it != this_call_.end()) return it->second;
    if (is_ca(child))
      if (auto it = ca_signatures_.find(cache_key); it != ca_signatures_.end()) return it->second;
  }
  if (!budget_->spend_signature()) return std::nullopt;
  const bool ok = X509_verify(child.x509_mutable(), const_cast<EVP_PKEY*>(key.key)) == 1;
  drain_openssl_errors();
  if (key.owner) {
    this_call_[cache_key] = ok;
    if (is_ca(child)) ca_signatures_[cache_key] = ok;
  }
  return ok;
}

std::optional<bool> SignatureCache::crl(const cert::Crl& crl, KeyRef key) {
  if (!key.key) return false;
  const std::string cache_key = key.owner ? crl.fingerprint() + key.owner->fingerprint() : std::string();
  if (key.owner)
    if (auto it = crl_signatures_.find(cache_key); it != crl_signatures_.end()) return it->second;
  if (!budget_->spend_signature()) return std::nullopt;
  const bool ok = crl.signature_verifies(*key.key);
  drain_openssl_errors();
  if (key.owner) crl_signatures_[cache_key] = ok;
  return ok;
}

AlgorithmVerdict SignatureCache::key_verdict(const cert::Certificate& c, AlgorithmPolicy policy) {
  const EVP_PKEY* k = c.public_key();
  if (!k) return {Verdict::kRefuse, FindingCode::kWeakKey, "the public key cannot be decoded"};
  if (!is_ca(c)) return judge_key(*k, policy);
  const std::string cache_key =
      c.fingerprint() + (policy == AlgorithmPolicy::kLegacy ? "/legacy" : "/modern");
  if (auto it = ca_key_verdicts_.find(cache_key); it != ca_key_verdicts_.end()) return it->second;
  return ca_key_verdicts_[cache_key] = judge_key(*k, policy);
}

}  // namespace pki::verify
