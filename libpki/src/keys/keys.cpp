#include "pki/keys/keys.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "pki/cert/oids.h"
#include "pki/core/der.h"
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

std::vector<KeyType> all_key_types() {
  std::vector<KeyType> out;
  for (const auto& k : kKeyTypes) out.push_back(k.type);
  return out;
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

std::string type_name(const EVP_PKEY& key) {
  const int id = EVP_PKEY_get_base_id(&key);
  if (id == EVP_PKEY_RSA) return "rsa-" + std::to_string(EVP_PKEY_get_bits(&key));
  if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    std::size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len)) {
      ERR_clear_error();
      return "ec-explicit";
    }
    const std::string_view g(group, len);
    if (g == "prime256v1" || g == "P-256") return "ec-p256";
    if (g == "secp384r1" || g == "P-384") return "ec-p384";
    return "ec-" + std::string(g);
  }
  const char* type = EVP_PKEY_get0_type_name(&key);
  std::string name = type ? type : "unknown";
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
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

namespace {

// The key of a PKCS#8 PrivateKeyInfo built straight from its fields when it is an EC key on P-256
// or P-384 (RFC 5915 ECPrivateKey, named curve, its public key included) or an Ed25519 key
// (RFC 8410), as fast_public_key builds public keys: OpenSSL's decoders (EVP_PKCS82PKEY) cost
// ten times as much, a twentieth of a one-process `pki issue`. nullopt for anything else, which
// the decoders read instead; the fields are read as strictly as they read them.
std::optional<Result<OsslPtr<EVP_PKEY>>> fast_private_key(const PKCS8_PRIV_KEY_INFO& p8) {
  const ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* pk = nullptr;
  int pk_len = 0;
  const X509_ALGOR* alg = nullptr;
  if (PKCS8_pkey_get0(&algorithm, &pk, &pk_len, &alg, &p8) != 1 || pk_len <= 0) return std::nullopt;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, alg);
  BytesView in(pk, static_cast<std::size_t>(pk_len));
  auto outer = der::read(in);
  if (!outer || !in.empty()) return std::nullopt;
  const int nid = OBJ_obj2nid(algorithm);
  if (nid == NID_ED25519) {
    // CurvePrivateKey: an OCTET STRING of 32 bytes; no parameters.
    if (param_type != V_ASN1_UNDEF || outer->tag != der::tag::kOctetString || outer->content.size() != 32)
      return std::nullopt;
    OsslPtr<EVP_PKEY> key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, outer->content.data(),
                                                       outer->content.size()));
    if (!key) return Result<OsslPtr<EVP_PKEY>>(fail_openssl(ErrorCode::kBadInput, "malformed private key"));
    return Result<OsslPtr<EVP_PKEY>>(std::move(key));
  }
  if (nid != NID_X9_62_id_ecPublicKey || param_type != V_ASN1_OBJECT) return std::nullopt;
  const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param));
  if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1) return std::nullopt;
  const bool p256 = curve == NID_X9_62_prime256v1;
  const std::size_t size = p256 ? 32 : 48;
  // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters OPTIONAL,
  //                             [1] publicKey BIT STRING OPTIONAL }
  BytesView body = outer->content;
  auto version = der::read(body);
  auto secret = der::read(body);
  if (outer->tag != der::tag::kSequence || !version || !secret || version->tag != der::tag::kInteger ||
      version->content.size() != 1 || version->content[0] != 1 || secret->tag != der::tag::kOctetString ||
      secret->content.empty() || secret->content.size() > size)
    return std::nullopt;
  std::optional<der::Tlv> parameters, public_key;
  if (!body.empty() && body.front() == 0xa0) parameters = der::read(body);
  if (!body.empty() && body.front() == 0xa1) public_key = der::read(body);
  if (!body.empty() || !public_key) return std::nullopt;  // without its public key: the decoders derive it
  if (parameters) {
    BytesView p = parameters->content;
    auto named = der::read(p);
    if (!named || !p.empty() || !named->is(p256 ? der::oid(oid::kSecp256r1) : der::oid(oid::kSecp384r1)))
      return std::nullopt;
  }
  BytesView bits_in = public_key->content;
  auto bits = der::read(bits_in);
  if (!bits || !bits_in.empty() || bits->tag != der::tag::kBitString || bits->content.size() < 2 ||
      bits->content[0] != 0)
    return std::nullopt;
  const BytesView point = bits->content.subspan(1);
  // Flagged secure, so that the parameters built from it are cleared when freed as it is.
  std::unique_ptr<BIGNUM, decltype(&BN_clear_free)> scalar(BN_secure_new(), BN_clear_free);
  if (scalar && !BN_bin2bn(secret->content.data(), static_cast<int>(secret->content.size()), scalar.get()))
    scalar.reset();
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  if (!scalar || !build ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, p256 ? "P-256" : "P-384", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return Result<OsslPtr<EVP_PKEY>>(fail_openssl(ErrorCode::kInternal, "cannot read the private key"));
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(build.get()),
                                                                 OSSL_PARAM_free);
  OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return Result<OsslPtr<EVP_PKEY>>(fail_openssl(ErrorCode::kBadInput, "malformed private key"));
  return Result<OsslPtr<EVP_PKEY>>(OsslPtr<EVP_PKEY>(key));
}

