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
// Every key type pki makes and certifies, in the order above.
std::vector<KeyType> all_key_types();

// Classifies a public key. Keys that pki would not issue for (RSA under 2048 bits, curves other
// than P-256 and P-384, DSA, ...) are refused with kBadInput and a reason. RSA sizes other than the
// three named ones classify as the largest named size not above them.
Result<KeyType> classify(const EVP_PKEY& key);

// Any public key's type in the words to_string uses: "ec-p256", "rsa-2048", "ed25519" for the types
// pki makes, the same form for others ("rsa-1024", "rsa-2560", "ec-secp521r1", "ed448"), exact
// where classify rounds. What a certificate's JSON calls its key_type, whoever issued it.
std::string type_name(const EVP_PKEY& key);

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

// The most password-based key derivation iterations pki runs for a file it is given (an
// encrypted key, a PKCS#12 file's MAC or bags): about two seconds of PBKDF2-SHA-256 here, eight
// times what pki's own keys ask (600,000). A file asking for more is refused before any work, so
// that a hostile file cannot hold pki for hours.
inline constexpr std::int64_t kMaxKdfIterations = 5'000'000;
// Whether decrypting with `algorithm` (a PBES1 or PKCS#12 PBE, or PBES2 with PBKDF2) stays within
// kMaxKdfIterations; kBadInput naming `what` when it does not. Other schemes pass (OpenSSL caps
// scrypt's memory itself).
Result<void> check_kdf_cost(const X509_ALGOR& algorithm, std::string_view what);
// The iterations decrypting with `algorithm` derives (0 for a scheme without a count it reads);
// kBadInput when the count cannot be read.
Result<std::int64_t> kdf_iterations(const X509_ALGOR& algorithm);
bool is_encrypted_pem(std::string_view pem);

// DER SubjectPublicKeyInfo of a key.
Result<Bytes> spki_der(const EVP_PKEY& key);

// The key of a DER SubjectPublicKeyInfo, built straight from its bytes when it is an EC key on
// P-256 or P-384 (named curve, RFC 5480) or an Ed25519 key (RFC 8410), the keys pki issues for
// most: `type` says which. nullopt for any other SPKI, and for these in a form the walk does not
// read (explicit curve parameters, say), which OpenSSL's decoders judge instead. OpenSSL 3 looks
// its decoders up afresh for every key it decodes, which costs several times the decoding itself.
struct FastKey {
  OsslPtr<EVP_PKEY> key;
  KeyType type;
};
std::optional<Result<FastKey>> fast_public_key(BytesView spki_der);
// The key of any DER SubjectPublicKeyInfo: fast_public_key's, else OpenSSL's decoders' in
// `libctx` (null: OpenSSL's default). kBadInput when it cannot be decoded.
Result<OsslPtr<EVP_PKEY>> public_key_from_spki(BytesView spki_der, OSSL_LIB_CTX* libctx = nullptr);

// The encodings of keys pki reads (DER, or PEM under the label each names).
enum class KeyFormat {
  kPkcs8,           // PrivateKeyInfo (RFC 5208), PEM "PRIVATE KEY"
  kEncryptedPkcs8,  // EncryptedPrivateKeyInfo (RFC 5208 6), PEM "ENCRYPTED PRIVATE KEY"
  kSec1,            // ECPrivateKey (RFC 5915), PEM "EC PRIVATE KEY"
  kPkcs1,           // RSAPrivateKey (RFC 8017 A.1.2), PEM "RSA PRIVATE KEY"
  kSpki,            // SubjectPublicKeyInfo (RFC 5280 4.1), PEM "PUBLIC KEY"
  kPkcs1Public,     // RSAPublicKey (RFC 8017 A.1.1), PEM "RSA PUBLIC KEY"
};
// "pkcs8", "pkcs8-encrypted", "sec1", "pkcs1", "spki", "pkcs1-public".
std::string_view to_string(KeyFormat format);
bool is_private(KeyFormat format);
// The format a PEM label names; nullopt for any other label.
std::optional<KeyFormat> key_format_of_label(std::string_view label);

// A key as read from a file. `key` holds the key (private or public) once decoded; it is null for
// an encrypted key read without a passphrase. Callers that show a key show its public part only.
struct DecodedKey {
  KeyFormat format = KeyFormat::kPkcs8;
  OsslPtr<EVP_PKEY> key;
  std::string encryption;  // how an encrypted key is protected ("PBES2: PBKDF2-hmacWithSHA256, ..."), or ""
};

// Decodes DER `der` in `format`. An encrypted key is decrypted when `passphrase` is given (a wrong
// one is kBadInput about Field::kKeyPassphrase), and left encrypted (DecodedKey::key null) when not.
Result<DecodedKey> decode_key(KeyFormat format, BytesView der, const Secret* passphrase);
// The format of DER key bytes, tried in the order of KeyFormat; nullopt when none fits.
std::optional<KeyFormat> detect_key_format(BytesView der);
// A PEM block of a private key with RFC 1421 encryption headers ("Proc-Type: 4,ENCRYPTED", as
// `openssl genrsa -aes256` writes them), decrypted with `passphrase`; `block_text` is the whole
// block, `format` kSec1 or kPkcs1.
Result<DecodedKey> decode_legacy_encrypted_pem(KeyFormat format, std::string_view block_text,
                                               std::string_view headers, const Secret* passphrase);

// A private key from a file's contents: the first private key in it (PEM: "PRIVATE KEY",
// "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"; or DER), decrypted with
// `passphrase` when encrypted (kBadInput about Field::kKeyPassphrase without one).
Result<OsslPtr<EVP_PKEY>> load_private_key(std::string_view data, const Secret* passphrase);

}  // namespace pki::keys
