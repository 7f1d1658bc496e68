#include "ocsp_fetch.h"

#include "http.h"
#include "pki/core/bytes.h"
#include "pki/ocsp/request.h"

namespace pki::app {

namespace {

// OCSP answers are small; anything larger is not one.
constexpr std::size_t kMaxAnswer = 1 << 20;

verify::OcspAnswer post(const std::string& url, const Bytes& body, std::chrono::seconds timeout) {
  verify::OcspAnswer a;
  a.from = url;
  auto module = http::module();
  if (!module) {
    a.error = module.error().message;
    return a;
  }
  const http::PostResult r =
      (*module)->post(url, std::string(as_chars(body)), "application/ocsp-request", timeout, kMaxAnswer);
  if (!r.status) {
    a.error = r.error;
  } else if (*r.status != 200) {
    a.error = url + " answered HTTP " + std::to_string(*r.status);
  } else {
    const BytesView bytes = as_bytes(r.body);
    a.response_der.assign(bytes.begin(), bytes.end());
  }
  return a;
}

}  // namespace

std::optional<verify::OcspAnswer> HttpOcspSource::answer(const cert::Certificate& certificate,
                                                         const cert::Certificate& issuer) const {
  std::lock_guard lock(mutex_);
  const std::string key = certificate.fingerprint() + issuer.fingerprint();
  if (auto it = asked_.find(key); it != asked_.end()) return it->second;
  verify::OcspAnswer a;
  std::string url;
  if (url_) {
    url = *url_;
  } else {
    const auto urls = ocsp::responder_urls(certificate);
    if (!urls.empty()) url = urls.front();
  }
  if (url.empty()) {
    a.error = "the certificate names no OCSP responder (authorityInfoAccess); give --ocsp-url";
  } else if (auto req = ocsp::make_request(certificate, issuer, nonce_); !req) {
    a.error = req.error().message;
  } else {
    a = post(url, req->der, timeout_);
    if (nonce_) a.nonce = req->nonce;
  }
  asked_[key] = a;
  return a;
}

}  // namespace pki::app