// The key of a PrivateKeyInfo: fast_private_key's, else OpenSSL's decoders'; kBadInput when it
// holds no valid key.
Result<OsslPtr<EVP_PKEY>> key_from_p8(const PKCS8_PRIV_KEY_INFO& p8) {
  if (auto fast = fast_private_key(p8)) return std::move(*fast);
  OsslPtr<EVP_PKEY> key(EVP_PKCS82PKEY(&p8));
  if (!key) return fail_openssl(ErrorCode::kBadInput, "malformed private key");
  return key;
}

}  // namespace

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
    const X509_ALGOR* alg = nullptr;
    X509_SIG_get0(sig.get(), &alg, nullptr);
    if (alg) PKI_TRY(check_kdf_cost(*alg, "the encrypted private key"));
    const std::string& pass = passphrase->reveal();
    OsslPtr<PKCS8_PRIV_KEY_INFO> p8(PKCS8_decrypt(sig.get(), pass.data(), static_cast<int>(pass.size())));
    if (!p8) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, Field::kPassphrase, "wrong passphrase: the key cannot be decrypted");
    }
    auto key = key_from_p8(*p8);
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
  return key_from_p8(*p8);
}

Result<Bytes> spki_der(const EVP_PKEY& key) {
  unsigned char* buf = nullptr;
  const int n = i2d_PUBKEY(&key, &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kInternal, "cannot encode the public key");
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

namespace {

// The OIDs fast_public_key knows, as DER (tag and length included), encoded once.
struct SpkiOids {
  Bytes ec_public_key = der::oid(oid::kEcPublicKey);
  Bytes p256 = der::oid(oid::kSecp256r1);
  Bytes p384 = der::oid(oid::kSecp384r1);
  Bytes ed25519 = der::oid(oid::kEd25519);
};

// The last key fast_public_key built on this thread, given again for the same bytes: bulk
// issuance reads each CSR's key to check its signature, then the certificate's (the same key) in
// the lint before signing. An EVP_PKEY is reference-counted and read-only once built.
struct LastKey {
  Bytes spki;
  EVP_PKEY* key = nullptr;
  KeyType type = kDefaultKeyType;
  LastKey() = default;
  LastKey(const LastKey&) = delete;
  LastKey& operator=(const LastKey&) = delete;
  ~LastKey() { EVP_PKEY_free(key); }
};

Result<FastKey> remembered(LastKey& last, BytesView spki_der, OsslPtr<EVP_PKEY> key, KeyType type) {
  if (EVP_PKEY_up_ref(key.get()) == 1) {
    EVP_PKEY_free(last.key);
    last.key = key.get();
    last.spki.assign(spki_der.begin(), spki_der.end());
    last.type = type;
  }
  return FastKey{std::move(key), type};
}

// P-256's and P-384's parameters as keys without a point, built once per thread.
class CurveKeys {
 public:
  const EVP_PKEY* get(bool p256) {
    OsslPtr<EVP_PKEY>& key = p256 ? p256_ : p384_;
    if (!key) {
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                              const_cast<char*>(p256 ? "P-256" : "P-384"), 0),
                             OSSL_PARAM_construct_end()};
      OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      EVP_PKEY* made = nullptr;
      if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
          EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_KEY_PARAMETERS, params) == 1)
        key.reset(made);
    }
    return key.get();
  }

 private:
  OsslPtr<EVP_PKEY> p256_, p384_;
};

}  // namespace

