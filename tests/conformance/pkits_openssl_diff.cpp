// A second opinion: every NIST PKITS run through OpenSSL's X509_verify_cert (policy checking, CRL
// checking of the whole chain, extended CRL support and delta CRLs on) beside libpki's verifier.
// Lists each run where the two disagree, with both verdicts, PKITS's expectation and OpenSSL's
// error. Exits 1 when libpki misses PKITS's expectation on a run where OpenSSL meets it (libpki
// would be the one in the wrong there).
//
//   pkits_openssl_diff PKITS_DIR
#include <iostream>

#include "pkits_data.h"

using namespace pki;

namespace {

struct OpensslVerdict {
  bool valid = false;
  std::string error;
};

OpensslVerdict openssl_verify(const cert::CertificatePtr& target, const cert::CertificatePtr& anchor,
                              const std::vector<cert::CertificatePtr>& intermediates,
                              const std::vector<cert::CrlPtr>& crls, const nlohmann::json& run, time_t at) {
  OsslPtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), anchor->x509_mutable());
  OsslPtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (const auto& c : intermediates) sk_X509_push(untrusted.get(), up_ref(c->x509_mutable()).release());
  OsslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), target->x509_mutable(), untrusted.get());
  // CRLs given to the context, as `openssl verify -CRLfile` does (through the store, OpenSSL does
  // not find the indirect CRLs of 4.14.24-33).
  OsslPtr<STACK_OF(X509_CRL)> crl_stack(sk_X509_CRL_new_null());
  // OpenSSL parses each CRL's DER itself (cert::Crl keeps no X509_CRL of the whole CRL).
  for (const auto& c : crls) {
    const unsigned char* p = c->der().data();
    sk_X509_CRL_push(crl_stack.get(), d2i_X509_CRL(nullptr, &p, static_cast<long>(c->der().size())));
  }
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
  for (const auto& p : pkits::split(run["initial_policy_set"]))
    sk_ASN1_OBJECT_push(policies.get(), OBJ_txt2obj(pkits::policy_oid(p).c_str(), 1));
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
  pkits::Files files(argv[1]);
  const auto runs = files.runs();
  const auto at = static_cast<time_t>(pkits::validation_time().time_since_epoch().count());
  int openssl_matches = 0, pki_matches = 0, pki_wrong_where_openssl_right = 0;
  std::vector<std::string> lines;
  for (const auto& run : runs) {
    const std::string id = run["id"];
    const bool expected = run["expected"] == "valid";
    auto r = pkits::load(files, run);
    if (!r.complete) return 2;
    verify::Verifier verifier({&r.anchor_set, &r.intermediate_set, &r.crl_set});
    const auto ours = verifier.verify(r.target, r.options).value();
    const auto theirs = openssl_verify(r.target, r.anchor, r.intermediates, r.crls, run, at);
    if (ours.valid == expected) ++pki_matches;
    if (theirs.valid == expected) ++openssl_matches;
    if (ours.valid == theirs.valid) continue;
    if (theirs.valid == expected) ++pki_wrong_where_openssl_right;
    lines.push_back(
        id + " " + std::string(run["name"]) + "\n    PKITS expects " + std::string(run["expected"]) +
        "; libpki: " + (ours.valid ? "valid" : "invalid (" + ours.summary + ")") +
        "; OpenSSL: " + (theirs.valid ? "valid" : "invalid (" + theirs.error + ")") + "\n    " +
        (ours.valid == expected ? "OpenSSL deviates from PKITS here" : "libpki deviates from PKITS here"));
  }
  std::cout << "libpki and " << OPENSSL_VERSION_TEXT << " disagree on " << lines.size() << " of "
            << runs.size() << " PKITS runs:\n";
  for (const auto& l : lines) std::cout << "  " << l << "\n";
  std::cout << "PKITS matched: libpki " << pki_matches << "/" << runs.size() << ", OpenSSL "
            << openssl_matches << "/" << runs.size() << "\n";
  return pki_wrong_where_openssl_right == 0 ? 0 : 1;
}
