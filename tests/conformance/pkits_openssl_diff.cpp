// A second opinion: every NIST PKITS run through OpenSSL's X509_verify_cert (policy checking, CRL
// checking of the whole chain, extended CRL support and delta CRLs on) beside libpki's verifier.
// Lists each run where the two disagree, with both verdicts, PKITS's expectation and OpenSSL's
// error. Exits 1 when libpki misses PKITS's expectation on a run where OpenSSL meets it (libpki
// would be the one in the wrong there).
//
//   pkits_openssl_diff PKITS_DIR
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/verify/verifier.h"

using namespace pki;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

std::string policy_oid(const std::string& name) {
  if (name == "anyPolicy") return "2.5.29.32.0";
  const std::string prefix = "NIST-test-policy-";
  if (name.rfind(prefix, 0) == 0) return "2.16.840.1.101.3.2.1.48." + name.substr(prefix.size());
  return name;
}

struct OpensslVerdict {
  bool valid = false;
  std::string error;
};

OpensslVerdict openssl_verify(const cert::CertificatePtr& target, const cert::CertificatePtr& anchor,
                              const std::vector<cert::CertificatePtr>& intermediates, const std::vector<cert::CrlPtr>& crls,
                              const nlohmann::json& run, time_t at) {
  OsslPtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), anchor->x509_mutable());
  OsslPtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (const auto& c : intermediates) sk_X509_push(untrusted.get(), up_ref(c->x509_mutable()).release());
  OsslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), target->x509_mutable(), untrusted.get());
  // CRLs given to the context, as `openssl verify -CRLfile` does (through the store, OpenSSL does
  // not find the indirect CRLs of 4.14.24-33).
  OsslPtr<STACK_OF(X509_CRL)> crl_stack(sk_X509_CRL_new_null());
  for (const auto& c : crls) sk_X509_CRL_push(crl_stack.get(), up_ref(c->x509_mutable()).release());
  X509_STORE_CTX_set0_crls(ctx.get(), crl_stack.get());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  unsigned long flags = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT |
                        X509_V_FLAG_USE_DELTAS | X509_V_FLAG_POLICY_CHECK;
  if (run["initial_explicit_policy"]) flags |= X509_V_FLAG_EXPLICIT_POLICY;
  if (run["initial_policy_mapping_inhibit"]) flags |= X509_V_FLAG_INHIBIT_MAP;
  if (run["initial_inhibit_any_policy"]) flags |= X509_V_FLAG_INHIBIT_ANY;
  X509_VERIFY_PARAM_set_flags(param, flags);
  X509_VERIFY_PARAM_set_time(param, at);
  OsslPtr<STACK_OF(ASN1_OBJECT)> policies(sk_ASN1_OBJECT_new_null());
  for (const auto& p : split(run["initial_policy_set"])) sk_ASN1_OBJECT_push(policies.get(), OBJ_txt2obj(policy_oid(p).c_str(), 1));
  X509_VERIFY_PARAM_set1_policies(param, policies.get());
  OpensslVerdict v;
  v.valid = X509_verify_cert(ctx.get()) == 1;
  if (!v.valid) v.error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  drain_openssl_errors();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: pkits_openssl_diff PKITS_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const auto runs = nlohmann::json::parse(read_file(dir + "/pkits_tests.json").value());
  std::map<std::string, cert::CertificatePtr> certs;
  std::map<std::string, cert::CrlPtr> crl_cache;
  auto cert_of = [&](const std::string& n) {
    auto& c = certs[n];
    if (!c) c = cert::Certificate::from_der(as_bytes(read_file(dir + "/certs/" + n + ".crt").value())).value();
    return c;
  };
  auto crl_of = [&](const std::string& n) {
    auto& c = crl_cache[n];
    if (!c) c = cert::Crl::from_der(as_bytes(read_file(dir + "/crls/" + n + ".crl").value())).value();
    return c;
  };
  const TimePoint at = parse_rfc3339("2011-04-15T00:00:00Z").value();
  int agree = 0, openssl_matches = 0, pki_matches = 0, pki_wrong_where_openssl_right = 0;
  std::vector<std::string> lines;
  for (const auto& run : runs) {
    const std::string id = run["id"];
    const bool expected = run["expected"] == "valid";
    auto anchor = cert_of(run["trust_anchor"]);
    auto target = cert_of(run["end_entity"]);
    std::vector<cert::CertificatePtr> inter;
    std::vector<cert::CrlPtr> crls;
    verify::CertificateSet anchors, pool;
    verify::CrlSet crl_set;
    anchors.add(anchor);
    for (const auto& n : run["intermediates"]) {
      inter.push_back(cert_of(n));
      pool.add(inter.back());
    }
    for (const auto& n : run["crls"]) {
      crls.push_back(crl_of(n));
      crl_set.add(crls.back());
    }
    verify::VerifyOptions o;
    o.at = at;
    o.algorithms = verify::AlgorithmPolicy::kLegacy;
    for (const auto& p : split(run["initial_policy_set"])) o.initial_policy_set.push_back(policy_oid(p));
    o.initial_explicit_policy = run["initial_explicit_policy"];
    o.initial_policy_mapping_inhibit = run["initial_policy_mapping_inhibit"];
    o.initial_any_policy_inhibit = run["initial_inhibit_any_policy"];
    verify::Verifier verifier({&anchors, &pool, &crl_set});
    const auto ours = verifier.verify(target, o).value();
    const auto theirs = openssl_verify(target, anchor, inter, crls, run,
                                       static_cast<time_t>(at.time_since_epoch().count()));
    if (ours.valid == expected) ++pki_matches;
    if (theirs.valid == expected) ++openssl_matches;
    if (ours.valid == theirs.valid) {
      ++agree;
      continue;
    }
    if (theirs.valid == expected) ++pki_wrong_where_openssl_right;
    lines.push_back(id + " " + std::string(run["name"]) + "\n    PKITS expects " + std::string(run["expected"]) + "; libpki: " +
                    (ours.valid ? "valid" : "invalid (" + ours.summary + ")") + "; OpenSSL: " +
                    (theirs.valid ? "valid" : "invalid (" + theirs.error + ")") + "\n    " +
                    (ours.valid == expected ? "OpenSSL deviates from PKITS here" : "libpki deviates from PKITS here"));
  }
  std::cout << "libpki and OpenSSL " << OPENSSL_VERSION_TEXT << " disagree on " << lines.size() << " of " << runs.size()
            << " PKITS runs:\n";
  for (const auto& l : lines) std::cout << "  " << l << "\n";
  std::cout << "PKITS matched: libpki " << pki_matches << "/" << runs.size() << ", OpenSSL " << openssl_matches << "/"
            << runs.size() << "\n";
  return pki_wrong_where_openssl_right == 0 ? 0 : 1;
}
