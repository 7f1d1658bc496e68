#include "signature_cache.h"

namespace pki::verify {

namespace {

bool is_ca(const cert::Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

}  // namespace

CheckMemory::CheckMemory() : state_(std::make_unique<State>()) {}
CheckMemory::~CheckMemory() = default;

void SignatureCache::begin(Budget& budget) {
  budget_ = &budget;
  this_call_.clear();
}

template <class Check>
std::optional<bool> SignatureCache::remember(std::unordered_map<std::string, bool>& remembered,
                                             const std::string& key, Check check) {
  // Held while checking too: Verifiers sharing the memory check each signature once between them.
  std::lock_guard lock(memory_.mutex);
  if (auto it = remembered.find(key); it != remembered.end()) return it->second;
  const auto ok = spend(check);
  if (ok) remembered[key] = *ok;
  return ok;
}

template <class Check>
std::optional<bool> SignatureCache::spend(Check check) {
  if (!budget_->spend_signature()) return std::nullopt;
  return check();
}

std::optional<bool> SignatureCache::certificate(const cert::Certificate& child, KeyRef key) {
  if (!key.key) return false;
  auto check = [&] { return child.signature_verifies(*key.key); };
  if (!key.owner) return spend(check);  // a key derived along the path: not remembered
  const std::string cache_key = child.fingerprint() + key.owner->fingerprint();
  if (auto it = this_call_.find(cache_key); it != this_call_.end()) return it->second;
  const auto ok = is_ca(child) ? remember(memory_.ca_signatures, cache_key, check) : spend(check);
  if (ok) this_call_[cache_key] = *ok;
  return ok;
}

std::optional<bool> SignatureCache::crl(const cert::Crl& crl, KeyRef key) {
  if (!key.key) return false;
  auto check = [&] {
    const bool ok = crl.signature_verifies(*key.key);
    drain_openssl_errors();
    return ok;
  };
  if (!key.owner) return spend(check);
  return remember(memory_.crl_signatures, crl.fingerprint() + key.owner->fingerprint(), check);
}

AlgorithmVerdict SignatureCache::key_verdict(const cert::Certificate& c, AlgorithmPolicy policy) {
  const EVP_PKEY* k = c.public_key();
  if (!k) return {Verdict::kRefuse, FindingCode::kWeakKey, "the public key cannot be decoded"};
  if (!is_ca(c)) return judge_key(*k, policy);
  const std::string cache_key =
      c.fingerprint() + (policy == AlgorithmPolicy::kLegacy ? "/legacy" : "/modern");
  std::lock_guard lock(memory_.mutex);
  if (auto it = memory_.ca_key_verdicts.find(cache_key); it != memory_.ca_key_verdicts.end())
    return it->second;
  return memory_.ca_key_verdicts[cache_key] = judge_key(*k, policy);
}

}  // namespace pki::verify
