// The CA side after issuance: CAs signed elsewhere (external + install), imports (with an openssl
// index), renewal and key rollover, through libpki alone.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "pki/cert/builder.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"
#include "pki/core/io.h"
#include "support.h"

using namespace pki;
using std::chrono::days;

namespace {

// An outside root: a key and a self-signed CA certificate made here, outside any store.
struct OutsideRoot {
  OsslPtr<EVP_PKEY> key = keys::generate(keys::KeyType::kEcP256).value();
  std::unique_ptr<cert::Signer> signer;
  cert::CertificatePtr certificate;
  Bytes ski;

  explicit OutsideRoot(TimePoint now, const char* dn = "CN=Outside Root, O=Corp") {
    signer = std::make_unique<cert::Signer>(cert::Signer::create(up_ref(key.get())).value());
    const Bytes spki = keys::spki_der(*key).value();
    ski = cert::key_identifier(spki).value();
    cert::TbsCertificate tbs;
    tbs.subject = cert::name_der(*cert::parse_dn(dn).value()).value();
    tbs.issuer = tbs.subject;
    tbs.serial = {0x01};
    tbs.not_before = now - days{1};
    tbs.not_after = now + days{3650};
    tbs.spki = spki;
    tbs.extensions.push_back(cert::ext::basic_constraints(true, std::nullopt));
    tbs.extensions.push_back(cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign));
    tbs.extensions.push_back(cert::ext::subject_key_id(ski));
    certificate = cert::Certificate::from_der(cert::sign_certificate(tbs, *signer).value()).value();
  }

  // Signs a CA certificate for the request's key and subject.
  Bytes sign_ca(const Bytes& csr_der, TimePoint now, bool ca = true, std::uint8_t serial = 2) const {
    auto info = cert::inspect_csr_der(csr_der).value();
    cert::TbsCertificate tbs;
    tbs.subject = cert::name_der(*info.subject).value();
    tbs.issuer = cert::name_der(certificate->subject()).value();
    tbs.serial = {serial};
    tbs.not_before = now - days{1};
    tbs.not_after = now + days{1000};
    tbs.spki = info.spki;
    tbs.extensions.push_back(cert::ext::basic_constraints(ca, ca ? std::optional<int>(0) : std::nullopt));
    tbs.extensions.push_back(cert::ext::key_usage(
        ca ? cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign : cert::key_usage::kDigitalSignature));
    tbs.extensions.push_back(cert::ext::subject_key_id(cert::key_identifier(info.spki).value()));
    tbs.extensions.push_back(cert::ext::authority_key_id(ski));
    return cert::sign_certificate(tbs, *signer).value();
  }
};

ca::CaCreated external(test::Fixture& f, const std::string& name) {
  ca::CreateCaRequest r;
  r.name = name;
  r.subject = "CN=" + name + ", O=Corp";
  r.external = true;
  return test::must(f.authority.create_ca(r));
}

bool verifies_with(const Bytes& child_der, const cert::Certificate& issuer) {
  auto child = cert::Certificate::from_der(child_der).value();
  return X509_verify(child->x509_mutable(), const_cast<EVP_PKEY*>(issuer.public_key())) == 1;
}

}  // namespace

