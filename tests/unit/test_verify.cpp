#include <doctest/doctest.h>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/name_constraints.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/crl/crl_builder.h"
#include "pki/verify/algorithms.h"
#include "pki/verify/hostname.h"
#include "pki/verify/verifier.h"
#include "support.h"

using namespace pki;
using std::chrono::days;

TEST_CASE("hostname: DNS-ID matching (RFC 9525 6.3)") {
  struct {
    const char* pattern;
    const char* host;
    bool match;
  } cases[] = {
      {"example.com", "example.com", true},
      {"Example.COM", "example.com", true},
      {"example.com.", "example.com", true},
      {"www.example.com", "example.com", false},
      {"*.example.com", "www.example.com", true},
      {"*.example.com", "WWW.Example.com", true},
      {"EXAMPLE.com", "example.COM", true},
      {"*.example.com", "example.com", false},      // the wildcard needs one label
      {"*.example.com", "a.b.example.com", false},  // and only one
      {"*.example.com", ".example.com", false},
      {"w*.example.com", "www.example.com", false},  // partial wildcards never match
      {"*w.example.com", "www.example.com", false},
      {"www.*.com", "www.example.com", false},
      {"*.com", "example.com", false},  // no wildcard over a top-level domain
      {"*", "localhost", false},
      {"xn--bcher-kva.example", "xn--bcher-kva.example", true},
      {"*.xn--bcher-kva.example", "www.xn--bcher-kva.example", true},
      {"xn--bcher-kva.example", "bcher-kva.example", false},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.pattern));
    CAPTURE(std::string(c.host));
    CHECK(verify::dns_id_matches(c.pattern, c.host) == c.match);
  }
}

TEST_CASE("hostname: reference names are normalised or refused") {
  CHECK(test::must(verify::normalize_host("WWW.Example.COM.")) == "www.example.com");
  CHECK(test::must(verify::normalize_host("xn--bcher-kva.example")) == "xn--bcher-kva.example");
  for (const char* bad : {"", ".", "a..b", "bücher.example", "a b.example", "exa*mple.com"}) {
    CAPTURE(bad);
    CHECK_FALSE(verify::normalize_host(bad));
  }
}

namespace {

// A small PKI made with libpki: root -> int, certificates issued from keys made here so that tests
// can also sign odd certificates with them.
struct Pki : test::Fixture {
  ca::Issuer root_issuer, int_issuer;
  verify::CertificateSet anchors, pool;
  verify::CrlSet crls;
  cert::CrlPtr root_crl, int_crl;  // the last published

  Pki() {
    root();
    intermediate("int", "root");
    root_issuer = test::must(authority.load_issuer("root"));
    int_issuer = test::must(authority.load_issuer("int"));
    anchors.add(root_issuer.certificate);
    pool.add(int_issuer.certificate);
  }

  cert::CertificatePtr issue(const std::string& profile, const std::string& cn,
                             std::vector<std::string> sans = {}, std::optional<int> days_valid = {}) {
    auto r = test::Fixture::request(profile, cn);
    for (const auto& s : sans) r.sans.push_back(test::must(cert::parse_san(s)));
    if (days_valid) r.lifetime.length = std::chrono::days{*days_valid};
    auto rec = test::must(authority.issue(int_issuer, r)).certificate;
    return test::must(cert::Certificate::from_der(rec.der));
  }

  void publish_crls(std::chrono::seconds validity = days{7}) {
    crls = verify::CrlSet();
    for (auto* is : {&root_issuer, &int_issuer}) {
      crl::PublishRequest req{&is->record, is->certificate.get(), is->signer.get(), validity, "tester"};
      auto rec = test::must(crl::publish(*store, clock, req));
      auto parsed = test::must(cert::Crl::from_der(rec.der));
      (is == &root_issuer ? root_crl : int_crl) = parsed;
      crls.add(parsed);
    }
  }

  verify::VerifyResult verify(const cert::CertificatePtr& target, verify::VerifyOptions o = {}) {
    if (o.at == TimePoint{}) o.at = clock.now();
    verify::Verifier v({&anchors, &pool, crls.empty() ? nullptr : &crls});
    return test::must(v.verify(target, o));
  }
};

verify::VerifyOptions at_time(TimePoint t) {
  verify::VerifyOptions o;
  o.at = t;
  return o;
}

bool has_code(const verify::VerifyResult& r, verify::FindingCode code) { return r.has_failure(code); }

// Signs an arbitrary certificate with an issuer's key: for shapes the CA side refuses to make.
cert::CertificatePtr forge(const cert::Signer& signer, const cert::Certificate& issuer_cert,
                           const std::string& subject, const Bytes& spki, std::vector<cert::Extension> exts,
                           TimePoint nb, TimePoint na) {
  cert::TbsCertificate t;
  t.serial = test::must(ca::random_serial());
  t.issuer = test::must(cert::name_der(issuer_cert.subject()));
  t.subject = test::must(cert::name_der(*test::must(cert::parse_dn(subject))));
  t.not_before = nb;
  t.not_after = na;
  t.spki = spki;
  exts.push_back(cert::ext::authority_key_id(*issuer_cert.subject_key_id()));
  exts.push_back(cert::ext::subject_key_id(test::must(cert::key_identifier(spki))));
  t.extensions = std::move(exts);
  return test::must(cert::Certificate::from_der(test::must(cert::sign_certificate(t, signer))));
}

}  // namespace

TEST_CASE("verify: a server certificate passes every check") {
  Pki p;
  auto leaf = p.issue("server", "www.example.com", {"IP:192.0.2.1"});
  p.publish_crls();
  verify::VerifyOptions o;
  o.purpose = verify::Purpose::kServer;
  o.host = "WWW.EXAMPLE.COM.";
  auto r = p.verify(leaf, o);
  CHECK(r.valid);
  REQUIRE(r.chain.size() == 3);
  CHECK(r.chain[0].role == verify::Role::kTarget);
  CHECK(r.chain[2].role == verify::Role::kTrustAnchor);
  // The handshake's checks are all reported for the target.
  for (auto check : {verify::Check::kValidity, verify::Check::kTrustedCa, verify::Check::kSignature,
                     verify::Check::kName, verify::Check::kRevocation}) {
    bool seen = false;
    for (const auto& f : r.chain[0].findings)
      if (f.check == check && f.outcome == verify::Outcome::kPass) seen = true;
    CHECK(seen);
  }
  o.host.reset();
  o.ip = Bytes{192, 0, 2, 1};
  CHECK(p.verify(leaf, o).valid);
}

TEST_CASE("verify: IP addresses match as bytes, IPv4 and IPv6, never as DNS names") {
  Pki p;
  auto leaf = p.issue("server", "", {"IP:2001:db8::1", "IP:192.0.2.7", "DNS:host.example"});
  struct {
    const char* host;
    bool valid;
  } cases[] = {
      {"2001:db8::1", true},       {"2001:DB8:0:0:0:0:0:1", true},  // another spelling, the same bytes
      {"[2001:db8::1]", true},     {"2001:db8::2", false},         {"192.0.2.7", true},
      {"::ffff:192.0.2.7", false},  // an IPv4-mapped IPv6 address is not the IPv4 address
      {"192.0.2.8", false},        {"host.example", true},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.host));
    verify::VerifyOptions o;
    o.host = c.host;
    CHECK(p.verify(leaf, o).valid == c.valid);
  }
}

