// The algorithm and key policy, asked as a delegate rather than written into path validation
// (as BoringSSL's VerifyCertificateChainDelegate does). DESIGN.md, "Verification".
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "pki/verify/options.h"
#include "pki/verify/result.h"

namespace pki::verify {

enum class Verdict { kAccept, kWarn, kRefuse };

struct AlgorithmVerdict {
  Verdict verdict = Verdict::kAccept;
  FindingCode code = FindingCode::kOk;  // kWeakAlgorithm, kWeakKey, or kOk
  std::string detail;                   // for people
};

// A signature algorithm (a certificate's or CRL's signatureAlgorithm), with its parameters: RSA-PSS
// must use SHA-256, -384 or -512, MGF1 with the same hash, and a salt as long as the hash (the
// profile of RFC 8446 4.2.3 and BoringSSL).
AlgorithmVerdict judge_signature_algorithm(const X509_ALGOR& algorithm, AlgorithmPolicy policy);
// A public key below the trust anchor (signing certificates or CRLs, or a target's key).
AlgorithmVerdict judge_key(const EVP_PKEY& key, AlgorithmPolicy policy);

}  // namespace pki::verify
