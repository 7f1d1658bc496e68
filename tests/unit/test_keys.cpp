#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/keys/keys.h"
#include "support.h"

using namespace pki;

TEST_CASE("keys: every type generates, classifies and round-trips through PKCS#8") {
  for (auto type :
       {keys::KeyType::kEcP256, keys::KeyType::kEcP384, keys::KeyType::kRsa2048, keys::KeyType::kEd25519}) {
    CAPTURE(keys::to_string(type));
    auto key = test::must(keys::generate(type));
    CHECK(test::must(keys::classify(*key)) == type);
    const std::string pem = test::must(keys::to_pkcs8_pem(*key, nullptr));
    CHECK(pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
    auto back = test::must(keys::from_pkcs8_pem(pem, nullptr));
    CHECK(EVP_PKEY_eq(key.get(), back.get()) == 1);
  }
}

TEST_CASE("keys: names") {
  CHECK(test::must(keys::parse_key_type("rsa-3072")) == keys::KeyType::kRsa3072);
  auto bad = keys::parse_key_type("rsa-1024");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kBadInput);
}

TEST_CASE("keys: type_name names pki's types as to_string does, and others exactly") {
  for (auto type : keys::all_key_types()) {
    if (type == keys::KeyType::kRsa4096 || type == keys::KeyType::kRsa3072) continue;  // slow to make
    CAPTURE(keys::to_string(type));
    CHECK(keys::type_name(*test::must(keys::generate(type))) == keys::to_string(type));
  }
  OsslPtr<EVP_PKEY> rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  REQUIRE(rsa1024);
  CHECK(keys::type_name(*rsa1024) == "rsa-1024");  // classify would refuse it
  OsslPtr<EVP_PKEY> p521(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"));
  REQUIRE(p521);
  CHECK(keys::type_name(*p521) == "ec-secp521r1");
  OsslPtr<EVP_PKEY> ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  REQUIRE(ed448);
  CHECK(keys::type_name(*ed448) == "ed448");
}

TEST_CASE("keys: weak keys are refused") {
  OsslPtr<EVP_PKEY> rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  REQUIRE(rsa1024);
  CHECK_FALSE(keys::classify(*rsa1024));
  OsslPtr<EVP_PKEY> k256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  REQUIRE(k256);
  CHECK_FALSE(keys::classify(*k256));
}

TEST_CASE("keys: encrypted PKCS#8 uses PBES2, PBKDF2-HMAC-SHA256 with 600,000 iterations, AES-256") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  Secret pass("correct horse battery staple");
  const std::string pem = test::must(keys::to_pkcs8_pem(*key, &pass));
  CHECK(keys::is_encrypted_pem(pem));

  // Read the parameters back with OpenSSL's own decoders.
  auto blocks = test::must(pem_blocks(pem, "ENCRYPTED PRIVATE KEY"));
  const unsigned char* p = blocks[0].data();
  OsslPtr<X509_SIG> sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(blocks[0].size())));
  REQUIRE(sig);
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  CHECK(OBJ_obj2nid(alg->algorithm) == NID_pbes2);
  PBE2PARAM* pbe2 =
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter));
  REQUIRE(pbe2);
  CHECK(OBJ_obj2nid(pbe2->encryption->algorithm) == NID_aes_256_cbc);
  CHECK(OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2);
  PBKDF2PARAM* kdf = static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter));
  REQUIRE(kdf);
  CHECK(ASN1_INTEGER_get(kdf->iter) >= 600000);
  REQUIRE(kdf->prf);
  CHECK(OBJ_obj2nid(kdf->prf->algorithm) == NID_hmacWithSHA256);
  PBKDF2PARAM_free(kdf);
  PBE2PARAM_free(pbe2);

  auto back = test::must(keys::from_pkcs8_pem(pem, &pass));
  CHECK(EVP_PKEY_eq(key.get(), back.get()) == 1);

  Secret wrong("wrong");
  auto refused = keys::from_pkcs8_pem(pem, &wrong);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kBadInput);
  CHECK(refused.error().message.find("wrong passphrase") != std::string::npos);

  auto missing = keys::from_pkcs8_pem(pem, nullptr);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("passphrase") != std::string::npos);
}