TEST_CASE("verify: each check fails on its own") {
  Pki p;
  p.publish_crls();
  auto leaf = p.issue("server", "www.example.com");

  SUBCASE("expired and not yet valid") {
    verify::VerifyOptions o;
    o.at = p.clock.now() + days{91};
    auto r = p.verify(leaf, o);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kExpired));
    o.at = p.clock.now() - days{1};
    CHECK(has_code(p.verify(leaf, o), verify::FindingCode::kNotYetValid));
  }
  SUBCASE("a wrong signature") {
    Bytes der = leaf->der();
    der[der.size() - 5] ^= 0x01;  // inside the signature value
    auto tampered = test::must(cert::Certificate::from_der(der));
    auto r = p.verify(tampered);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kBadSignature));
  }
  SUBCASE("the host name and IP") {
    verify::VerifyOptions o;
    o.host = "mail.example.com";
    CHECK(has_code(p.verify(leaf, o), verify::FindingCode::kHostnameMismatch));
    o.host.reset();
    o.ip = Bytes{10, 0, 0, 1};
    CHECK(has_code(p.verify(leaf, o), verify::FindingCode::kIpMismatch));
  }
  SUBCASE("the purpose") {
    verify::VerifyOptions o;
    o.purpose = verify::Purpose::kClient;
    CHECK(has_code(p.verify(leaf, o), verify::FindingCode::kEkuMismatch));
    o.purpose = verify::Purpose::kServer;
    CHECK(p.verify(leaf, o).valid);
  }
  SUBCASE("no trust anchor") {
    verify::CertificateSet none_trusted;
    none_trusted.add(test::must(cert::Certificate::from_der(p.root("other-root").certificate.der)));
    verify::Verifier v({&none_trusted, &p.pool, nullptr});
    auto r = test::must(v.verify(leaf, at_time(p.clock.now())));
    CHECK_FALSE(r.valid);
    CHECK_FALSE(r.anchored);
    CHECK(has_code(r, verify::FindingCode::kUnknownIssuer));
  }
  SUBCASE("a missing intermediate") {
    verify::CertificateSet empty;
    verify::Verifier v({&p.anchors, &empty, nullptr});
    auto r = test::must(v.verify(leaf, at_time(p.clock.now())));
    CHECK(has_code(r, verify::FindingCode::kUnknownIssuer));
  }
}

TEST_CASE("verify: CA:FALSE as an issuer, and path length") {
  Pki p;
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  auto req = test::Fixture::request("client", "not a ca");
  req.key = ca::SubjectKey{spki, keys::KeyType::kEcP256};
  auto fake_ca = test::must(
      cert::Certificate::from_der(test::must(p.authority.issue(p.int_issuer, req)).certificate.der));
  auto fake_signer = test::must(cert::Signer::create(std::move(key)));
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf =
      forge(fake_signer, *fake_ca, "CN=leaf", test::must(keys::spki_der(*leaf_key)),
            {cert::ext::basic_constraints(false, std::nullopt)}, p.clock.now(), p.clock.now() + days{30});
  p.pool.add(fake_ca);
  auto r = p.verify(leaf);
  CHECK_FALSE(r.valid);
  CHECK(has_code(r, verify::FindingCode::kNotACa));

  // A CA with pathLen 0 that signs another CA.
  auto k2 = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki2 = test::must(keys::spki_der(*k2));
  const cert::Extension ca_exts[] = {
      cert::ext::basic_constraints(true, 0),
      cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)};
  auto constrained = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=pathlen zero", spki2,
                           {ca_exts[0], ca_exts[1]}, p.clock.now(), p.clock.now() + days{365});
  auto signer2 = test::must(cert::Signer::create(std::move(k2)));
  auto k3 = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki3 = test::must(keys::spki_der(*k3));
  auto below = forge(signer2, *constrained, "CN=one too many", spki3, {ca_exts[0], ca_exts[1]}, p.clock.now(),
                     p.clock.now() + days{300});
  auto signer3 = test::must(cert::Signer::create(std::move(k3)));
  auto leaf2 =
      forge(signer3, *below, "CN=deep leaf", spki, {cert::ext::basic_constraints(false, std::nullopt)},
            p.clock.now(), p.clock.now() + days{30});
  p.pool.add(constrained);
  p.pool.add(below);
  auto r2 = p.verify(leaf2);
  CHECK_FALSE(r2.valid);
  CHECK(has_code(r2, verify::FindingCode::kPathLengthExceeded));
}

TEST_CASE("verify: name constraints and unknown critical extensions") {
  Pki p;
  ca::CreateCaRequest nc{"nc", "CN=Constrained", keys::KeyType::kEcP256, {}, "root", {}, {"example.com"}, {},
                         {}};
  test::must(p.authority.create_ca(nc));
  auto nc_issuer = test::must(p.authority.load_issuer("nc"));
  p.pool.add(nc_issuer.certificate);
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  const std::vector<cert::GeneralName> outside{{cert::GeneralNameType::kDns, "www.example.org", {}}};
  auto bad =
      forge(*nc_issuer.signer, *nc_issuer.certificate, "CN=outside", spki,
            {cert::ext::basic_constraints(false, std::nullopt), cert::ext::subject_alt_name(outside, false)},
            p.clock.now(), p.clock.now() + days{30});
  CHECK(has_code(p.verify(bad), verify::FindingCode::kNameConstraintViolation));
  const std::vector<cert::GeneralName> inside{{cert::GeneralNameType::kDns, "www.example.com", {}}};
  auto good =
      forge(*nc_issuer.signer, *nc_issuer.certificate, "CN=inside", spki,
            {cert::ext::basic_constraints(false, std::nullopt), cert::ext::subject_alt_name(inside, false)},
            p.clock.now(), p.clock.now() + days{30});
  CHECK(p.verify(good).valid);
  // Without a DNS SAN, a CN that reads as a host name is held to the DNS constraints (for the
  // clients that still match the CN); a dotted-decimal CN is no host name (RFC 1123 2.1), so beside
  // an IP SAN it passes the CA's DNS constraints (BetterTLS name constraints, IP-literal CNs).
  const std::vector<cert::GeneralName> ip{{cert::GeneralNameType::kIp, "127.0.0.1", Bytes{127, 0, 0, 1}}};
  for (const char* cn : {"CN=www.example.org", "CN=127.0.0.1", "CN=1.1.1.1"}) {
    CAPTURE(cn);
    auto by_cn =
        forge(*nc_issuer.signer, *nc_issuer.certificate, cn, spki,
              {cert::ext::basic_constraints(false, std::nullopt), cert::ext::subject_alt_name(ip, false)},
              p.clock.now(), p.clock.now() + days{30});
    const bool host_cn = std::string_view(cn) == "CN=www.example.org";
    CHECK(has_code(p.verify(by_cn), verify::FindingCode::kNameConstraintViolation) == host_cn);
  }
  CHECK(cert::cn_is_host_name("www.example.com"));
  CHECK(cert::cn_is_host_name("1host.example"));
  CHECK_FALSE(cert::cn_is_host_name("localhost"));
  CHECK_FALSE(cert::cn_is_host_name("127.0.0.1"));
  CHECK_FALSE(cert::cn_is_host_name("1.01.1.1"));
  CHECK_FALSE(cert::cn_is_host_name("host.123"));
  CHECK_FALSE(cert::cn_is_host_name("."));
  cert::Extension unknown{"1.3.6.1.4.1.55555.1", true, Bytes{0x05, 0x00}};
  auto odd = forge(*nc_issuer.signer, *nc_issuer.certificate, "CN=odd", spki,
                   {cert::ext::basic_constraints(false, std::nullopt),
                    cert::ext::subject_alt_name(inside, false), unknown},
                   p.clock.now(), p.clock.now() + days{30});
  CHECK(has_code(p.verify(odd), verify::FindingCode::kUnknownCriticalExtension));
}