TEST_CASE("external CA: pending until installed, then chained to the outside root") {
  test::Fixture f;
  OutsideRoot root(f.clock.now());
  auto made = external(f, "corp");
  CHECK(made.authority.pending());
  CHECK(made.certificate.id == 0);
  auto info = test::must(cert::inspect_csr_der(made.csr_der));
  CHECK(cert::format_dn(*info.subject) == "CN=corp, O=Corp");
  // Pending: no issuing.
  auto req = test::Fixture::request("client", "a");
  req.ca = "corp";
  auto refused = f.authority.issue(req);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK(refused.error().message.find("pending") != std::string::npos);

  SUBCASE("a certificate for another key is refused") {
    auto other = external(f, "other");
    auto e = f.authority.install_ca(
        {"corp", root.sign_ca(other.csr_der, f.clock.now()), {root.certificate->der()}, {}});
    REQUIRE_FALSE(e);
    CHECK(e.error().field == Field::kCertificate);
  }
  SUBCASE("a certificate that is not a CA's is refused") {
    auto e = f.authority.install_ca(
        {"corp", root.sign_ca(made.csr_der, f.clock.now(), false), {root.certificate->der()}, {}});
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("not a CA certificate") != std::string::npos);
  }
  SUBCASE("without its issuer the chain is refused") {
    auto e = f.authority.install_ca({"corp", root.sign_ca(made.csr_der, f.clock.now()), {}, {}});
    REQUIRE_FALSE(e);
    CHECK(e.error().field == Field::kChain);
    auto still = test::must(f.store->authority_by_name("corp"));
    CHECK(still->pending());
  }
  SUBCASE("installed: issues, exports the outside root, and a second CA reuses it") {
    auto in = test::must(f.authority.install_ca(
        {"corp", root.sign_ca(made.csr_der, f.clock.now()), {root.certificate->der()}, {}}));
    REQUIRE(in.outside_issuers.size() == 1);
    CHECK_FALSE(in.authority.pending());
    CHECK(in.certificate.origin == store::Origin::kOutside);
    auto chain = test::must(f.authority.chain(in.authority));
    REQUIRE(chain.size() == 2);
    CHECK(chain[1]->fingerprint() == root.certificate->fingerprint());
    auto leaf = test::must(f.authority.issue(req));
    CHECK(verifies_with(leaf.certificate.der, *chain[0]));
    REQUIRE(leaf.chain.size() == 1);  // the CA; the outside root is self-signed and left out

    auto outside = test::must(f.store->authority_by_name(in.outside_issuers[0]));
    CHECK(outside->kind == store::AuthorityKind::kOutside);
    auto no_key = f.authority.load_issuer(outside->name);
    REQUIRE_FALSE(no_key);
    CHECK(no_key.error().code == ErrorCode::kRefused);
    ca::RevokeRequest rv;
    rv.fingerprint = in.certificate.fingerprint;
    auto not_ours = f.authority.revoke(rv);
    REQUIRE_FALSE(not_ours);
    CHECK(not_ours.error().message.find("outside issuer") != std::string::npos);

    auto second = external(f, "corp2");
    auto in2 = test::must(
        f.authority.install_ca({"corp2", root.sign_ca(second.csr_der, f.clock.now(), true, 3), {}, {}}));
    CHECK(in2.outside_issuers.empty());  // found in the store
    CHECK(in2.authority.parent_id == outside->id);
    auto again = f.authority.install_ca({"corp", root.sign_ca(made.csr_der, f.clock.now()), {}, {}});
    REQUIRE_FALSE(again);
    CHECK(again.error().message.find("not waiting") != std::string::npos);
  }
}

TEST_CASE("import: a CA's certificate and key, its openssl index, its CRL numbers") {
  test::Fixture f;
  OutsideRoot old_ca(f.clock.now(), "CN=Old CA, O=Corp");
  const std::string key_pem = keys::to_pkcs8_pem(*old_ca.key, nullptr).value();
  const std::string index = f.dir.file("index.txt");
  {
    std::ofstream out(index);
    out << "V\t301231235959Z\t\t0A\tunknown\t/CN=alice\n"
        << "R\t301231235959Z\t251201000000Z,keyCompromise,20251130000000Z\t0B\tunknown\t/O=Corp/CN=bob\n"
        << "R\t20301231235959Z\t251202000000Z,superseded\t0C\tunknown\t/CN=carol\n"
        << "E\t240101000000Z\t\t0D\tunknown\t/CN=dave\n";
  }
  {
    std::ofstream out(f.dir.file("crlnumber"));
    out << "1F\n";
  }
  ca::ImportCaRequest r;
  r.name = "old";
  r.certificate_der = old_ca.certificate->der();
  r.key_pem = key_pem;
  r.openssl_index = index;

  SUBCASE("imported whole: the next CRL continues the old one") {
    auto in = test::must(f.authority.import_ca(r));
    CHECK(in.imported_certificates == 4);
    CHECK(in.imported_revocations == 2);
    CHECK(in.imported_without_file == 4);
    CHECK(in.crl_number_floor == 30);
    auto bob = test::must(f.store->certificates_by_serial("b", in.authority.id));
    REQUIRE(bob.size() == 1);
    CHECK(bob[0].subject == "O=Corp, CN=bob");
    CHECK(bob[0].origin == store::Origin::kImported);
    CHECK_FALSE(bob[0].has_der());
    REQUIRE(bob[0].revocation);
    CHECK(bob[0].revocation->reason == "keyCompromise");
    CHECK(bob[0].revocation->invalidity_date == test::at("2025-11-30T00:00:00Z"));
    auto crl = test::must(f.authority.publish_crl("old"));
    CHECK(crl.crl_number == 31);
    CHECK(crl.entries == 2);
    auto parsed = test::must(cert::Crl::from_der(crl.der));
    CHECK(X509_CRL_verify(test::openssl_crl(*parsed).get(), old_ca.key.get()) == 1);
    // pki continues the CA: a new certificate chains to the old CA certificate.
    auto req = test::Fixture::request("client", "erin");
    req.ca = "old";
    auto leaf = test::must(f.authority.issue(req));
    CHECK(verifies_with(leaf.certificate.der, *old_ca.certificate));
    CHECK_FALSE(f.authority.import_ca(r));  // the same CA again
  }
  SUBCASE("a malformed line: nothing imported, the line named") {
    {
      std::ofstream out(index, std::ios::app);
      out << "V\t301231235959Z\t\tXYZ\tunknown\t/CN=bad\n";
    }
    auto e = f.authority.import_ca(r);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == ErrorCode::kBadInput);
    CHECK(e.error().message.find("index.txt:5:") != std::string::npos);
    CHECK_FALSE(test::must(f.store->authority_by_name("old")));
  }
  SUBCASE("a key that is not the certificate's") {
    auto other = keys::generate(keys::KeyType::kEcP256).value();
    r.key_pem = keys::to_pkcs8_pem(*other, nullptr).value();
    auto e = f.authority.import_ca(r);
    REQUIRE_FALSE(e);
    CHECK(e.error().field == Field::kKey);
  }
}

