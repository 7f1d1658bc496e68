#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <functional>

#include "pki/cert/builder.h"
#include "pki/cert/certificate.h"
#include "pki/cert/csr.h"
#include "pki/cert/general_name.h"
#include "pki/cert/name.h"
#include "pki/cert/name_constraints.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/keys/keys.h"
#include "pki/lint/lint.h"
#include "support.h"

using namespace pki;
using namespace pki::cert;

TEST_CASE("SANs: accepted and normalised") {
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"DNS:Example.COM", "DNS:example.com"},
      {"dns:a-b.example", "DNS:a-b.example"},
      {"DNS:localhost", "DNS:localhost"},
      {"DNS:*.example.com", "DNS:*.example.com"},
      {"DNS:xn--bcher-kva.example", "DNS:xn--bcher-kva.example"},
      {"IP:192.0.2.1", "IP:192.0.2.1"},
      {"IP:2001:DB8::1", "IP:2001:db8::1"},
      {"EMAIL:alice@Example.COM", "EMAIL:alice@example.com"},
      {"URI:https://example.com/x", "URI:https://example.com/x"},
      {"URI:spiffe://cluster.local/ns/a", "URI:spiffe://cluster.local/ns/a"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(to_string(test::must(parse_san(c.in))) == c.out);
  }
}

TEST_CASE("SANs: refused") {
  const std::vector<std::string> refused = {"DNS:",
                                            "IP:999.1.1.1",
                                            "IP:1.2.3",
                                            "DNS:a..b",
                                            "DNS:-a.example",
                                            "DNS:a_b.example",
                                            "DNS:example.com.",
                                            "DNS:a.*.example",
                                            "DNS:*",
                                            "DNS:f*o.example",
                                            "DNS:bücher.example",
                                            "EMAIL:nobody",
                                            "EMAIL:@example.com",
                                            "URI:no-scheme",
                                            "URI:http:// space",
                                            "XYZ:thing",
                                            "example.com",
                                            "DNS:" + std::string(64, 'a') + ".example"};
  for (const auto& bad : refused) {
    CAPTURE(bad);
    auto r = parse_san(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kBadInput);
  }
  CHECK_FALSE(parse_san("DNS:*.example.com", Wildcard::kRefuse));
}

TEST_CASE("distinguished names: both forms, encoding order, escapes") {
  auto a = test::must(parse_dn("CN=Example Root, O=Example\\, Inc., C=US"));
  CHECK(format_dn(*a) == "CN=Example Root, O=Example\\, Inc., C=US");
  auto b = test::must(parse_dn("/C=US/O=Example/CN=Root"));
  CHECK(format_dn(*b) == "C=US, O=Example, CN=Root");
  CHECK(common_name(*b) == "Root");
  auto multi = test::must(parse_dn("CN=a+OU=b, O=c"));
  CHECK(format_dn(*multi) == "CN=a+OU=b, O=c");
  for (const char* bad : {"", "CN", "CN=", "XX=1", "C=USA", "CN=a,,O=b"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_dn(bad));
  }
}

TEST_CASE("name constraints: subtree matching by type") {
  auto dns = [](const char* s) { return GeneralName{GeneralNameType::kDns, s, {}}; };
  auto email = [](const char* s) { return GeneralName{GeneralNameType::kEmail, s, {}}; };
  auto uri = [](const char* s) { return GeneralName{GeneralNameType::kUri, s, {}}; };
  auto ip = [](Bytes b) { return GeneralName{GeneralNameType::kIp, {}, std::move(b)}; };
  struct {
    GeneralName name, base;
    bool within;
  } cases[] = {
      {dns("example.com"), dns("example.com"), true},
      {dns("www.Example.com"), dns("example.COM"), true},
      {dns("a.b.example.com"), dns("example.com"), true},
      {dns("badexample.com"), dns("example.com"), false},
      {dns("example.com"), dns("www.example.com"), false},
      {dns("example.com"), dns(".example.com"), false},
      {dns("www.example.com"), dns(".example.com"), true},
      {dns("anything.test"), dns(""), true},
      {email("alice@example.com"), email("example.com"), true},
      {email("alice@mail.example.com"), email("example.com"), false},
      {email("alice@mail.example.com"), email(".example.com"), true},
      {email("alice@example.com"), email("alice@EXAMPLE.com"), true},
      {email("Alice@example.com"), email("alice@example.com"), false},
      {uri("https://www.example.com:8443/x"), uri(".example.com"), true},
      {uri("https://example.com/x"), uri("example.com"), true},
      {uri("https://user@other.com/"), uri("example.com"), false},
      {uri("urn:example:thing"), uri("example.com"), false},
      {ip({192, 0, 2, 7}), ip({192, 0, 2, 0, 255, 255, 255, 0}), true},
      {ip({192, 0, 3, 7}), ip({192, 0, 2, 0, 255, 255, 255, 0}), false},
      {ip({192, 0, 2, 7}), ip(Bytes(32, 0)), false},  // IPv4 name, IPv6 constraint
      {dns("example.com"), email("example.com"), false},
  };
  for (const auto& c : cases) {
    CAPTURE(to_string(c.name));
    CAPTURE(to_string(c.base));
    CHECK(within_subtree(c.name, c.base) == c.within);
  }
}

TEST_CASE("name constraints: directory names compare RDN prefixes, case- and space-insensitively") {
  auto dn = [](const char* s) {
    auto n = test::must(parse_dn(s));
    return GeneralName{GeneralNameType::kDirectory, s, test::must(name_der(*n))};
  };
  CHECK(within_subtree(dn("C=US, O=Example, CN=host"), dn("C=US, O=Example")));
  CHECK(within_subtree(dn("C=US, O=  EXAMPLE   Corp, CN=host"), dn("C=US, O=example corp")));
  CHECK_FALSE(within_subtree(dn("C=US, O=Other, CN=host"), dn("C=US, O=Example")));
  CHECK_FALSE(within_subtree(dn("C=US"), dn("C=US, O=Example")));
}

