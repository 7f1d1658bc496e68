#include <doctest/doctest.h>
#include <sys/stat.h>

#include <map>

#include "pki/cert/name.h"
#include "pki/cert/pkcs12.h"
#include "pki/core/io.h"
#include "pki/crl/crl_builder.h"
#include "support.h"

using namespace pki;
using std::chrono::days;

TEST_CASE("ca: root and intermediate carry the CA extensions") {
  test::Fixture f;
  auto root = f.root();
  ca::CreateCaRequest r;
  r.name = "int";
  r.subject = "CN=Int, O=Test";
  r.parent = "root";
  r.path_len = 0;
  r.permit_dns = {"example.com"};
  r.urls.crl_url = "http://crl.example/int.crl";
  auto in = test::must(f.authority.create_ca(r));
  auto rc = test::must(cert::Certificate::from_der(root.certificate.der));
  auto ic = test::must(cert::Certificate::from_der(in.certificate.der));
  CHECK(rc->self_issued());
  CHECK(rc->not_after() == f.clock.now() + days{3650});
  CHECK(ic->not_after() == f.clock.now() + days{1825});
  CHECK(ic->issuer_text() == rc->subject_text());
  CHECK(ic->basic_constraints()->ca);
  CHECK(ic->basic_constraints()->path_len == 0);
  CHECK(*ic->key_usage() == (cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign));
  CHECK(*ic->authority_key_id()->key_id == *rc->subject_key_id());
  REQUIRE(ic->name_constraints());
  CHECK(ic->name_constraints()->permitted.front().base.text == "example.com");
  CHECK(X509_verify(ic->x509_mutable(), const_cast<EVP_PKEY*>(rc->public_key())) == 1);
  CHECK(in.authority.crl_url == "http://crl.example/int.crl");
}

TEST_CASE("ca: refusals leave the store as it was") {
  test::Fixture f;
  f.root();
  ca::CreateCaRequest r;
  r.name = "int";
  r.subject = "CN=Int";
  r.parent = "root";
  r.path_len = 0;
  test::must(f.authority.create_ca(r));

  SUBCASE("a CA below a pathLen 0 CA") {
    ca::CreateCaRequest deeper{"deep", "CN=Deep", keys::KeyType::kEcP256, {}, "int", {}, {}, {}, {}};
    auto e = f.authority.create_ca(deeper);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == ErrorCode::kRefused);
    CHECK(e.error().message.find("path length") != std::string::npos);
  }
  SUBCASE("an intermediate outliving its parent") {
    ca::CreateCaRequest longer{"long", "CN=Long", keys::KeyType::kEcP256, 3651, "root", {}, {}, {}, {}};
    auto e = f.authority.create_ca(longer);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == ErrorCode::kRefused);
  }
  SUBCASE("a duplicate name") {
    ca::CreateCaRequest dup{"int", "CN=Other", keys::KeyType::kEcP256, {}, "root", {}, {}, {}, {}};
    CHECK(f.authority.create_ca(dup).error().code == ErrorCode::kRefused);
  }
  SUBCASE("an unknown parent") {
    ca::CreateCaRequest orphan{"orphan", "CN=Orphan", keys::KeyType::kEcP256, {}, "nobody", {}, {}, {}, {}};
    CHECK(f.authority.create_ca(orphan).error().code == ErrorCode::kNotFound);
  }
  auto all = test::must(f.store->authorities());
  CHECK(all.size() == 2);
}