std::optional<Result<FastKey>> fast_public_key(BytesView spki_der) {
  thread_local LastKey last;
  if (last.key && std::equal(spki_der.begin(), spki_der.end(), last.spki.begin(), last.spki.end()) &&
      EVP_PKEY_up_ref(last.key) == 1)
    return Result<FastKey>(FastKey{OsslPtr<EVP_PKEY>(last.key), last.type});
  static const SpkiOids k;
  BytesView in = spki_der;
  auto spki = der::read(in);
  if (!spki || spki->tag != der::tag::kSequence || !in.empty()) return std::nullopt;
  BytesView body = spki->content;
  auto alg = der::read(body);
  auto bits = der::read(body);
  if (!alg || !bits || !body.empty() || alg->tag != der::tag::kSequence ||
      bits->tag != der::tag::kBitString || bits->content.empty() || bits->content[0] != 0)
    return std::nullopt;
  BytesView alg_body = alg->content;
  auto alg_oid = der::read(alg_body);
  if (!alg_oid) return std::nullopt;
  const BytesView point = bits->content.subspan(1);
  if (alg_oid->is(k.ec_public_key)) {
    auto curve = der::read(alg_body);
    if (!curve || !alg_body.empty()) return std::nullopt;
    const bool p256 = curve->is(k.p256);
    if (!p256 && !curve->is(k.p384)) return std::nullopt;
    // A copy of the curve's parameters given the point, which OpenSSL checks is on the curve: a
    // quarter of the cost of building the curve afresh from its name for every key.
    thread_local CurveKeys curves;
    const EVP_PKEY* curve_key = curves.get(p256);
    OsslPtr<EVP_PKEY> key(curve_key ? EVP_PKEY_dup(const_cast<EVP_PKEY*>(curve_key)) : nullptr);
    if (!key || EVP_PKEY_set1_encoded_public_key(key.get(), point.data(), point.size()) != 1)
      return Result<FastKey>(fail_openssl(ErrorCode::kBadInput, "public key is not a valid EC point"));
    return remembered(last, spki_der, std::move(key), p256 ? KeyType::kEcP256 : KeyType::kEcP384);
  }
  if (alg_oid->is(k.ed25519)) {  // no parameters, a 32-byte key
    if (!alg_body.empty() || point.size() != 32) return std::nullopt;
    OsslPtr<EVP_PKEY> key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, point.data(), point.size()));
    if (!key) return Result<FastKey>(fail_openssl(ErrorCode::kBadInput, "Ed25519 key is invalid"));
    return remembered(last, spki_der, std::move(key), KeyType::kEd25519);
  }
  return std::nullopt;
}

Result<OsslPtr<EVP_PKEY>> public_key_from_spki(BytesView spki_der, OSSL_LIB_CTX* libctx) {
  if (auto fast = fast_public_key(spki_der)) {
    PKI_ASSIGN(FastKey f, std::move(*fast));
    return std::move(f.key);
  }
  const unsigned char* p = spki_der.data();
  OsslPtr<EVP_PKEY> key(d2i_PUBKEY_ex(nullptr, &p, static_cast<long>(spki_der.size()), libctx, nullptr));
  if (!key || p != spki_der.data() + spki_der.size())
    return fail_openssl(ErrorCode::kBadInput, "the public key cannot be decoded");
  return key;
}

}  // namespace pki::keys

