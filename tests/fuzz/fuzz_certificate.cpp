// Certificates: pki's reading of a DER certificate (every extension it interprets) and what
// `pki inspect` shows of it. Whatever pki accepts, OpenSSL must parse too, with the same bytes.
#include <openssl/x509.h>

#include "fuzz.h"
#include "pki/cert/certificate.h"
#include "pki/cert/inspect.h"
#include "pki/core/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  auto cert = cert::Certificate::from_der(fuzz::bytes(data, size));
  auto inspected = cert::inspect_certificate(fuzz::bytes(data, size));
  if (cert) {
    const unsigned char* p = data;
    OsslPtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(size)));
    PKI_FUZZ_ASSERT(x != nullptr);
    PKI_FUZZ_ASSERT(der_of(*x) == (*cert)->der());
  }
  return 0;
}