TEST_CASE("name constraints: trailing dots, wildcards and IP hosts do not slip past exclusions") {
  NameConstraints nc;
  nc.excluded.push_back({GeneralName{GeneralNameType::kDns, "evil.com", {}}, 0, std::nullopt});
  nc.excluded.push_back({GeneralName{GeneralNameType::kDns, "bad.example.com", {}}, 0, std::nullopt});
  nc.excluded.push_back({GeneralName{GeneralNameType::kUri, "evil.com", {}}, 0, std::nullopt});
  struct {
    GeneralName name;
    bool refused;
  } cases[] = {
      {{GeneralNameType::kDns, "evil.com.", {}}, true},
      {{GeneralNameType::kDns, "WWW.EVIL.COM.", {}}, true},
      {{GeneralNameType::kDns, "*.example.com", {}}, true},  // reaches bad.example.com
      {{GeneralNameType::kDns, "*.bad.example.com", {}}, true},
      {{GeneralNameType::kDns, "*.sub.example.com", {}}, false},  // cannot reach bad.example.com
      {{GeneralNameType::kDns, "good.example.com", {}}, false},
      {{GeneralNameType::kUri, "https://evil.com./x", {}}, true},
      {{GeneralNameType::kUri, "https://good.com\\@evil.com/", {}}, false},  // the host is good.com
      {{GeneralNameType::kUri, "https://192.0.2.1/", {}}, true},             // an IP host cannot be judged
      // Names of a constrained form that cannot be read are refused, not let through.
      {{GeneralNameType::kUri, "mailto:a@evil.com", {}}, true},
      {{GeneralNameType::kUri, "https:evil.com", {}}, true},
      {{GeneralNameType::kDns, "evil.com/", {}}, true},
      {{GeneralNameType::kEmail, "alice@example.org", {}}, false},  // no email constraints here
  };
  for (const auto& c : cases) {
    CAPTURE(to_string(c.name));
    const std::vector<GeneralName> names{c.name};
    CHECK(check(nc, names).has_value() == c.refused);
  }
}

TEST_CASE("name constraints: permitted and excluded together") {
  NameConstraints nc;
  nc.permitted.push_back({GeneralName{GeneralNameType::kDns, "example.com", {}}, 0, std::nullopt});
  nc.excluded.push_back({GeneralName{GeneralNameType::kDns, "secret.example.com", {}}, 0, std::nullopt});
  const std::vector<GeneralName> ok{{GeneralNameType::kDns, "www.example.com", {}},
                                    {GeneralNameType::kIp, {}, {10, 0, 0, 1}}};  // IP unconstrained here
  CHECK_FALSE(check(nc, ok));
  const std::vector<GeneralName> outside{{GeneralNameType::kDns, "www.example.org", {}}};
  auto v1 = check(nc, outside);
  REQUIRE(v1);
  CHECK(v1->kind == ConstraintViolation::Kind::kNotPermitted);
  const std::vector<GeneralName> excluded{{GeneralNameType::kDns, "db.secret.example.com", {}}};
  auto v2 = check(nc, excluded);
  REQUIRE(v2);
  CHECK(v2->kind == ConstraintViolation::Kind::kExcluded);
}

TEST_CASE("builder: the encoded certificate parses back with every field") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP384));
  const Bytes spki = test::must(keys::spki_der(*key));
  auto signer = test::must(Signer::create(std::move(key)));
  auto name = test::must(parse_dn("CN=Builder Test"));
  TbsCertificate t;
  t.serial = Bytes{0x00, 0x9f, 0x01};
  t.subject = test::must(name_der(*name));
  t.issuer = t.subject;
  t.not_before = test::at("2026-01-01T00:00:00Z");
  t.not_after = test::at("2056-01-01T00:00:00Z");
  t.spki = spki;
  const Bytes ski = test::must(key_identifier(spki));
  CHECK(ski.size() == 20);
  const std::vector<GeneralName> sans{{GeneralNameType::kDns, "a.example", {}},
                                      {GeneralNameType::kIp, {}, {127, 0, 0, 1}}};
  const std::vector<std::string> permit{"example"}, exclude{"bad.example"};
  t.extensions = {ext::basic_constraints(true, 2),
                  ext::key_usage(key_usage::kKeyCertSign | key_usage::kCrlSign | key_usage::kDecipherOnly),
                  ext::subject_key_id(ski),
                  ext::authority_key_id(ski),
                  ext::subject_alt_name(sans, false),
                  ext::name_constraints(permit, exclude),
                  ext::crl_distribution_point("http://crl.example/x.crl")};
  const Bytes der = test::must(sign_certificate(t, signer));
  auto c = test::must(Certificate::from_der(der));
  CHECK(c->version() == 3);
  CHECK(c->serial_hex() == "9f01");
  CHECK(c->subject_text() == "CN=Builder Test");
  CHECK(c->self_issued());
  CHECK(c->not_after() == test::at("2056-01-01T00:00:00Z"));
  CHECK(c->signature_algorithm() == "ecdsa-with-SHA384");
  CHECK(c->signature_algorithms_match());
  REQUIRE(c->basic_constraints());
  CHECK(c->basic_constraints()->ca);
  CHECK(c->basic_constraints()->path_len == 2);
  CHECK(*c->key_usage() == (key_usage::kKeyCertSign | key_usage::kCrlSign | key_usage::kDecipherOnly));
  CHECK(*c->subject_key_id() == ski);
  CHECK(*c->authority_key_id()->key_id == ski);
  REQUIRE(c->subject_alt_names());
  CHECK(*c->subject_alt_names() == sans);
  REQUIRE(c->name_constraints());
  CHECK(c->name_constraints()->permitted.size() == 1);
  CHECK(c->name_constraints()->excluded.front().base.text == "bad.example");
  REQUIRE(c->crl_distribution_points().size() == 1);
  CHECK(to_string(c->crl_distribution_points()[0].full_name->front()) == "URI:http://crl.example/x.crl");
  CHECK(c->problems().empty());
  // OpenSSL agrees the signature is good.
  CHECK(X509_verify(c->x509_mutable(), const_cast<EVP_PKEY*>(&signer.key())) == 1);
}

