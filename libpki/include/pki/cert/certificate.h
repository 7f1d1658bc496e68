// Certificate: an immutable parsed view of an X.509 certificate. Parsed once (the DER, the names,
// the validity and every extension pki understands), then shared: the verifier never parses the same
// certificate twice, and the CA side reads what it shows from here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pki/cert/general_name.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki::cert {

struct BasicConstraints {
  bool ca = false;
  std::optional<long> path_len;
};

struct AuthorityKeyId {
  std::optional<Bytes> key_id;
  std::vector<GeneralName> issuer;
  std::optional<Bytes> serial;
};

struct GeneralSubtree {
  GeneralName base;
  long minimum = 0;             // RFC 5280 4.2.1.10: MUST be zero
  std::optional<long> maximum;  // RFC 5280 4.2.1.10: MUST be absent
};

struct NameConstraints {
  std::vector<GeneralSubtree> permitted;
  std::vector<GeneralSubtree> excluded;
};

struct PolicyMapping {
  std::string issuer_domain;
  std::string subject_domain;
};

struct PolicyConstraints {
  std::optional<long> require_explicit_policy;
  std::optional<long> inhibit_policy_mapping;
};

// RFC 5280 4.2.1.13. A name relative to the CRL issuer is kept as a one-RDN name.
struct DistributionPoint {
  std::optional<std::vector<GeneralName>> full_name;
  OsslPtr<X509_NAME> relative_name;      // the RDN alone, when nameRelativeToCRLIssuer is used
  std::optional<std::uint16_t> reasons;  // ReasonFlags bits, (1 << n) for bit n
  std::vector<GeneralName> crl_issuer;
};

// A breach of the certificate profile (RFC 5280 4.1, 4.2) found while parsing. The certificate is
// still viewable; the verifier decides what each breach costs (ProblemId, never the message).
enum class ProblemId {
  kBadVersion,                      // 4.1.2.1
  kEmptyIssuer,                     // 4.1.2.4
  kTimeEncoding,                    // 4.1.2.5
  kDuplicateExtension,              // 4.2: one instance of each
  kMalformedExtension,              // an extension that does not decode, or breaks its own rules
  kMustBeNonCritical,               // AKI, SKI, IAN, freshestCRL, AIA, SIA marked critical
  kEmptySubjectWithoutCriticalSan,  // 4.2.1.6
  kCaWithEmptySubject,              // 4.1.2.6
  kNoAuthorityKeyId,                // 4.2.1.1 (all but self-signed certificates)
  kCaWithoutSubjectKeyId,           // 4.2.1.2
  kPathLenWithoutCa,                // 4.2.1.9: meaningless without cA
  kKeyCertSignWithoutCa,            // 4.2.1.3
  kNameConstraintsWithoutCa,        // 4.2.1.10: "MUST be used only in a CA certificate"
  kNotDer,                          // 4.1: the certificate, and each extension's value, is DER (X.690)
  kMalformedName,                   // 4.1.2.4, 4.1.2.6: an RDN with no attribute (X.501: one or more)
};
std::string_view to_string(ProblemId id);

struct Problem {
  ProblemId id;
  std::string extension;  // the OID of the extension concerned, when there is one
  std::string message;    // for people
};

struct ExtensionInfo {
  std::string oid;
  bool critical = false;
  // pki parses and processes it. A critical certificatePolicies extension is understood only when
  // every policy qualifier in it is one pki knows (RFC 5280 4.2.1.4).
  bool understood = false;
};

