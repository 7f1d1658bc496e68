// PKCS#12 (RFC 7292) files of a certificate, its chain and optionally its private key, as TLS
// servers and clients import them.
#pragma once

#include <span>
#include <string_view>

#include "pki/cert/certificate.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"

namespace pki::cert {

// `leaf` first, then `chain`. With a key, the key must belong to the leaf and a passphrase is
// required (a PKCS#12 with a private key is always encrypted). OpenSSL 3's defaults protect it:
// AES-256-CBC with PBKDF2 for the bags, an HMAC-SHA-256 MAC.
Result<Bytes> build_pkcs12(const Certificate& leaf, std::span<const CertificatePtr> chain,
                           const EVP_PKEY* key, const Secret* passphrase, std::string_view friendly_name);

}  // namespace pki::cert
