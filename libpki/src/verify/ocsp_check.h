// Checking an OCSP answer about one certificate (RFC 6960 3.2, 4.2.2.2; private to verify/).
#pragma once

#include "pki/cert/certificate.h"
#include "pki/verify/options.h"
#include "pki/verify/sources.h"
#include "revocation.h"

namespace pki::verify {

// Clocks of responder and client may differ this much (thisUpdate ahead, nextUpdate behind).
inline constexpr std::chrono::seconds kOcspClockSkew = std::chrono::minutes{5};
// An answer without nextUpdate (RFC 6960 2.4: newer information is always available) is taken
// while its thisUpdate is this recent.
inline constexpr std::chrono::seconds kOcspMaxAgeWithoutNext = std::chrono::days{7};

// The status `answer` gives `certificate` at time `at`: good or revoked only when the answer is a
// successful response that covers the certificate's CertID, is signed by its issuer or by a
// responder the issuer authorised (id-kp-OCSPSigning, issued by it, valid at `at`) with an
// acceptable algorithm, is current at `at`, and echoes the nonce sent (an answer without one is
// taken: RFC 5019 responders give cached answers). Anything else is unknown, with the reason.
RevocationOutcome check_ocsp_answer(const OcspAnswer& answer, const cert::Certificate& certificate,
                                    const cert::Certificate& issuer, TimePoint at, AlgorithmPolicy policy);

}  // namespace pki::verify