class Certificate {
 public:
  // One DER certificate, no trailing bytes. `libctx` (null: OpenSSL's default) is the library
  // context its key and signature belong to; it must outlive the certificate. An encoding OpenSSL
  // reads but that is not DER (BER lengths, say) is a kNotDer problem, not a refusal.
  static Result<std::shared_ptr<const Certificate>> from_der(BytesView der, OSSL_LIB_CTX* libctx = nullptr);
  // As from_der, but the public key is decoded by keys::public_key_from_spki (built straight from
  // its bytes for EC P-256/P-384 and Ed25519; else by OpenSSL's decoders in `libctx`) and held
  // beside the X509, whose own key OpenSSL is not asked to decode (OpenSSL 3 looks its decoders
  // up afresh for every key, which costs several times the rest of the parse). public_key() and
  // signature_verifies() are the same; OpenSSL calls given x509() find no key there, nor any
  // algorithm. For a certificate whose key is not given to OpenSSL with it: the lint before
  // signing, the targets of `pki verify` (whose issuers' keys check them).
  static Result<std::shared_ptr<const Certificate>> from_der_key_apart(BytesView der,
                                                                       OSSL_LIB_CTX* libctx = nullptr);
  // An X509 OpenSSL decoded in its default library context, where its signature is checked.
  static Result<std::shared_ptr<const Certificate>> from_x509(OsslPtr<X509> x509);

  const X509& x509() const { return *x509_; }
  X509* x509_mutable() const { return x509_.get(); }  // for OpenSSL calls that take non-const
  const Bytes& der() const { return der_; }
  const std::string& fingerprint() const { return fingerprint_; }  // SHA-256 of the DER, hex
  int version() const { return version_; }                         // 1, 2 or 3
  const Bytes& serial() const { return serial_; }                  // magnitude, big-endian
  const std::string& serial_hex() const { return serial_hex_; }
  bool serial_negative() const { return serial_negative_; }
  const X509_NAME& subject() const { return *X509_get_subject_name(x509_.get()); }
  const X509_NAME& issuer() const { return *X509_get_issuer_name(x509_.get()); }
  const std::string& subject_text() const { return subject_text_; }
  const std::string& issuer_text() const { return issuer_text_; }
  bool subject_empty() const { return X509_NAME_entry_count(&subject()) == 0; }
  // Subject and issuer names match under RFC 5280 7.1 comparison (self-issued, 6.1.4).
  bool self_issued() const { return self_issued_; }
  TimePoint not_before() const { return not_before_; }
  TimePoint not_after() const { return not_after_; }

  // The public key, decoded once by OpenSSL and cached; nullptr when it cannot be decoded alone
  // (a DSA key that inherits its parameters, say).
  const EVP_PKEY* public_key() const;
  const Bytes& spki_der() const { return spki_der_; }
  std::string public_key_algorithm() const;  // "EC P-256", "RSA 2048", "Ed25519", "DSA 1024", ...

  int signature_nid() const { return signature_nid_; }
  const X509_ALGOR& signature_algorithm_identifier() const;  // the outer signatureAlgorithm
  std::string signature_algorithm() const;
  // The outer signatureAlgorithm equals the TBS signature field (RFC 5280 4.1.1.2).
  bool signature_algorithms_match() const { return sig_algs_match_; }
  // Its signature verifies with `issuer_key` over the signed part as received, and the two
  // signature algorithm fields match (what X509_verify checks), in the library context it was
  // read for.
  bool signature_verifies(const EVP_PKEY& issuer_key) const;

  const std::optional<BasicConstraints>& basic_constraints() const { return basic_constraints_; }
  const std::optional<std::uint16_t>& key_usage() const { return key_usage_; }
  const std::optional<std::vector<std::string>>& extended_key_usage() const { return eku_; }
  const std::optional<Bytes>& subject_key_id() const { return ski_; }
  const std::optional<AuthorityKeyId>& authority_key_id() const { return aki_; }
  const std::optional<std::vector<GeneralName>>& subject_alt_names() const { return san_; }
  const std::optional<NameConstraints>& name_constraints() const { return name_constraints_; }
  const std::optional<std::vector<std::string>>& policies() const { return policies_; }
  const std::optional<std::vector<PolicyMapping>>& policy_mappings() const { return policy_mappings_; }
  const std::optional<PolicyConstraints>& policy_constraints() const { return policy_constraints_; }
  const std::optional<long>& inhibit_any_policy() const { return inhibit_any_policy_; }
  const std::vector<DistributionPoint>& crl_distribution_points() const { return crl_dps_; }
  const std::vector<DistributionPoint>& freshest_crl() const { return freshest_crl_; }
  const std::vector<ExtensionInfo>& extensions() const { return extensions_; }
  // Problems found while parsing: a malformed or repeated extension, a negative path length, ...
  const std::vector<Problem>& problems() const { return problems_; }

  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

