// Names as people type them: --subject DNs and --san values. A DN pki accepts encodes to DER that
// OpenSSL reads back to the same name; a SAN it accepts is one of the four kinds pki issues.
#include <openssl/x509.h>

#include "fuzz.h"
#include "pki/cert/general_name.h"
#include "pki/cert/name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  const std::string_view in = fuzz::text(data, size);
  if (auto dn = cert::parse_dn(in)) {
    (void)cert::check_subject(**dn);
    auto der = cert::name_der(**dn);
    PKI_FUZZ_ASSERT(der.has_value());
    const unsigned char* p = der->data();
    OsslPtr<X509_NAME> back(d2i_X509_NAME(nullptr, &p, static_cast<long>(der->size())));
    PKI_FUZZ_ASSERT(back != nullptr && X509_NAME_cmp(back.get(), dn->get()) == 0);
  }
  (void)cert::parse_san(in);
  (void)cert::parse_san(in, cert::Wildcard::kRefuse);
  (void)cert::parse_ip(in);
  return 0;
}
