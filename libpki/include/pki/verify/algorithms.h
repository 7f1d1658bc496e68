// The algorithm and key policy, asked as a delegate rather than written into path validation
// (as BoringSSL's VerifyCertificateChainDelegate does). DESIGN.md, "Verification".
#pragma once

#include <string>

#include <openssl/evp.h>

#include "pki/verify/options.h"

namespace pki::verify {

enum class Verdict { kAccept, kWarn, kRefuse };

struct AlgorithmVerdict {
  Verdict verdict = Verdict::kAccept;
  std::string code;    // "weak-algorithm", "weak-key", or "ok"
  std::string detail;  // for people
};

// A signature algorithm by OpenSSL NID (certificate or CRL signatureAlgorithm).
AlgorithmVerdict judge_signature_algorithm(int nid, AlgorithmPolicy policy);
// A public key below the trust anchor (signing certificates or CRLs, or a target's key).
AlgorithmVerdict judge_key(const EVP_PKEY& key, AlgorithmPolicy policy);

}  // namespace pki::verify