TEST_CASE("renew: same subject, names, profile and key; linked; the old one superseded") {
  test::Fixture f;
  f.root();
  auto req = test::Fixture::request("server", "www.example.com");
  req.ca = "root";
  auto old = test::must(f.authority.issue(req)).certificate;
  f.clock = FixedClock{f.clock.now() + days{70}};
  ca::RenewRequest rr;
  rr.serial = old.serial;
  rr.revoke_old = true;
  auto renewed = test::must(f.authority.renew(rr)).certificate;
  CHECK(renewed.serial != old.serial);
  CHECK(renewed.subject == old.subject);
  CHECK(renewed.sans == old.sans);
  CHECK(renewed.profile == old.profile);
  CHECK(renewed.renews == old.id);
  auto a = test::must(cert::Certificate::from_der(old.der));
  auto b = test::must(cert::Certificate::from_der(renewed.der));
  CHECK(a->spki_der() == b->spki_der());
  CHECK(b->not_after() > a->not_after());
  auto after = test::must(f.store->certificate(old.id));
  REQUIRE(after->revocation);
  CHECK(after->revocation->reason == "superseded");
  CHECK(after->renewed_by_serial == renewed.serial);
  auto again = f.authority.renew(rr);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kRefused);  // revoked now

  store::CertificateFilter due;
  due.renewal_due = true;
  due.now = f.clock.now() + days{65};  // past 2/3 of the new one's 90 days
  auto list = test::must(f.store->list_certificates(due));
  REQUIRE(list.size() == 1);
  CHECK(list[0].serial == renewed.serial);
  due.now = f.clock.now() + days{50};
  CHECK(test::must(f.store->list_certificates(due)).empty());
}

