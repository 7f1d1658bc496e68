#include "pki/verify/algorithms.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "pki/keys/keys.h"

namespace pki::verify {

namespace {

AlgorithmVerdict judge_pss(const X509_ALGOR& alg) {
  const AlgorithmVerdict refused{Verdict::kRefuse, FindingCode::kWeakAlgorithm,
                                 "RSA-PSS parameters outside the accepted profile"};
  // Absent parameters would mean SHA-1 throughout (RFC 4055 3.1).
  if (!alg.parameter || alg.parameter->type != V_ASN1_SEQUENCE) return refused;
  RSA_PSS_PARAMS* pss =
      static_cast<RSA_PSS_PARAMS*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg.parameter));
  if (!pss) return refused;
  AlgorithmVerdict out = refused;
  const int hash = pss->hashAlgorithm ? OBJ_obj2nid(pss->hashAlgorithm->algorithm) : NID_sha1;
  const int salt = pss->saltLength ? static_cast<int>(ASN1_INTEGER_get(pss->saltLength)) : 20;
  int mgf_hash = NID_sha1;
  bool mgf_ok = !pss->maskGenAlgorithm;  // absent: MGF1 with SHA-1, refused below with the hash
  if (pss->maskGenAlgorithm && OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) == NID_mgf1 &&
      pss->maskGenAlgorithm->parameter && pss->maskGenAlgorithm->parameter->type == V_ASN1_SEQUENCE) {
    X509_ALGOR* mh = static_cast<X509_ALGOR*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), pss->maskGenAlgorithm->parameter));
    if (mh) {
      mgf_hash = OBJ_obj2nid(mh->algorithm);
      mgf_ok = true;
      X509_ALGOR_free(mh);
    }
  }
  const int hash_len = hash == NID_sha256 ? 32 : hash == NID_sha384 ? 48 : hash == NID_sha512 ? 64 : 0;
  const bool trailer_ok = !pss->trailerField || ASN1_INTEGER_get(pss->trailerField) == 1;
  if (hash_len && mgf_ok && mgf_hash == hash && salt == hash_len && trailer_ok)
    out = {Verdict::kAccept, FindingCode::kOk, std::string("rsassaPss with ") + OBJ_nid2sn(hash)};
  RSA_PSS_PARAMS_free(pss);
  return out;
}

}  // namespace

AlgorithmVerdict judge_signature_algorithm(const X509_ALGOR& algorithm, AlgorithmPolicy policy) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, &algorithm);
  const int nid = OBJ_obj2nid(obj);
  if (nid == NID_rsassaPss) return judge_pss(algorithm);
  const char* name = nid != NID_undef ? OBJ_nid2ln(nid) : "unknown";
  int md = NID_undef, pkey = NID_undef;
  if (nid == NID_undef || !OBJ_find_sigid_algs(nid, &md, &pkey))
    return {Verdict::kRefuse, FindingCode::kWeakAlgorithm,
            std::string("unknown signature algorithm ") + name};
  // ECDSA and EdDSA identifiers have no parameters, not even NULL (RFC 5758 3.2, RFC 8410 3):
  // another encoding of one algorithm is refused, not read past.
  const void* parameter = nullptr;
  int parameter_type = V_ASN1_UNDEF;
  X509_ALGOR_get0(nullptr, &parameter_type, &parameter, &algorithm);
  if ((pkey == NID_ED25519 || pkey == NID_ED448 || pkey == NID_X9_62_id_ecPublicKey) &&
      parameter_type != V_ASN1_UNDEF)
    return {Verdict::kRefuse, FindingCode::kMalformed,
            std::string(name) + " with parameters (RFC 5758 3.2, RFC 8410 3: they are absent)"};
  if (pkey == NID_ED25519 || pkey == NID_ED448) return {Verdict::kAccept, FindingCode::kOk, name};
  switch (md) {
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
    case NID_sha224:
      break;
    case NID_sha1:
      // SHA-1 signatures are forgeable (SHAttered, 2017; chosen-prefix collisions, 2020).
      if (policy == AlgorithmPolicy::kLegacy)
        return {Verdict::kWarn, FindingCode::kWeakAlgorithm,
                std::string(name) + " (SHA-1, accepted by the legacy algorithm policy)"};
      return {
          Verdict::kRefuse, FindingCode::kWeakAlgorithm,
          std::string(name) + ": SHA-1 signatures are refused (the legacy algorithm policy accepts them)"};
    default:
      // MD2, MD4, MD5 and anything else: never.
      return {Verdict::kRefuse, FindingCode::kWeakAlgorithm, std::string(name) + " is refused"};
  }
  if (pkey == NID_dsa || pkey == NID_dsaWithSHA1) {
    if (policy == AlgorithmPolicy::kLegacy)
      return {Verdict::kWarn, FindingCode::kWeakAlgorithm,
              std::string(name) + " (DSA, accepted by the legacy algorithm policy)"};
    return {Verdict::kRefuse, FindingCode::kWeakAlgorithm,
            std::string(name) + ": DSA is refused (the legacy algorithm policy accepts it)"};
  }
  return {Verdict::kAccept, FindingCode::kOk, name};
}

AlgorithmVerdict judge_key(const EVP_PKEY& key, AlgorithmPolicy policy) {
  if (auto sound = keys::check_public_key(key); !sound)
    return {Verdict::kRefuse, FindingCode::kWeakKey, sound.error().message};
  const int id = EVP_PKEY_get_base_id(&key);
  const int bits = EVP_PKEY_get_bits(&key);
  switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      // NIST SP 800-131A Rev. 2: RSA under 2048 bits is disallowed for signatures; under 1024 is
      // factorable in practice.
      if (bits < 1024)
        return {Verdict::kRefuse, FindingCode::kWeakKey, "RSA " + std::to_string(bits) + " bits is too weak"};
      if (bits < 2048)
        return {Verdict::kWarn, FindingCode::kWeakKey, "RSA " + std::to_string(bits) + " bits (below 2048)"};
      return {Verdict::kAccept, FindingCode::kOk, "RSA " + std::to_string(bits)};
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t len = 0;
      if (!EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len))
        return {Verdict::kRefuse, FindingCode::kWeakKey, "EC key with explicit or unknown curve parameters"};
      const std::string g(group, len);
      if (g == "prime256v1" || g == "secp384r1" || g == "secp521r1")
        return {Verdict::kAccept, FindingCode::kOk,
                std::string("EC ") + (g == "prime256v1"  ? "P-256"
                                      : g == "secp384r1" ? "P-384"
                                                         : "P-521")};
      return {Verdict::kRefuse, FindingCode::kWeakKey,
              "EC curve " + g + " is not accepted (P-256, P-384, P-521)"};
    }
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return {Verdict::kAccept, FindingCode::kOk, id == EVP_PKEY_ED25519 ? "Ed25519" : "Ed448"};
    case EVP_PKEY_DSA:
      if (policy != AlgorithmPolicy::kLegacy)
        return {Verdict::kRefuse, FindingCode::kWeakKey,
                "DSA keys are refused (the legacy algorithm policy accepts them)"};
      if (bits < 1024)
        return {Verdict::kRefuse, FindingCode::kWeakKey, "DSA " + std::to_string(bits) + " bits is too weak"};
      return {Verdict::kWarn, FindingCode::kWeakKey,
              "DSA " + std::to_string(bits) + " (accepted by the legacy algorithm policy)"};
    default:
      return {Verdict::kRefuse, FindingCode::kWeakKey,
              std::string("key algorithm ") + OBJ_nid2sn(id) + " is not accepted"};
  }
}

}  // namespace pki::verify