TEST_CASE("issue: profiles decide the extensions; the CN becomes a SAN") {
  test::Fixture f;
  f.root();
  f.intermediate("int", "root");
  auto issuer = test::must(f.authority.load_issuer("int"));
  auto req = test::Fixture::request("server", "www.example.com");
  req.sans = {test::must(cert::parse_san("IP:192.0.2.1"))};
  auto rec = test::must(f.authority.issue(issuer, req)).certificate;
  auto c = test::must(cert::Certificate::from_der(rec.der));
  CHECK(rec.sans == std::vector<std::string>{"DNS:www.example.com", "IP:192.0.2.1"});
  CHECK_FALSE(c->basic_constraints()->ca);
  CHECK(*c->key_usage() == cert::key_usage::kDigitalSignature);
  CHECK(*c->extended_key_usage() == std::vector<std::string>{"1.3.6.1.5.5.7.3.1"});
  CHECK(c->not_after() ==
        f.clock.now() + days{90} - std::chrono::seconds{1});  // inclusive (RFC 5280 4.1.2.5)
  CHECK(*c->authority_key_id()->key_id == *issuer.certificate->subject_key_id());
  CHECK(X509_verify(c->x509_mutable(), const_cast<EVP_PKEY*>(issuer.certificate->public_key())) == 1);
  // Serials: positive, at most 16 octets, 127 random bits.
  CHECK(c->serial().size() <= 16);
  CHECK_FALSE(c->serial_negative());

  auto client = test::Fixture::request("client", "Alice Example");  // not a host name: stays in the subject
  auto crec = test::must(f.authority.issue(issuer, client)).certificate;
  CHECK(crec.sans.empty());
  CHECK(crec.not_after == f.clock.now() + days{365} - std::chrono::seconds{1});
}

TEST_CASE("issue: RSA leaves get keyEncipherment") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  ca::IssueRequest r;
  r.profile = "server";
  r.cn = "rsa.example";
  auto key = test::must(keys::generate(keys::KeyType::kRsa2048));
  r.key = ca::SubjectKey{test::must(keys::spki_der(*key)), keys::KeyType::kRsa2048};
  auto c = test::must(cert::Certificate::from_der(test::must(f.authority.issue(issuer, r)).certificate.der));
  CHECK(*c->key_usage() == (cert::key_usage::kDigitalSignature | cert::key_usage::kKeyEncipherment));
}

TEST_CASE("issue: refusals") {
  test::Fixture f;
  f.root();
  ca::CreateCaRequest r{"nc", "CN=Constrained", keys::KeyType::kEcP256, {}, "root",
                        {},   {"example.com"},  {"secret.example.com"}, {}};
  test::must(f.authority.create_ca(r));
  auto issuer = test::must(f.authority.load_issuer("nc"));
  struct Case {
    const char* what;
    ca::IssueRequest req;
    ErrorCode code;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"outside permitted", test::Fixture::request("server", "www.example.org"), ErrorCode::kRefused});
  cases.push_back(
      {"inside excluded", test::Fixture::request("server", "db.secret.example.com"), ErrorCode::kRefused});
  cases.push_back(
      {"wildcard over excluded", test::Fixture::request("server", "*.example.com"), ErrorCode::kRefused});
  cases.push_back({"server without a name", test::Fixture::request("server", ""), ErrorCode::kRefused});
  cases.push_back({"too long", test::Fixture::request("server", "a.example.com"), ErrorCode::kRefused});
  cases.back().req.lifetime.length = std::chrono::days{399};
  cases.push_back(
      {"outlives issuer", test::Fixture::request("client", "ok.example.com"), ErrorCode::kRefused});
  cases.back().req.lifetime.length =
      std::chrono::days{800};  // within the client profile's limit, beyond the CA's remaining 100 days
  cases.push_back(
      {"CN not a host for a server", test::Fixture::request("server", "Not A Host"), ErrorCode::kBadInput});
  cases.push_back({"unknown profile", test::Fixture::request("nope", "a.example.com"), ErrorCode::kBadInput});
  cases.push_back(
      {"CA profile", test::Fixture::request("intermediate-ca", "a.example.com"), ErrorCode::kBadInput});
  f.clock = FixedClock(f.clock.now() + days{1825 - 100});  // the CA has 100 days left
  for (auto& c : cases) {
    CAPTURE(c.what);
    auto e = f.authority.issue(issuer, c.req);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == c.code);
  }
  CHECK(test::must(f.store->list_certificates({})).size() == 2);  // the two CA certificates only
  // Within the constraints and the CA's remaining life, it works.
  CHECK(f.authority.issue(issuer, test::Fixture::request("server", "www.example.com")));
}