TEST_CASE("certificate view: RFC 5280 profile breaches are reported as problems") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  auto signer = test::must(Signer::create(up_ref(key.get())));
  const Bytes id(20, 1);
  // Every case but those about the AKI names its issuer's key, as RFC 5280 4.2.1.1 asks.
  auto make = [&](const std::string& subject, std::vector<Extension> exts, bool with_aki = true,
                  const std::string& issuer = "CN=Issuer") {
    TbsCertificate t;
    t.serial = Bytes{0x42};
    t.issuer = issuer.empty() ? Bytes{0x30, 0x00} : test::must(name_der(*test::must(parse_dn(issuer))));
    t.subject = subject.empty() ? Bytes{0x30, 0x00} : test::must(name_der(*test::must(parse_dn(subject))));
    t.not_before = test::at("2026-01-01T00:00:00Z");
    t.not_after = test::at("2027-01-01T00:00:00Z");
    t.spki = spki;
    if (with_aki) exts.insert(exts.begin(), ext::authority_key_id(id));
    t.extensions = std::move(exts);
    return test::must(Certificate::from_der(test::must(sign_certificate(t, signer))));
  };
  const std::vector<GeneralName> san{{GeneralNameType::kDns, "a.example", {}}};
  Extension critical_aki = ext::authority_key_id(id);
  critical_aki.critical = true;
  const Extension ca = ext::basic_constraints(true, std::nullopt);
  struct {
    const char* what;
    CertificatePtr cert;
    bool problem;
  } cases[] = {
      {"a well-formed leaf",
       make("CN=a", {ext::basic_constraints(false, std::nullopt), ext::subject_alt_name(san, false)}), false},
      {"an empty subject, critical SAN", make("", {ext::subject_alt_name(san, true)}), false},
      {"an empty subject, non-critical SAN", make("", {ext::subject_alt_name(san, false)}), true},
      {"an empty subject, no SAN", make("", {}), true},
      {"keyUsage with no bit", make("CN=a", {ext::key_usage(0)}), true},
      {"keyCertSign on a non-CA", make("CN=a", {ext::key_usage(key_usage::kKeyCertSign)}), true},
      // BasicConstraints ::= SEQUENCE { pathLenConstraint 0 }, cA left at its default FALSE.
      {"pathLen without cA",
       make("CN=a", {Extension{"2.5.29.19", true, Bytes{0x30, 0x03, 0x02, 0x01, 0x00}}}), true},
      {"a critical AKI", make("CN=a", {critical_aki}, false), true},
      {"no AKI", make("CN=a", {}, false), true},
      {"no AKI on a self-issued certificate", make("CN=Issuer", {}, false), false},
      {"a CA with its SKI", make("CN=ca", {ca, ext::subject_key_id(id)}), false},
      {"a CA without SKI", make("CN=ca", {ca}), true},
      {"a CA with an empty subject",
       make("", {ca, ext::subject_key_id(id), ext::subject_alt_name(san, true)}), true},
      {"an empty issuer", make("CN=a", {}, true, ""), true},
      {"a repeated extension",
       make("CN=a", {ext::subject_alt_name(san, false), ext::subject_alt_name(san, false)}), true},
      // Encodings that are BER but not DER (X.690 10-11), each inside an extension's value.
      {"basicConstraints cA as BOOLEAN 01",
       make("CN=ca",
            {Extension{"2.5.29.19", true, Bytes{0x30, 0x03, 0x01, 0x01, 0x01}}, ext::subject_key_id(id)}),
       true},
      {"basicConstraints in a long-form length",
       make("CN=ca", {Extension{"2.5.29.19", true, Bytes{0x30, 0x81, 0x03, 0x01, 0x01, 0xFF}},
                      ext::subject_key_id(id)}),
       true},
      {"keyUsage with a padding bit set",
       make("CN=a", {Extension{"2.5.29.15", true, Bytes{0x03, 0x02, 0x07, 0x81}}}), true},
      {"keyUsage with a trailing zero byte",
       make("CN=a", {Extension{"2.5.29.15", true, Bytes{0x03, 0x03, 0x00, 0x80, 0x00}}}), true},
      {"keyUsage as DER", make("CN=a", {Extension{"2.5.29.15", true, Bytes{0x03, 0x02, 0x07, 0x80}}}), false},
      {"two values in one extnValue",
       make("CN=a", {Extension{"2.5.29.15", true, Bytes{0x03, 0x02, 0x07, 0x80, 0x05, 0x00}}}), true},
      {"an empty subjectAltName", make("CN=a", {Extension{"2.5.29.17", false, Bytes{0x30, 0x00}}}), true},
      {"a five-octet iPAddress",
       make("CN=a", {Extension{"2.5.29.17", false, Bytes{0x30, 0x07, 0x87, 0x05, 1, 2, 3, 4, 5}}}), true},
      {"a four-octet iPAddress",
       make("CN=a", {Extension{"2.5.29.17", false, Bytes{0x30, 0x06, 0x87, 0x04, 1, 2, 3, 4}}}), false},
      {"an empty extendedKeyUsage", make("CN=a", {Extension{"2.5.29.37", false, Bytes{0x30, 0x00}}}), true},
      {"an empty certificatePolicies", make("CN=a", {Extension{"2.5.29.32", false, Bytes{0x30, 0x00}}}),
       true},
      {"an empty cRLDistributionPoints", make("CN=a", {Extension{"2.5.29.31", false, Bytes{0x30, 0x00}}}),
       true},
      // DEFAULT values written out (X.690 11.5).
      {"basicConstraints cA FALSE written out",
       make("CN=a", {Extension{"2.5.29.19", true, Bytes{0x30, 0x03, 0x01, 0x01, 0x00}}}), true},
      {"basicConstraints cA FALSE left out", make("CN=a", {Extension{"2.5.29.19", true, Bytes{0x30, 0x00}}}),
       false},
      {"a name constraint's minimum 0 written out",
       make("CN=ca",
            {ca, ext::subject_key_id(id),
             Extension{"2.5.29.30", true, Bytes{0x30, 0x12, 0xA0, 0x10, 0x30, 0x0E, 0x82, 0x09, 'a', '.', 'e',
                                                'x',  'a',  'm',  'p',  'l',  'e',  0x80, 0x01, 0x00}}}),
       true},
      {"a name constraint without minimum",
       make("CN=ca", {ca, ext::subject_key_id(id),
                      Extension{"2.5.29.30", true,
                                Bytes{0x30, 0x0F, 0xA0, 0x0D, 0x30, 0x0B, 0x82, 0x09, 'a', '.', 'e', 'x', 'a',
                                      'm', 'p', 'l', 'e'}}}),
       false},
      // AuthorityKeyIdentifier { keyIdentifier [0] } in the constructed form: A0 { 04 ... }.
      {"a constructed keyIdentifier",
       make("CN=a", {Extension{"2.5.29.35", false, Bytes{0x30, 0x06, 0xA0, 0x04, 0x04, 0x02, 0x01, 0x02}}},
            false),
       true},
      {"an unknown extension holding BER",
       make("CN=a", {Extension{"1.3.6.1.4.1.99999.1", false, Bytes{0x30, 0x81, 0x03, 0x01, 0x01, 0x01}}}),
       false},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    CHECK(c.cert->problems().empty() != c.problem);
  }
}