TEST_CASE("keys: a PKCS#8 key read field by field (EC, Ed25519) is the one OpenSSL's decoders read") {
  // The private key itself, not only the public half EVP_PKEY_eq compares: a signature made with
  // the key read verifies under the original.
  auto same_key = [](const EVP_PKEY& read, const EVP_PKEY& original) {
    CHECK(EVP_PKEY_eq(&read, &original) == 1);
    const Bytes message = {'p', 'k', 'i'};
    OsslPtr<EVP_MD_CTX> sign(EVP_MD_CTX_new());
    const EVP_MD* md = EVP_PKEY_get_id(&read) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    REQUIRE(EVP_DigestSignInit(sign.get(), nullptr, md, nullptr, const_cast<EVP_PKEY*>(&read)) == 1);
    std::size_t n = 0;
    REQUIRE(EVP_DigestSign(sign.get(), nullptr, &n, message.data(), message.size()) == 1);
    Bytes signature(n);
    REQUIRE(EVP_DigestSign(sign.get(), signature.data(), &n, message.data(), message.size()) == 1);
    signature.resize(n);
    OsslPtr<EVP_MD_CTX> verify(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestVerifyInit(verify.get(), nullptr, md, nullptr, const_cast<EVP_PKEY*>(&original)) == 1);
    CHECK(EVP_DigestVerify(verify.get(), signature.data(), signature.size(), message.data(),
                           message.size()) == 1);
  };
  auto pem_of = [](const Bytes& p8_der) { return to_pem("PRIVATE KEY", p8_der); };
  for (auto type : {keys::KeyType::kEcP256, keys::KeyType::kEcP384, keys::KeyType::kEd25519}) {
    CAPTURE(keys::to_string(type));
    auto key = test::must(keys::generate(type));
    same_key(*test::must(keys::from_pkcs8_pem(test::must(keys::to_pkcs8_pem(*key, nullptr)), nullptr)), *key);
    const Secret pass("correct horse");
    same_key(*test::must(keys::from_pkcs8_pem(test::must(keys::to_pkcs8_pem(*key, &pass)), &pass)), *key);
    if (type == keys::KeyType::kEd25519) continue;
    // The ECPrivateKey inside, rebuilt: with its curve named again in [0] (RFC 5915 allows it), and
    // without its public key (which the decoders then derive); a different curve in [0] is refused.
    OsslPtr<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(key.get()));
    REQUIRE(p8);
    const unsigned char* pk = nullptr;
    int pk_len = 0;
    const X509_ALGOR* alg = nullptr;
    REQUIRE(PKCS8_pkey_get0(nullptr, &pk, &pk_len, &alg, p8.get()) == 1);
    BytesView in(pk, static_cast<std::size_t>(pk_len));
    auto ec = der::read(in);
    REQUIRE(ec);
    BytesView body = ec->content;
    auto version = der::read(body);
    auto secret = der::read(body);
    std::optional<der::Tlv> public_key;
    while (!body.empty()) {
      auto t = der::read(body);
      REQUIRE(t);
      if (t->tag == der::tag::context_constructed(1)) public_key = t;
    }
    REQUIRE((version && secret && public_key));
    const bool p256 = type == keys::KeyType::kEcP256;
    const Bytes curve = p256 ? der::oid(oid::kSecp256r1) : der::oid(oid::kSecp384r1);
    const Bytes other = p256 ? der::oid(oid::kSecp384r1) : der::oid(oid::kSecp256r1);
    const Bytes algorithm = der::sequence({der::oid(oid::kEcPublicKey), curve});
    auto p8_with = [&](const Bytes& ec_private_key) {
      return der::sequence({der::integer(0), algorithm, der::octet_string(ec_private_key)});
    };
    const Bytes named = der::constructed(der::tag::context_constructed(0), {curve});
    same_key(*test::must(keys::from_pkcs8_pem(
                 pem_of(p8_with(der::sequence({version->whole, secret->whole, named, public_key->whole}))),
                 nullptr)),
             *key);
    same_key(*test::must(keys::from_pkcs8_pem(pem_of(p8_with(der::sequence({version->whole, secret->whole}))),
                                              nullptr)),
             *key);
    const Bytes wrong = der::constructed(der::tag::context_constructed(0), {other});
    CHECK_FALSE(keys::from_pkcs8_pem(
        pem_of(p8_with(der::sequence({version->whole, secret->whole, wrong, public_key->whole}))), nullptr));
    // A public key that is no point on the curve is refused, as the decoders refuse it.
    Bytes bad_point(public_key->whole.begin(), public_key->whole.end());
    bad_point.back() ^= 0x01;
    CHECK_FALSE(keys::from_pkcs8_pem(
        pem_of(p8_with(der::sequence({version->whole, secret->whole, bad_point}))), nullptr));
  }
}
