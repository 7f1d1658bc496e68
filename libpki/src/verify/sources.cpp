#include "pki/verify/sources.h"

#include <algorithm>

#include "pki/cert/name_constraints.h"

namespace pki::verify {

std::string name_key(const X509_NAME& name) {
  std::string key;
  for (const auto& rdn : cert::canonical_rdns(name)) {
    key += rdn;
    key.push_back('\x1f');
  }
  return key;
}

bool CertificateSet::add(cert::CertificatePtr c) {
  if (std::find(fingerprints_.begin(), fingerprints_.end(), c->fingerprint()) != fingerprints_.end())
    return false;
  keys_.push_back(name_key(c->subject()));
  fingerprints_.push_back(c->fingerprint());
  all_.push_back(std::move(c));
  return true;
}

void CertificateSet::by_subject(const X509_NAME& name, std::vector<cert::CertificatePtr>& out) const {
  const std::string key = name_key(name);
  for (std::size_t i = 0; i < all_.size(); ++i)
    if (keys_[i] == key) out.push_back(all_[i]);
}

bool CertificateSet::contains(const cert::Certificate& c) const {
  return std::find(fingerprints_.begin(), fingerprints_.end(), c.fingerprint()) != fingerprints_.end();
}

void CrlSet::add(cert::CrlPtr crl) {
  for (const auto& c : all_)
    if (c->fingerprint() == crl->fingerprint()) return;  // the same CRL twice
  keys_.push_back(name_key(crl->issuer()));
  all_.push_back(std::move(crl));
}

void CrlSet::by_issuer(const X509_NAME& name, std::vector<cert::CrlPtr>& out) const {
  const std::string key = name_key(name);
  for (std::size_t i = 0; i < all_.size(); ++i)
    if (keys_[i] == key) out.push_back(all_[i]);
}

}  // namespace pki::verify
