#include "pki/cert/pkcs12.h"

#include <string>

namespace pki::cert {

Result<Bytes> build_pkcs12(const Certificate& leaf, std::span<const CertificatePtr> chain,
                           const EVP_PKEY* key, const Secret* passphrase, std::string_view friendly_name) {
  if (key && !passphrase)
    return fail(ErrorCode::kBadInput, Field::kPassphrase,
                "a PKCS#12 file with a private key needs a passphrase");
  if (key && X509_check_private_key(leaf.x509_mutable(), key) != 1) {
    drain_openssl_errors();
    return fail(ErrorCode::kBadInput, "the private key does not belong to certificate " + leaf.serial_hex());
  }
  OsslPtr<STACK_OF(X509)> cas(sk_X509_new_null());
  if (!cas) return fail_openssl(ErrorCode::kInternal, "out of memory");
  for (const auto& c : chain) {
    auto ref = up_ref(c->x509_mutable());
    if (!sk_X509_push(cas.get(), ref.get())) return fail_openssl(ErrorCode::kInternal, "out of memory");
    ref.release();
  }
  const std::string name(friendly_name);
  OsslPtr<PKCS12> p12(PKCS12_create(passphrase ? passphrase->reveal().c_str() : "", name.c_str(),
                                    const_cast<EVP_PKEY*>(key), leaf.x509_mutable(), cas.get(), 0, 0, 0, 0,
                                    0));
  if (!p12) return fail_openssl(ErrorCode::kInternal, "cannot build the PKCS#12 file");
  unsigned char* buf = nullptr;
  const int n = i2d_PKCS12(p12.get(), &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kInternal, "cannot encode the PKCS#12 file");
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace pki::cert