TEST_CASE("verify: revocation, stale CRLs, holds lifted") {
  Pki p;
  auto leaf = p.issue("client", "alice");
  p.publish_crls();
  CHECK(p.verify(leaf).valid);

  SUBCASE("revoked") {
    ca::RevokeRequest r;
    r.serial = leaf->serial_hex();
    r.reason = cert::CrlReason::kKeyCompromise;
    test::must(p.authority.revoke(r));
    p.publish_crls();
    auto res = p.verify(leaf);
    CHECK_FALSE(res.valid);
    CHECK(has_code(res, verify::FindingCode::kRevoked));
  }
  SUBCASE("the newest CRL decides: an older, still current one cannot un-revoke") {
    const auto old_int_crl = p.int_crl;  // published before the revocation, still current
    ca::RevokeRequest r;
    r.serial = leaf->serial_hex();
    r.reason = cert::CrlReason::kKeyCompromise;
    test::must(p.authority.revoke(r));
    p.publish_crls();
    for (bool newer_first : {true, false}) {
      CAPTURE(newer_first);
      verify::CrlSet both;
      both.add(p.root_crl);
      if (newer_first) both.add(p.int_crl);
      both.add(old_int_crl);
      if (!newer_first) both.add(p.int_crl);
      verify::Verifier v({&p.anchors, &p.pool, &both});
      CHECK(has_code(test::must(v.verify(leaf, at_time(p.clock.now()))), verify::FindingCode::kRevoked));
    }
  }
  SUBCASE("a CRL past its nextUpdate is unknown, and unknown fails unless allowed") {
    verify::VerifyOptions o;
    o.at = p.clock.now() + days{8};
    auto res = p.verify(leaf, o);
    CHECK_FALSE(res.valid);
    CHECK(has_code(res, verify::FindingCode::kRevocationUnknown));
    o.unknown_revocation = verify::UnknownRevocation::kAllow;
    CHECK(p.verify(leaf, o).valid);
  }
  SUBCASE("no CRL from one issuer is unknown") {
    verify::CrlSet only_int;
    crl::PublishRequest req{&p.int_issuer.record, p.int_issuer.certificate.get(), p.int_issuer.signer.get(),
                            days{7}, "t"};
    only_int.add(test::must(cert::Crl::from_der(test::must(crl::publish(*p.store, p.clock, req)).der)));
    verify::Verifier v({&p.anchors, &p.pool, &only_int});
    auto res = test::must(v.verify(leaf, at_time(p.clock.now())));
    CHECK(has_code(res, verify::FindingCode::kRevocationUnknown));  // the intermediate's status: no root CRL
  }
  SUBCASE("certificateHold, then removeFromCRL") {
    ca::RevokeRequest hold;
    hold.serial = leaf->serial_hex();
    hold.reason = cert::CrlReason::kCertificateHold;
    test::must(p.authority.revoke(hold));
    p.publish_crls();
    CHECK(has_code(p.verify(leaf), verify::FindingCode::kRevoked));
    hold.reason = cert::CrlReason::kRemoveFromCrl;
    test::must(p.authority.revoke(hold));
    p.publish_crls();
    CHECK(p.verify(leaf).valid);
  }
  SUBCASE("a CRL without a CRL number is not used (RFC 5280 5.2.3)") {
    crl::CrlEncoder enc(test::must(cert::name_der(p.int_issuer.certificate->subject())),
                        p.int_issuer.signer->algorithm(), p.clock.now(), p.clock.now() + days{7});
    const cert::Extension exts[] = {cert::ext::authority_key_id(*p.int_issuer.certificate->subject_key_id())};
    const Bytes tbs = enc.finish(exts);
    const Bytes der = cert::signed_structure(tbs, p.int_issuer.signer->algorithm(),
                                             test::must(p.int_issuer.signer->sign(tbs)));
    verify::CrlSet numberless;
    numberless.add(p.root_crl);
    numberless.add(test::must(cert::Crl::from_der(der)));
    verify::Verifier v({&p.anchors, &p.pool, &numberless});
    CHECK(has_code(test::must(v.verify(leaf, at_time(p.clock.now()))),
                   verify::FindingCode::kRevocationUnknown));
  }
  SUBCASE("a CRL signed by another key is not used") {
    auto other = p.root("impostor");
    auto imp = test::must(p.authority.load_issuer("impostor"));
    // A CRL that claims to be int's, signed with the impostor's key.
    crl::CrlEncoder enc(test::must(cert::name_der(p.int_issuer.certificate->subject())),
                        imp.signer->algorithm(), p.clock.now(), p.clock.now() + days{7});
    const cert::Extension exts[] = {crl::crl_number_extension(99)};
    const Bytes tbs = enc.finish(exts);
    const Bytes der = cert::signed_structure(tbs, imp.signer->algorithm(), test::must(imp.signer->sign(tbs)));
    verify::CrlSet forged;
    forged.add(test::must(cert::Crl::from_der(der)));
    verify::Verifier v({&p.anchors, &p.pool, &forged});
    auto res = test::must(v.verify(leaf, at_time(p.clock.now())));
    CHECK(has_code(res, verify::FindingCode::kRevocationUnknown));
    (void)other;
  }
}

