// The client side of OCSP (RFC 6960): where to ask about a certificate and what to send.
// Checking the answer belongs to verify/ (an OcspSource hands it to the verifier).
#pragma once

#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"

namespace pki::ocsp {

struct Request {
  Bytes der;    // a DER OCSPRequest for one certificate (CertID with SHA-1, as RFC 5019 2.1.1 asks)
  Bytes nonce;  // the nonce sent (RFC 8954: 32 random octets); empty when none was asked for
};

Result<Request> make_request(const cert::Certificate& certificate, const cert::Certificate& issuer,
                             bool with_nonce);

// The OCSP responder URLs of a certificate's authorityInfoAccess (RFC 5280 4.2.2.1), in order.
std::vector<std::string> responder_urls(const cert::Certificate& certificate);

}  // namespace pki::ocsp
