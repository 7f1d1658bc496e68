// Key specs, generation, PKCS#8 save and load (encrypted with a passphrase), public key bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki::keys {

enum class KeyType { kEcP256, kEcP384, kRsa2048, kRsa3072, kRsa4096, kEd25519 };

inline constexpr KeyType kDefaultKeyType = KeyType::kEcP256;

// "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519".
std::string_view to_string(KeyType type);
Result<KeyType> parse_key_type(std::string_view name);
// The names above, comma-separated, for messages and help.
std::string key_type_names();

// Classifies a public key. Keys that pki would not issue for (RSA under 2048 bits, curves other
// than P-256 and P-384, DSA, ...) are refused with kBadInput and a reason. RSA sizes other than the
// three named ones classify as the largest named size not above them.
Result<KeyType> classify(const EVP_PKEY& key);

// The public key is sound: an RSA exponent odd and at least 3 (e = 1 makes signatures trivial to
// forge); an EC key on a named curve (no explicit parameters, RFC 5480 2.1.1) with a point on it.
// kBadInput with the reason otherwise.
Result<void> check_public_key(const EVP_PKEY& key);

Result<OsslPtr<EVP_PKEY>> generate(KeyType type);

// PBKDF2 iterations for encrypted keys: OWASP's 2023 Password Storage Cheat Sheet recommends
// 600,000 iterations of PBKDF2-HMAC-SHA256.
inline constexpr int kPbkdf2Iterations = 600'000;

// PKCS#8 PEM. With a passphrase: "ENCRYPTED PRIVATE KEY", PBES2 with PBKDF2-HMAC-SHA256
// (kPbkdf2Iterations) and AES-256-CBC; without: "PRIVATE KEY".
Result<std::string> to_pkcs8_pem(const EVP_PKEY& key, const Secret* passphrase);
// Loads either form. An encrypted key without a passphrase, or with a wrong one, is kBadInput.
Result<OsslPtr<EVP_PKEY>> from_pkcs8_pem(std::string_view pem, const Secret* passphrase);
bool is_encrypted_pem(std::string_view pem);

// DER SubjectPublicKeyInfo of a key.
Result<Bytes> spki_der(const EVP_PKEY& key);

}  // namespace pki::keys