TEST_CASE("rollover: a new key; each key signs the CRL for what it signed") {
  test::Fixture f;
  f.root();
  f.intermediate("int", "root");
  auto req = test::Fixture::request("client", "before");
  req.ca = "int";
  auto before = test::must(f.authority.issue(req)).certificate;
  auto g1 = test::must(f.authority.load_issuer("int"));
  auto rolled = test::must(f.authority.rollover_ca({"int", std::nullopt, std::nullopt}));
  CHECK(rolled.authority.generation == 2);
  auto g2 = test::must(f.authority.load_issuer("int"));
  CHECK(g2.generation == 2);
  CHECK(g2.certificate->subject_text() == g1.certificate->subject_text());
  CHECK(*g2.certificate->subject_key_id() != *g1.certificate->subject_key_id());
  req.cn = "after";
  auto after = test::must(f.authority.issue(req)).certificate;
  CHECK(after.generation == 2);
  CHECK(before.generation == 1);
  CHECK(verifies_with(before.der, *g1.certificate));
  CHECK(verifies_with(after.der, *g2.certificate));
  CHECK_FALSE(verifies_with(after.der, *g1.certificate));

  ca::RevokeRequest rv;
  rv.serial = before.serial;
  test::must(f.authority.revoke(rv));
  auto crl2 = test::must(f.authority.publish_crl("int"));
  auto crl1 = test::must(f.authority.publish_crl("int", crl::kDefaultValidity, 1));
  CHECK(crl2.generation == 2);
  CHECK(crl2.entries == 0);
  CHECK(crl1.generation == 1);
  CHECK(crl1.entries == 1);
  CHECK(crl1.crl_number > crl2.crl_number);  // one sequence across the keys
  auto p1 = test::must(cert::Crl::from_der(crl1.der));
  CHECK(X509_CRL_verify(test::openssl_crl(*p1).get(), const_cast<EVP_PKEY*>(g1.certificate->public_key())) ==
        1);
  auto check = test::must(f.authority.check_crl("int", *p1));
  for (const auto& item : check.items) CHECK_MESSAGE(item.ok, item.check << ": " << item.message);
  auto none = f.authority.publish_crl("int", crl::kDefaultValidity, 3);
  REQUIRE_FALSE(none);
  CHECK(none.error().field == Field::kGeneration);
}

TEST_CASE("import: a two-level openssl hierarchy, the root with its index first") {
  test::Fixture f;
  OutsideRoot root(f.clock.now(), "CN=Legacy Root, O=Corp");
  // The sub-CA's key and request, signed by the root as a CA; the root's index lists it.
  auto sub_key = keys::generate(keys::KeyType::kEcP256).value();
  const auto sub_signer = cert::Signer::create(up_ref(sub_key.get())).value();
  const Bytes sub_name = cert::name_der(*cert::parse_dn("CN=Legacy Sub, O=Corp").value()).value();
  const Bytes sub_der =
      root.sign_ca(test::must(cert::sign_csr(sub_name, {}, sub_signer)), f.clock.now(), true, 0x2A);
  const auto sub = test::must(cert::Certificate::from_der(sub_der));
  std::filesystem::create_directory(f.dir.file("newcerts"));
  test::must(write_file_atomic(f.dir.file("newcerts/2A.pem"), to_pem("CERTIFICATE", sub_der), 0644));
  {
    std::ofstream out(f.dir.file("index.txt"));
    // The root's own line (openssl ca -selfsign), without its file, and the sub-CA's.
    out << "V\t351231235959Z\t\t01\tunknown\t/O=Corp/CN=Legacy Root\n"
        << "V\t351231235959Z\t\t2A\tunknown\t/O=Corp/CN=Legacy Sub\n";
  }
  ca::ImportCaRequest r;
  r.name = "legacy-root";
  r.certificate_der = root.certificate->der();
  r.key_pem = keys::to_pkcs8_pem(*root.key, nullptr).value();
  r.openssl_index = f.dir.file("index.txt");
  auto in_root = test::must(f.authority.import_ca(r));
  CHECK(in_root.imported_certificates == 1);  // the root's own line is the CA's certificate

  ca::ImportCaRequest s;
  s.name = "legacy-sub";
  s.certificate_der = sub_der;
  s.key_pem = keys::to_pkcs8_pem(*sub_key, nullptr).value();
  auto in_sub = test::must(f.authority.import_ca(s));
  CHECK(in_sub.outside_issuers.empty());
  CHECK(in_sub.authority.parent_id == in_root.authority.id);
  auto chain = test::must(f.authority.chain(in_sub.authority));
  REQUIRE(chain.size() == 2);
  CHECK(chain[1]->fingerprint() == root.certificate->fingerprint());
  auto req = test::Fixture::request("client", "carol");
  req.ca = "legacy-sub";
  auto leaf = test::must(f.authority.issue(req));
  CHECK(verifies_with(leaf.certificate.der, *sub));
  // A CA certificate is never due for renewal, here or after a rollover.
  test::must(f.authority.rollover_ca({"legacy-sub", std::nullopt, std::nullopt}));
  store::CertificateFilter due;
  due.renewal_due = true;
  due.now = f.clock.now() + days{700};  // past 2/3 of the sub-CA's first certificate; carol has expired
  CHECK(test::must(f.store->list_certificates(due)).empty());
}
