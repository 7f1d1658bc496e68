// Signature checks and what the verifier remembers of them (private to verify/). Within one
// verification every signature is checked once; across verifications by one Verifier, signatures
// on CA certificates, CRL signatures and CA key verdicts are kept, so that many leaves under one
// CA cost one signature check each (DESIGN.md, "Built for speed").
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "path.h"
#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/verify/algorithms.h"
#include "pki/verify/verifier.h"

namespace pki::verify {

// A key to check signatures with, and the certificate it is the key of. `owner` is null for a
// key derived along the path (a DSA key that inherits its parameters): such checks are not cached.
struct KeyRef {
  const EVP_PKEY* key = nullptr;
  const cert::Certificate* owner = nullptr;
};

struct CheckMemory::State {
  std::mutex mutex;  // held while a remembered signature is looked up or checked
  std::unordered_map<std::string, bool> ca_signatures;  // child and issuer fingerprints
  std::unordered_map<std::string, bool> crl_signatures;
  std::unordered_map<std::string, AlgorithmVerdict> ca_key_verdicts;  // by fingerprint and policy
};

class SignatureCache {
 public:
  explicit SignatureCache(CheckMemory& memory) : memory_(*memory.state_) {}

  // Starts a verification: signatures checked from here on count against `budget`.
  void begin(Budget& budget);

  // Whether `child`'s signature verifies with `key`; nullopt when the budget is spent.
  std::optional<bool> certificate(const cert::Certificate& child, KeyRef key);
  std::optional<bool> crl(const cert::Crl& crl, KeyRef key);
  // The key policy's verdict on a certificate's key; remembered for CA certificates.
  AlgorithmVerdict key_verdict(const cert::Certificate& c, AlgorithmPolicy policy);

 private:
  // Runs `check` (true when the signature verifies) if the budget allows one more; else nullopt.
  template <class Check>
  std::optional<bool> spend(Check check);
  // What `remembered` holds under `key`, or spend(check) remembered there.
  template <class Check>
  std::optional<bool> remember(std::unordered_map<std::string, bool>& remembered, const std::string& key,
                               Check check);

  Budget* budget_ = nullptr;
  std::unordered_map<std::string, bool> this_call_;  // child and issuer fingerprints
  CheckMemory::State& memory_;                       // across calls: CA certificates, CRLs, CA keys
};

}  // namespace pki::verify