TEST_CASE(
    "certificate view: an outer encoding that is BER, not DER, is a problem though the signature holds") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto signer = test::must(Signer::create(up_ref(key.get())));
  TbsCertificate t;
  t.serial = Bytes{0x42};
  t.issuer = test::must(name_der(*test::must(parse_dn("CN=a"))));
  t.subject = t.issuer;
  t.not_before = test::at("2026-01-01T00:00:00Z");
  t.not_after = test::at("2027-01-01T00:00:00Z");
  t.spki = test::must(keys::spki_der(*key));
  const Bytes der = test::must(sign_certificate(t, signer));
  const auto good = test::must(Certificate::from_der(der));
  CHECK(good->problems().empty());
  // The outer SEQUENCE's length written in one more octet than it needs.
  REQUIRE(der[1] == 0x82);
  Bytes ber{0x30, 0x83, 0x00};
  ber.insert(ber.end(), der.begin() + 2, der.end());
  const auto c = test::must(Certificate::from_der(ber));
  CHECK(c->fingerprint() == good->fingerprint());  // OpenSSL re-encodes it, so the bytes kept are DER
  REQUIRE(c->problems().size() == 1);
  CHECK(c->problems()[0].id == ProblemId::kNotDer);
  bool linted = false;
  for (const auto& f : lint::check(*c)) linted = linted || f.rule->name == "e_not_der";
  CHECK(linted);
}

TEST_CASE("certificate view: an empty relative distinguished name is a problem") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto signer = test::must(Signer::create(up_ref(key.get())));
  const Bytes cn_a = test::must(name_der(*test::must(parse_dn("CN=a"))));
  auto make = [&](const Bytes& subject, const Bytes& issuer) {
    TbsCertificate t;
    t.serial = Bytes{0x42};
    t.issuer = issuer;
    t.subject = subject;
    t.not_before = test::at("2026-01-01T00:00:00Z");
    t.not_after = test::at("2027-01-01T00:00:00Z");
    t.spki = test::must(keys::spki_der(*key));
    return test::must(Certificate::from_der(test::must(sign_certificate(t, signer))));
  };
  CHECK(make(cn_a, cn_a)->problems().empty());
  // SEQUENCE { SET { CN=a }, SET {} }
  Bytes empty_rdn{0x30, static_cast<std::uint8_t>(cn_a.size())};
  empty_rdn.insert(empty_rdn.end(), cn_a.begin() + 2, cn_a.end());
  empty_rdn.insert(empty_rdn.end(), {0x31, 0x00});
  for (const auto& c : {make(empty_rdn, cn_a), make(cn_a, empty_rdn)}) {
    bool found = false;
    for (const auto& p : c->problems()) found = found || p.id == ProblemId::kMalformedName;
    CHECK(found);
  }
}

