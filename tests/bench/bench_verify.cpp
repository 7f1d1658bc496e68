// Benchmark (not a test): chains verified per second for a root, an intermediate and a P-256 leaf,
// with CRL checking against a 10,000-entry CRL from the intermediate (and the root's CRL), by
// libpki's Verifier and by OpenSSL's X509_verify_cert on the same inputs, in the same run.
//
//   bench_verify [SECONDS_PER_SIDE]
//
// Both sides verify the same 100 leaves in turn, each verification a full one (path, signatures,
// CRL lookups, time checks). A Verifier remembers signatures on CA certificates and CRLs between
// chains (DESIGN.md: a verifier that sees many leaves under one CA checks the CA's chain and each
// CRL's signature once); the leaf's signature is checked every time. The run also times a new
// Verifier per chain, which remembers nothing. OpenSSL gets the root in an X509_STORE with both CRLs and
// CRL_CHECK|CRL_CHECK_ALL, and the intermediate as untrusted; libpki gets the same as its Inputs.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench_support.h"
#include "pki/ca/authority.h"
#include "pki/cert/name.h"
#include "pki/crl/crl_builder.h"
#include "pki/store/sqlite_store.h"
#include "pki/verify/verifier.h"

using namespace pki;
using bench::must;
using Clk = std::chrono::steady_clock;

namespace {}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const auto dir = std::filesystem::temp_directory_path() / ("pki-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const TimePoint now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  FixedClock clock(now);
  {
    auto store = must(store::open_sqlite((dir / "pki.db").string(), store::OpenMode::kCreate));
    ca::Authority authority(*store, clock, nullptr, "bench");
    must(authority.create_ca({"root", "CN=Bench Root", keys::KeyType::kEcP256, {}, {}, {}, {}, {}, {}}));
    must(authority.create_ca({"int", "CN=Bench Int", keys::KeyType::kEcP256, {}, "root", {}, {}, {}, {}}));
    auto root = must(authority.load_issuer("root"));
    auto in = must(authority.load_issuer("int"));

    std::vector<cert::CertificatePtr> leaves;
    for (int i = 0; i < 100; ++i) {
      ca::IssueRequest r;
      r.profile = "server";
      r.cn = "host" + std::to_string(i) + ".bench.test";
      auto key = must(keys::generate(keys::KeyType::kEcP256));
      r.key = ca::SubjectKey{must(keys::spki_der(*key)), keys::KeyType::kEcP256};
      leaves.push_back(must(cert::Certificate::from_der(must(authority.issue(in, r)).certificate.der)));
    }
    // The intermediate's CRL: 10,000 revoked serials (none of them a leaf above).
    crl::CrlEncoder enc(must(cert::name_der(in.certificate->subject())), in.signer->algorithm(), now,
                        now + std::chrono::days{7});
    for (int i = 0; i < 10'000; ++i)
      enc.add({must(ca::random_serial()), now, cert::CrlReason::kSuperseded, std::nullopt});
    const cert::Extension exts[] = {cert::ext::authority_key_id(*in.certificate->subject_key_id()),
                                    crl::crl_number_extension(1)};
    const Bytes tbs = enc.finish(exts);
    auto int_crl = must(
        cert::Crl::from_der(cert::signed_structure(tbs, in.signer->algorithm(), must(in.signer->sign(tbs)))));
    crl::PublishRequest pub{&root.record, root.certificate.get(), root.signer.get(), std::chrono::days{7},
                            "bench"};
    auto root_crl = must(cert::Crl::from_der(must(crl::publish(*store, clock, pub)).der));

    // libpki.
    verify::CertificateSet anchors, pool;
    verify::CrlSet crls;
    anchors.add(root.certificate);
    pool.add(in.certificate);
    crls.add(root_crl);
    crls.add(int_crl);
    verify::Verifier verifier({&anchors, &pool, &crls});
    verify::VerifyOptions o;
    o.at = now;
    o.purpose = verify::Purpose::kServer;
    long ours = 0;
    auto start = Clk::now();
    double elapsed = 0;
    for (; elapsed < seconds; elapsed = std::chrono::duration<double>(Clk::now() - start).count()) {
      for (int i = 0; i < 100; ++i) {
        auto r = must(verifier.verify(leaves[static_cast<std::size_t>(i)], o));
        if (!r.valid) {
          std::fprintf(stderr, "bench: libpki found a leaf invalid: %s\n", r.summary.c_str());
          return 1;
        }
      }
      ours += 100;
    }
    const double ours_rate = static_cast<double>(ours) / elapsed;

    // libpki, cold: a new Verifier per chain, so nothing is remembered between chains (every
    // signature and every CRL signature checked each time, as OpenSSL does).
    long cold = 0;
    start = Clk::now();
    elapsed = 0;
    for (; elapsed < seconds; elapsed = std::chrono::duration<double>(Clk::now() - start).count()) {
      for (int i = 0; i < 100; ++i) {
        verify::Verifier fresh({&anchors, &pool, &crls});
        if (!must(fresh.verify(leaves[static_cast<std::size_t>(i)], o)).valid) return 1;
      }
      cold += 100;
    }
    const double cold_rate = static_cast<double>(cold) / elapsed;

    // OpenSSL.
    OsslPtr<X509_STORE> xstore(X509_STORE_new());
    X509_STORE_add_cert(xstore.get(), root.certificate->x509_mutable());
    for (const auto& crl : {root_crl, int_crl}) {  // OpenSSL parses the DER itself
      const unsigned char* p = crl->der().data();
      OsslPtr<X509_CRL> x(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl->der().size())));
      X509_STORE_add_crl(xstore.get(), x.get());
    }
    OsslPtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
    sk_X509_push(untrusted.get(), up_ref(in.certificate->x509_mutable()).release());
    long theirs = 0;
    start = Clk::now();
    elapsed = 0;
    for (; elapsed < seconds; elapsed = std::chrono::duration<double>(Clk::now() - start).count()) {
      for (int i = 0; i < 100; ++i) {
        OsslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
        X509_STORE_CTX_init(ctx.get(), xstore.get(), leaves[static_cast<std::size_t>(i)]->x509_mutable(),
                            untrusted.get());
        X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now.time_since_epoch().count()));
        X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
        if (X509_verify_cert(ctx.get()) != 1) {
          std::fprintf(stderr, "bench: OpenSSL found a leaf invalid: %s\n",
                       X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
          return 1;
        }
      }
      theirs += 100;
    }
    const double theirs_rate = static_cast<double>(theirs) / elapsed;
    std::printf("chains/s, root + intermediate + P-256 leaf, 10,000-entry CRL, CRL checks on:\n");
    std::printf("  libpki Verifier (one for all chains):  %9.0f\n", ours_rate);
    std::printf("  libpki Verifier (a new one per chain): %9.0f\n", cold_rate);
    std::printf("  OpenSSL X509_verify_cert:              %9.0f\n", theirs_rate);
    std::printf("  ratio: libpki is %.2fx OpenSSL (%.2fx with a new Verifier per chain)\n",
                ours_rate / theirs_rate, cold_rate / theirs_rate);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
