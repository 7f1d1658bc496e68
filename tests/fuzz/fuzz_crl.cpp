// CRLs, a differential target: pki walks a CRL's DER itself (entries into a sorted index, never an
// OpenSSL object per entry); whatever it accepts, OpenSSL must parse too, with the same entries
// (serial, sign and revocation date) in the same order.
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "fuzz.h"
#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/core/der.h"
#include "pki/core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  auto crl = cert::Crl::from_der(fuzz::bytes(data, size));
  if (!crl) return 0;
  const unsigned char* p = data;
  OsslPtr<X509_CRL> x(d2i_X509_CRL(nullptr, &p, static_cast<long>(size)));
  PKI_FUZZ_ASSERT(x != nullptr);
  std::vector<std::string> ours;
  const bool walked = (*crl)
                          ->for_each_entry([&](cert::Crl::RawEntry& r) -> Result<void> {
                            ours.push_back(r.serial_hex + "@" + format_rfc3339(r.revocation_date));
                            return {};
                          })
                          .has_value();
  PKI_FUZZ_ASSERT(walked);
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(x.get());
  const int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  PKI_FUZZ_ASSERT(ours.size() == static_cast<std::size_t>(n));
  PKI_FUZZ_ASSERT((*crl)->entry_count() == ours.size());
  for (int i = 0; i < n; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    const ASN1_INTEGER* s = X509_REVOKED_get0_serialNumber(r);
    std::string hex = cert::serial_to_hex(
        BytesView(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))));
    if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER) hex = "-" + hex;
    auto when = from_asn1_time(*X509_REVOKED_get0_revocationDate(r));
    PKI_FUZZ_ASSERT(when.has_value());
    PKI_FUZZ_ASSERT(ours[static_cast<std::size_t>(i)] == hex + "@" + format_rfc3339(*when));
  }
  return 0;
}
