// Test and benchmark input: N PKCS#10 requests with new EC P-256 keys, made on every
// core, written as DIR/host<i>.csr (PEM, or DER with --der); CN and one DNS SAN host<i>.<domain>.
//
//   make_csrs DIR N [--der] [--domain bench.test]
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "pki/core/io.h"

namespace {

std::string make_csr(const std::string& host, bool der) {
  pki::OsslPtr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  pki::OsslPtr<X509_REQ> req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, ("DNS:" + host).c_str());
  sk_X509_EXTENSION_push(exts, san);
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_sign(req.get(), key.get(), EVP_sha256());
  unsigned char* buf = nullptr;
  const int n = i2d_X509_REQ(req.get(), &buf);
  pki::Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return der ? std::string(out.begin(), out.end()) : pki::to_pem("CERTIFICATE REQUEST", out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_csrs DIR N [--der] [--domain D]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long n = std::atol(argv[2]);
  bool der = false;
  std::string domain = "bench.test";
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--der") == 0) der = true;
    if (std::strcmp(argv[i], "--domain") == 0 && i + 1 < argc) domain = argv[++i];
  }
  std::atomic<long> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (long i; (i = next++) < n;) {
      const std::string host = "host" + std::to_string(i) + "." + domain;
      std::ofstream f(dir + "/host" + std::to_string(i) + ".csr", std::ios::binary);
      f << make_csr(host, der);
      if (!f) failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (failed) {
    std::fprintf(stderr, "make_csrs: cannot write into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