TEST_CASE("verify: a cross-signed intermediate with one bad candidate") {
  Pki p;
  // "X" has one key, certified twice: by an untrusted root (listed first) and by the trusted root.
  auto x_key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes x_spki = test::must(keys::spki_der(*x_key));
  const std::vector<cert::Extension> ca_exts = {
      cert::ext::basic_constraints(true, std::nullopt),
      cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)};
  p.root("untrusted");
  auto untrusted = test::must(p.authority.load_issuer("untrusted"));
  auto x_by_untrusted = forge(*untrusted.signer, *untrusted.certificate, "CN=X", x_spki, ca_exts,
                              p.clock.now(), p.clock.now() + days{365});
  // A third candidate with the same name and a different key: its signature on the leaf fails.
  auto y_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto x_wrong_key =
      forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=X", test::must(keys::spki_der(*y_key)),
            ca_exts, p.clock.now(), p.clock.now() + days{365});
  auto x_by_root = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=X", x_spki, ca_exts,
                         p.clock.now(), p.clock.now() + days{365});
  auto x_signer = test::must(cert::Signer::create(std::move(x_key)));
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf =
      forge(x_signer, *x_by_root, "CN=leaf.example", test::must(keys::spki_der(*leaf_key)),
            {cert::ext::basic_constraints(false, std::nullopt)}, p.clock.now(), p.clock.now() + days{30});
  verify::CertificateSet pool;
  pool.add(x_wrong_key);
  pool.add(x_by_untrusted);
  pool.add(x_by_root);
  verify::Verifier v({&p.anchors, &pool, nullptr});
  auto r = test::must(v.verify(leaf, at_time(p.clock.now())));
  CHECK(r.valid);
  REQUIRE(r.chain.size() == 3);
  CHECK(r.chain[1].certificate->fingerprint() == x_by_root->fingerprint());

  // Without the good candidate, the most useful failure is reported.
  verify::CertificateSet bad_pool;
  bad_pool.add(x_wrong_key);
  bad_pool.add(x_by_untrusted);
  verify::Verifier v2({&p.anchors, &bad_pool, nullptr});
  auto r2 = test::must(v2.verify(leaf, at_time(p.clock.now())));
  CHECK_FALSE(r2.valid);
  CHECK(r2.anchored);  // the path through the wrong key reaches the anchor; its leaf signature fails
  CHECK(has_code(r2, verify::FindingCode::kBadSignature));
}

TEST_CASE("verify: among many certificates of one CA, mostly unsound, the sound ones are tried first") {
  // Two levels of intermediates, M and I, each certified eight times with its one name and key:
  // seven expired (renewals left in a bundle), the valid one added last. Without ranking the
  // candidates, each of the 64 combinations is a complete path to validate, past the budget of 50.
  Pki p;
  const TimePoint now = p.clock.now();
  const std::vector<cert::Extension> ca_exts = {
      cert::ext::basic_constraints(true, std::nullopt),
      cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)};
  auto m_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto i_key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes m_spki = test::must(keys::spki_der(*m_key)), i_spki = test::must(keys::spki_der(*i_key));
  auto m_signer = test::must(cert::Signer::create(std::move(m_key)));
  auto i_signer = test::must(cert::Signer::create(std::move(i_key)));
  verify::CertificateSet pool;
  cert::CertificatePtr m_good, i_good;
  for (int n = 0; n < 8; ++n) {
    const bool sound = n == 7;
    const TimePoint nb = sound ? now - days{1} : now - days{400 + n};
    const TimePoint na = sound ? now + days{365} : now - days{30 + n};
    auto m = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=M", m_spki, ca_exts, nb, na);
    if (sound) m_good = m;
    pool.add(m);
  }
  for (int n = 0; n < 8; ++n) {
    const bool sound = n == 7;
    std::vector<cert::Extension> exts = ca_exts;
    if (!sound && n % 2) exts = {cert::ext::key_usage(cert::key_usage::kKeyCertSign)};  // not a CA either
    auto i = forge(m_signer, *m_good, "CN=I", i_spki, exts, sound ? now - days{1} : now - days{400 + n},
                   sound ? now + days{365} : now - days{30 + n});
    if (sound) i_good = i;
    pool.add(i);
  }
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf = forge(i_signer, *i_good, "CN=leaf.example", test::must(keys::spki_der(*leaf_key)),
                    {cert::ext::basic_constraints(false, std::nullopt)}, now - days{1}, now + days{30});
  verify::Verifier v({&p.anchors, &pool, nullptr});
  auto r = test::must(v.verify(leaf, at_time(now)));
  CHECK(r.valid);
  CHECK(r.paths_tried == 1);
  REQUIRE(r.chain.size() == 4);
  CHECK(r.chain[1].certificate->fingerprint() == i_good->fingerprint());
  CHECK(r.chain[2].certificate->fingerprint() == m_good->fingerprint());
  // Ten years on, every one of them has expired: the search reports that, within its budget.
  auto later = test::must(v.verify(leaf, at_time(now + days{3650})));
  CHECK_FALSE(later.valid);
  CHECK(has_code(later, verify::FindingCode::kExpired));
}

TEST_CASE("verify: two CAs that certify each other, and no way out, are reported as a loop") {
  Pki p;
  const TimePoint now = p.clock.now();
  const std::vector<cert::Extension> ca_exts = {
      cert::ext::basic_constraints(true, std::nullopt),
      cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)};
  auto x_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto y_key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes x_spki = test::must(keys::spki_der(*x_key)), y_spki = test::must(keys::spki_der(*y_key));
  auto x_signer = test::must(cert::Signer::create(std::move(x_key)));
  auto y_signer = test::must(cert::Signer::create(std::move(y_key)));
  // Y's name and key, to sign X with; not given to the verifier.
  auto y_named = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=Y", y_spki, ca_exts,
                       now - days{1}, now + days{365});
  auto x_by_y = forge(y_signer, *y_named, "CN=X", x_spki, ca_exts, now - days{1}, now + days{365});
  auto y_by_x = forge(x_signer, *x_by_y, "CN=Y", y_spki, ca_exts, now - days{1}, now + days{365});
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf = forge(x_signer, *x_by_y, "CN=leaf.example", test::must(keys::spki_der(*leaf_key)),
                    {cert::ext::basic_constraints(false, std::nullopt)}, now - days{1}, now + days{30});
  verify::CertificateSet pool;
  pool.add(x_by_y);
  pool.add(y_by_x);
  verify::Verifier v({&p.anchors, &pool, nullptr});
  auto r = test::must(v.verify(leaf, at_time(now)));
  CHECK_FALSE(r.valid);
  CHECK(has_code(r, verify::FindingCode::kUnknownIssuer));
  bool says_loop = false;
  for (const auto& c : r.chain)
    for (const auto& f : c.findings) says_loop = says_loop || f.message.find("loop") != std::string::npos;
  CHECK(says_loop);
}

TEST_CASE("verify: the depth limit and the signature budget") {
  Pki p;
  auto leaf = p.issue("client", "alice");
  verify::VerifyOptions o;
  o.at = p.clock.now();
  o.max_depth = 0;
  auto r = p.verify(leaf, o);
  CHECK_FALSE(r.valid);
  CHECK(has_code(r, verify::FindingCode::kPathTooLong));
  o.max_depth = 1;
  CHECK(p.verify(leaf, o).valid);
  o.signature_budget = 1;
  auto b = p.verify(leaf, o);
  CHECK_FALSE(b.valid);
  CHECK(has_code(b, verify::FindingCode::kBudgetExceeded));
}

