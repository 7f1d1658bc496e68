// Certificate signing requests (PKCS#10, RFC 2986): parsed, their own signature checked.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "pki/cert/general_name.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"
#include "pki/keys/keys.h"

namespace pki::cert {

class Signer;

struct CsrInfo {
  OsslPtr<X509_NAME> subject;
  std::vector<GeneralName> requested_sans;  // from the extensionRequest attribute, if any
  Bytes spki;                               // the DER SubjectPublicKeyInfo, carried into the certificate
  keys::KeyType key_type = keys::KeyType::kEcP256;
  bool read_directly = false;  // by inspect_csr_der's fast path, not OpenSSL's parser
};

// Checks the CSR's signature with its own key (proof of possession) and that the key is one pki
// issues for; everything else the CSR asks for (basicConstraints, key usages) is ignored: the
// profile decides. kBadInput when the signature does not verify or the key is refused.
Result<CsrInfo> inspect_csr(X509_REQ& csr);

// The same from DER bytes. EC (P-256, P-384) and Ed25519 requests signed with ECDSA-SHA2 or
// Ed25519 take a fast path: the DER is walked directly and the key imported from its point, which
// costs a fifth of OpenSSL 3's generic key decoder (DESIGN.md, "Built for speed"). Other requests
// go through OpenSSL's parser and inspect_csr above.
Result<CsrInfo> inspect_csr_der(BytesView der);

// Making requests (`pki csr`). The key that signs one: a private key file the caller holds
// (PKCS#8, encrypted or not, SEC1 or PKCS#1; PEM or DER), or a key made here.
struct CsrKeyFile {
  std::string path;
  const Secret* passphrase = nullptr;  // decrypts the file when it is encrypted
};
struct CsrNewKey {
  keys::KeyType type = keys::kDefaultKeyType;
  // Where the key goes: PKCS#8 PEM, 0600, never over an existing file (as a key made for an
  // issuance is written), encrypted when `passphrase` is set.
  std::string out;
  const Secret* passphrase = nullptr;
};

struct CsrRequest {
  std::string subject;  // a DN as parse_dn reads it, or "" (Field::kSubject)
  std::optional<std::string>
      cn;  // the CN, added to `subject`, which must then have none (Field::kCommonName)
  std::vector<GeneralName> sans;  // requested in an extensionRequest attribute (PKCS#9)
  std::variant<CsrKeyFile, CsrNewKey> key;
};

struct CsrMade {
  Bytes der;  // the PKCS#10 request, signed with the key
  keys::KeyType key_type = keys::kDefaultKeyType;
  bool key_written = false;  // a CsrNewKey was written to its file
};

// The whole of `pki csr`: the request's form (subject, CN, SANs; kBadInput about their Field),
// the key (read, or made), the request encoded (RFC 2986) and signed with the signature algorithm
// a certificate of that key gets (Signer), checked by reading it back, and a new key written
// last, so that nothing is left behind when anything before fails.
Result<CsrMade> create_csr(const CsrRequest& request);
// Encodes and signs a request for `subject_der` (a DER Name) with the signer's key, SANs in an
// extensionRequest; the request is read back and its signature checked.
Result<Bytes> sign_csr(BytesView subject_der, std::span<const GeneralName> sans, const Signer& signer);

}  // namespace pki::cert
