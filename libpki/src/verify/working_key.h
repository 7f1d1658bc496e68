// The working public key of RFC 5280 6.1 (6.1.2 (g)-(i), 6.1.4 (d)-(f)): the key the next
// certificate's signature is checked with (private to verify/).
#pragma once

#include <memory>

#include "pki/cert/certificate.h"
#include "signature_cache.h"

namespace pki::verify {

class WorkingKey {
 public:
  WorkingKey() = default;
  // A certificate's own key (the trust anchor's, 6.1.2 (g)).
  static WorkingKey of(const cert::Certificate& c);
  // 6.1.4 (d)-(f): the key of `next`, the certificate this key signed. A DSA key without
  // parameters inherits them from this key (RFC 3279 2.3.2).
  WorkingKey next(const cert::Certificate& next) const;

  KeyRef ref() const { return {key_, owner_}; }
  const EVP_PKEY* key() const { return key_; }

 private:
  const EVP_PKEY* key_ = nullptr;
  const cert::Certificate* owner_ = nullptr;  // null for a derived key
  std::shared_ptr<EVP_PKEY> derived_;
};

// RFC 3279 2.3.2: a DSA key whose parameters are absent, to be taken from its issuer's key.
bool dsa_without_parameters(const cert::Certificate& c);

}  // namespace pki::verify