namespace pki::keys {

std::string_view to_string(KeyFormat format) {
  switch (format) {
    case KeyFormat::kPkcs8:
      return "pkcs8";
    case KeyFormat::kEncryptedPkcs8:
      return "pkcs8-encrypted";
    case KeyFormat::kSec1:
      return "sec1";
    case KeyFormat::kPkcs1:
      return "pkcs1";
    case KeyFormat::kSpki:
      return "spki";
    case KeyFormat::kPkcs1Public:
      return "pkcs1-public";
  }
  return "unknown";
}

bool is_private(KeyFormat format) { return format != KeyFormat::kSpki && format != KeyFormat::kPkcs1Public; }

std::optional<KeyFormat> key_format_of_label(std::string_view label) {
  if (label == "PRIVATE KEY") return KeyFormat::kPkcs8;
  if (label == "ENCRYPTED PRIVATE KEY") return KeyFormat::kEncryptedPkcs8;
  if (label == "EC PRIVATE KEY") return KeyFormat::kSec1;
  if (label == "RSA PRIVATE KEY") return KeyFormat::kPkcs1;
  if (label == "PUBLIC KEY") return KeyFormat::kSpki;
  if (label == "RSA PUBLIC KEY") return KeyFormat::kPkcs1Public;
  return std::nullopt;
}

namespace {

std::string object_name(const ASN1_OBJECT* obj) {
  if (!obj) return "unknown";
  const int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char buf[128];
  return OBJ_obj2txt(buf, sizeof buf, obj, 1) > 0 ? buf : "unknown";
}

}  // namespace

Result<std::int64_t> kdf_iterations(const X509_ALGOR& algorithm) {
  std::int64_t iterations = 0;
  const ASN1_INTEGER* count = nullptr;
  std::unique_ptr<PBE2PARAM, decltype(&PBE2PARAM_free)> pbe2(nullptr, PBE2PARAM_free);
  std::unique_ptr<PBKDF2PARAM, decltype(&PBKDF2PARAM_free)> kdf(nullptr, PBKDF2PARAM_free);
  std::unique_ptr<PBEPARAM, decltype(&PBEPARAM_free)> pbe(nullptr, PBEPARAM_free);
  if (OBJ_obj2nid(algorithm.algorithm) == NID_pbes2 && algorithm.parameter) {
    pbe2.reset(
        static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), algorithm.parameter)));
    if (pbe2 && pbe2->keyfunc && OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2 &&
        pbe2->keyfunc->parameter) {
      kdf.reset(static_cast<PBKDF2PARAM*>(
          ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
      if (kdf) count = kdf->iter;
    }
  } else if (algorithm.parameter && algorithm.parameter->type == V_ASN1_SEQUENCE) {
    // PBES1 and the PKCS#12 PBEs: PBEParameter ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER }.
    pbe.reset(
        static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), algorithm.parameter)));
    if (pbe) count = pbe->iter;
  }
  drain_openssl_errors();
  if (count && (ASN1_INTEGER_get_int64(&iterations, count) != 1 || iterations < 0))
    return fail(ErrorCode::kBadInput, "an unreadable key derivation iteration count");
  return iterations;
}

Result<void> check_kdf_cost(const X509_ALGOR& algorithm, std::string_view what) {
  auto iterations = kdf_iterations(algorithm);
  if (!iterations || *iterations > kMaxKdfIterations)
    return fail(ErrorCode::kBadInput,
                std::string(what) + " asks for " +
                    (iterations ? std::to_string(*iterations) : std::string("an unreadable number of")) +
                    " key derivation iterations, more than pki runs (" + std::to_string(kMaxKdfIterations) +
                    ")");
  return {};
}

