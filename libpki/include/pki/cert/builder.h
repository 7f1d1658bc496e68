// Building and signing certificates: the TBSCertificate is encoded here from its parts (RFC 5280
// 4.1) and signed once, so that a CSR's SubjectPublicKeyInfo is carried into the certificate as
// bytes without decoding and re-encoding the key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "pki/cert/general_name.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/der.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"
#include "pki/keys/keys.h"

namespace pki::cert {

// keyUsage bits (RFC 5280 4.2.1.3), bit n of the BIT STRING as (1 << n).
namespace key_usage {
inline constexpr std::uint16_t kDigitalSignature = 1 << 0;
inline constexpr std::uint16_t kNonRepudiation = 1 << 1;
inline constexpr std::uint16_t kKeyEncipherment = 1 << 2;
inline constexpr std::uint16_t kDataEncipherment = 1 << 3;
inline constexpr std::uint16_t kKeyAgreement = 1 << 4;
inline constexpr std::uint16_t kKeyCertSign = 1 << 5;
inline constexpr std::uint16_t kCrlSign = 1 << 6;
inline constexpr std::uint16_t kEncipherOnly = 1 << 7;
inline constexpr std::uint16_t kDecipherOnly = 1 << 8;
}  // namespace key_usage

struct Extension {
  der::ConstOid oid;
  bool critical = false;
  Bytes value;  // the DER that extnValue's OCTET STRING wraps
};

namespace ext {
Extension basic_constraints(bool ca, std::optional<int> path_len);  // critical (RFC 5280 4.2.1.9)
Extension key_usage(std::uint16_t bits);                            // critical (RFC 5280 4.2.1.3)
Extension ext_key_usage(std::span<const der::ConstOid> purposes);
// The same from OIDs encoded with der::oid or der::parse_oid (each a whole TLV).
Extension ext_key_usage(std::span<const Bytes> encoded_purposes);
Extension subject_key_id(BytesView key_id);
Extension authority_key_id(BytesView key_id);
// Critical when the subject is empty (RFC 5280 4.2.1.6).
Extension subject_alt_name(std::span<const GeneralName> names, bool critical);
Extension crl_distribution_point(std::string_view url);
// freshestCRL (RFC 5280 4.2.1.15, 5.2.6): where the delta CRLs are; the syntax of CRL DPs.
Extension freshest_crl(std::string_view url);
// authorityInfoAccess (RFC 5280 4.2.2.1): OCSP responder and issuer certificate URLs, each optional.
Extension authority_info_access(const std::optional<std::string>& ocsp_url,
                                const std::optional<std::string>& ca_issuers_url);
// id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): NULL, non-critical.
Extension ocsp_no_check();
// Critical (RFC 5280 4.2.1.10); DNS subtrees.
Extension name_constraints(std::span<const std::string> permitted_dns,
                           std::span<const std::string> excluded_dns);
}  // namespace ext

// The key identifier of RFC 7093 section 2 method 1: the leftmost 160 bits of the SHA-256 of the
// subjectPublicKey BIT STRING value, read from DER SubjectPublicKeyInfo bytes.
Result<Bytes> key_identifier(BytesView spki_der);

// A private key and the signature algorithm DESIGN.md assigns to it: SHA-256 for P-256 and RSA,
// SHA-384 for P-384, pure Ed25519. Never SHA-1 or MD5.
class Signer {
 public:
  static Result<Signer> create(OsslPtr<EVP_PKEY> key);
  Result<Bytes> sign(BytesView data) const;
  // DER AlgorithmIdentifier of the signatures this signer makes.
  const Bytes& algorithm() const { return algorithm_; }
  const EVP_PKEY& key() const { return *key_; }
  keys::KeyType key_type() const { return type_; }
  // The digest signatures hash with; nullptr for Ed25519 (which hashes itself).
  const EVP_MD* digest() const { return md_; }

 private:
  OsslPtr<EVP_PKEY> key_;
  keys::KeyType type_ = keys::KeyType::kEcP256;
  const EVP_MD* md_ = nullptr;  // nullptr for Ed25519
  Bytes algorithm_;
};

struct TbsCertificate {
  Bytes serial;   // positive, big-endian magnitude
  Bytes issuer;   // DER Name, exactly the issuer certificate's subject bytes
  Bytes subject;  // DER Name
  TimePoint not_before;
  TimePoint not_after;
  Bytes spki;  // DER SubjectPublicKeyInfo
  std::vector<Extension> extensions;
};

// The DER TBSCertificate of an X.509 v3 certificate, `algorithm` (a DER AlgorithmIdentifier) as
// its signature field.
Result<Bytes> encode_tbs_certificate(const TbsCertificate& tbs, BytesView algorithm);
// Encodes an X.509 v3 certificate and signs it.
Result<Bytes> sign_certificate(const TbsCertificate& tbs, const Signer& signer);

// Wraps signed TBS bytes: SEQUENCE { tbs, algorithm, BIT STRING signature } (certificates and CRLs).
Bytes signed_structure(BytesView tbs, BytesView algorithm, BytesView signature);

// Encodes Extensions (SEQUENCE OF Extension).
Bytes encode_extensions(std::span<const Extension> extensions);

}  // namespace pki::cert