TEST_CASE("verify: trust anchors are a name and a key") {
  Pki p;
  auto leaf = p.issue("client", "alice");
  // An intermediate can be the anchor: the path ends there.
  verify::CertificateSet int_anchor;
  int_anchor.add(p.int_issuer.certificate);
  verify::Verifier v({&int_anchor, nullptr, nullptr});
  auto r = test::must(v.verify(leaf, at_time(p.clock.now())));
  CHECK(r.valid);
  CHECK(r.chain.size() == 2);

  // An expired anchor is a warning, not a failure.
  auto old_key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes old_spki = test::must(keys::spki_der(*old_key));
  auto old_signer = test::must(cert::Signer::create(up_ref(old_key.get())));
  cert::TbsCertificate t;
  t.serial = Bytes{1};
  t.subject = test::must(cert::name_der(*test::must(cert::parse_dn("CN=Old Anchor"))));
  t.issuer = t.subject;
  t.not_before = p.clock.now() - days{400};
  t.not_after = p.clock.now() - days{1};
  t.spki = old_spki;
  t.extensions = {cert::ext::subject_key_id(test::must(cert::key_identifier(old_spki)))};
  auto old_anchor =
      test::must(cert::Certificate::from_der(test::must(cert::sign_certificate(t, old_signer))));
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf2 = forge(old_signer, *old_anchor, "CN=still fine", test::must(keys::spki_der(*leaf_key)),
                     {cert::ext::basic_constraints(false, std::nullopt)}, p.clock.now() - days{10},
                     p.clock.now() + days{10});
  verify::CertificateSet anchors;
  anchors.add(old_anchor);
  verify::Verifier v2({&anchors, nullptr, nullptr});
  auto r2 = test::must(v2.verify(leaf2, at_time(p.clock.now())));
  CHECK(r2.valid);
  bool warned = false;
  for (const auto& f : r2.chain.back().findings)
    if (f.code == verify::FindingCode::kAnchorExpired && f.outcome == verify::Outcome::kWarn) warned = true;
  CHECK(warned);
}

TEST_CASE("signature algorithms: ECDSA and EdDSA identifiers carry no parameters, RSA's NULL or none") {
  struct {
    int nid;
    int parameter;  // V_ASN1_UNDEF: absent
    verify::Verdict verdict;
  } cases[] = {
      {NID_ecdsa_with_SHA256, V_ASN1_UNDEF, verify::Verdict::kAccept},
      {NID_ecdsa_with_SHA256, V_ASN1_NULL, verify::Verdict::kRefuse},
      {NID_ED25519, V_ASN1_UNDEF, verify::Verdict::kAccept},
      {NID_ED25519, V_ASN1_NULL, verify::Verdict::kRefuse},
      {NID_sha256WithRSAEncryption, V_ASN1_NULL, verify::Verdict::kAccept},
      {NID_sha256WithRSAEncryption, V_ASN1_UNDEF, verify::Verdict::kAccept},  // RFC 4055 5: accept both
  };
  for (const auto& c : cases) {
    CAPTURE(c.nid);
    CAPTURE(c.parameter);
    OsslPtr<X509_ALGOR> alg(X509_ALGOR_new());
    REQUIRE(X509_ALGOR_set0(alg.get(), OBJ_nid2obj(c.nid), c.parameter, nullptr) == 1);
    CHECK(verify::judge_signature_algorithm(*alg, verify::AlgorithmPolicy::kModern).verdict == c.verdict);
  }
}

TEST_CASE("verify: SHA-1 is refused unless legacy algorithms are allowed") {
  Pki p;
  // Made with OpenSSL's API, since libpki never signs with SHA-1.
  auto key = test::must(keys::generate(keys::KeyType::kRsa2048));
  OsslPtr<X509> x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_set_issuer_name(x.get(), const_cast<X509_NAME*>(&p.int_issuer.certificate->subject()));
  auto subject = test::must(cert::parse_dn("CN=sha1 leaf"));
  X509_set_subject_name(x.get(), subject.get());
  X509_time_adj_ex(X509_getm_notBefore(x.get()), 0, 0, nullptr);
  const time_t now = static_cast<time_t>(p.clock.now().time_since_epoch().count());
  ASN1_TIME_set(X509_getm_notBefore(x.get()), now);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), now + 86400 * 30);
  X509_set_pubkey(x.get(), key.get());
  // Well formed but for the algorithm: it names its issuer's key (RFC 5280 4.2.1.1).
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, p.int_issuer.certificate->x509_mutable(), x.get(), nullptr, nullptr, 0);
  OsslPtr<X509_EXTENSION> aki(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  REQUIRE(aki);
  REQUIRE(X509_add_ext(x.get(), aki.get(), -1) == 1);
  REQUIRE(X509_sign(x.get(), const_cast<EVP_PKEY*>(&p.int_issuer.signer->key()), EVP_sha1()) > 0);
  // The intermediate's key is EC P-256: ecdsa-with-SHA1.
  auto sha1 = test::must(cert::Certificate::from_x509(std::move(x)));
  auto r = p.verify(sha1);
  CHECK_FALSE(r.valid);
  CHECK(has_code(r, verify::FindingCode::kWeakAlgorithm));
  verify::VerifyOptions o;
  o.algorithms = verify::AlgorithmPolicy::kLegacy;
  CHECK(p.verify(sha1, o).valid);
}

namespace {

// A certificate with exactly the extensions given (no AKI or SKI added), signed by `signer`.
Bytes dn(const std::string& text) {
  return text.empty() ? Bytes{0x30, 0x00} : test::must(cert::name_der(*test::must(cert::parse_dn(text))));
}

cert::CertificatePtr sign_exact(const cert::Signer& signer, const Bytes& issuer_dn, const Bytes& subject_dn,
                                const Bytes& spki, std::vector<cert::Extension> exts, TimePoint now) {
  cert::TbsCertificate t;
  t.serial = test::must(ca::random_serial());
  t.issuer = issuer_dn;
  t.subject = subject_dn;
  t.not_before = now - days{1};
  t.not_after = now + days{30};
  t.spki = spki;
  t.extensions = std::move(exts);
  return test::must(cert::Certificate::from_der(test::must(cert::sign_certificate(t, signer))));
}

bool has_problem(const cert::Certificate& c, cert::ProblemId id) {
  for (const auto& p : c.problems())
    if (p.id == id) return true;
  return false;
}

}  // namespace

