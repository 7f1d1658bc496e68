// Benchmark (not a test): certificates issued per second from P-256 CSRs, in one process.
//   libpki:  inspect each CSR (its signature checked), then Authority::issue_batch: certificates
//            encoded and signed by libpki, stored in SQLite, 500 per transaction, with audit rows.
//   OpenSSL: the same CSRs through OpenSSL's X509 API as a CA program would use it (parse, verify,
//            X509_set_pubkey, the same extensions, X509_sign), nothing stored.
// Same CSRs, same CA key type (P-256), same run.
//
//   bench_issue [N]
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench_support.h"
#include "pki/ca/authority.h"
#include "pki/cert/csr.h"
#include "pki/core/io.h"
#include "pki/store/sqlite_store.h"

using namespace pki;
using bench::must;
using Clk = std::chrono::steady_clock;

namespace {

Bytes make_csr(int i) {
  OsslPtr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  OsslPtr<X509_REQ> req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  const std::string cn = "host" + std::to_string(i) + ".bench.test";
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  X509_REQ_sign(req.get(), key.get(), EVP_sha256());
  unsigned char* buf = nullptr;
  const int n = i2d_X509_REQ(req.get(), &buf);
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

// What a CA program does with OpenSSL's API for one CSR.
bool openssl_issue(const Bytes& der, X509* ca, EVP_PKEY* ca_key, time_t now) {
  const unsigned char* p = der.data();
  OsslPtr<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return false;
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub || X509_REQ_verify(req.get(), pub) != 1) return false;
  OsslPtr<X509> x(X509_new());
  X509_set_version(x.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  OsslPtr<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca));
  X509_set_subject_name(x.get(), X509_REQ_get_subject_name(req.get()));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), now);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), now + 90 * 86400);
  X509_set_pubkey(x.get(), pub);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, ca, x.get(), nullptr, nullptr, 0);
  const std::string san =
      "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(
                   X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_REQ_get_subject_name(req.get()), 0)))));
  const std::pair<const char*, std::string> exts[] = {
      {"basicConstraints", "critical,CA:FALSE"}, {"keyUsage", "critical,digitalSignature"},
      {"extendedKeyUsage", "serverAuth"},        {"subjectKeyIdentifier", "hash"},
      {"authorityKeyIdentifier", "keyid"},       {"subjectAltName", san}};
  for (const auto& [name, value] : exts) {
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &v3, name, value.c_str());
    if (!e) return false;
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  return X509_sign(x.get(), ca_key, EVP_sha256()) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  std::printf("making %d P-256 CSRs...\n", n);
  std::vector<Bytes> csrs;
  for (int i = 0; i < n; ++i) csrs.push_back(make_csr(i));
  const auto dir = std::filesystem::temp_directory_path() / ("pki-bench-issue-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const TimePoint now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  FixedClock clock(now);
  double ours = 0, theirs = 0;
  {
    auto store = must(store::open_sqlite((dir / "pki.db").string(), store::OpenMode::kCreate));
    ca::Authority authority(*store, clock, nullptr, "bench");
    must(authority.create_ca({"root", "CN=Bench Root", keys::KeyType::kEcP256, {}, {}, {}, {}, {}, {}}));
    must(authority.create_ca({"int", "CN=Bench Int", keys::KeyType::kEcP256, {}, "root", {}, {}, {}, {}}));
    auto issuer = must(authority.load_issuer("int"));

    // libpki: CSR checks, encoding, signing, storing, 500 per transaction.
    constexpr std::size_t kBatch = 500;
    auto start = Clk::now();
    std::vector<ca::IssueRequest> batch;
    std::size_t issued = 0;
    for (const Bytes& der : csrs) {
      ca::IssueRequest r;
      r.profile = "server";
      r.key = ca::CsrKey{der};
      batch.push_back(std::move(r));
      if (batch.size() == kBatch) {
        issued += must(authority.issue_batch(issuer, batch)).size();
        batch.clear();
      }
    }
    if (!batch.empty()) issued += must(authority.issue_batch(issuer, batch)).size();
    ours = static_cast<double>(issued) / std::chrono::duration<double>(Clk::now() - start).count();

    // OpenSSL's API, nothing stored.
    X509* ca = issuer.certificate->x509_mutable();
    EVP_PKEY* key = const_cast<EVP_PKEY*>(&issuer.signer->key());
    start = Clk::now();
    for (const Bytes& der : csrs)
      if (!openssl_issue(der, ca, key, static_cast<time_t>(now.time_since_epoch().count()))) return 1;
    theirs = static_cast<double>(csrs.size()) / std::chrono::duration<double>(Clk::now() - start).count();
  }
  std::filesystem::remove_all(dir);
  std::printf("certificates/s from P-256 CSRs, one process:\n");
  std::printf("  libpki (checked, signed, stored in SQLite, audited):  %8.0f\n", ours);
  std::printf("  OpenSSL X509 API (checked, signed, not stored):       %8.0f\n", theirs);
  std::printf("  ratio: libpki is %.2fx OpenSSL's API\n", ours / theirs);
  return 0;
}