TEST_CASE("name constraints: an email or IP name that cannot be read fails under constraints of its form") {
  NameConstraints nc;
  nc.excluded.push_back({GeneralName{GeneralNameType::kEmail, "evil.com", {}}, 0, std::nullopt});
  nc.excluded.push_back(
      {GeneralName{GeneralNameType::kIp, {}, {10, 0, 0, 0, 255, 0, 0, 0}}, 0, std::nullopt});
  for (const auto& name : {GeneralName{GeneralNameType::kEmail, "evil.com", {}},
                           GeneralName{GeneralNameType::kIp, {}, {10, 0, 0, 1, 0}}}) {
    CAPTURE(to_string(name));
    const std::vector<GeneralName> names{name};
    auto v = check(nc, names);
    REQUIRE(v);
    CHECK(v->kind == ConstraintViolation::Kind::kUnsupported);
  }
  // An rfc822Name is a Mailbox (RFC 5280 4.2.1.6, RFC 5321 4.1.2): a local part that is no
  // Dot-string or Quoted-string cannot be judged, under a permitted subtree as under an excluded one.
  NameConstraints permit;
  permit.permitted.push_back({GeneralName{GeneralNameType::kEmail, "example.com", {}}, 0, std::nullopt});
  for (const char* bad : {"invalid@address@example.com", ".lead@example.com", "trail.@example.com",
                          "two..dots@example.com", "sp ace@example.com", "\"open@example.com",
                          "\"esc\\\"@example.com", "caf\xc3\xa9@example.com", "a(b)@example.com"}) {
    CAPTURE(bad);
    const std::vector<GeneralName> names{GeneralName{GeneralNameType::kEmail, bad, {}}};
    auto v = check(permit, names);
    REQUIRE(v);
    CHECK(v->kind == ConstraintViolation::Kind::kUnsupported);
  }
  for (const char* good :
       {"user@example.com", "first.last+tag@example.com", "!#$%&'*+-/=?^_`{|}~@example.com",
        "\"quoted@at\"@example.com", "\"sp ace \\\" q\"@example.com"}) {
    CAPTURE(good);
    const std::vector<GeneralName> names{GeneralName{GeneralNameType::kEmail, good, {}}};
    CHECK_FALSE(check(permit, names));
  }
}

namespace {

Bytes make_csr_der(const char* alg, const char* param, const char* md, bool with_san) {
  const std::string a = alg;
  OsslPtr<EVP_PKEY> key(a == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, alg, std::size_t{2048})
                        : param    ? EVP_PKEY_Q_keygen(nullptr, nullptr, alg, param)
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, alg));
  REQUIRE(key);
  OsslPtr<X509_REQ> req(X509_REQ_new());
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("csr.example"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Example"), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (with_san) {
    OsslPtr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
    sk_X509_EXTENSION_push(exts.get(), X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                                           "DNS:a.example,IP:192.0.2.9,email:x@example.com"));
    X509_REQ_add_extensions(req.get(), exts.get());
  }
  REQUIRE(X509_REQ_sign(req.get(), key.get(), md ? EVP_get_digestbyname(md) : nullptr) > 0);
  unsigned char* buf = nullptr;
  const int n = i2d_X509_REQ(req.get(), &buf);
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

// OpenSSL's parser and verifier, as the reference.
Result<CsrInfo> slow_inspect(const Bytes& der) {
  PKI_ASSIGN(auto csr, parse_csr(as_chars(der), "CSR"));
  return inspect_csr(*csr);
}

void check_same(const Result<CsrInfo>& a, const Result<CsrInfo>& b) {
  REQUIRE(a.has_value() == b.has_value());
  if (!a) return;
  CHECK(a->spki == b->spki);
  CHECK(a->key_type == b->key_type);
  CHECK(format_dn(*a->subject) == format_dn(*b->subject));
  CHECK(a->requested_sans == b->requested_sans);
}

}  // namespace

TEST_CASE("CSR fast path: the same answers as OpenSSL's parser") {
  struct {
    const char* alg;
    const char* param;
    const char* md;
  } kinds[] = {{"EC", "P-256", "SHA256"},
               {"EC", "P-384", "SHA384"},
               {"EC", "P-256", "SHA512"},
               {"ED25519", nullptr, nullptr},
               {"RSA", nullptr, "SHA256"}};
  for (const auto& k : kinds) {
    for (bool san : {false, true}) {
      CAPTURE(std::string(k.alg) + (k.param ? std::string(" ") + k.param : "") + (san ? " with SANs" : ""));
      const Bytes der = make_csr_der(k.alg, k.param, k.md, san);
      auto fast = inspect_csr_der(der);
      REQUIRE(fast);
      CHECK(fast->read_directly == (std::string(k.alg) != "RSA"));  // RSA goes to OpenSSL's parser
      check_same(fast, slow_inspect(der));
      if (san) CHECK(fast->requested_sans.size() == 3);
    }
  }
}