TEST_CASE("verify: the RFC 5280 profile below the anchor") {
  Pki p;
  const TimePoint now = p.clock.now();
  const auto& int_cert = *p.int_issuer.certificate;
  const Bytes int_dn = test::must(cert::name_der(int_cert.subject()));
  const Bytes int_ski = *int_cert.subject_key_id();
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  const cert::Extension leaf_bc = cert::ext::basic_constraints(false, std::nullopt);
  const cert::Extension aki = cert::ext::authority_key_id(int_ski);

  SUBCASE("the same leaf with an authorityKeyIdentifier passes, without one fails") {
    auto with = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=with aki"), spki, {leaf_bc, aki}, now);
    CHECK(p.verify(with).valid);
    auto without = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=without aki"), spki, {leaf_bc}, now);
    auto r = p.verify(without);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kMalformed));
  }

  SUBCASE("a CA certificate without subjectKeyIdentifier") {
    auto ca_key = test::must(keys::generate(keys::KeyType::kEcP256));
    const Bytes ca_spki = test::must(keys::spki_der(*ca_key));
    auto ca_signer = test::must(cert::Signer::create(up_ref(ca_key.get())));
    const Bytes root_dn = test::must(cert::name_der(p.root_issuer.certificate->subject()));
    auto no_ski = sign_exact(*p.root_issuer.signer, root_dn, dn("CN=No SKI CA"), ca_spki,
                             {cert::ext::basic_constraints(true, std::nullopt),
                              cert::ext::key_usage(cert::key_usage::kKeyCertSign),
                              cert::ext::authority_key_id(*p.root_issuer.certificate->subject_key_id())},
                             now);
    auto leaf =
        sign_exact(ca_signer, test::must(cert::name_der(no_ski->subject())), dn("CN=below"), spki,
                   {leaf_bc, cert::ext::authority_key_id(test::must(cert::key_identifier(ca_spki)))}, now);
    p.pool.add(no_ski);
    auto r = p.verify(leaf);
    CHECK_FALSE(r.valid);
    REQUIRE(r.chain.size() == 3);
    bool on_the_ca = false;
    for (const auto& f : r.chain[1].findings)
      if (f.code == verify::FindingCode::kMalformed) on_the_ca = true;
    CHECK(has_problem(*no_ski, cert::ProblemId::kCaWithoutSubjectKeyId));
    CHECK(on_the_ca);
  }

  SUBCASE("malformed informational extensions are malformed, not ignored") {
    const Bytes bad_values[] = {Bytes{0x30, 0x00},  // an empty SEQUENCE: one or more are required
                                Bytes{'h', 't', 't', 'p', ':'}};  // not DER at all
    for (const auto& value : bad_values) {
      auto leaf = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=odd aia"), spki,
                             {leaf_bc, aki, cert::Extension{oid::kAuthorityInfoAccess, false, value}}, now);
      CHECK(has_problem(*leaf, cert::ProblemId::kMalformedExtension));
      CHECK(has_code(p.verify(leaf), verify::FindingCode::kMalformed));
    }
  }

  SUBCASE("names: an empty issuer, and a CA with an empty subject") {
    auto empty_issuer =
        sign_exact(*p.int_issuer.signer, Bytes{0x30, 0x00}, dn("CN=orphan"), spki, {leaf_bc, aki}, now);
    CHECK(has_problem(*empty_issuer, cert::ProblemId::kEmptyIssuer));
    const std::vector<cert::GeneralName> dns{{cert::GeneralNameType::kDns, "ca.example", {}}};
    auto nameless_ca = sign_exact(
        *p.int_issuer.signer, int_dn, dn(""), spki,
        {cert::ext::basic_constraints(true, std::nullopt), aki, cert::ext::subject_alt_name(dns, true)}, now);
    CHECK(has_problem(*nameless_ca, cert::ProblemId::kCaWithEmptySubject));
    auto nameless_leaf = sign_exact(*p.int_issuer.signer, int_dn, dn(""), spki,
                                    {leaf_bc, aki, cert::ext::subject_alt_name(dns, true)}, now);
    CHECK(nameless_leaf->problems().empty());  // an end entity may be named by its SAN alone
    CHECK(p.verify(nameless_leaf).valid);
  }

  SUBCASE("an anchor's unknown critical extension fails the path") {
    auto root_key = test::must(keys::generate(keys::KeyType::kEcP256));
    const Bytes root_spki = test::must(keys::spki_der(*root_key));
    auto root_signer = test::must(cert::Signer::create(up_ref(root_key.get())));
    const Bytes odd_dn = test::must(cert::name_der(*test::must(cert::parse_dn("CN=Odd Root"))));
    const Bytes root_ski = test::must(cert::key_identifier(root_spki));
    auto make_root = [&](bool odd) {
      std::vector<cert::Extension> exts{cert::ext::basic_constraints(true, std::nullopt),
                                        cert::ext::key_usage(cert::key_usage::kKeyCertSign),
                                        cert::ext::subject_key_id(root_ski)};
      if (odd) exts.push_back(cert::Extension{"1.3.6.1.4.1.55555.2", true, Bytes{0x05, 0x00}});
      return sign_exact(root_signer, odd_dn, dn("CN=Odd Root"), root_spki, exts, now);
    };
    auto leaf = sign_exact(root_signer, odd_dn, dn("CN=under odd root"), spki,
                           {leaf_bc, cert::ext::authority_key_id(root_ski)}, now);
    for (bool odd : {false, true}) {
      CAPTURE(odd);
      verify::CertificateSet anchors;
      anchors.add(make_root(odd));
      verify::Verifier v({&anchors, nullptr, nullptr});
      auto r = test::must(v.verify(leaf, at_time(now)));
      CHECK(r.valid == !odd);
      bool on_anchor = false;
      for (const auto& f : r.chain.back().findings)
        if (f.code == verify::FindingCode::kUnknownCriticalExtension && f.outcome == verify::Outcome::kFail)
          on_anchor = true;
      CHECK(on_anchor == odd);
    }
  }

  SUBCASE("--max-depth does not count a self-issued intermediate (key rollover)") {
    // int' has int's name and a new key, and is signed with int's key; the leaf is signed by int'.
    auto new_key = test::must(keys::generate(keys::KeyType::kEcP256));
    const Bytes new_spki = test::must(keys::spki_der(*new_key));
    auto new_signer = test::must(cert::Signer::create(up_ref(new_key.get())));
    const Bytes new_ski = test::must(cert::key_identifier(new_spki));
    auto rollover = sign_exact(
        *p.int_issuer.signer, int_dn, int_dn, new_spki,
        {cert::ext::basic_constraints(true, std::nullopt),
         cert::ext::key_usage(cert::key_usage::kKeyCertSign), aki, cert::ext::subject_key_id(new_ski)},
        now);
    REQUIRE(rollover->self_issued());
    auto leaf = sign_exact(new_signer, int_dn, dn("CN=after rollover"), spki,
                           {leaf_bc, cert::ext::authority_key_id(new_ski)}, now);
    p.pool.add(rollover);
    verify::VerifyOptions o;
    o.max_depth = 1;
    auto r = p.verify(leaf, o);
    CHECK(r.valid);
    CHECK(r.chain.size() == 4);
    o.max_depth = 0;
    auto cut = p.verify(leaf, o);
    CHECK_FALSE(cut.valid);
    CHECK(has_code(cut, verify::FindingCode::kPathTooLong));

    // Self-issued certificates are free against --max-depth but not without end: every
    // certificate counts against 2 * max_depth + 1 intermediates.
    std::vector<OsslPtr<EVP_PKEY>> chain_keys;
    const cert::Signer* previous = &new_signer;
    std::vector<cert::Signer> signers;
    signers.reserve(3);
    Bytes previous_ski = new_ski;
    for (int i = 0; i < 3; ++i) {
      chain_keys.push_back(test::must(keys::generate(keys::KeyType::kEcP256)));
      const Bytes k_spki = test::must(keys::spki_der(*chain_keys.back()));
      const Bytes k_ski = test::must(cert::key_identifier(k_spki));
      p.pool.add(sign_exact(*previous, int_dn, int_dn, k_spki,
                            {cert::ext::basic_constraints(true, std::nullopt),
                             cert::ext::key_usage(cert::key_usage::kKeyCertSign),
                             cert::ext::authority_key_id(previous_ski), cert::ext::subject_key_id(k_ski)},
                            now));
      signers.push_back(test::must(cert::Signer::create(up_ref(chain_keys.back().get()))));
      previous = &signers.back();
      previous_ski = k_ski;
    }
    auto deep = sign_exact(*previous, int_dn, dn("CN=after four rollovers"), spki,
                           {leaf_bc, cert::ext::authority_key_id(previous_ski)}, now);
    o.max_depth = 2;  // int and four self-issued: five intermediates, the hard cap for 2
    auto five = p.verify(deep, o);
    CHECK(five.valid);
    CHECK(five.chain.size() == 7);
    o.max_depth = 1;  // the hard cap is three
    auto capped = p.verify(deep, o);
    CHECK_FALSE(capped.valid);
    // Reported as too long, not as the bad signature of a same-named certificate that reaches
    // the anchor by a shorter way.
    CHECK(has_code(capped, verify::FindingCode::kPathTooLong));
    CHECK_FALSE(has_code(capped, verify::FindingCode::kBadSignature));
  }
}

