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
    a.error = "cannot use the responder URL '" + url + "'";
    return a;
  }
  const auto path_start = url.find('/', scheme_end + 3);
  const std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(origin);
  if (!client.is_valid()) {
    a.error = "cannot use the responder URL '" + url + "'";
    return a;
  }
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  // The answer is read into a buffer that stops at kMaxAnswer: a hostile responder cannot make
  // the client hold more.
  std::string received;
  bool too_large = false;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = std::string(as_chars(body));
  req.set_header("Content-Type", "application/ocsp-request");
  req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    if (received.size() + size > kMaxAnswer) {
      too_large = true;
      return false;
    }
    received.append(data, size);
    return true;
  };
  auto res = client.send(req);
  if (too_large) {
    a.error = "the answer from " + url + " is too large to be one";
    return a;
  }
  if (!res) {
    a.error = "could not reach " + url + " (" + httplib::to_string(res.error()) + ")";
    return a;
  }
  if (res->status != 200) {
    a.error = url + " answered HTTP " + std::to_string(res->status);
    return a;
  }
  const BytesView bytes = as_bytes(received);
  a.response_der.assign(bytes.begin(), bytes.end());
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
