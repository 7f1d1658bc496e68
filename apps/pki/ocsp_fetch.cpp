#include "ocsp_fetch.h"

#include <httplib.h>

#include "pki/core/bytes.h"
#include "pki/ocsp/request.h"

namespace pki::app {

namespace {

// OCSP answers are small; anything larger is not one.
constexpr std::size_t kMaxAnswer = 1 << 20;

verify::OcspAnswer post(const std::string& url, const Bytes& body, std::chrono::seconds timeout) {
  verify::OcspAnswer a;
  a.from = url;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    a.error = "OCSP: cannot use the responder URL '" + url + "'";
    return a;
  }
  const auto path_start = url.find('/', scheme_end + 3);
  const std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(origin);
  if (!client.is_valid()) {
    a.error = "OCSP: cannot use the responder URL '" + url + "'";
    return a;
  }
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  auto res = client.Post(path, httplib::Headers{}, std::string(as_chars(body)), "application/ocsp-request");
  if (!res) {
    a.error = "OCSP: could not reach " + url + " (" + httplib::to_string(res.error()) + ")";
    return a;
  }
  if (res->status != 200) {
    a.error = "OCSP: " + url + " answered HTTP " + std::to_string(res->status);
    return a;
  }
  if (res->body.size() > kMaxAnswer) {
    a.error = "OCSP: the answer from " + url + " is too large to be one";
    return a;
  }
  const BytesView body_bytes = as_bytes(res->body);
  a.response_der.assign(body_bytes.begin(), body_bytes.end());
  return a;
}

}  // namespace

std::optional<verify::OcspAnswer> HttpOcspSource::answer(const cert::Certificate& certificate,
                                                         const cert::Certificate& issuer) const {
  std::lock_guard lock(mutex_);
  if (auto it = asked_.find(certificate.fingerprint()); it != asked_.end()) return it->second;
  verify::OcspAnswer a;
  std::string url;
  if (url_) {
    url = *url_;
  } else {
    const auto urls = ocsp::responder_urls(certificate);
    if (!urls.empty()) url = urls.front();
  }
  if (url.empty()) {
    a.error = "OCSP: the certificate names no OCSP responder (authorityInfoAccess); give --ocsp-url";
  } else if (auto req = ocsp::make_request(certificate, issuer, nonce_); !req) {
    a.error = "OCSP: " + req.error().message;
  } else {
    a = post(url, req->der, timeout_);
    if (nonce_) a.nonce = req->nonce;
  }
  asked_[certificate.fingerprint()] = a;
  return a;
}

}  // namespace pki::app