TEST_CASE("verify: RFC 5280 rules independent suites agree on") {
  Pki p;
  const TimePoint now = p.clock.now();
  const auto& int_cert = *p.int_issuer.certificate;
  const Bytes int_dn = test::must(cert::name_der(int_cert.subject()));
  const cert::Extension aki = cert::ext::authority_key_id(*int_cert.subject_key_id());
  const cert::Extension leaf_bc = cert::ext::basic_constraints(false, std::nullopt);
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));

  SUBCASE("nameConstraints in an end-entity certificate fail it (4.2.1.10)") {
    const std::string permitted[] = {"example.com"};
    auto leaf = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=www.example.com"), spki,
                           {leaf_bc, aki, cert::ext::name_constraints(permitted, {})}, now);
    CHECK(has_problem(*leaf, cert::ProblemId::kNameConstraintsWithoutCa));
    auto r = p.verify(leaf);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kMalformed));
  }

  SUBCASE("a pathLenConstraint without cA is ignored in the leaf, with a warning (6.1.4 (m))") {
    // BasicConstraints SEQUENCE { pathLenConstraint 3 }, cA absent (FALSE).
    const cert::Extension odd_bc{oid::kBasicConstraints, true, Bytes{0x30, 0x03, 0x02, 0x01, 0x03}};
    auto leaf = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=odd leaf"), spki, {odd_bc, aki}, now);
    CHECK(has_problem(*leaf, cert::ProblemId::kPathLenWithoutCa));
    auto r = p.verify(leaf);
    CHECK(r.valid);
    bool warned = false;
    for (const auto& f : r.chain[0].findings)
      if (f.code == verify::FindingCode::kMalformed && f.outcome == verify::Outcome::kWarn) warned = true;
    CHECK(warned);
  }

  SUBCASE("ocspNoCheck is understood, critical or not; a value other than NULL is malformed") {
    // OpenSSL's test_verify "accept critical OCSP No Check" (RFC 6960 4.2.2.2.1).
    for (const Bytes& value : {Bytes{0x05, 0x00}, Bytes{0x04, 0x00}}) {
      const bool null = value[0] == 0x05;
      CAPTURE(null);
      auto leaf = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=responder"), spki,
                             {leaf_bc, aki, cert::Extension{oid::kOcspNoCheck, true, value}}, now);
      auto r = p.verify(leaf);
      CHECK(r.valid == null);
      CHECK_FALSE(has_code(r, verify::FindingCode::kUnknownCriticalExtension));
      CHECK(has_problem(*leaf, cert::ProblemId::kMalformedExtension) == !null);
    }
  }

  SUBCASE("a serial number of zero or of more than 20 octets is a warning (4.1.2.2)") {
    for (const Bytes& serial : {Bytes{0x00}, Bytes(21, 0x7f), Bytes(20, 0x7f)}) {
      CAPTURE(serial.size());
      cert::TbsCertificate t;
      t.serial = serial;
      t.issuer = int_dn;
      t.subject = dn("CN=odd serial");
      t.not_before = now - days{1};
      t.not_after = now + days{30};
      t.spki = spki;
      t.extensions = {leaf_bc, aki};
      auto leaf = test::must(
          cert::Certificate::from_der(test::must(cert::sign_certificate(t, *p.int_issuer.signer))));
      auto r = p.verify(leaf);
      CHECK(r.valid);
      int warnings = 0;
      for (const auto& f : r.chain[0].findings)
        if (f.code == verify::FindingCode::kMalformed && f.outcome == verify::Outcome::kWarn &&
            f.message.find("4.1.2.2") != std::string::npos)
          ++warnings;
      CHECK(warnings == (serial.size() == 20 ? 0 : 1));
    }
  }

  SUBCASE("a critical certificatePolicies with a qualifier pki does not know fails (4.2.1.4)") {
    // PolicyInformation { 2.5.29.32.0, { PolicyQualifierInfo { qualifier id, qualifier } } }
    auto policies = [](std::string_view qualifier_id, const Bytes& qualifier) {
      const Bytes qualifier_info = der::sequence({test::must(der::parse_oid(qualifier_id)), qualifier});
      const Bytes info = der::sequence({der::oid(oid::kAnyPolicy), der::sequence({qualifier_info})});
      return cert::Extension{oid::kCertificatePolicies, true, der::sequence({info})};
    };
    const Bytes cps = der::tlv(der::tag::kIa5String, as_bytes("http://cps.example/"));
    auto known = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=cps"), spki,
                            {leaf_bc, aki, policies(oid::kCpsQualifier, cps)}, now);
    CHECK(p.verify(known).valid);
    auto unknown = sign_exact(*p.int_issuer.signer, int_dn, dn("CN=odd qualifier"), spki,
                              {leaf_bc, aki, policies("1.3.6.1.4.1.55555.7", der::null())}, now);
    auto r = p.verify(unknown);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kUnknownCriticalExtension));
    // The same qualifier in a non-critical extension is ignored, as qualifiers are information.
    auto ext = policies("1.3.6.1.4.1.55555.7", der::null());
    ext.critical = false;
    CHECK(p.verify(sign_exact(*p.int_issuer.signer, int_dn, dn("CN=quiet"), spki, {leaf_bc, aki, ext}, now))
              .valid);
  }

  SUBCASE("name constraints have a budget of comparisons") {
    ca::CreateCaRequest nc{
        "nc", "CN=Constrained", keys::KeyType::kEcP256, {}, "root", {}, {"example.com"}, {}, {}};
    test::must(p.authority.create_ca(nc));
    auto nc_issuer = test::must(p.authority.load_issuer("nc"));
    p.pool.add(nc_issuer.certificate);
    std::vector<cert::GeneralName> many;
    for (int i = 0; i < 40; ++i)
      many.push_back({cert::GeneralNameType::kDns, "h" + std::to_string(i) + ".example.com", {}});
    auto leaf = forge(*nc_issuer.signer, *nc_issuer.certificate, "CN=many", spki,
                      {leaf_bc, cert::ext::subject_alt_name(many, false)}, now, now + days{30});
    CHECK(p.verify(leaf).valid);
    verify::VerifyOptions o;
    o.name_constraint_budget = 40;  // 41 names (the subject too) x 1 subtree
    auto r = p.verify(leaf, o);
    CHECK_FALSE(r.valid);
    CHECK(has_code(r, verify::FindingCode::kBudgetExceeded));
    o.name_constraint_budget = 41;
    CHECK(p.verify(leaf, o).valid);
  }
}

