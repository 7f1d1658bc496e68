// Asking OCSP responders over HTTP (RFC 6960 A.1, POST) for `pki verify --ocsp`.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "pki/verify/sources.h"

namespace pki::app {

class HttpOcspSource final : public verify::OcspSource {
 public:
  // `url` replaces each certificate's authorityInfoAccess responder when given.
  HttpOcspSource(std::optional<std::string> url, bool nonce, std::chrono::seconds timeout)
      : url_(std::move(url)), nonce_(nonce), timeout_(timeout) {}
  // Every certificate gets an answer (or the reason there is none): with --ocsp the user asked for
  // OCSP, so a certificate without a responder is unknown, not skipped. Each certificate is asked
  // once per run and issuer.
  std::optional<verify::OcspAnswer> answer(const cert::Certificate& certificate,
                                           const cert::Certificate& issuer) const override;

 private:
  std::optional<std::string> url_;
  bool nonce_;
  std::chrono::seconds timeout_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, verify::OcspAnswer> asked_;  // by certificate and issuer fingerprints
};

}  // namespace pki::app
