// The CRL encoder, judged by OpenSSL's parser: every entry form (serials of every shape, every
// reason, invalidity dates, times on both sides of 2050), no entries at all, and the signature.
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/core/time.h"
#include "pki/crl/crl_builder.h"
#include "pki/keys/keys.h"
#include "support.h"

using namespace pki;

namespace {

struct Signed {
  OsslPtr<X509_CRL> crl;
  OsslPtr<EVP_PKEY> key;
};

Signed make(const std::vector<crl::Entry>& entries, keys::KeyType type = keys::KeyType::kEcP256) {
  auto key = test::must(keys::generate(type));
  OsslPtr<EVP_PKEY> pub(EVP_PKEY_dup(key.get()));
  auto signer = test::must(cert::Signer::create(std::move(key)));
  auto name = test::must(cert::parse_dn("CN=Encoder Test"));
  const TimePoint now = test::must(parse_rfc3339("2026-01-02T03:04:05Z"));
  crl::CrlEncoder enc(test::must(cert::name_der(*name)), signer.algorithm(), now, now + std::chrono::days{7});
  enc.reserve(entries.size());
  for (const auto& e : entries) enc.add(e);
  const std::vector<cert::Extension> exts{crl::crl_number_extension(7)};
  const Bytes der = test::must(std::move(enc).sign(exts, signer));
  const unsigned char* p = der.data();
  OsslPtr<X509_CRL> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(crl);
  CHECK(p == der.data() + der.size());
  return {std::move(crl), std::move(pub)};
}

std::string serial_of(const X509_REVOKED* r) {
  const ASN1_INTEGER* s = X509_REVOKED_get0_serialNumber(r);
  OsslPtr<BIGNUM> bn(ASN1_INTEGER_to_BN(s, nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex;
  OPENSSL_free(hex);
  return out;
}

}  // namespace

TEST_CASE("crl encoder: OpenSSL reads every entry as written, and the signature verifies") {
  const TimePoint t2026 = test::must(parse_rfc3339("2026-01-01T00:00:00Z"));
  const TimePoint t2051 = test::must(parse_rfc3339("2051-06-30T23:59:59Z"));
  const TimePoint t1949 = test::must(parse_rfc3339("1949-12-31T23:59:59Z"));
  std::vector<crl::Entry> entries = {
      {Bytes{0x01}, t2026, cert::CrlReason::kUnspecified, std::nullopt},
      {Bytes{0x00, 0x00, 0x7f}, t2026, cert::CrlReason::kKeyCompromise, t1949},  // leading zeros dropped
      {Bytes{0x80, 0x01}, t2051, cert::CrlReason::kCaCompromise, t2051},         // top bit: a 0x00 added
      {Bytes{}, t2026, cert::CrlReason::kCertificateHold, std::nullopt},         // zero
      {Bytes(20, 0xff), t2026, cert::CrlReason::kRemoveFromCrl, std::nullopt},   // 20 octets
      {Bytes{0x0a}, t2026, cert::CrlReason::kAaCompromise, std::nullopt},
  };
  Signed s = make(entries);
  CHECK(X509_CRL_verify(s.crl.get(), s.key.get()) == 1);
  const STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(s.crl.get());
  REQUIRE(sk_X509_REVOKED_num(list) == static_cast<int>(entries.size()));
  const std::string serials[] = {"01", "7F", "8001", "0", std::string(40, 'F'), "0A"};
  const int reasons[] = {-1, 1, 2, 6, 8, 10};
  for (int i = 0; i < sk_X509_REVOKED_num(list); ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(list, i);
    CAPTURE(i);
    CHECK(serial_of(r) == serials[i]);
    CHECK(test::must(from_asn1_time(*X509_REVOKED_get0_revocationDate(r))) == entries[i].revoked_at);
    // RFC 5280 5.1.2.4 / 4.1.2.5: UTCTime before 2050, GeneralizedTime from 2050 on.
    CHECK(ASN1_STRING_type(X509_REVOKED_get0_revocationDate(r)) ==
          (i == 2 ? V_ASN1_GENERALIZEDTIME : V_ASN1_UTCTIME));
    int crit = 0;
    OsslPtr<ASN1_ENUMERATED> code(
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
    CHECK((code ? ASN1_ENUMERATED_get(code.get()) : -1) == reasons[i]);
    OsslPtr<ASN1_GENERALIZEDTIME> inv(
        static_cast<ASN1_GENERALIZEDTIME*>(X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, nullptr)));
    REQUIRE(static_cast<bool>(inv) == entries[i].invalidity_date.has_value());
    if (inv) CHECK(test::must(from_asn1_time(*inv)) == *entries[i].invalidity_date);
  }
}

TEST_CASE("crl encoder: no entries means no list (RFC 5280 5.1.2.6); RSA and Ed25519 sign it too") {
  for (auto type : {keys::KeyType::kEcP256, keys::KeyType::kRsa2048, keys::KeyType::kEd25519}) {
    Signed s = make({}, type);
    CHECK(X509_CRL_get_REVOKED(s.crl.get()) == nullptr);
    CHECK(X509_CRL_verify(s.crl.get(), s.key.get()) == 1);
  }
}

TEST_CASE("crl encoder: many entries, lengths of every header size") {
  std::vector<crl::Entry> entries;
  const TimePoint t = test::must(parse_rfc3339("2026-01-01T00:00:00Z"));
  for (std::uint32_t i = 1; i <= 5000; ++i)
    entries.push_back({Bytes{static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}, t,
                       i % 2 ? cert::CrlReason::kSuperseded : cert::CrlReason::kUnspecified, std::nullopt});
  Signed s = make(entries);
  CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(s.crl.get())) == 5000);
  CHECK(X509_CRL_verify(s.crl.get(), s.key.get()) == 1);
}
