#include "pki/cert/csr.h"

namespace pki::cert {

Result<CsrInfo> inspect_csr(X509_REQ& csr) {
  CsrInfo out;
  EVP_PKEY* key = X509_REQ_get0_pubkey(&csr);
  if (!key) return fail_openssl(ErrorCode::kBadInput, "the CSR's public key cannot be decoded");
  PKI_ASSIGN(out.key_type, keys::classify(*key));
  if (X509_REQ_verify(&csr, key) != 1)
    return fail_openssl(ErrorCode::kBadInput, "the CSR's signature does not verify with its own public key");
  out.subject.reset(X509_NAME_dup(X509_REQ_get_subject_name(&csr)));
  if (!out.subject) return fail_openssl(ErrorCode::kInternal, "out of memory");
  unsigned char* buf = nullptr;
  const int n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(&csr), &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kBadInput, "the CSR's public key cannot be encoded");
  out.spki.assign(buf, buf + n);
  OPENSSL_free(buf);

  OsslPtr<STACK_OF(X509_EXTENSION)> exts(X509_REQ_get_extensions(&csr));
  drain_openssl_errors();  // no extensionRequest is not an error
  if (exts) {
    const int idx = X509v3_get_ext_by_NID(exts.get(), NID_subject_alt_name, -1);
    if (idx >= 0) {
      OsslPtr<GENERAL_NAMES> names(
          static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(X509v3_get_ext(exts.get(), idx))));
      if (!names) return fail_openssl(ErrorCode::kBadInput, "the CSR's subjectAltName is malformed");
      PKI_ASSIGN(out.requested_sans, from_openssl(*names));
    }
  }
  return out;
}

}  // namespace pki::cert