namespace {

// A CRL of `issuer` signed with `signer`, its AKI the issuer's SKI.
cert::CrlPtr make_crl(const cert::Signer& signer, const cert::Certificate& issuer, std::int64_t number,
                      const std::vector<Bytes>& revoked, TimePoint this_update, TimePoint next_update) {
  crl::CrlEncoder enc(test::must(cert::name_der(issuer.subject())), signer.algorithm(), this_update,
                      next_update);
  for (const auto& serial : revoked)
    enc.add(crl::Entry{serial, this_update, cert::CrlReason::kKeyCompromise, {}});
  const cert::Extension exts[] = {cert::ext::authority_key_id(*issuer.subject_key_id()),
                                  crl::crl_number_extension(number)};
  const Bytes tbs = enc.finish(exts);
  return test::must(
      cert::Crl::from_der(cert::signed_structure(tbs, signer.algorithm(), test::must(signer.sign(tbs)))));
}

}  // namespace

TEST_CASE("verify: revocation takes only CRLs in the certificate's scope: its issuer's key") {
  // One CA name with two signing keys, both certified by the root (two CA certificates at once, or
  // a rollover). The leaf, signed by key A, is revoked on A's CRL and absent from B's.
  Pki p;
  p.publish_crls();
  const TimePoint now = p.clock.now();
  const std::vector<cert::Extension> ca_exts = {
      cert::ext::basic_constraints(true, std::nullopt),
      cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)};
  auto key_a = test::must(keys::generate(keys::KeyType::kEcP256));
  auto key_b = test::must(keys::generate(keys::KeyType::kEcP256));
  auto ca_a = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=Two Keys CA",
                    test::must(keys::spki_der(*key_a)), ca_exts, now - days{1}, now + days{365});
  auto ca_b = forge(*p.root_issuer.signer, *p.root_issuer.certificate, "CN=Two Keys CA",
                    test::must(keys::spki_der(*key_b)), ca_exts, now - days{1}, now + days{365});
  auto signer_a = test::must(cert::Signer::create(std::move(key_a)));
  auto signer_b = test::must(cert::Signer::create(std::move(key_b)));
  auto leaf_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto leaf = forge(signer_a, *ca_a, "CN=leaf", test::must(keys::spki_der(*leaf_key)),
                    {cert::ext::basic_constraints(false, std::nullopt)}, now - days{1}, now + days{30});
  verify::CertificateSet pool;
  pool.add(ca_a);
  pool.add(ca_b);

  auto verify_with = [&](std::vector<cert::CrlPtr> crls) {
    verify::CrlSet set;
    set.add(p.root_crl);
    for (auto& c : crls) set.add(c);
    verify::Verifier v({&p.anchors, &pool, &set});
    return test::must(v.verify(leaf, at_time(now)));
  };

  // OpenSSL's X509_verify_cert, as a second opinion on the same inputs: the X509_V_ERR_* result.
  auto openssl_verdict = [&](std::vector<cert::CrlPtr> crls) {
    OsslPtr<X509_STORE> store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), p.root_issuer.certificate->x509_mutable());
    OsslPtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
    for (const auto& c : {ca_a, ca_b}) sk_X509_push(untrusted.get(), up_ref(c->x509_mutable()).release());
    OsslPtr<STACK_OF(X509_CRL)> crl_stack(sk_X509_CRL_new_null());
    crls.push_back(p.root_crl);
    for (const auto& c : crls) sk_X509_CRL_push(crl_stack.get(), test::openssl_crl(*c).release());
    OsslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf->x509_mutable(), untrusted.get());
    X509_STORE_CTX_set0_crls(ctx.get(), crl_stack.get());
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx.get()),
                                X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                               static_cast<time_t>(now.time_since_epoch().count()));
    X509_verify_cert(ctx.get());
    drain_openssl_errors();
    return X509_STORE_CTX_get_error(ctx.get());
  };

  for (auto [a_number, b_number] : {std::pair{2345, 2370}, std::pair{2370, 2345}, std::pair{7, 7}}) {
    CAPTURE(a_number);
    CAPTURE(b_number);
    auto crl_a = make_crl(signer_a, *ca_a, a_number, {leaf->serial()}, now - days{1}, now + days{7});
    auto crl_b = make_crl(signer_b, *ca_b, b_number, {}, now - days{1}, now + days{7});
    for (bool a_first : {true, false}) {
      CAPTURE(a_first);
      auto r = verify_with(a_first ? std::vector{crl_a, crl_b} : std::vector{crl_b, crl_a});
      CHECK_FALSE(r.valid);
      CHECK(has_code(r, verify::FindingCode::kRevoked));
      CHECK(openssl_verdict(a_first ? std::vector{crl_a, crl_b} : std::vector{crl_b, crl_a}) ==
            X509_V_ERR_CERT_REVOKED);
    }
    // A's CRL past its nextUpdate: the status is unknown, never B's word for A's certificate.
    auto stale_a = make_crl(signer_a, *ca_a, a_number, {}, now - days{9}, now - days{2});
    CHECK(has_code(verify_with({stale_a, crl_b}), verify::FindingCode::kRevocationUnknown));
  }
  // With no CRL of key A at all, the CA's other key speaks for its name, as after a key rollover
  // (PKITS 4.5.4 and 4.5.5): B's CRL that does not list the leaf, then one that does.
  CHECK(verify_with({make_crl(signer_b, *ca_b, 3, {}, now - days{1}, now + days{7})}).valid);
  CHECK(has_code(verify_with({make_crl(signer_b, *ca_b, 4, {leaf->serial()}, now - days{1}, now + days{7})}),
                 verify::FindingCode::kRevoked));
}
