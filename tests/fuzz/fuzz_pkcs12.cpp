// PKCS#12 files (RFC 7292) as `pki inspect` opens them: the MAC checked and every safe and bag
// read with a fixed passphrase, each key derivation within pki's bound (keys::kMaxKdfIterations).
#include <openssl/pkcs12.h>

#include "fuzz.h"
#include "pki/cert/inspect.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  // Only what OpenSSL reads as a PKCS#12 structure goes on: inspect would try the other types too.
  const unsigned char* p = data;
  OsslPtr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(size)));
  if (!p12) return 0;
  static const Secret passphrase(std::string("fuzz"));
  cert::InspectOptions options;
  options.pkcs12_passphrase = &passphrase;
  (void)cert::inspect(fuzz::text(data, size), options);
  return 0;
}