TEST_CASE("issue: an expired CA refuses") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  f.clock = FixedClock(f.clock.now() + days{3651});
  auto e = f.authority.issue(issuer, test::Fixture::request("client", "late"));
  REQUIRE_FALSE(e);
  CHECK(e.error().code == ErrorCode::kRefused);
}

TEST_CASE("issue: one call, the request's form before the CA's lookup") {
  test::Fixture f;
  f.root();
  f.intermediate("int", "root");
  auto count = [&] { return test::must(f.store->list_certificates({})).size(); };

  SUBCASE("a key made here: written 0600, the certificate's key, the chain without the root") {
    ca::IssueRequest r;
    r.ca = "int";
    r.profile = "server";
    r.cn = "www.example.com";
    r.key = ca::NewKey{keys::KeyType::kEcP256, f.dir.file("www.key"), nullptr};
    auto issued = test::must(f.authority.issue(r));
    struct stat st {};
    REQUIRE(::stat(f.dir.file("www.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto key = test::must(keys::from_pkcs8_pem(test::must(read_input(f.dir.file("www.key"))), nullptr));
    auto c = test::must(cert::Certificate::from_der(issued.certificate.der));
    CHECK(X509_check_private_key(c->x509_mutable(), key.get()) == 1);
    REQUIRE(issued.chain.size() == 1);
    CHECK(issued.chain[0]->subject_text() == "CN=int, O=Test");
    // The same file again: refused before anything is looked up or stored.
    r.ca = "nobody";
    auto again = f.authority.issue(r);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ErrorCode::kBadInput);
    CHECK(again.error().field == Field::kKeyOut);
    CHECK(count() == 3);
  }
  SUBCASE("a CSR: its subject and SANs when the request gives none; its signature checked") {
    auto key = test::must(keys::generate(keys::KeyType::kEcP256));
    OsslPtr<X509_REQ> req(X509_REQ_new());
    auto subject = test::must(cert::parse_dn("CN=api.example.com"));
    X509_REQ_set_subject_name(req.get(), subject.get());
    X509_REQ_set_pubkey(req.get(), key.get());
    REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
    unsigned char* buf = nullptr;
    const int n = i2d_X509_REQ(req.get(), &buf);
    Bytes der(buf, buf + n);
    OPENSSL_free(buf);
    ca::IssueRequest r;
    r.ca = "int";
    r.profile = "server";
    r.key = ca::CsrKey{der};
    auto issued = test::must(f.authority.issue(r));
    CHECK(issued.certificate.subject == "CN=api.example.com");
    CHECK(issued.certificate.sans == std::vector<std::string>{"DNS:api.example.com"});
    der[der.size() - 3] ^= 0x01;  // the request's signature no longer verifies
    r.key = ca::CsrKey{der};
    auto bad = f.authority.issue(r);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kBadInput);
  }
  SUBCASE("form errors come before lookups, lookups before refusals") {
    auto r = test::Fixture::request("nope", "a.example.com");
    r.ca = "nobody";
    CHECK(f.authority.issue(r).error().code == ErrorCode::kBadInput);  // an unknown profile
    r.profile = "server";
    r.lifetime.length = std::chrono::days{0};
    CHECK(f.authority.issue(r).error().field == Field::kValidity);
    r.lifetime.length =
        std::chrono::days{5000};  // over the profile's limit: a refusal, but the CA is unknown first
    CHECK(f.authority.issue(r).error().code == ErrorCode::kNotFound);
    r.ca = "int";
    CHECK(f.authority.issue(r).error().code == ErrorCode::kRefused);
    CHECK(count() == 2);
  }
}

TEST_CASE("PKCS#12: the certificate, its chain and its key, openable with the passphrase") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  auto req = test::Fixture::request("client", "alice");
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  req.key = ca::SubjectKey{test::must(keys::spki_der(*key)), keys::KeyType::kEcP256};
  auto leaf =
      test::must(cert::Certificate::from_der(test::must(f.authority.issue(issuer, req)).certificate.der));
  const Secret pass("correct horse");
  const std::vector<cert::CertificatePtr> chain{issuer.certificate};
  auto der = test::must(cert::build_pkcs12(*leaf, chain, key.get(), &pass, "alice"));
  const unsigned char* p = der.data();
  OsslPtr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(p12);
  CHECK(PKCS12_verify_mac(p12.get(), "wrong", 5) == 0);
  EVP_PKEY* got_key = nullptr;
  X509* got_cert = nullptr;
  STACK_OF(X509)* got_chain = nullptr;
  REQUIRE(PKCS12_parse(p12.get(), "correct horse", &got_key, &got_cert, &got_chain) == 1);
  OsslPtr<EVP_PKEY> k(got_key);
  OsslPtr<X509> c(got_cert);
  OsslPtr<STACK_OF(X509)> ch(got_chain);
  CHECK(X509_cmp(c.get(), leaf->x509_mutable()) == 0);
  CHECK(EVP_PKEY_eq(k.get(), key.get()) == 1);
  CHECK(sk_X509_num(ch.get()) == 1);
  drain_openssl_errors();
  // A key needs a passphrase, and must be the certificate's.
  CHECK(cert::build_pkcs12(*leaf, chain, key.get(), nullptr, "alice").error().field == Field::kPassphrase);
  auto other = test::must(keys::generate(keys::KeyType::kEcP256));
  CHECK_FALSE(cert::build_pkcs12(*leaf, chain, other.get(), &pass, "alice"));
}