TEST_CASE("CSR fast path: attributes it does not read go to OpenSSL's parser, with the same answer") {
  OsslPtr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto request = [&](const std::function<void(X509_REQ*)>& add) {
    OsslPtr<X509_REQ> req(X509_REQ_new());
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("attrs.example"), -1, -1, 0);
    X509_REQ_set_pubkey(req.get(), key.get());
    add(req.get());
    REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
    unsigned char* buf = nullptr;
    const int n = i2d_X509_REQ(req.get(), &buf);
    Bytes out(buf, buf + n);
    OPENSSL_free(buf);
    return out;
  };
  auto san_extensions = [](const char* san) {
    OsslPtr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
    sk_X509_EXTENSION_push(exts.get(), X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san));
    return exts;
  };
  struct Case {
    const char* what;
    std::function<void(X509_REQ*)> add;
  } cases[] = {
      {"a challengePassword",
       [](X509_REQ* r) {
         X509_REQ_add1_attr_by_NID(r, NID_pkcs9_challengePassword, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("secret"), -1);
       }},
      {"Microsoft's extension request",
       [&](X509_REQ* r) {
         X509_REQ_add_extensions_nid(r, san_extensions("DNS:ms.example").get(), NID_ms_ext_req);
       }},
  };
  std::vector<std::pair<std::string, Bytes>> requests;
  for (const auto& c : cases) requests.emplace_back(c.what, request(c.add));
  {
    // Two extensionRequest attributes: OpenSSL will not add a second, so the request is built
    // here and signed with the same key. OpenSSL's parser reads the first.
    auto ext_der = [&](const char* san) {
      unsigned char* buf = nullptr;
      const int n = i2d_X509_EXTENSIONS(san_extensions(san).get(), &buf);
      Bytes out(buf, buf + n);
      OPENSSL_free(buf);
      return out;
    };
    auto attribute = [&](const char* san) {
      return der::sequence(
          {der::oid("1.2.840.113549.1.9.14"), der::constructed(der::tag::kSet, {ext_der(san)})});
    };
    const Bytes subject = der::sequence({der::constructed(
        der::tag::kSet, {der::sequence({der::oid("2.5.4.3"), der::tlv(0x0c, as_bytes("twice.example"))})})});
    const Bytes spki = test::must(keys::spki_der(*key));
    const Bytes info =
        der::sequence({der::integer(0), subject, spki,
                       der::constructed(der::tag::context_constructed(0),
                                        {attribute("DNS:first.example"), attribute("DNS:second.example")})});
    OsslPtr<EVP_MD_CTX> md(EVP_MD_CTX_new());
    std::size_t len = 0;
    REQUIRE(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
    REQUIRE(EVP_DigestSign(md.get(), nullptr, &len, info.data(), info.size()) == 1);
    Bytes sig(len);
    REQUIRE(EVP_DigestSign(md.get(), sig.data(), &len, info.data(), info.size()) == 1);
    sig.resize(len);
    requests.emplace_back(
        "two extension requests",
        der::sequence({info, der::sequence({der::oid("1.2.840.10045.4.3.2")}), der::bit_string(sig)}));
  }
  for (const auto& [what, der] : requests) {
    CAPTURE(what);
    auto fast = inspect_csr_der(der);
    auto slow = slow_inspect(der);
    REQUIRE(fast);
    CHECK_FALSE(fast->read_directly);
    check_same(fast, slow);
  }
  // Sanity: the same key with a plain extension request is read directly, SANs and all.
  const Bytes plain =
      request([&](X509_REQ* r) { X509_REQ_add_extensions(r, san_extensions("DNS:plain.example").get()); });
  auto direct = inspect_csr_der(plain);
  REQUIRE(direct);
  CHECK(direct->read_directly);
  REQUIRE(direct->requested_sans.size() == 1);
  CHECK(direct->requested_sans[0].text == "plain.example");
}

TEST_CASE("CSR fast path: every one-byte corruption is judged as OpenSSL judges it") {
  for (const char* curve : {"P-256", "ED25519"}) {
    CAPTURE(std::string(curve));
    const Bytes good = std::string(curve) == "ED25519" ? make_csr_der("ED25519", nullptr, nullptr, true)
                                                       : make_csr_der("EC", curve, "SHA256", true);
    int accepted = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
      Bytes bad = good;
      bad[i] ^= 0x01;
      CAPTURE(i);
      const auto fast = inspect_csr_der(bad);
      const auto slow = slow_inspect(bad);
      // Both accept (with the same result) or both refuse.
      check_same(fast, slow);
      if (fast) ++accepted;
    }
    // Every byte is framing, signed content or signature: no corruption survives.
    CHECK(accepted == 0);
  }
}

TEST_CASE("lint before signing: the TBS certificate is checked, an error-level rule refuses it") {
  auto key = test::must(keys::generate(keys::KeyType::kEcP256));
  const Bytes spki = test::must(keys::spki_der(*key));
  auto signer = test::must(Signer::create(std::move(key)));
  auto issuer = test::must(parse_dn("CN=Lint Issuer"));
  auto subject = test::must(parse_dn("CN=www.example.com"));
  const Bytes ski = test::must(key_identifier(spki));
  TbsCertificate t;
  t.serial = Bytes{0x01, 0x02};
  t.issuer = test::must(name_der(*issuer));
  t.subject = test::must(name_der(*subject));
  t.not_before = test::at("2026-01-01T00:00:00Z");
  t.not_after = test::at("2026-03-01T00:00:00Z");
  t.spki = spki;
  const std::vector<GeneralName> sans{{GeneralNameType::kDns, "www.example.com", {}}};
  const std::vector<der::ConstOid> server_auth{der::ConstOid("1.3.6.1.5.5.7.3.1")};
  auto leaf = [&](std::uint16_t usage, std::vector<GeneralName> names) {
    return std::vector<Extension>{ext::basic_constraints(false, std::nullopt),
                                  ext::key_usage(usage),
                                  ext::ext_key_usage(server_auth),
                                  ext::subject_key_id(ski),
                                  ext::authority_key_id(ski),
                                  ext::subject_alt_name(names, false)};
  };
  t.extensions = leaf(key_usage::kDigitalSignature, sans);
  CHECK(lint::check_before_signing(test::must(encode_tbs_certificate(t, signer.algorithm())),
                                   signer.algorithm()));

  t.extensions = leaf(key_usage::kDigitalSignature | key_usage::kKeyCertSign, sans);
  auto refused = lint::check_before_signing(test::must(encode_tbs_certificate(t, signer.algorithm())),
                                            signer.algorithm());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK(refused.error().message.find("e_ext_key_usage_cert_sign_without_ca") != std::string::npos);
  CHECK(refused.error().message.find("e_sub_cert_key_usage_cert_sign_bit_set") != std::string::npos);

  t.extensions = leaf(key_usage::kDigitalSignature, {{GeneralNameType::kDns, "other.example", {}}});
  t.not_after = test::at("2027-06-01T00:00:00Z");
  refused = lint::check_before_signing(test::must(encode_tbs_certificate(t, signer.algorithm())),
                                       signer.algorithm());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("e_subject_common_name_not_from_san") != std::string::npos);
  CHECK(refused.error().message.find("e_sub_cert_valid_time_longer_than_398_days") != std::string::npos);
}

