// Path validation of a fuzzed pile: the input is DER objects one after another; the first
// certificate is the trust anchor, the last the target, those between candidate intermediates,
// and any CRL among them is used for revocation. Verification must end within its budgets
// (signatures, name-constraint comparisons, depth), whatever the pile.
#include <openssl/x509.h>

#include <chrono>
#include <vector>

#include "fuzz.h"
#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/core/time.h"
#include "pki/verify/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  std::vector<cert::CertificatePtr> certs;
  verify::CrlSet crls;
  const unsigned char* p = data;
  const unsigned char* end = data + size;
  while (p < end && certs.size() < 64) {
    const unsigned char* start = p;
    OsslPtr<X509> x(d2i_X509(nullptr, &p, end - p));
    if (x) {
      if (auto c = cert::Certificate::from_der(BytesView(start, static_cast<std::size_t>(p - start))))
        certs.push_back(*c);
      continue;
    }
    p = start;
    OsslPtr<X509_CRL> c(d2i_X509_CRL(nullptr, &p, end - p));
    if (!c) break;
    if (auto crl = cert::Crl::from_der(BytesView(start, static_cast<std::size_t>(p - start)))) crls.add(*crl);
  }
  if (certs.size() < 2) return 0;
  verify::CertificateSet anchors, pool;
  anchors.add(certs.front());
  for (std::size_t i = 1; i + 1 < certs.size(); ++i) pool.add(certs[i]);
  verify::Verifier verifier({&anchors, &pool, crls.empty() ? nullptr : &crls});
  verify::VerifyOptions options;
  // Inside the validity of most test certificates (PKITS: 2010-2030).
  options.at = *parse_rfc3339("2020-06-01T00:00:00Z");
  options.host = "www.example.com";
  (void)verifier.verify(certs.back(), options);
  return 0;
}
