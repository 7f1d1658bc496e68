#include <doctest/doctest.h>

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