TEST_CASE("certificate with its key apart: the same fields, key and lint findings as OpenSSL's parse") {
  auto ca_key = test::must(keys::generate(keys::KeyType::kEcP256));
  auto signer = test::must(Signer::create(std::move(ca_key)));
  auto name = test::must(parse_dn("CN=key.example"));
  auto certificate_for = [&](const Bytes& spki) {
    TbsCertificate t;
    t.serial = Bytes{0x42};
    t.subject = test::must(name_der(*name));
    t.issuer = t.subject;
    t.not_before = test::at("2026-01-01T00:00:00Z");
    t.not_after = test::at("2028-01-01T00:00:00Z");  // over 398 days: a lint finding both must see
    t.spki = spki;
    const std::vector<der::ConstOid> server_auth{der::ConstOid("1.3.6.1.5.5.7.3.1")};
    const std::vector<GeneralName> sans{{GeneralNameType::kDns, "key.example", {}}};
    t.extensions = {ext::basic_constraints(false, std::nullopt), ext::key_usage(key_usage::kDigitalSignature),
                    ext::ext_key_usage(server_auth), ext::subject_alt_name(sans, false)};
    return test::must(sign_certificate(t, signer));
  };
  auto finding_names = [](const Certificate& c) {
    std::vector<std::string_view> out;
    for (const auto& f : lint::check(c)) out.push_back(f.rule->name);
    return out;
  };
  auto same_parse = [&](const Bytes& der) {
    auto openssl = test::must(Certificate::from_der(der));
    auto apart = test::must(Certificate::from_der_key_apart(der));
    CHECK(apart->der() == openssl->der());
    CHECK(apart->fingerprint() == openssl->fingerprint());
    CHECK(apart->serial_hex() == openssl->serial_hex());
    CHECK(apart->subject_text() == openssl->subject_text());
    CHECK(apart->spki_der() == openssl->spki_der());
    CHECK(apart->extensions().size() == openssl->extensions().size());
    CHECK(apart->public_key_algorithm() == openssl->public_key_algorithm());
    CHECK(finding_names(*apart) == finding_names(*openssl));
    REQUIRE((apart->public_key() == nullptr) == (openssl->public_key() == nullptr));
    if (openssl->public_key()) CHECK(EVP_PKEY_eq(apart->public_key(), openssl->public_key()) == 1);
    return apart;
  };

  std::vector<OsslPtr<EVP_PKEY>> subject_keys;
  for (auto type : {keys::KeyType::kEcP256, keys::KeyType::kEcP384, keys::KeyType::kEd25519,
                    keys::KeyType::kRsa2048, keys::KeyType::kEcP256})
    subject_keys.push_back(test::must(keys::generate(type)));
  std::vector<Bytes> certs;
  for (const auto& k : subject_keys) certs.push_back(certificate_for(test::must(keys::spki_der(*k))));
  // Twice round, keys taking turns (two P-256 keys among them, the last and the first): a key
  // built before on this thread is given again only for its own bytes.
  for (int round = 0; round < 2; ++round)
    for (std::size_t i = 0; i < certs.size(); ++i) {
      CAPTURE(i);
      auto c = same_parse(certs[i]);
      REQUIRE(c->public_key());
      CHECK(EVP_PKEY_eq(c->public_key(), subject_keys[i].get()) == 1);
      auto key = test::must(keys::public_key_from_spki(c->spki_der()));
      CHECK(EVP_PKEY_eq(key.get(), subject_keys[i].get()) == 1);
      // What OpenSSL sizes signatures by is the key's own (a copy of the curve's parameters here).
      CHECK(EVP_PKEY_get_bits(key.get()) == EVP_PKEY_get_bits(subject_keys[i].get()));
      CHECK(EVP_PKEY_get_size(key.get()) == EVP_PKEY_get_size(subject_keys[i].get()));
    }
  const Bytes p256_a = test::must(keys::spki_der(*subject_keys[0]));
  const Bytes p256_b = test::must(keys::spki_der(*subject_keys[4]));
  for (const Bytes* spki : {&p256_a, &p256_a, &p256_b, &p256_b, &p256_a}) {
    auto key = test::must(keys::public_key_from_spki(*spki));
    const bool a = spki == &p256_a;
    CHECK(EVP_PKEY_eq(key.get(), subject_keys[a ? 0 : 4].get()) == 1);
    CHECK(EVP_PKEY_eq(key.get(), subject_keys[a ? 4 : 0].get()) != 1);
  }

  // A P-256 key that is not a point on the curve: both parses read the certificate, neither has a key.
  Bytes bad = test::must(keys::spki_der(*subject_keys[0]));
  bad.back() ^= 0x01;
  auto c = same_parse(certificate_for(bad));
  CHECK(c->public_key() == nullptr);
  CHECK_FALSE(keys::public_key_from_spki(bad));
  // And one on P-384.
  Bytes bad384 = test::must(keys::spki_der(*subject_keys[1]));
  bad384.back() ^= 0x01;
  CHECK(same_parse(certificate_for(bad384))->public_key() == nullptr);
  CHECK_FALSE(keys::public_key_from_spki(bad384));
  // An EC key with explicit curve parameters goes to OpenSSL's decoders, with the same answer.
  auto explicit_key = test::must(keys::generate(keys::KeyType::kEcP256));
  REQUIRE(EVP_PKEY_set_utf8_string_param(explicit_key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                         OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
  const Bytes explicit_spki = test::must(keys::spki_der(*explicit_key));
  CHECK_FALSE(keys::fast_public_key(explicit_spki));
  same_parse(certificate_for(explicit_spki));
}

TEST_CASE("a certificate's signature is checked over its signed part as received, as X509_verify checks it") {
  // A library context of its own, as `pki verify` gives each reader: the key-apart parse checks
  // signatures there (its X509 belongs to a context without algorithms).
  OsslPtr<OSSL_LIB_CTX> libctx = new_library_context();
  REQUIRE(libctx);
  auto name = test::must(parse_dn("CN=signed.example"));
  const Bytes subject_spki = test::must(keys::spki_der(*test::must(keys::generate(keys::KeyType::kEcP256))));
  TbsCertificate t;
  t.serial = Bytes{0x17};
  t.subject = test::must(name_der(*name));
  t.issuer = t.subject;
  t.not_before = test::at("2026-01-01T00:00:00Z");
  t.not_after = test::at("2027-01-01T00:00:00Z");
  t.spki = subject_spki;
  t.extensions = {ext::basic_constraints(false, std::nullopt), ext::key_usage(key_usage::kDigitalSignature)};

  // Every answer the same from X509_verify on OpenSSL's own parse, from pki's parse, and from the
  // key-apart parse in its own context.
  auto judged = [&](const Bytes& der, const EVP_PKEY& key) {
    auto openssl = test::must(Certificate::from_der(der));
    auto apart = test::must(Certificate::from_der_key_apart(der, libctx.get()));
    const bool expected = X509_verify(openssl->x509_mutable(), const_cast<EVP_PKEY*>(&key)) == 1;
    drain_openssl_errors();
    CHECK(openssl->signature_verifies(key) == expected);
    CHECK(apart->signature_verifies(key) == expected);
    return expected;
  };
  for (auto type :
       {keys::KeyType::kEcP256, keys::KeyType::kEcP384, keys::KeyType::kEd25519, keys::KeyType::kRsa2048}) {
    CAPTURE(keys::to_string(type));
    auto signer = test::must(Signer::create(test::must(keys::generate(type))));
    const Bytes tbs = test::must(encode_tbs_certificate(t, signer.algorithm()));
    const Bytes der = signed_structure(tbs, signer.algorithm(), test::must(signer.sign(tbs)));
    CHECK(judged(der, signer.key()));
    // Another key of the same type.
    auto other = test::must(keys::generate(type));
    CHECK_FALSE(judged(der, *other));
    // A signature changed in its last byte.
    Bytes changed = der;
    changed.back() ^= 0x01;
    CHECK_FALSE(judged(changed, signer.key()));
    // The signed part with a longer length than DER allows (BER), signed as it is: OpenSSL keeps
    // those bytes and checks the signature over them, and so does pki (the certificate is still
    // not DER, which the verifier refuses on its own).
    BytesView in = tbs;
    const auto parsed = der::read(in);
    REQUIRE(parsed);
    REQUIRE(parsed->content.size() < 0x10000);
    Bytes ber{0x30, 0x83, 0x00, static_cast<std::uint8_t>(parsed->content.size() >> 8),
              static_cast<std::uint8_t>(parsed->content.size() & 0xff)};
    ber.insert(ber.end(), parsed->content.begin(), parsed->content.end());
    const Bytes ber_der = signed_structure(ber, signer.algorithm(), test::must(signer.sign(ber)));
    CHECK(judged(ber_der, signer.key()));
  }
  // The outer signatureAlgorithm not the one in the signed part: P-256 with SHA-384 outside.
  auto signer = test::must(Signer::create(test::must(keys::generate(keys::KeyType::kEcP256))));
  const Bytes tbs = test::must(encode_tbs_certificate(t, signer.algorithm()));
  Bytes outer_algorithm = signer.algorithm();
  REQUIRE(outer_algorithm.back() == 0x02);  // ecdsa-with-SHA256 ends 4.3.2
  outer_algorithm.back() = 0x03;            // ecdsa-with-SHA384
  const Bytes mismatched = signed_structure(tbs, outer_algorithm, test::must(signer.sign(tbs)));
  CHECK_FALSE(judged(mismatched, signer.key()));

  // RSA-PSS, its parameters in the algorithm identifier, signed by OpenSSL.
  auto rsa = test::must(keys::generate(keys::KeyType::kRsa2048));
  const Bytes plain = signed_structure(tbs, signer.algorithm(), test::must(signer.sign(tbs)));
  const unsigned char* p = plain.data();
  OsslPtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(plain.size())));
  REQUIRE(x);
  OsslPtr<EVP_MD_CTX> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestSignInit(md.get(), &pctx, EVP_sha256(), nullptr, rsa.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1);
  REQUIRE(X509_sign_ctx(x.get(), md.get()) > 0);
  const Bytes pss = der_of(*x);
  CHECK(test::must(Certificate::from_der(pss))->signature_nid() == NID_rsassaPss);
  CHECK(judged(pss, *rsa));
  Bytes pss_changed = pss;
  pss_changed.back() ^= 0x01;
  CHECK_FALSE(judged(pss_changed, *rsa));
}
