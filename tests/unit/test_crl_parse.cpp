// cert::Crl reads a CRL by walking its DER (entries into its own index, the header through
// OpenSSL without the entries) and checks the signature over the signed bytes as received.
// OpenSSL's own parse of the same DER is the judge.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "pki/cert/builder.h"
#include "pki/cert/crl.h"
#include "pki/cert/name.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/crl/crl_builder.h"
#include "pki/keys/keys.h"
#include "support.h"

using namespace pki;

namespace {

struct Issuer {
  OsslPtr<EVP_PKEY> public_key;
  std::unique_ptr<cert::Signer> signer;
  Bytes name = test::must(cert::name_der(*test::must(cert::parse_dn("CN=Parse CA"))));
  Issuer() {
    auto key = test::must(keys::generate(keys::KeyType::kEcP256));
    public_key = up_ref(key.get());
    signer = std::make_unique<cert::Signer>(test::must(cert::Signer::create(std::move(key))));
  }
};

Bytes utc(const char* t) { return der::tlv(der::tag::kUtcTime, as_bytes(t)); }
Bytes generalized(const char* t) { return der::tlv(der::tag::kGeneralizedTime, as_bytes(t)); }

Bytes entry(BytesView serial_content, const Bytes& date, const Bytes& extensions = {}) {
  const Bytes serial = der::tlv(der::tag::kInteger, serial_content);
  return extensions.empty() ? der::sequence({serial, date}) : der::sequence({serial, date, extensions});
}

Bytes reason(std::uint8_t code) {
  const cert::Extension e{"2.5.29.21", false, der::tlv(der::tag::kEnumerated, Bytes{code})};
  return cert::encode_extensions(std::span(&e, 1));
}

// A TBSCertList of `entries`, a CRL number and the issuer's name; `algorithm` inside it.
Bytes tbs_of(const Issuer& issuer, const std::vector<Bytes>& entries, BytesView algorithm) {
  Bytes list;
  for (const auto& e : entries) list.insert(list.end(), e.begin(), e.end());
  const cert::Extension number = crl::crl_number_extension(7);
  const Bytes exts =
      der::tlv(der::tag::context_constructed(0), cert::encode_extensions(std::span(&number, 1)));
  const Bytes version = der::tlv(der::tag::kInteger, Bytes{1});
  if (entries.empty())
    return der::sequence({version, algorithm, issuer.name, utc("260101000000Z"), utc("270101000000Z"), exts});
  return der::sequence({version, algorithm, issuer.name, utc("260101000000Z"), utc("270101000000Z"),
                        der::tlv(der::tag::kSequence, list), exts});
}

Bytes signed_crl(const Issuer& issuer, const Bytes& tbs) {
  return cert::signed_structure(tbs, issuer.signer->algorithm(), test::must(issuer.signer->sign(tbs)));
}

OsslPtr<X509_CRL> openssl_parse(BytesView der) {
  const unsigned char* p = der.data();
  return OsslPtr<X509_CRL>(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
}

// Every entry as OpenSSL reads it, against the Crl's: serial, date, reason, in the same order.
void check_entries_agree(const cert::Crl& crl, X509_CRL* x) {
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(x);
  std::vector<std::string> ours;
  REQUIRE(crl.for_each_entry([&](cert::Crl::RawEntry& r) -> Result<void> {
    ours.push_back(r.serial_hex + "@" + format_rfc3339(r.revocation_date));
    return {};
  }));
  REQUIRE(ours.size() == static_cast<std::size_t>(std::max(0, sk_X509_REVOKED_num(revoked))));
  CHECK(crl.entry_count() == ours.size());
  const auto listed = crl.entries();
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    const ASN1_INTEGER* s = X509_REVOKED_get0_serialNumber(r);
    std::string hex = cert::serial_to_hex(
        BytesView(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))));
    if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER) hex = "-" + hex;
    const std::string theirs =
        hex + "@" + format_rfc3339(test::must(from_asn1_time(*X509_REVOKED_get0_revocationDate(r))));
    CHECK(ours[static_cast<std::size_t>(i)] == theirs);
    // The index finds it with OpenSSL's reason.
    auto it = std::lower_bound(listed.begin(), listed.end(), hex,
                               [](const auto& e, const std::string& h) { return e.first < h; });
    REQUIRE(it != listed.end());
    CHECK(it->first == hex);
    int critical = 0;
    OsslPtr<ASN1_STRING> code(
        static_cast<ASN1_STRING*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &critical, nullptr)));
    if (code)
      CHECK(static_cast<long>(it->second.reason.value_or(cert::CrlReason::kUnspecified)) ==
            ASN1_ENUMERATED_get(code.get()));
    else
      CHECK_FALSE(it->second.reason.has_value());
  }
}

}  // namespace

