// Object identifiers used by libpki, dotted. Each names the document that assigns it.
#pragma once

#include <string_view>

namespace pki::oid {

// RFC 5280 4.2.1 certificate extensions (id-ce = 2.5.29).
inline constexpr std::string_view kSubjectKeyIdentifier = "2.5.29.14";
inline constexpr std::string_view kKeyUsage = "2.5.29.15";
inline constexpr std::string_view kSubjectAltName = "2.5.29.17";
inline constexpr std::string_view kIssuerAltName = "2.5.29.18";
inline constexpr std::string_view kBasicConstraints = "2.5.29.19";
inline constexpr std::string_view kCrlNumber = "2.5.29.20";
inline constexpr std::string_view kCrlReason = "2.5.29.21";
inline constexpr std::string_view kInvalidityDate = "2.5.29.24";
inline constexpr std::string_view kDeltaCrlIndicator = "2.5.29.27";
inline constexpr std::string_view kIssuingDistributionPoint = "2.5.29.28";
inline constexpr std::string_view kCertificateIssuer = "2.5.29.29";
inline constexpr std::string_view kNameConstraints = "2.5.29.30";
inline constexpr std::string_view kCrlDistributionPoints = "2.5.29.31";
inline constexpr std::string_view kCertificatePolicies = "2.5.29.32";
inline constexpr std::string_view kAnyPolicy = "2.5.29.32.0";
inline constexpr std::string_view kPolicyMappings = "2.5.29.33";
inline constexpr std::string_view kAuthorityKeyIdentifier = "2.5.29.35";
inline constexpr std::string_view kPolicyConstraints = "2.5.29.36";
inline constexpr std::string_view kExtKeyUsage = "2.5.29.37";
inline constexpr std::string_view kAnyExtendedKeyUsage = "2.5.29.37.0";
inline constexpr std::string_view kFreshestCrl = "2.5.29.46";
inline constexpr std::string_view kInhibitAnyPolicy = "2.5.29.54";
// RFC 5280 4.2.2 private internet extensions (id-pe = 1.3.6.1.5.5.7.1).
inline constexpr std::string_view kAuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
inline constexpr std::string_view kSubjectInfoAccess = "1.3.6.1.5.5.7.1.11";
// RFC 5280 4.2.1.12 key purposes (id-kp = 1.3.6.1.5.5.7.3).
// Policy qualifiers (RFC 5280 4.2.1.4): display text only, never a change to the policy.
inline constexpr std::string_view kCpsQualifier = "1.3.6.1.5.5.7.2.1";
inline constexpr std::string_view kUserNoticeQualifier = "1.3.6.1.5.5.7.2.2";

inline constexpr std::string_view kServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr std::string_view kClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr std::string_view kCodeSigning = "1.3.6.1.5.5.7.3.3";
inline constexpr std::string_view kEmailProtection = "1.3.6.1.5.5.7.3.4";
inline constexpr std::string_view kTimeStamping = "1.3.6.1.5.5.7.3.8";
inline constexpr std::string_view kOcspSigning = "1.3.6.1.5.5.7.3.9";
// RFC 5280 4.2.2.1 access methods (id-ad = 1.3.6.1.5.5.7.48).
inline constexpr std::string_view kAdOcsp = "1.3.6.1.5.5.7.48.1";
inline constexpr std::string_view kAdCaIssuers = "1.3.6.1.5.5.7.48.2";
// RFC 6960 4.2.2.2.1 (id-pkix-ocsp = id-ad-ocsp).
inline constexpr std::string_view kOcspNoCheck = "1.3.6.1.5.5.7.48.1.5";

// Signature algorithms: RFC 3279 / RFC 4055 (RSA), RFC 5758 (ECDSA), RFC 8410 (Ed25519).
inline constexpr std::string_view kSha256WithRsa = "1.2.840.113549.1.1.11";
inline constexpr std::string_view kEcdsaWithSha256 = "1.2.840.10045.4.3.2";
inline constexpr std::string_view kEcdsaWithSha384 = "1.2.840.10045.4.3.3";
inline constexpr std::string_view kEcdsaWithSha512 = "1.2.840.10045.4.3.4";
inline constexpr std::string_view kEd25519 = "1.3.101.112";

// Public keys: RFC 5480 (EC and its named curves); Ed25519 above (RFC 8410) names both.
inline constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";
inline constexpr std::string_view kSecp256r1 = "1.2.840.10045.3.1.7";
inline constexpr std::string_view kSecp384r1 = "1.3.132.0.34";

// PKCS#10 attributes: extensionRequest (PKCS#9, RFC 2985 5.4.2).
inline constexpr std::string_view kExtensionRequest = "1.2.840.113549.1.9.14";

}  // namespace pki::oid
