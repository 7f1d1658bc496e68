// Inspection: what a PEM or DER input holds, decoded into plain data for people and programs.
// Certificates (each of a chain), CSRs (with whether their signature verifies), CRLs (with their
// entries on request), keys (their public part only: a private key's material never leaves
// keys/), and PKCS#12 files. Every extension is decoded when pki knows it, and shown as its OID,
// criticality and DER in hex when not.
//
// Nothing here judges a certificate: that is verify/'s work. Inspection only decodes; malformed
// input is kBadInput.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"
#include "pki/keys/keys.h"

namespace pki::cert {

// One named value of a decoded extension. Keys are stable snake_case names ("ca", "path_len",
// "usages"); values are text, for a front end to show or to type by `kind`.
enum class FieldKind {
  kBoolean,  // values: one "true" or "false"
  kInteger,  // values: one decimal number
  kText,     // values: one string
  kList,     // values: any number of strings
};

struct InspectedField {
  std::string key;
  FieldKind kind = FieldKind::kText;
  std::vector<std::string> values;
};

struct InspectedExtension {
  std::string oid;   // dotted
  std::string name;  // "basicConstraints", ...: RFC 5280's name, else OpenSSL's, else ""
  bool critical = false;
  bool decoded = false;  // pki knows the extension and decoded it into `fields`
  std::vector<InspectedField> fields;
  std::string error;      // why a known extension could not be decoded, or ""
  std::string value_hex;  // extnValue's DER in hex, when not decoded
};

// A public key as people compare keys: its algorithm, size or curve, and the SHA-256 of its DER
// SubjectPublicKeyInfo (as `openssl pkey -pubin -outform DER | sha256sum` computes it).
struct PublicKeyInfo {
  std::string algorithm;             // "RSA", "EC", "Ed25519", "Ed448", "DSA", or an OID name
  std::optional<int> bits;           // the key size (RSA, DSA, EC)
  std::optional<std::string> curve;  // EC: "P-256", or OpenSSL's curve name
  std::string description;           // "EC P-256", "RSA 2048", "Ed25519"
  std::string spki_sha256;           // lowercase hex; "" when the key cannot be encoded
};

struct InspectedCertificate {
  int version = 3;
  std::string serial;  // lowercase hex without leading zeros ("-" first when negative)
  std::string subject;
  std::string issuer;
  TimePoint not_before{};
  TimePoint not_after{};
  bool self_signed = false;       // issued by itself: same name, and its own key verifies its signature
  std::vector<std::string> sans;  // "DNS:x", "IP:a", ... as cert::to_string writes them
  PublicKeyInfo public_key;
  std::string key_type;  // keys::type_name's word for the key ("ec-p256"), as the store records it
  std::string signature_algorithm;
  std::string fingerprint_sha256;  // of the DER, lowercase hex
  std::vector<InspectedExtension> extensions;
  std::vector<std::string> problems;  // breaches of the RFC 5280 profile found while parsing
};

enum class SignatureStatus { kValid, kInvalid };

struct InspectedCsr {
  int version = 1;
  std::string subject;
  PublicKeyInfo public_key;
  std::string signature_algorithm;
  // The request's own signature with its own key (proof of possession); kInvalid when it does not
  // verify or the key cannot be used.
  SignatureStatus signature = SignatureStatus::kInvalid;
  std::vector<std::string> sans;                         // requested subjectAltName
  std::vector<InspectedExtension> requested_extensions;  // the extensionRequest attribute
  std::vector<std::string> attributes;  // other attributes, by name (their values are not shown)
  std::string fingerprint_sha256;
};

struct InspectedCrlEntry {
  std::string serial;  // as InspectedCertificate::serial
  TimePoint revocation_date{};
  std::optional<std::string> reason;  // RFC 5280 name ("keyCompromise"); absent means unspecified
  std::optional<TimePoint> invalidity_date;
  std::optional<std::string> certificate_issuer;  // indirect CRLs (RFC 5280 5.3.3)
};

struct InspectedCrl {
  int version = 2;
  std::string issuer;
  TimePoint this_update{};
  std::optional<TimePoint> next_update;
  std::optional<std::string> crl_number;  // decimal (CRL numbers may be 20 octets long)
  std::optional<std::string> delta_base;  // deltaCRLIndicator: the base CRL's number, decimal
  std::string signature_algorithm;
  std::size_t entry_count = 0;
  std::vector<InspectedCrlEntry> entries;  // only with CrlEntries::kList
  std::vector<InspectedExtension> extensions;
  std::string fingerprint_sha256;
};

struct InspectedKey {
  keys::KeyFormat format = keys::KeyFormat::kPkcs8;
  bool encrypted = false;
  std::string encryption;                   // how it is protected, when encrypted
  std::optional<PublicKeyInfo> public_key;  // absent for an encrypted key read without its passphrase
};

struct InspectedPkcs12 {
  std::vector<InspectedCertificate> certificates;  // the key's certificate first, then the others
  std::optional<PublicKeyInfo> key;                // the private key's public part, when it holds one
  std::optional<std::size_t> key_certificate;      // the certificate the key belongs to
  bool mac_present = false;
};

// An EC PARAMETERS block, as `openssl ecparam -genkey` writes before a key.
struct InspectedParameters {
  std::string description;  // "EC P-256"
};

struct InspectedObject {
  std::variant<InspectedCertificate, InspectedCsr, InspectedCrl, InspectedKey, InspectedPkcs12,
               InspectedParameters>
      value;
};

// "certificate", "csr", "crl", "private-key", "public-key", "pkcs12", "parameters".
std::string_view type_name(const InspectedObject& object);

enum class CrlEntries { kCount, kList };

struct InspectOptions {
  // Decrypts encrypted keys; without it an encrypted key shows only that it is encrypted.
  const Secret* key_passphrase = nullptr;
  // Opens PKCS#12 files; without it only a file without a password opens.
  const Secret* pkcs12_passphrase = nullptr;
  CrlEntries crl_entries = CrlEntries::kCount;
};

// Every object in `data`: PEM (every block, in order; text outside blocks ignored) or DER (one
// object, its type recognised from its structure). kBadInput for empty input, input that is
// neither, a malformed or truncated block, a label pki does not read, an object that does not
// decode, and a PKCS#12 file without its passphrase (Field::kPkcs12Passphrase).
Result<std::vector<InspectedObject>> inspect(std::string_view data, const InspectOptions& options);

// The parts, for callers that hold one object.
Result<InspectedCertificate> inspect_certificate(BytesView der);
Result<InspectedCsr> inspect_csr_details(BytesView der);
Result<InspectedCrl> inspect_crl(BytesView der, CrlEntries entries);
Result<PublicKeyInfo> public_key_info(const EVP_PKEY& key);
InspectedExtension inspect_extension(const X509_EXTENSION& ext);

}  // namespace pki::cert
