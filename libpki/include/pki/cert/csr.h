// Certificate signing requests (PKCS#10, RFC 2986): parsed, their own signature checked.
#pragma once

#include <string>
#include <vector>

#include "pki/cert/general_name.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"
#include "pki/keys/keys.h"

namespace pki::cert {

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

}  // namespace pki::cert
