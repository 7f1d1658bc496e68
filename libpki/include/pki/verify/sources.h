// Where the verifier gets certificates and CRLs: small interfaces, so that the store (or anything
// else) can supply them without verify/ depending on it (DESIGN.md, "Layout").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"

namespace pki::verify {

// Certificates by subject name: candidate issuers for a certificate.
class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  // Appends the certificates whose subject matches `name` (RFC 5280 7.1 comparison).
  virtual void by_subject(const X509_NAME& name, std::vector<cert::CertificatePtr>& out) const = 0;
};

// An OCSP answer about one certificate (RFC 6960), as a source obtained it: fetched from a
// responder, or stapled by a TLS server. The verifier checks it (signature, responder
// authorisation, CertID, freshness, nonce).
struct OcspAnswer {
  Bytes response_der;          // a DER OCSPResponse; empty when none could be had (see error)
  std::optional<Bytes> nonce;  // the nonce the request carried, when it carried one
  std::string from;            // where it came from, for reports: a URL, "stapled"
  std::string error;           // why there is no answer (unreachable, no responder URL, ...), as a reason
};

class OcspSource {
 public:
  virtual ~OcspSource() = default;
  // The answer about `certificate` (issued by `issuer`); nullopt when this source has nothing to
  // say about it (its revocation is then checked with CRLs, or not at all).
  virtual std::optional<OcspAnswer> answer(const cert::Certificate& certificate,
                                           const cert::Certificate& issuer) const = 0;
};

// CRLs by issuer name.
class CrlSource {
 public:
  virtual ~CrlSource() = default;
  virtual void by_issuer(const X509_NAME& name, std::vector<cert::CrlPtr>& out) const = 0;
  virtual bool empty() const = 0;
};

// In-memory sets, indexed by canonical name.
class CertificateSet final : public CertificateSource {
 public:
  // Adds a certificate once (by fingerprint); returns false when it was already there.
  bool add(cert::CertificatePtr cert);
  void by_subject(const X509_NAME& name, std::vector<cert::CertificatePtr>& out) const override;
  bool contains(const cert::Certificate& cert) const;
  std::size_t size() const { return all_.size(); }
  const std::vector<cert::CertificatePtr>& all() const { return all_; }

 private:
  std::vector<cert::CertificatePtr> all_;
  std::vector<std::string> keys_;  // canonical subject of all_[i]
  std::vector<std::string> fingerprints_;
};

class CrlSet final : public CrlSource {
 public:
  // Adds a CRL once: the same CRL (by fingerprint) given again is not added twice.
  void add(cert::CrlPtr crl);
  void by_issuer(const X509_NAME& name, std::vector<cert::CrlPtr>& out) const override;
  bool empty() const override { return all_.empty(); }
  std::size_t size() const { return all_.size(); }

 private:
  std::vector<cert::CrlPtr> all_;
  std::vector<std::string> keys_;
};

// The canonical form used to index names (RFC 5280 7.1 caseIgnoreMatch, as cert::canonical_rdns).
std::string name_key(const X509_NAME& name);

}  // namespace pki::verify