TEST_CASE("issue_batch: one transaction, all or nothing") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  std::vector<ca::IssueRequest> reqs;
  for (int i = 0; i < 20; ++i)
    reqs.push_back(test::Fixture::request("server", "h" + std::to_string(i) + ".example"));
  auto recs = test::must(f.authority.issue_batch(issuer, reqs));
  CHECK(recs.size() == 20);
  reqs.push_back(test::Fixture::request("server", ""));  // refused: no name
  CHECK_FALSE(f.authority.issue_batch(issuer, reqs));
  CHECK(test::must(f.store->list_certificates({})).size() == 21);
}

namespace {

OsslPtr<X509_CRL> parse_crl(const Bytes& der) {
  const unsigned char* p = der.data();
  OsslPtr<X509_CRL> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(crl);
  return crl;
}

}  // namespace

TEST_CASE("revoke and CRL: reasons, invalidity dates, holds, numbers") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  auto a = test::must(f.authority.issue(issuer, test::Fixture::request("client", "a"))).certificate;
  auto b = test::must(f.authority.issue(issuer, test::Fixture::request("client", "b"))).certificate;
  auto c = test::must(f.authority.issue(issuer, test::Fixture::request("client", "c"))).certificate;
  crl::PublishRequest pub{&issuer.record, issuer.certificate.get(), issuer.signer.get(), days{7}, "tester"};

  auto empty = test::must(crl::publish(*f.store, f.clock, pub));
  CHECK(empty.crl_number == 1);
  CHECK(empty.entries == 0);
  auto crl0 = parse_crl(empty.der);
  CHECK(X509_CRL_get_REVOKED(crl0.get()) == nullptr);  // absent, not empty (RFC 5280 5.1.2.6)
  CHECK(X509_CRL_verify(crl0.get(), const_cast<EVP_PKEY*>(issuer.certificate->public_key())) == 1);

  ca::RevokeRequest ra;
  ra.serial = a.serial;
  ra.reason = cert::CrlReason::kKeyCompromise;
  ra.invalidity_date = f.clock.now() - days{1};
  test::must(f.authority.revoke(ra));
  CHECK(f.authority.revoke(ra).error().code == ErrorCode::kRefused);  // already revoked

  ca::RevokeRequest hold;
  hold.serial = b.serial;
  hold.reason = cert::CrlReason::kCertificateHold;
  test::must(f.authority.revoke(hold));
  ca::RevokeRequest unspecified;
  unspecified.serial = c.serial;
  test::must(f.authority.revoke(unspecified));

  auto second = test::must(crl::publish(*f.store, f.clock, pub));
  CHECK(second.crl_number == 2);
  CHECK(second.entries == 3);
  auto crl1 = parse_crl(second.der);
  CHECK(X509_CRL_verify(crl1.get(), const_cast<EVP_PKEY*>(issuer.certificate->public_key())) == 1);
  OsslPtr<ASN1_INTEGER> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl1.get(), NID_crl_number, nullptr, nullptr)));
  REQUIRE(number);
  CHECK(ASN1_INTEGER_get(number.get()) == 2);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl1.get());
  REQUIRE(sk_X509_REVOKED_num(revoked) == 3);
  std::map<std::string, int> reasons;  // serial -> reason code, -1 when absent
  bool saw_invalidity = false;
  for (int i = 0; i < 3; ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    const ASN1_INTEGER* sn = X509_REVOKED_get0_serialNumber(r);
    const std::string hex = cert::serial_to_hex(
        BytesView(ASN1_STRING_get0_data(sn), static_cast<std::size_t>(ASN1_STRING_length(sn))));
    int crit = 0;
    auto* reason = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr));
    reasons[hex] = reason ? static_cast<int>(ASN1_ENUMERATED_get(reason)) : -1;
    ASN1_ENUMERATED_free(reason);
    auto* inv = static_cast<ASN1_GENERALIZEDTIME*>(
        X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, nullptr, nullptr));
    if (inv) {
      saw_invalidity = hex == a.serial;
      ASN1_GENERALIZEDTIME_free(inv);
    }
  }
  CHECK(reasons[a.serial] == 1);
  CHECK(reasons[b.serial] == 6);
  CHECK(reasons[c.serial] == -1);  // unspecified: no reasonCode
  CHECK(saw_invalidity);

  // removeFromCRL lifts the hold: b leaves the next CRL.
  ca::RevokeRequest lift;
  lift.serial = b.serial;
  lift.reason = cert::CrlReason::kRemoveFromCrl;
  CHECK(test::must(f.authority.revoke(lift)).action == ca::RevokeAction::kHoldLifted);
  CHECK(f.authority.revoke(lift).error().code == ErrorCode::kRefused);  // not on hold any more
  auto third = test::must(crl::publish(*f.store, f.clock, pub));
  CHECK(third.crl_number == 3);
  CHECK(third.entries == 2);

  // A hold can become permanent.
  test::must(f.authority.revoke(hold));
  ca::RevokeRequest permanent;
  permanent.serial = b.serial;
  permanent.reason = cert::CrlReason::kSuperseded;
  CHECK(test::must(f.authority.revoke(permanent)).action == ca::RevokeAction::kHoldMadePermanent);
  CHECK(test::must(f.store->certificates_by_serial(b.serial, std::nullopt)).front().revocation->reason ==
        "superseded");
}