namespace {

// How an EncryptedPrivateKeyInfo is protected: the scheme, and for PBES2 (RFC 8018 6.2) its key
// derivation, PRF, iteration count and cipher. Never the salt or the ciphertext.
std::string describe_encryption(const X509_SIG& sig) {
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(&sig, &alg, nullptr);
  if (!alg) return "unknown";
  std::string out = object_name(alg->algorithm);
  if (OBJ_obj2nid(alg->algorithm) != NID_pbes2 || !alg->parameter) return out;
  std::unique_ptr<PBE2PARAM, decltype(&PBE2PARAM_free)> pbe2(
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)),
      PBE2PARAM_free);
  if (!pbe2 || !pbe2->keyfunc || !pbe2->encryption) return out;
  out += ": " + object_name(pbe2->keyfunc->algorithm);
  if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2 && pbe2->keyfunc->parameter) {
    std::unique_ptr<PBKDF2PARAM, decltype(&PBKDF2PARAM_free)> kdf(
        static_cast<PBKDF2PARAM*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)),
        PBKDF2PARAM_free);
    if (kdf) {
      // RFC 8018 A.2: the PRF defaults to hmacWithSHA1.
      out += "-" + (kdf->prf ? object_name(kdf->prf->algorithm) : std::string("hmacWithSHA1"));
      std::int64_t iterations = 0;
      if (kdf->iter && ASN1_INTEGER_get_int64(&iterations, kdf->iter) == 1)
        out += ", " + std::to_string(iterations) + " iterations";
    }
  }
  out += ", " + object_name(pbe2->encryption->algorithm);
  drain_openssl_errors();
  return out;
}

// Decodes DER with d2i, requiring every byte to be used.
template <class T, class D2i>
OsslPtr<T> whole(BytesView der, D2i d2i) {
  const unsigned char* p = der.data();
  OsslPtr<T> out(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (out && p != der.data() + der.size()) out.reset();
  return out;
}

OsslPtr<EVP_PKEY> whole_typed(int type, BytesView der, bool private_key) {
  const unsigned char* p = der.data();
  OsslPtr<EVP_PKEY> out(private_key ? d2i_PrivateKey(type, nullptr, &p, static_cast<long>(der.size()))
                                    : d2i_PublicKey(type, nullptr, &p, static_cast<long>(der.size())));
  if (out && p != der.data() + der.size()) out.reset();
  return out;
}

Result<OsslPtr<EVP_PKEY>> from_p8(const PKCS8_PRIV_KEY_INFO& p8) {
  OsslPtr<EVP_PKEY> key(EVP_PKCS82PKEY(&p8));
  if (!key) return fail_openssl(ErrorCode::kBadInput, "the private key is malformed or of an unknown type");
  return key;
}

}  // namespace

Result<DecodedKey> decode_key(KeyFormat format, BytesView der, const Secret* passphrase) {
  DecodedKey out;
  out.format = format;
  const std::string what = "a " + std::string(to_string(format)) + " key";
  auto malformed = [&] { return fail_openssl(ErrorCode::kBadInput, "malformed " + what); };
  switch (format) {
    case KeyFormat::kPkcs8: {
      auto p8 = whole<PKCS8_PRIV_KEY_INFO>(der, d2i_PKCS8_PRIV_KEY_INFO);
      if (!p8) return malformed();
      PKI_ASSIGN(out.key, from_p8(*p8));
      break;
    }
    case KeyFormat::kEncryptedPkcs8: {
      auto sig = whole<X509_SIG>(der, d2i_X509_SIG);
      if (!sig) return malformed();
      out.encryption = describe_encryption(*sig);
      if (!passphrase) break;
      const X509_ALGOR* alg = nullptr;
      X509_SIG_get0(sig.get(), &alg, nullptr);
      if (alg) PKI_TRY(check_kdf_cost(*alg, "the encrypted private key"));
      const std::string& pass = passphrase->reveal();
      OsslPtr<PKCS8_PRIV_KEY_INFO> p8(PKCS8_decrypt(sig.get(), pass.data(), static_cast<int>(pass.size())));
      if (!p8) {
        drain_openssl_errors();
        return fail(ErrorCode::kBadInput, Field::kKeyPassphrase,
                    "wrong passphrase: the key cannot be decrypted");
      }
      PKI_ASSIGN(out.key, from_p8(*p8));
      break;
    }
    case KeyFormat::kSec1:
      out.key = whole_typed(EVP_PKEY_EC, der, true);
      if (!out.key) return malformed();
      break;
    case KeyFormat::kPkcs1:
      out.key = whole_typed(EVP_PKEY_RSA, der, true);
      if (!out.key) return malformed();
      break;
    case KeyFormat::kSpki:
      out.key = whole<EVP_PKEY>(der, d2i_PUBKEY);
      if (!out.key) return malformed();
      break;
    case KeyFormat::kPkcs1Public:
      out.key = whole_typed(EVP_PKEY_RSA, der, false);
      if (!out.key) return malformed();
      break;
  }
  drain_openssl_errors();
  return out;
}

