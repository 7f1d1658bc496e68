// OCSP: the responder over a real store (statuses, the answer cache, refusals) and the verifier's
// judgement of answers (signer authorisation, CertID, freshness, nonce), through libpki alone.
#include <doctest/doctest.h>

#include <functional>
#include <mutex>

#include "pki/ocsp/request.h"
#include "pki/ocsp/responder.h"
#include "pki/verify/verifier.h"
#include "support.h"

using namespace pki;

namespace {

// An OcspSource that answers with whatever the test says.
struct FakeOcsp final : verify::OcspSource {
  std::function<std::optional<verify::OcspAnswer>(const cert::Certificate&, const cert::Certificate&)> fn;
  std::optional<verify::OcspAnswer> answer(const cert::Certificate& c,
                                           const cert::Certificate& i) const override {
    return fn(c, i);
  }
};

struct OcspFixture : test::Fixture {
  cert::CertificatePtr root_cert, int_cert, leaf, other_leaf;
  std::mutex store_mutex;
  OcspFixture() {
    root_cert = test::must(cert::Certificate::from_der(root().certificate.der));
    int_cert = test::must(cert::Certificate::from_der(intermediate("int", "root").certificate.der));
    leaf = issue("a.example");
    other_leaf = issue("b.example");
  }
  cert::CertificatePtr issue(const std::string& cn) {
    auto r = request("server", cn);
    r.ca = "int";
    return test::must(cert::Certificate::from_der(test::must(authority.issue(r)).certificate.der));
  }
  ocsp::Responder responder(std::vector<ocsp::ServedKey> keys = {}) {
    if (keys.empty()) keys = test::must(authority.ocsp_keys({}));
    return ocsp::Responder(*store, store_mutex, clock, std::move(keys));
  }
  ocsp::Answer ask(ocsp::Responder& r, const cert::CertificatePtr& c, bool nonce = false) {
    return r.respond(test::must(ocsp::make_request(*c, *int_cert, nonce)).der);
  }
  // Verifies `target` under root with `source` as its only revocation source.
  verify::VerifyResult verify_with(const cert::CertificatePtr& target, const FakeOcsp& source) {
    verify::CertificateSet anchors, intermediates;
    anchors.add(root_cert);
    intermediates.add(int_cert);
    verify::Verifier v({&anchors, &intermediates, nullptr, &source});
    verify::VerifyOptions o;
    o.at = clock.now();
    return test::must(v.verify(target, o));
  }
  static std::string revocation_message(const verify::VerifyResult& r, std::size_t index = 0) {
    for (const auto& f : r.chain[index].findings)
      if (f.check == verify::Check::kRevocation) return f.message;
    return "";
  }
  // A source that answers every certificate with the responder's answer (and the nonce asked).
  FakeOcsp source_from(ocsp::Responder& r, bool nonce) {
    FakeOcsp s;
    s.fn = [&r, nonce](const cert::Certificate& c,
                       const cert::Certificate& i) -> std::optional<verify::OcspAnswer> {
      auto req = ocsp::make_request(c, i, nonce).value();
      verify::OcspAnswer a{r.respond(req.der).der, std::nullopt, "test", {}};
      if (nonce) a.nonce = req.nonce;
      return a;
    };
    return s;
  }
};

}  // namespace

TEST_CASE("ocsp responder: good, revoked, cached until the status changes or half its validity passed") {
  OcspFixture f;
  auto r = f.responder();
  auto a = f.ask(r, f.leaf);
  CHECK(a.outcome == ocsp::Outcome::kAnswered);
  CHECK(a.status == "good");
  CHECK_FALSE(a.from_cache);
  CHECK(a.cacheable);
  REQUIRE(a.next_update);
  CHECK(*a.next_update - *a.this_update == ocsp::kDefaultValidity);
  auto again = f.ask(r, f.leaf);
  CHECK(again.from_cache);
  CHECK(again.der == a.der);

  // A nonce: signed for this request, never cached.
  auto with_nonce = f.ask(r, f.leaf, true);
  CHECK_FALSE(with_nonce.from_cache);
  CHECK_FALSE(with_nonce.cacheable);

  ca::RevokeRequest rv;
  rv.serial = f.leaf->serial_hex();
  rv.reason = cert::CrlReason::kKeyCompromise;
  test::must(f.authority.revoke(rv));
  auto revoked = f.ask(r, f.leaf);
  CHECK(revoked.status == "revoked");
  CHECK_FALSE(revoked.from_cache);

  // Past half of the validity, the answer is signed again.
  f.clock = FixedClock(f.clock.now() + ocsp::kDefaultValidity / 2 + std::chrono::seconds{1});
  auto later = f.ask(r, f.leaf);
  CHECK(later.status == "revoked");
  CHECK_FALSE(later.from_cache);
  CHECK(r.statistics().from_cache == 1);
}

