#include "pki/keys/keys.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>

#include "pki/core/io.h"

namespace pki::keys {

namespace {

struct KeyTypeInfo {
  KeyType type;
  std::string_view name;
};
constexpr std::array<KeyTypeInfo, 6> kKeyTypes{{
    {KeyType::kEcP256, "ec-p256"},
    {KeyType::kEcP384, "ec-p384"},
    {KeyType::kRsa2048, "rsa-2048"},
    {KeyType::kRsa3072, "rsa-3072"},
    {KeyType::kRsa4096, "rsa-4096"},
    {KeyType::kEd25519, "ed25519"},
}};

}  // namespace

std::string_view to_string(KeyType type) {
  for (const auto& k : kKeyTypes)
    if (k.type == type) return k.name;
  return "unknown";
}

std::string key_type_names() {
  std::string out;
  for (const auto& k : kKeyTypes) {
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

Result<KeyType> parse_key_type(std::string_view name) {
  for (const auto& k : kKeyTypes)
    if (k.name == name) return k.type;
  return fail(ErrorCode::kBadInput,
              "unknown key type '" + std::string(name) + "' (expected one of " + key_type_names() + ")");
}

Result<void> check_public_key(const EVP_PKEY& key) {
  const int id = EVP_PKEY_get_base_id(&key);
  if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
    BIGNUM* e = nullptr;
    if (!EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_RSA_E, &e))
      return fail_openssl(ErrorCode::kBadInput, "RSA key without an exponent");
    OsslPtr<BIGNUM> owned(e);
    if (!BN_is_odd(e) || BN_is_one(e))
      return fail(ErrorCode::kBadInput, "RSA public exponent is even or 1: the key is unsafe");
  } else if (id == EVP_PKEY_EC) {
    char encoding[32] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &len) &&
        std::string_view(encoding, len) != OSSL_PKEY_EC_ENCODING_GROUP)
      return fail(ErrorCode::kBadInput,
                  "EC key with explicit curve parameters (RFC 5480 2.1.1 requires a named curve)");
    drain_openssl_errors();
    OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(&key), nullptr));
    if (!ctx || EVP_PKEY_public_check_quick(ctx.get()) != 1)
      return fail_openssl(ErrorCode::kBadInput, "EC public key is not a point on its curve");
  }
  return {};
}

Result<KeyType> classify(const EVP_PKEY& key) {
  PKI_TRY(check_public_key(key));
  const int id = EVP_PKEY_get_base_id(&key);
  if (id == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(&key);
    // DESIGN.md "Issuing safely by default": RSA keys of at least 2048 bits.
    if (bits < 2048)
      return fail(ErrorCode::kBadInput,
                  "RSA key of " + std::to_string(bits) + " bits is too weak (at least 2048)");
    if (bits >= 4096) return KeyType::kRsa4096;
    if (bits >= 3072) return KeyType::kRsa3072;
    return KeyType::kRsa2048;
  }
  if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    std::size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len))
      return fail_openssl(ErrorCode::kBadInput, "EC key without a named curve");
    const std::string_view g(group, len);
    if (g == "prime256v1" || g == "P-256") return KeyType::kEcP256;
    if (g == "secp384r1" || g == "P-384") return KeyType::kEcP384;
    return fail(ErrorCode::kBadInput, "EC curve '" + std::string(g) + "' is not supported (P-256 or P-384)");
  }
  if (id == EVP_PKEY_ED25519) return KeyType::kEd25519;
  return fail(ErrorCode::kBadInput, std::string("key algorithm '") + OBJ_nid2sn(id) + "' is not supported");
}

Result<OsslPtr<EVP_PKEY>> generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kEcP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kRsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
      break;
    case KeyType::kRsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072});
      break;
    case KeyType::kRsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096});
      break;
    case KeyType::kEd25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (!key) return fail_openssl(ErrorCode::kInternal, "key generation failed");
  return OsslPtr<EVP_PKEY>(key);
}

Result<std::string> to_pkcs8_pem(const EVP_PKEY& key, const Secret* passphrase) {
  OsslPtr<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(&key));
  if (!p8) return fail_openssl(ErrorCode::kInternal, "cannot encode the private key");
  OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!passphrase) {
    if (!PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), p8.get()))
      return fail_openssl(ErrorCode::kInternal, "cannot encode the private key");
  } else {
    // PBES2 (RFC 8018 6.2): PBKDF2 with HMAC-SHA256 and a 16-byte salt, AES-256-CBC.
    const std::string& pass = passphrase->reveal();
    std::uint8_t salt[16];
    if (RAND_bytes(salt, sizeof salt) != 1) return fail_openssl(ErrorCode::kInternal, "no random salt");
    OsslPtr<X509_ALGOR> pbe(PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), kPbkdf2Iterations, salt, sizeof salt,
                                                 nullptr, NID_hmacWithSHA256, nullptr));
    if (!pbe) return fail_openssl(ErrorCode::kInternal, "cannot set up key encryption");
    OsslPtr<X509_SIG> sig(PKCS8_set0_pbe(pass.data(), static_cast<int>(pass.size()), p8.get(), pbe.get()));
    if (!sig) return fail_openssl(ErrorCode::kInternal, "cannot encrypt the private key");
    pbe.release();  // owned by sig now
    if (!PEM_write_bio_PKCS8(bio.get(), sig.get()))
      return fail_openssl(ErrorCode::kInternal, "cannot encode the private key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<std::size_t>(n));
  return out;
}

bool is_encrypted_pem(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos;
}

Result<OsslPtr<EVP_PKEY>> from_pkcs8_pem(std::string_view pem, const Secret* passphrase) {
  if (is_encrypted_pem(pem)) {
    if (!passphrase)
      return fail(ErrorCode::kBadInput, Field::kPassphrase,
                  "the key is encrypted and no passphrase was given");
    PKI_ASSIGN(auto blocks, pem_blocks(pem, "ENCRYPTED PRIVATE KEY"));
    const unsigned char* p = blocks.front().data();
    OsslPtr<X509_SIG> sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(blocks.front().size())));
    if (!sig)
      return fail_openssl(ErrorCode::kBadInput, "the encrypted private key is damaged: it is not valid DER");
    const std::string& pass = passphrase->reveal();
    OsslPtr<PKCS8_PRIV_KEY_INFO> p8(PKCS8_decrypt(sig.get(), pass.data(), static_cast<int>(pass.size())));
    if (!p8) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, Field::kPassphrase, "wrong passphrase: the key cannot be decrypted");
    }
    OsslPtr<EVP_PKEY> key(EVP_PKCS82PKEY(p8.get()));
    if (!key)
      return fail_openssl(ErrorCode::kBadInput, "the private key is damaged: it decrypts to no valid key");
    return key;
  }
  PKI_ASSIGN(auto blocks, pem_blocks(pem, "PRIVATE KEY"));
  if (blocks.empty()) return fail(ErrorCode::kBadInput, "no PKCS#8 'PRIVATE KEY' block");
  const unsigned char* p = blocks.front().data();
  OsslPtr<PKCS8_PRIV_KEY_INFO> p8(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(blocks.front().size())));
  if (!p8) return fail_openssl(ErrorCode::kBadInput, "malformed private key");
  OsslPtr<EVP_PKEY> key(EVP_PKCS82PKEY(p8.get()));
  if (!key) return fail_openssl(ErrorCode::kBadInput, "malformed private key");
  return key;
}

Result<Bytes> spki_der(const EVP_PKEY& key) {
  unsigned char* buf = nullptr;
  const int n = i2d_PUBKEY(&key, &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kInternal, "cannot encode the public key");
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace pki::keys
