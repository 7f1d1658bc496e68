// `pki inspect` on any bytes: PEM or DER detected, every object type (certificates, CSRs, CRLs,
// private and public keys, PKCS#12 files, parameters) decoded, PKCS#12 files opened with a fixed
// passphrase. Encrypted keys are not decrypted: pki's own take 600,000 PBKDF2 rounds by design
// (over a second under the sanitizers), which the fuzzer would report as slow inputs.
#include "fuzz.h"
#include "pki/cert/inspect.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  static const Secret passphrase(std::string("fuzz"));
  cert::InspectOptions options;
  options.pkcs12_passphrase = &passphrase;
  options.crl_entries = cert::CrlEntries::kList;
  (void)cert::inspect(fuzz::text(data, size), options);
  return 0;
}