std::optional<KeyFormat> detect_key_format(BytesView der) {
  for (KeyFormat f : {KeyFormat::kPkcs8, KeyFormat::kEncryptedPkcs8, KeyFormat::kSpki, KeyFormat::kPkcs1,
                      KeyFormat::kSec1, KeyFormat::kPkcs1Public})
    if (decode_key(f, der, nullptr)) return f;
  drain_openssl_errors();
  return std::nullopt;
}

Result<DecodedKey> decode_legacy_encrypted_pem(KeyFormat format, std::string_view block_text,
                                               std::string_view headers, const Secret* passphrase) {
  DecodedKey out;
  out.format = format;
  // RFC 1421 4.6.1.3: "DEK-Info: <cipher>,<IV>"; the cipher names the protection.
  const std::size_t dek = headers.find("DEK-Info:");
  if (dek != std::string_view::npos) {
    std::string_view rest = headers.substr(dek + 9);
    rest = rest.substr(0, rest.find_first_of(",\r\n"));
    const std::size_t first = rest.find_first_not_of(' ');
    out.encryption = "PEM encryption (RFC 1421), " +
                     std::string(first == std::string_view::npos ? "unknown" : rest.substr(first));
  } else {
    out.encryption = "PEM encryption (RFC 1421)";
  }
  if (!passphrase) return out;
  OsslPtr<BIO> bio(BIO_new_mem_buf(block_text.data(), static_cast<int>(block_text.size())));
  if (!bio) return fail_openssl(ErrorCode::kInternal, "out of memory");
  std::string pass = passphrase->reveal();  // PEM_read_bio_PrivateKey wants it NUL-terminated
  out.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, pass.data()));
  OPENSSL_cleanse(pass.data(), pass.size());
  if (!out.key) {
    drain_openssl_errors();
    return fail(ErrorCode::kBadInput, Field::kKeyPassphrase, "wrong passphrase: the key cannot be decrypted");
  }
  return out;
}

Result<OsslPtr<EVP_PKEY>> load_private_key(std::string_view data, const Secret* passphrase) {
  std::optional<DecodedKey> found;
  if (looks_like_der(data)) {
    const BytesView der = as_bytes(data);
    const auto format = detect_key_format(der);
    if (!format || !is_private(*format))
      return fail(ErrorCode::kBadInput, Field::kKey, "no private key in it");
    PKI_ASSIGN(found, decode_key(*format, der, passphrase));
  } else {
    PKI_ASSIGN(auto blocks, pem_all_blocks(data));
    for (const PemBlock& b : blocks) {
      const auto format = key_format_of_label(b.label);
      if (!format || !is_private(*format)) continue;
      if (b.headers.find("ENCRYPTED") != std::string::npos) {
        PKI_ASSIGN(found, decode_legacy_encrypted_pem(*format, b.text, b.headers, passphrase));
      } else {
        PKI_ASSIGN(found, decode_key(*format, b.der, passphrase));
      }
      break;
    }
    if (!found)
      return fail(ErrorCode::kBadInput, Field::kKey,
                  "no private key (PEM 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', "
                  "'EC PRIVATE KEY' or 'RSA PRIVATE KEY', or DER)");
  }
  if (!found->key)
    return fail(ErrorCode::kBadInput, Field::kKeyPassphrase,
                "the key is encrypted and no passphrase was given");
  return std::move(found->key);
}

}  // namespace pki::keys