TEST_CASE("CRL parsing: every PKITS CRL read as OpenSSL reads it") {
  const std::filesystem::path dir = std::filesystem::path(PKI_PKITS_DIR) / "crls";
  int crls = 0, entries = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    CAPTURE(f.path().filename().string());
    std::ifstream in(f.path(), std::ios::binary);
    const Bytes der{std::istreambuf_iterator<char>(in), {}};
    auto ours = cert::Crl::from_der(der);
    OsslPtr<X509_CRL> theirs = openssl_parse(der);
    REQUIRE(theirs);
    REQUIRE(ours);
    CHECK((*ours)->this_update() == test::must(from_asn1_time(*X509_CRL_get0_lastUpdate(theirs.get()))));
    CHECK(X509_NAME_cmp(&(*ours)->issuer(), X509_CRL_get_issuer(theirs.get())) == 0);
    check_entries_agree(**ours, theirs.get());
    ++crls;
    entries += static_cast<int>((*ours)->entry_count());
  }
  CHECK(crls > 100);
  CHECK(entries > 0);
}

TEST_CASE("CRL parsing: serials and times at their edges, as OpenSSL reads them") {
  Issuer issuer;
  const std::vector<Bytes> entries = {
      entry(Bytes{0x00, 0x80}, utc("491231235959Z"), reason(1)),      // 0x80, padded positive; 2049
      entry(Bytes{0xff}, utc("500101000000Z")),                       // -1; 1950
      entry(Bytes{0x80, 0x00}, generalized("20500101000000Z")),       // -32768; GeneralizedTime after 2049
      entry(Bytes{0x00}, generalized("19991231235959Z"), reason(6)),  // 0; certificateHold
      entry(Bytes(20, 0x7f), utc("260102030405Z")),                   // 20 octets
  };
  const Bytes der = signed_crl(issuer, tbs_of(issuer, entries, issuer.signer->algorithm()));
  auto crl = test::must(cert::Crl::from_der(der));
  OsslPtr<X509_CRL> x = openssl_parse(der);
  REQUIRE(x);
  check_entries_agree(*crl, x.get());
  CHECK(crl->signature_verifies(*issuer.public_key));
  CHECK(X509_CRL_verify(x.get(), issuer.public_key.get()) == 1);
  std::vector<std::string> serials;
  for (const auto& [s, e] : crl->entries()) serials.push_back(s);
  CHECK(serials ==
        std::vector<std::string>{"-1", "-8000", "0", "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f", "80"});
  CHECK(crl->entries().back().second.revocation_date == test::at("2049-12-31T23:59:59Z"));
  CHECK(crl->entries().front().second.revocation_date == test::at("1950-01-01T00:00:00Z"));

  // An empty CRL: no list at all.
  auto empty =
      test::must(cert::Crl::from_der(signed_crl(issuer, tbs_of(issuer, {}, issuer.signer->algorithm()))));
  CHECK(empty->entry_count() == 0);
  CHECK(empty->signature_verifies(*issuer.public_key));
}