TEST_CASE("revoke: an unknown serial is not found; a root cannot revoke itself") {
  test::Fixture f;
  auto root = f.root();
  ca::RevokeRequest r;
  r.serial = "abcdef";
  CHECK(f.authority.revoke(r).error().code == ErrorCode::kNotFound);
  r.serial = root.certificate.serial;
  CHECK(f.authority.revoke(r).error().code == ErrorCode::kRefused);
  ca::RevokeRequest bad;
  bad.serial = "not-hex";
  CHECK(f.authority.revoke(bad).error().code == ErrorCode::kBadInput);
}

TEST_CASE("CRL encoder: large CRLs encode correctly") {
  test::Fixture f;
  f.root();
  auto issuer = test::must(f.authority.load_issuer("root"));
  crl::CrlEncoder enc(test::must(cert::name_der(issuer.certificate->subject())), issuer.signer->algorithm(),
                      f.clock.now(), f.clock.now() + days{7});
  for (int i = 1; i <= 5000; ++i) {
    Bytes serial{static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i & 0xff), 0x42};
    enc.add({serial, f.clock.now(), cert::CrlReason::kSuperseded, std::nullopt});
  }
  const cert::Extension exts[] = {crl::crl_number_extension(7)};
  const Bytes tbs = enc.finish(exts);
  const Bytes der =
      cert::signed_structure(tbs, issuer.signer->algorithm(), test::must(issuer.signer->sign(tbs)));
  auto crl = parse_crl(der);
  CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())) == 5000);
  CHECK(X509_CRL_verify(crl.get(), const_cast<EVP_PKEY*>(issuer.certificate->public_key())) == 1);
}
