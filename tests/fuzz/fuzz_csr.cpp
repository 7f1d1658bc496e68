// CSRs, a differential target: pki's fast path walks EC and Ed25519 requests itself
// (inspect_csr_der); whatever it accepts, OpenSSL's parser must accept too, and read the same
// subject and public key.
#include <openssl/x509.h>

#include "fuzz.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  auto ours = cert::inspect_csr_der(fuzz::bytes(data, size));
  const unsigned char* p = data;
  OsslPtr<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(size)));
  if (!ours || !ours->read_directly) return 0;
  PKI_FUZZ_ASSERT(req != nullptr);
  PKI_FUZZ_ASSERT(p == data + size);  // the fast path takes no trailing bytes
  auto theirs = cert::inspect_csr(*req);
  PKI_FUZZ_ASSERT(theirs.has_value());
  PKI_FUZZ_ASSERT(theirs->spki == ours->spki);
  PKI_FUZZ_ASSERT(theirs->key_type == ours->key_type);
  auto our_subject = cert::name_der(*ours->subject);
  auto their_subject = cert::name_der(*theirs->subject);
  PKI_FUZZ_ASSERT(our_subject && their_subject && *our_subject == *their_subject);
  PKI_FUZZ_ASSERT(theirs->requested_sans.size() == ours->requested_sans.size());
  return 0;
}
