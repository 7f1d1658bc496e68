#include "pki/ocsp/request.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "pki/core/ossl.h"

namespace pki::ocsp {

Result<Request> make_request(const cert::Certificate& certificate, const cert::Certificate& issuer,
                             bool with_nonce) {
  OsslPtr<OCSP_REQUEST> req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), &certificate.x509(), &issuer.x509());
  if (!req || !id || !OCSP_request_add0_id(req.get(), id)) {
    OCSP_CERTID_free(id);
    ERR_clear_error();
    return fail(ErrorCode::kInternal, "cannot make an OCSP request");
  }
  Request out;
  if (with_nonce) {
    out.nonce.resize(32);
    if (RAND_bytes(out.nonce.data(), static_cast<int>(out.nonce.size())) != 1 ||
        OCSP_request_add1_nonce(req.get(), out.nonce.data(), static_cast<int>(out.nonce.size())) != 1) {
      ERR_clear_error();
      return fail(ErrorCode::kInternal, "cannot add a nonce to the OCSP request");
    }
  }
  unsigned char* buf = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &buf);
  if (len <= 0) {
    ERR_clear_error();
    return fail(ErrorCode::kInternal, "cannot encode the OCSP request");
  }
  out.der.assign(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

std::vector<std::string> responder_urls(const cert::Certificate& certificate) {
  std::vector<std::string> out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(const_cast<X509*>(&certificate.x509()));
  for (int i = 0; urls && i < sk_OPENSSL_STRING_num(urls); ++i)
    out.emplace_back(sk_OPENSSL_STRING_value(urls, i));
  X509_email_free(urls);
  return out;
}

}  // namespace pki::ocsp