TEST_CASE("ocsp responder: refusals and unknowns") {
  OcspFixture f;
  auto r = f.responder();
  CHECK(r.respond({}).outcome == ocsp::Outcome::kMalformed);
  const Bytes garbage{0x30, 0x03, 0x02, 0x01, 0x05};
  CHECK(r.respond(garbage).outcome == ocsp::Outcome::kMalformed);
  auto good = test::must(ocsp::make_request(*f.leaf, *f.int_cert, false)).der;
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(r.respond(trailing).outcome == ocsp::Outcome::kMalformed);

  // A CA of another store: unauthorized.
  test::Fixture other;
  auto other_root = test::must(cert::Certificate::from_der(other.root("elsewhere").certificate.der));
  auto req = test::must(ocsp::make_request(*f.leaf, *other_root, false));
  CHECK(r.respond(req.der).outcome == ocsp::Outcome::kUnauthorized);

  // Serving only the root: the intermediate's leaves are unauthorized, the intermediate is good.
  const std::vector<std::string> only_root{"root"};
  auto root_only = f.responder(test::must(f.authority.ocsp_keys(only_root)));
  CHECK(root_only.respond(test::must(ocsp::make_request(*f.leaf, *f.int_cert, false)).der).outcome ==
        ocsp::Outcome::kUnauthorized);
  auto int_status = root_only.respond(test::must(ocsp::make_request(*f.int_cert, *f.root_cert, false)).der);
  CHECK(int_status.status == "good");
}

TEST_CASE("verify with OCSP: the responder's answers decide, with their reasons") {
  OcspFixture f;
  auto r = f.responder();
  auto source = f.source_from(r, true);
  auto ok = f.verify_with(f.leaf, source);
  CHECK(ok.valid);
  CHECK(f.revocation_message(ok).find("OCSP: good") == 0);
  CHECK(f.revocation_message(ok).find("nonce matches") != std::string::npos);
  CHECK(f.revocation_message(ok, 1).find("OCSP: good") == 0);  // the intermediate, asked too

  ca::RevokeRequest rv;
  rv.serial = f.leaf->serial_hex();
  rv.reason = cert::CrlReason::kSuperseded;
  test::must(f.authority.revoke(rv));
  auto bad = f.verify_with(f.leaf, source);
  CHECK_FALSE(bad.valid);
  CHECK(bad.has_failure(verify::FindingCode::kRevoked));
  CHECK(f.revocation_message(bad).find("superseded") != std::string::npos);
}