 private:
  Certificate() = default;
  // The certificate OpenSSL decoded from `der`, parsed, with `der` itself checked to be DER.
  static Result<std::shared_ptr<Certificate>> from_received(OsslPtr<X509> x509, BytesView der);
  Result<void> parse();
  void parse_extension(X509_EXTENSION& ext);
  void parse_name_constraints(X509_EXTENSION& ext, const std::string& id);
  void parse_policies(X509_EXTENSION& ext, const std::string& id);
  void check_profile();
  void problem(ProblemId id, std::string message, std::string extension = {});

  OsslPtr<X509> x509_;
  OsslPtr<EVP_PKEY> key_apart_;     // from_der_key_apart's key
  OSSL_LIB_CTX* libctx_ = nullptr;  // where its signature is checked (null: OpenSSL's default)
  Bytes der_;
  std::string fingerprint_;
  int version_ = 1;
  Bytes serial_;
  std::string serial_hex_;
  bool serial_negative_ = false;
  std::string subject_text_;
  std::string issuer_text_;
  bool self_issued_ = false;
  TimePoint not_before_{};
  TimePoint not_after_{};
  Bytes spki_der_;
  int signature_nid_ = 0;
  bool sig_algs_match_ = true;
  std::optional<BasicConstraints> basic_constraints_;
  std::optional<std::uint16_t> key_usage_;
  std::optional<std::vector<std::string>> eku_;
  std::optional<Bytes> ski_;
  std::optional<AuthorityKeyId> aki_;
  std::optional<std::vector<GeneralName>> san_;
  std::optional<NameConstraints> name_constraints_;
  std::optional<std::vector<std::string>> policies_;
  std::optional<std::vector<PolicyMapping>> policy_mappings_;
  std::optional<PolicyConstraints> policy_constraints_;
  std::optional<long> inhibit_any_policy_;
  std::vector<DistributionPoint> crl_dps_;
  std::vector<DistributionPoint> freshest_crl_;
  std::vector<ExtensionInfo> extensions_;
  std::vector<Problem> problems_;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

// Text for an OID: OpenSSL's short name when it has one, else the dotted form.
std::string oid_name(const ASN1_OBJECT& obj);
std::string oid_text(const ASN1_OBJECT& obj);  // always dotted
// Key usage bit names ("digitalSignature", "keyCertSign", ...).
std::vector<std::string> key_usage_names(std::uint16_t bits);
// Reads a named-bit BIT STRING into (1 << n) flags for bits 0..15.
std::uint16_t named_bits(const ASN1_BIT_STRING& bits);
// Serial magnitude as lowercase hex without separators or leading zeros ("0" for zero).
std::string serial_to_hex(BytesView magnitude);
// RFC 5280 4.1.2.2: a serial number is a positive integer of at most 20 octets. What is wrong with
// a certificate's, said for people, or nullopt (the lint refuses it; the verifier warns, as
// certificate users SHOULD handle such certificates gracefully).
std::optional<std::string> serial_not_positive(const Certificate& c);
std::optional<std::string> serial_too_long(const Certificate& c);
// A signature over `signed_der` (the signed part of a certificate or CRL, a DER SEQUENCE, as
// received) verifies with `key`: OpenSSL's handling of `algorithm` (RSA-PSS parameters and all),
// its algorithms fetched in `libctx` (null: OpenSSL's default).
bool signature_verifies(BytesView signed_der, const X509_ALGOR& algorithm, const ASN1_BIT_STRING& signature,
                        const EVP_PKEY& key, OSSL_LIB_CTX* libctx);
// DistributionPoints from OpenSSL's form (CRL distribution points, freshest CRL, IDP helpers).
Result<DistributionPoint> distribution_point_from(const DIST_POINT_NAME* name, const ASN1_BIT_STRING* reasons,
                                                  const GENERAL_NAMES* crl_issuer);

}  // namespace pki::cert
