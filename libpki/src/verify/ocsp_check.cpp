#include "ocsp_check.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <array>

#include "pki/cert/crl_reason.h"
#include "pki/core/ossl.h"
#include "pki/core/time.h"
#include "pki/verify/algorithms.h"

namespace pki::verify {

namespace {

std::string when(TimePoint t) { return format_rfc3339(t); }

RevocationOutcome unknown(const std::string& why) {
  ERR_clear_error();
  return {RevocationStatus::kUnknown, "OCSP: " + why};
}

bool same_key(const X509& a, const X509& b) {
  const EVP_PKEY* ka = X509_get0_pubkey(&a);
  const EVP_PKEY* kb = X509_get0_pubkey(&b);
  return ka && kb && EVP_PKEY_eq(ka, kb) == 1;
}

std::optional<TimePoint> time_of(const ASN1_GENERALIZEDTIME* t) {
  if (!t) return std::nullopt;
  auto r = from_asn1_time(*t);
  if (!r) return std::nullopt;
  return *r;
}

}  // namespace

RevocationOutcome check_ocsp_answer(const OcspAnswer& answer, const cert::Certificate& certificate,
                                    const cert::Certificate& issuer, TimePoint at, AlgorithmPolicy policy) {
  const std::string from = answer.from.empty() ? "the responder" : answer.from;
  if (answer.response_der.empty())
    return unknown(answer.error.empty() ? "no answer from " + from : answer.error);
  const unsigned char* p = answer.response_der.data();
  OsslPtr<OCSP_RESPONSE> resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.response_der.size())));
  if (!resp || p != answer.response_der.data() + answer.response_der.size())
    return unknown("the answer from " + from + " is not an OCSP response");
  const int rstatus = OCSP_response_status(resp.get());
  if (rstatus != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return unknown(from + " answered " + OCSP_response_status_str(rstatus));
  OsslPtr<OCSP_BASICRESP> basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) return unknown("the answer from " + from + " is not a basic OCSP response");

  // Who signed it: the issuer itself, or a responder it authorised (RFC 6960 4.2.2.2).
  const X509_ALGOR* alg = OCSP_resp_get0_tbs_sigalg(basic.get());
  if (const auto v = judge_signature_algorithm(*alg, policy); v.verdict == Verdict::kRefuse)
    return unknown("the answer from " + from + " is signed with " + v.detail);
  X509* issuer_x = const_cast<X509*>(&issuer.x509());
  STACK_OF(X509)* extra = sk_X509_new_null();
  sk_X509_push(extra, issuer_x);
  X509* signer = nullptr;
  const int found = OCSP_resp_get0_signer(basic.get(), &signer, extra);
  sk_X509_free(extra);
  if (found != 1 || !signer)
    return unknown("the answer from " + from + " is signed by a responder it neither names nor includes");
  std::string signed_by = "signed by the CA";
  if (!same_key(*signer, *issuer_x)) {
    const std::string subject = [&] {
      char buf[256];
      X509_NAME_oneline(X509_get_subject_name(signer), buf, sizeof buf);
      return std::string(buf);
    }();
    if (X509_check_issued(issuer_x, signer) != X509_V_OK ||
        X509_verify(signer, const_cast<EVP_PKEY*>(X509_get0_pubkey(issuer_x))) != 1)
      return unknown("the answer from " + from + " is signed by " + subject +
                     ", which the certificate's issuer did not certify: not an authorised responder");
    if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
        !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
      return unknown("the answer from " + from + " is signed by " + subject +
                     ", which lacks id-kp-OCSPSigning: not an authorised responder (RFC 6960 4.2.2.2)");
    const auto nb = from_asn1_time(*X509_get0_notBefore(signer));
    const auto na = from_asn1_time(*X509_get0_notAfter(signer));
    if (!nb || !na || at < *nb || at > *na)
      return unknown("the responder certificate " + subject + " that signed the answer from " + from +
                     " is not valid at " + when(at));
    signed_by = "signed by the delegated responder " + subject;
  }
  const EVP_PKEY* signer_key = X509_get0_pubkey(signer);
  if (!signer_key) return unknown("the responder's key cannot be read");
  if (const auto v = judge_key(*signer_key, policy); v.verdict == Verdict::kRefuse)
    return unknown("the answer from " + from + " is signed with " + v.detail);
  if (ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), const_cast<X509_ALGOR*>(alg),
                       const_cast<ASN1_OCTET_STRING*>(OCSP_resp_get0_signature(basic.get())),
                       const_cast<OCSP_RESPDATA*>(OCSP_resp_get0_respdata(basic.get())),
                       const_cast<EVP_PKEY*>(signer_key)) != 1)
    return unknown("the signature on the answer from " + from + " does not verify");

  // The answer about this certificate, whatever digest its CertID uses.
  int index = -1;
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512()}) {
    OsslPtr<OCSP_CERTID> id(OCSP_cert_to_id(md, &certificate.x509(), issuer_x));
    if (id && (index = OCSP_resp_find(basic.get(), id.get(), -1)) >= 0) break;
  }
  if (index < 0) return unknown("the answer from " + from + " is about another certificate");
  OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), index);
  int reason = -1;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  const int status = OCSP_single_get0_status(single, &reason, &revoked_at, &this_upd, &next_upd);
  const auto this_update = time_of(this_upd);
  const auto next_update = time_of(next_upd);
  if (!this_update) return unknown("the answer from " + from + " has no readable thisUpdate");
  if (*this_update > at + kOcspClockSkew)
    return unknown("the answer from " + from + " is not current until " + when(*this_update));
  if (next_upd && !next_update) return unknown("the answer from " + from + " has an unreadable nextUpdate");
  if (next_update && *next_update + kOcspClockSkew < at)
    return unknown("the answer from " + from + " expired on " + when(*next_update) + " (stale)");
  if (!next_update && *this_update + kOcspMaxAgeWithoutNext < at)
    return unknown("the answer from " + from + " dates from " + when(*this_update) + " (stale)");

  // The nonce (RFC 8954): an extension whose value is the OCTET STRING sent.
  std::string nonce_note;
  if (answer.nonce) {
    const int at_ext = OCSP_BASICRESP_get_ext_by_NID(basic.get(), NID_id_pkix_OCSP_Nonce, -1);
    if (at_ext < 0) {
      nonce_note = ", no nonce (a cached answer)";
    } else {
      const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(basic.get(), at_ext));
      Bytes expected{0x04, static_cast<std::uint8_t>(answer.nonce->size())};
      expected.insert(expected.end(), answer.nonce->begin(), answer.nonce->end());
      const BytesView got(ASN1_STRING_get0_data(v), static_cast<std::size_t>(ASN1_STRING_length(v)));
      if (answer.nonce->size() > 127 || !std::equal(got.begin(), got.end(), expected.begin(), expected.end()))
        return unknown("the answer from " + from + " carries another nonce than the request's (replayed?)");
      nonce_note = ", nonce matches";
    }
  }
  const std::string times = "this update " + when(*this_update) +
                            (next_update ? ", next update " + when(*next_update) : std::string());
  if (status == V_OCSP_CERTSTATUS_GOOD)
    return {RevocationStatus::kGood,
            "OCSP: good, from " + from + " (" + signed_by + ", " + times + nonce_note + ")"};
  if (status == V_OCSP_CERTSTATUS_REVOKED) {
    const auto t = time_of(revoked_at);
    std::string why;
    if (reason >= 0) why = ", " + std::string(cert::to_string(static_cast<cert::CrlReason>(reason)));
    return {RevocationStatus::kRevoked, "revoked" + (t ? " on " + when(*t) : std::string()) + why +
                                            ", said OCSP from " + from + " (" + signed_by + ", " + times +
                                            ")"};
  }
  return unknown(from + " does not know this certificate (status unknown)");
}

}  // namespace pki::verify