TEST_CASE("verify with OCSP: answers that must not be believed are unknown") {
  OcspFixture f;
  auto r = f.responder();
  auto check_unknown = [&](const FakeOcsp& s, const std::string& says) {
    auto v = f.verify_with(f.other_leaf, s);
    CHECK_FALSE(v.valid);
    CHECK(v.has_failure(verify::FindingCode::kRevocationUnknown));
    CHECK_MESSAGE(f.revocation_message(v).find(says) != std::string::npos, f.revocation_message(v));
  };

  FakeOcsp wrong_nonce = f.source_from(r, true);
  auto inner = wrong_nonce.fn;
  wrong_nonce.fn = [inner](const cert::Certificate& c, const cert::Certificate& i) {
    auto a = inner(c, i);
    a->nonce->front() ^= 1;
    return a;
  };
  check_unknown(wrong_nonce, "another nonce");

  FakeOcsp about_another;
  about_another.fn = [&](const cert::Certificate&, const cert::Certificate&) {
    return std::optional(verify::OcspAnswer{f.ask(r, f.leaf).der, std::nullopt, "test", {}});
  };
  check_unknown(about_another, "about another certificate");

  {
    // Answers made now, verified two hours later (they were current for one).
    const Bytes for_leaf = f.ask(r, f.other_leaf).der;
    const Bytes for_int = r.respond(test::must(ocsp::make_request(*f.int_cert, *f.root_cert, false)).der).der;
    FakeOcsp stale;
    stale.fn = [&](const cert::Certificate& c, const cert::Certificate&) {
      return std::optional(verify::OcspAnswer{
          c.fingerprint() == f.int_cert->fingerprint() ? for_int : for_leaf, std::nullopt, "test", {}});
    };
    const TimePoint now = f.clock.now();
    f.clock = FixedClock(now + std::chrono::hours{2});
    check_unknown(stale, "(stale)");
    f.clock = FixedClock(now);
  }

  // Signed by the root for a certificate the intermediate issued: not an authorised responder.
  auto keys = test::must(f.authority.ocsp_keys({}));
  for (auto& k : keys)
    if (k.authority.name == "int")
      for (const auto& root_key : keys)
        if (root_key.authority.name == "root")
          k.signing = {root_key.ca_certificate, root_key.signing.signer, true};
  auto forged = f.responder(keys);
  check_unknown(f.source_from(forged, false), "did not certify");

  FakeOcsp unreachable;
  unreachable.fn = [](const cert::Certificate&, const cert::Certificate&) {
    return std::optional(verify::OcspAnswer{{}, std::nullopt, "http://x", "could not reach http://x"});
  };
  check_unknown(unreachable, "could not reach");
}

TEST_CASE("delegated OCSP responder: issued, used, and renewed when due") {
  OcspFixture f;
  ca::OcspResponderRequest req;
  req.ca = "int";
  req.validity = std::chrono::hours{3};
  auto rec = test::must(f.authority.issue_ocsp_responder(req)).certificate;
  auto responder_cert = test::must(cert::Certificate::from_der(rec.der));
  CHECK(rec.profile == "ocsp-responder");
  CHECK((X509_get_extended_key_usage(const_cast<X509*>(&responder_cert->x509())) & XKU_OCSP_SIGN) != 0);

  auto keys = test::must(f.authority.ocsp_keys({}));
  const ocsp::ServedKey* int_key = nullptr;
  for (const auto& k : keys)
    if (k.authority.name == "int") int_key = &k;
  REQUIRE(int_key);
  CHECK(int_key->signing.delegated);
  CHECK(int_key->signing.certificate->fingerprint() == responder_cert->fingerprint());

  auto r = f.responder(keys);
  auto v = f.verify_with(f.leaf, f.source_from(r, true));
  CHECK(v.valid);
  CHECK(f.revocation_message(v).find("delegated responder") != std::string::npos);

  CHECK_FALSE(test::must(f.authority.renew_ocsp_responder(*int_key)).has_value());  // not due yet
  f.clock = FixedClock(f.clock.now() + std::chrono::hours{2} + std::chrono::minutes{1});
  auto renewed = test::must(f.authority.renew_ocsp_responder(*int_key));
  REQUIRE(renewed.has_value());
  CHECK(renewed->certificate->fingerprint() != responder_cert->fingerprint());
  CHECK(renewed->certificate->not_after() - renewed->certificate->not_before() == std::chrono::hours{3});

  // After a rollover the older key answers for what it signed itself: its responder is not renewed.
  ca::RolloverRequest roll;
  roll.name = "int";
  test::must(f.authority.rollover_ca(roll));
  auto own = test::must(f.authority.renew_ocsp_responder(*int_key));
  REQUIRE(own.has_value());
  CHECK_FALSE(own->delegated);
  CHECK(own->certificate->fingerprint() == f.int_cert->fingerprint());
  for (const auto& k : test::must(f.authority.ocsp_keys({})))
    if (k.authority.name == "int") CHECK_FALSE(k.signing.delegated);  // gen 1: older; gen 2: none issued yet
}