TEST_CASE("CRL parsing: what is not DER, or not what was signed, is refused") {
  Issuer issuer;
  const Bytes good_entry = entry(Bytes{0x01}, utc("260102030405Z"));
  auto refused = [&](const std::vector<Bytes>& entries) {
    const Bytes der = signed_crl(issuer, tbs_of(issuer, entries, issuer.signer->algorithm()));
    auto r = cert::Crl::from_der(der);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kBadInput);
    return r.error().message;
  };
  // X.690 8.3.2: an INTEGER in the fewest octets.
  CHECK(refused({good_entry, entry(Bytes{0x00, 0x01}, utc("260102030405Z"))}).find("invalid DER") !=
        std::string::npos);
  CHECK_FALSE(refused({entry(Bytes{0xff, 0x80}, utc("260102030405Z"))}).empty());
  CHECK_FALSE(refused({entry(Bytes{}, utc("260102030405Z"))}).empty());
  // An entry whose date is not a Time, or with something after its extensions.
  CHECK_FALSE(refused({entry(Bytes{0x01}, der::tlv(der::tag::kInteger, Bytes{1}))}).empty());
  CHECK_FALSE(refused({der::sequence({der::tlv(der::tag::kInteger, Bytes{1}), utc("260102030405Z"), reason(1),
                                      der::tlv(der::tag::kNull, Bytes{})})})
                  .empty());
  // A Time that is no date.
  CHECK_FALSE(refused({entry(Bytes{0x01}, utc("261302030405Z"))}).empty());

  // Trailing bytes after the CRL.
  Bytes der = signed_crl(issuer, tbs_of(issuer, {good_entry}, issuer.signer->algorithm()));
  der.push_back(0);
  CHECK_FALSE(cert::Crl::from_der(der));

  // One bit changed in an entry: parsed, but not what the issuer signed (OpenSSL agrees).
  Bytes tampered = signed_crl(issuer, tbs_of(issuer, {good_entry}, issuer.signer->algorithm()));
  const Bytes serial_tlv = der::tlv(der::tag::kInteger, Bytes{0x01});
  auto at = std::search(tampered.begin(), tampered.end(), good_entry.begin(), good_entry.end());
  REQUIRE(at != tampered.end());
  at[static_cast<std::ptrdiff_t>(2 + serial_tlv.size() - 1)] ^= 0x02;  // serial 1 -> 3
  auto t = test::must(cert::Crl::from_der(tampered));
  CHECK(t->entries().front().first == "3");
  CHECK_FALSE(t->signature_verifies(*issuer.public_key));
  CHECK(X509_CRL_verify(openssl_parse(tampered).get(), issuer.public_key.get()) != 1);
  // Another key did not sign it.
  Issuer other;
  auto genuine = test::must(
      cert::Crl::from_der(signed_crl(issuer, tbs_of(issuer, {good_entry}, issuer.signer->algorithm()))));
  CHECK(genuine->signature_verifies(*issuer.public_key));
  CHECK_FALSE(genuine->signature_verifies(*other.public_key));

  // RFC 5280 5.1.1.2: the outer signatureAlgorithm must be the one inside (here ECDSA with SHA-384
  // inside, SHA-256 outside, the signature made over it all the same).
  const Bytes sha384 = der::sequence({der::oid("1.2.840.10045.4.3.3")});
  const Bytes inner_other = tbs_of(issuer, {good_entry}, sha384);
  const Bytes mismatched = cert::signed_structure(inner_other, issuer.signer->algorithm(),
                                                  test::must(issuer.signer->sign(inner_other)));
  auto m = test::must(cert::Crl::from_der(mismatched));
  CHECK_FALSE(m->signature_verifies(*issuer.public_key));
}

TEST_CASE("CRL parsing: a CRL RFC 5280 5.1.2 forbids is read but unusable: version, nextUpdate") {
  Issuer issuer;
  const cert::Extension number = crl::crl_number_extension(7);
  const Bytes exts =
      der::tlv(der::tag::context_constructed(0), cert::encode_extensions(std::span(&number, 1)));
  const Bytes v2 = der::tlv(der::tag::kInteger, Bytes{1});
  const Bytes algorithm = issuer.signer->algorithm();
  auto parsed = [&](std::vector<Bytes> fields) {
    Bytes tbs_content;
    for (const auto& f : fields) tbs_content.insert(tbs_content.end(), f.begin(), f.end());
    return test::must(cert::Crl::from_der(signed_crl(issuer, der::tlv(der::tag::kSequence, tbs_content))));
  };
  auto unusable = [](const cert::CrlPtr& c) { return c->unusable_reason().value_or(""); };
  // The form pki and OpenSSL write: usable.
  auto good = parsed({v2, algorithm, issuer.name, utc("260101000000Z"), utc("270101000000Z"), exts});
  CHECK_FALSE(good->unusable_reason());
  CHECK(good->version() == 2);
  // Version 3 does not exist (5.1.2.1)...
  auto v3 = parsed({der::tlv(der::tag::kInteger, Bytes{2}), algorithm, issuer.name, utc("260101000000Z"),
                    utc("270101000000Z"), exts});
  CHECK(unusable(v3).find("5.1.2.1") != std::string::npos);
  // ...and one with extensions must say v2.
  auto v1 = parsed({algorithm, issuer.name, utc("260101000000Z"), utc("270101000000Z"), exts});
  CHECK(unusable(v1).find("5.1.2.1") != std::string::npos);
  // Without nextUpdate a CRL would never go stale (5.1.2.5: issuers MUST include it).
  auto forever = parsed({v2, algorithm, issuer.name, utc("260101000000Z"), exts});
  CHECK_FALSE(forever->next_update());
  CHECK(unusable(forever).find("nextUpdate") != std::string::npos);
  // OpenSSL reads all of them: these are rules pki applies, not parse failures.
  for (const auto& c : {v3, v1, forever}) CHECK(openssl_parse(c->der()));
}
