// PEM and DER detection: the block parser and the readers built on it. A block pki reads must
// come out of to_pem as it went in.
#include "fuzz.h"
#include "pki/core/io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  const std::string_view in = fuzz::text(data, size);
  (void)looks_like_der(in);
  (void)parse_certificates(in, "fuzz input");
  (void)parse_csr(in, "fuzz input");
  if (auto blocks = pem_all_blocks(in)) {
    for (const auto& b : *blocks) {
      auto again = pem_blocks(to_pem(b.label, b.der), b.label);
      PKI_FUZZ_ASSERT(again && again->size() == 1 && again->front() == b.der);
    }
  }
  return 0;
}
