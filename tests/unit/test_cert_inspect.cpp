// cert/inspect, the key formats keys/ reads, cert::create_csr, and the inputs they come from
// (core/io: read_input, pem_all_blocks).
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>

#include "pki/cert/builder.h"
#include "pki/cert/crl.h"
#include "pki/cert/csr.h"
#include "pki/cert/inspect.h"
#include "pki/cert/name.h"
#include "pki/cert/pkcs12.h"
#include "pki/core/io.h"
#include "pki/keys/keys.h"
#include "support.h"

using namespace pki;
using namespace pki::cert;

namespace {

// A self-signed certificate with the given extensions, signed by a new P-256 key.
Bytes self_signed(std::vector<Extension> extensions, OsslPtr<EVP_PKEY>* key_out = nullptr) {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  if (key_out) key_out->reset(EVP_PKEY_dup(key.get()));
  auto signer = test::must(Signer::create(std::move(key)));
  auto name = test::must(parse_dn("CN=Inspect Test, O=Test"));
  TbsCertificate t;
  t.serial = Bytes{0x0a, 0x1b};
  t.subject = test::must(name_der(*name));
  t.issuer = t.subject;
  t.not_before = test::at("2026-01-01T00:00:00Z");
  t.not_after = test::at("2027-01-01T00:00:00Z");
  t.spki = spki;
  t.extensions = std::move(extensions);
  return test::must(sign_certificate(t, signer));
}

const InspectedExtension* find_ext(const std::vector<InspectedExtension>& exts, std::string_view oid) {
  for (const auto& e : exts)
    if (e.oid == oid) return &e;
  return nullptr;
}

const InspectedField* find_field(const InspectedExtension& e, std::string_view key) {
  for (const auto& f : e.fields)
    if (f.key == key) return &f;
  return nullptr;
}

template <class T>
Bytes i2d(T* obj, int (*fn)(const T*, unsigned char**)) {
  unsigned char* buf = nullptr;
  const int n = fn(obj, &buf);
  REQUIRE(n > 0);
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace

TEST_CASE("inspect: a certificate's fields and every extension, known ones decoded, others as hex") {
  const std::vector<GeneralName> sans{{GeneralNameType::kDns, "a.example", {}},
                                      {GeneralNameType::kIp, {}, {192, 0, 2, 7}}};
  const std::vector<der::ConstOid> purposes{"1.3.6.1.5.5.7.3.1"};
  const Bytes der = self_signed({ext::basic_constraints(true, 1), ext::key_usage(key_usage::kKeyCertSign),
                                 ext::ext_key_usage(purposes), ext::subject_alt_name(sans, false),
                                 ext::crl_distribution_point("http://crl.example/a.crl"),
                                 Extension{"1.2.3.4.5", true, Bytes{0x04, 0x01, 0xff}},
                                 // policyConstraints whose value is an INTEGER: malformed.
                                 Extension{"2.5.29.36", false, Bytes{0x02, 0x01, 0x05}}});
  const auto c = test::must(inspect_certificate(der));
  CHECK(c.version == 3);
  CHECK(c.serial == "a1b");
  CHECK(c.subject == "CN=Inspect Test, O=Test");
  CHECK(c.issuer == c.subject);
  CHECK(c.self_signed);
  CHECK(c.not_after == test::at("2027-01-01T00:00:00Z"));
  CHECK(c.sans == std::vector<std::string>{"DNS:a.example", "IP:192.0.2.7"});
  CHECK(c.public_key.description == "EC P-256");
  CHECK(c.public_key.curve == "P-256");
  CHECK(c.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(c.fingerprint_sha256 == sha256_hex(der));
  REQUIRE(c.extensions.size() == 7);

  const auto* bc = find_ext(c.extensions, "2.5.29.19");
  REQUIRE(bc);
  CHECK(bc->name == "basicConstraints");
  CHECK(bc->critical);
  CHECK(bc->decoded);
  REQUIRE(find_field(*bc, "ca"));
  CHECK(find_field(*bc, "ca")->kind == FieldKind::kBoolean);
  CHECK(find_field(*bc, "ca")->values.front() == "true");
  CHECK(find_field(*bc, "path_len")->values.front() == "1");
  CHECK(find_field(*find_ext(c.extensions, "2.5.29.15"), "usages")->values ==
        std::vector<std::string>{"keyCertSign"});
  CHECK(find_field(*find_ext(c.extensions, "2.5.29.37"), "purposes")->values ==
        std::vector<std::string>{"serverAuth"});
  CHECK(find_field(*find_ext(c.extensions, "2.5.29.31"), "distribution_points")->values ==
        std::vector<std::string>{"URI:http://crl.example/a.crl"});

  const auto* unknown = find_ext(c.extensions, "1.2.3.4.5");
  REQUIRE(unknown);
  CHECK(unknown->critical);
  CHECK_FALSE(unknown->decoded);
  CHECK(unknown->error.empty());
  CHECK(unknown->value_hex == "0401ff");

  const auto* malformed = find_ext(c.extensions, "2.5.29.36");
  REQUIRE(malformed);
  CHECK_FALSE(malformed->decoded);
  CHECK(malformed->error == "malformed policyConstraints extension");
  CHECK(malformed->value_hex == "020105");
}

TEST_CASE("inspect: PEM chains in order, DER recognised by structure, bad input refused") {
  const Bytes a = self_signed({});
  const Bytes b = self_signed({ext::basic_constraints(false, std::nullopt)});
  const std::string pem = "leading text\n" + to_pem("CERTIFICATE", a) + to_pem("CERTIFICATE", b);
  const auto objects = test::must(inspect(pem, {}));
  REQUIRE(objects.size() == 2);
  CHECK(std::get<InspectedCertificate>(objects[0].value).fingerprint_sha256 == sha256_hex(a));
  CHECK(std::get<InspectedCertificate>(objects[1].value).fingerprint_sha256 == sha256_hex(b));
  CHECK(type_name(objects[0]) == "certificate");

  const auto der = test::must(inspect(as_chars(a), {}));
  REQUIRE(der.size() == 1);
  CHECK(std::get<InspectedCertificate>(der[0].value).fingerprint_sha256 == sha256_hex(a));

  for (const std::string& bad :
       {std::string(), std::string(" \n"), std::string("hello"), std::string("\x30\x03\x02\x01\x01", 5),
        pem.substr(0, pem.size() - 40), to_pem("PKCS7", a), to_pem("CERTIFICATE", Bytes{0x30, 0x00})}) {
    CAPTURE(bad);
    auto r = inspect(bad, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kBadInput);
    CHECK(r.error().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("inspect: keys show their public part, in every format, and never decrypt without a passphrase") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const std::string spki_hash = sha256_hex(test::must(keys::spki_der(*key)));
  const Bytes p8 = [&] {
    OsslPtr<PKCS8_PRIV_KEY_INFO> info(EVP_PKEY2PKCS8(key.get()));
    return i2d<PKCS8_PRIV_KEY_INFO>(info.get(), i2d_PKCS8_PRIV_KEY_INFO);
  }();
  const Bytes sec1 = i2d<EVP_PKEY>(key.get(), i2d_PrivateKey);
  const Bytes spki = test::must(keys::spki_der(*key));
  struct Case {
    Bytes der;
    keys::KeyFormat format;
  };
  for (const auto& c : {Case{p8, keys::KeyFormat::kPkcs8}, Case{sec1, keys::KeyFormat::kSec1},
                        Case{spki, keys::KeyFormat::kSpki}}) {
    CAPTURE(keys::to_string(c.format));
    CHECK(keys::detect_key_format(c.der) == c.format);
    const auto objects = test::must(inspect(as_chars(c.der), {}));
    const auto& k = std::get<InspectedKey>(objects.at(0).value);
    CHECK(k.format == c.format);
    CHECK_FALSE(k.encrypted);
    REQUIRE(k.public_key);
    CHECK(k.public_key->spki_sha256 == spki_hash);
    CHECK(type_name(objects[0]) == (c.format == keys::KeyFormat::kSpki ? "public-key" : "private-key"));
  }

  auto rsa = test::must(keys::generate(keys::KeyType::kRsa2048));
  const Bytes pkcs1 = i2d<EVP_PKEY>(rsa.get(), i2d_PrivateKey);
  CHECK(keys::detect_key_format(pkcs1) == keys::KeyFormat::kPkcs1);
  const auto rsa_objects = test::must(inspect(to_pem("RSA PRIVATE KEY", pkcs1), {}));
  CHECK(std::get<InspectedKey>(rsa_objects.at(0).value).public_key->description == "RSA 2048");

  // Encrypted PKCS#8: only that it is encrypted, and how, without the passphrase.
  Secret pass("correct horse");
  const std::string encrypted = test::must(keys::to_pkcs8_pem(*key, &pass));
  const auto sealed = test::must(inspect(encrypted, {}));
  const auto& s = std::get<InspectedKey>(sealed.at(0).value);
  CHECK(s.format == keys::KeyFormat::kEncryptedPkcs8);
  CHECK(s.encrypted);
  CHECK_FALSE(s.public_key);
  CHECK(s.encryption.find("PBES2") == 0);
  CHECK(s.encryption.find("600000 iterations") != std::string::npos);
  InspectOptions with_pass;
  with_pass.key_passphrase = &pass;
  const auto opened = test::must(inspect(encrypted, with_pass));
  REQUIRE(std::get<InspectedKey>(opened.at(0).value).public_key);
  CHECK(std::get<InspectedKey>(opened.at(0).value).public_key->spki_sha256 == spki_hash);
  Secret wrong("wrong");
  InspectOptions with_wrong;
  with_wrong.key_passphrase = &wrong;
  auto refused = inspect(encrypted, with_wrong);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == Field::kKeyPassphrase);

  // load_private_key reads what inspect reads, and wants the passphrase.
  CHECK(sha256_hex(test::must(keys::spki_der(*test::must(keys::load_private_key(encrypted, &pass))))) ==
        spki_hash);
  auto no_pass = keys::load_private_key(encrypted, nullptr);
  REQUIRE_FALSE(no_pass);
  CHECK(no_pass.error().field == Field::kKeyPassphrase);
  CHECK(test::must(keys::load_private_key(as_chars(sec1), nullptr)));
  CHECK_FALSE(keys::load_private_key(as_chars(spki), nullptr));
}

TEST_CASE("inspect: a legacy PEM-encrypted key names its cipher and opens with its passphrase") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  const std::string pass = "legacy pass";
  REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), EVP_aes_128_cbc(),
                                               reinterpret_cast<const unsigned char*>(pass.data()),
                                               static_cast<int>(pass.size()), nullptr, nullptr) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const std::string pem(data, static_cast<std::size_t>(n));
  REQUIRE(pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos);
  const auto sealed = test::must(inspect(pem, {}));
  const auto& k = std::get<InspectedKey>(sealed.at(0).value);
  CHECK(k.format == keys::KeyFormat::kSec1);
  CHECK(k.encrypted);
  CHECK(k.encryption.find("AES-128-CBC") != std::string::npos);
  CHECK_FALSE(k.public_key);
  Secret secret(pass);
  InspectOptions options;
  options.key_passphrase = &secret;
  const auto opened = test::must(inspect(pem, options));
  CHECK(std::get<InspectedKey>(opened.at(0).value).public_key->spki_sha256 ==
        sha256_hex(test::must(keys::spki_der(*key))));
}

TEST_CASE("inspect: PKCS#12 lists its certificates and the key's public part, with its passphrase only") {
  OsslPtr<EVP_PKEY> key;
  const Bytes der = self_signed({}, &key);
  const auto cert = test::must(Certificate::from_der(der));
  Secret pass("p12 pass");
  const Bytes p12 = test::must(build_pkcs12(*cert, {}, key.get(), &pass, "test"));

  auto none = inspect(as_chars(p12), {});
  REQUIRE_FALSE(none);
  CHECK(none.error().field == Field::kPkcs12Passphrase);
  Secret wrong("nope");
  InspectOptions bad;
  bad.pkcs12_passphrase = &wrong;
  auto refused = inspect(as_chars(p12), bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == Field::kPkcs12Passphrase);

  InspectOptions good;
  good.pkcs12_passphrase = &pass;
  const auto objects = test::must(inspect(as_chars(p12), good));
  const auto& p = std::get<InspectedPkcs12>(objects.at(0).value);
  CHECK(p.mac_present);
  REQUIRE(p.certificates.size() == 1);
  CHECK(p.certificates[0].fingerprint_sha256 == sha256_hex(der));
  REQUIRE(p.key);
  CHECK(p.key->spki_sha256 == sha256_hex(test::must(keys::spki_der(*key))));
  CHECK(p.key_certificate == std::size_t{0});
}

TEST_CASE("inspect: a CRL's number, times and entries with their reasons") {
  test::Fixture f;
  f.root("root");
  auto issued = test::must(f.authority.issue([] {
    auto r = test::Fixture::request("client", "alice");
    r.ca = "root";
    return r;
  }()));
  // Before any revocation: a CRL without a revokedCertificates list at all (RFC 5280 5.1.2.6).
  const auto empty = test::must(f.authority.publish_crl("root"));
  const auto none = test::must(inspect_crl(empty.der, CrlEntries::kList));
  CHECK(none.entry_count == 0);
  CHECK(none.entries.empty());
  CHECK(test::must(Crl::from_der(empty.der))->entry_count() == 0);

  ca::RevokeRequest rr;
  rr.serial = issued.certificate.serial;
  rr.reason = CrlReason::kKeyCompromise;
  rr.invalidity_date = test::at("2025-12-01T00:00:00Z");
  test::must(f.authority.revoke(rr));
  const auto rec = test::must(f.authority.publish_crl("root"));

  const auto counted = test::must(inspect_crl(rec.der, CrlEntries::kCount));
  CHECK(counted.entry_count == 1);
  CHECK(counted.entries.empty());
  CHECK(counted.crl_number == std::to_string(rec.crl_number));
  CHECK_FALSE(counted.delta_base);
  CHECK(counted.issuer == "CN=root, O=Test");
  CHECK(counted.this_update == rec.this_update);
  CHECK(counted.next_update == rec.next_update);
  CHECK(counted.fingerprint_sha256 == sha256_hex(rec.der));

  const auto listed = test::must(inspect_crl(rec.der, CrlEntries::kList));
  REQUIRE(listed.entries.size() == 1);
  CHECK(listed.entries[0].serial == issued.certificate.serial);
  CHECK(listed.entries[0].reason == "keyCompromise");
  CHECK(listed.entries[0].invalidity_date == test::at("2025-12-01T00:00:00Z"));
  const auto objects = test::must(inspect(to_pem("X509 CRL", rec.der), {}));
  CHECK(type_name(objects.at(0)) == "crl");
}

TEST_CASE("create_csr: subject, SANs and a new key; the request verifies; a bad signature is reported") {
  test::TempDir dir;
  CsrRequest req;
  req.subject = "O=Acme, C=DE";
  req.cn = "www.example";
  req.sans = {test::must(parse_san("DNS:www.example")), test::must(parse_san("IP:192.0.2.1"))};
  req.key = CsrNewKey{keys::KeyType::kEcP384, dir.file("new.key"), nullptr};
  const auto made = test::must(create_csr(req));
  CHECK(made.key_written);
  CHECK(made.key_type == keys::KeyType::kEcP384);
  struct stat st {};
  REQUIRE(::stat(dir.file("new.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  const auto csr = test::must(inspect_csr_details(made.der));
  CHECK(csr.subject == "O=Acme, C=DE, CN=www.example");
  CHECK(csr.sans == std::vector<std::string>{"DNS:www.example", "IP:192.0.2.1"});
  CHECK(csr.signature == SignatureStatus::kValid);
  CHECK(csr.signature_algorithm == "ecdsa-with-SHA384");
  // The key written is the key in the request.
  const auto key = test::must(keys::load_private_key(test::must(read_input(dir.file("new.key"))), nullptr));
  CHECK(csr.public_key.spki_sha256 == sha256_hex(test::must(keys::spki_der(*key))));
  // pki issue's reader agrees.
  CHECK(test::must(inspect_csr_der(made.der)).requested_sans.size() == 2);

  // One flipped bit in the signature's last byte.
  Bytes broken = made.der;
  broken.back() ^= 0x01;
  CHECK(test::must(inspect_csr_details(broken)).signature == SignatureStatus::kInvalid);

  // The same key again, from its file; a new key is never written over an existing file.
  CsrRequest again;
  again.cn = "other";
  again.key = CsrKeyFile{dir.file("new.key"), nullptr};
  const auto second = test::must(create_csr(again));
  CHECK_FALSE(second.key_written);
  CHECK(test::must(inspect_csr_details(second.der)).public_key.spki_sha256 == csr.public_key.spki_sha256);
  again.key = CsrNewKey{keys::KeyType::kEcP256, dir.file("new.key"), nullptr};
  auto refused = create_csr(again);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == Field::kKeyOut);
}

TEST_CASE("create_csr: refusals name their field, and nothing is written") {
  test::TempDir dir;
  auto refused = [&](CsrRequest r, Field field) {
    r.key = CsrNewKey{keys::KeyType::kEcP256, dir.file("k.key"), nullptr};
    auto made = create_csr(r);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::kBadInput);
    CHECK(made.error().field == field);
    struct stat st {};
    CHECK(::stat(dir.file("k.key").c_str(), &st) != 0);
  };
  refused(CsrRequest{}, Field::kCommonName);  // no subject at all
  CsrRequest both;
  both.subject = "CN=a, O=b";
  both.cn = "c";
  refused(both, Field::kCommonName);
  CsrRequest bad_dn;
  bad_dn.subject = "NOPE=x";
  refused(bad_dn, Field::kSubject);
  CsrRequest long_cn;
  long_cn.cn = std::string(65, 'a');  // RFC 5280 ub-common-name is 64
  refused(long_cn, Field::kCommonName);

  CsrRequest missing;
  missing.cn = "x";
  missing.key = CsrKeyFile{dir.file("absent.key"), nullptr};
  auto r = create_csr(missing);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == Field::kKey);
}

TEST_CASE("read_input: capped, directories refused; pem_all_blocks keeps order, labels and headers") {
  test::TempDir dir;
  { std::ofstream(dir.file("big")) << std::string(100, 'x'); }
  CHECK(test::must(read_input(dir.file("big"), 100)).size() == 100);
  auto big = read_input(dir.file("big"), 99);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == ErrorCode::kBadInput);
  CHECK_FALSE(read_input(dir.file("")));
  auto missing = read_input(dir.file("absent"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("no such file") != std::string::npos);

  const std::string text =
      to_pem("CERTIFICATE", Bytes{1, 2, 3}) +
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n" +
      "BAUG\n-----END RSA PRIVATE KEY-----\n" + to_pem("X509 CRL", Bytes{7});
  const auto blocks = test::must(pem_all_blocks(text));
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0].label == "CERTIFICATE");
  CHECK(blocks[0].der == Bytes{1, 2, 3});
  CHECK(blocks[1].label == "RSA PRIVATE KEY");
  CHECK(blocks[1].headers.find("DEK-Info: AES-128-CBC") != std::string::npos);
  CHECK(blocks[1].der == Bytes{4, 5, 6});
  CHECK(blocks[2].label == "X509 CRL");
  CHECK_FALSE(pem_all_blocks("-----BEGIN CERTIFICATE-----\nAQID\n-----END X509 CRL-----\n"));
  CHECK_FALSE(pem_all_blocks("-----BEGIN CERTIFICATE-----\nAQID\n" + to_pem("CERTIFICATE", Bytes{1})));
}
