// Finding one certificate of the store by serial (and optionally CA) or by its file, shared by the
// verbs that take SERIAL or --cert FILE.
#pragma once

#include <string>

#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/store/store.h"

namespace pki::app {

inline Result<store::CertificateRecord> find_by_serial(store::Store& st, const std::string& serial_text,
                                                       const std::string& ca) {
  PKI_ASSIGN(std::string serial, ca::normalize_serial(serial_text));
  std::optional<std::int64_t> issuer_id;
  if (!ca.empty()) {
    PKI_ASSIGN(auto a, st.authority_by_name(ca));
    if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + ca + "'");
    issuer_id = a->id;
  }
  PKI_ASSIGN(auto found, st.certificates_by_serial(serial, issuer_id));
  if (found.empty()) return fail(ErrorCode::kNotFound, "no certificate with serial " + serial);
  if (found.size() > 1)
    return fail(ErrorCode::kBadInput, "serial " + serial + " was issued by several CAs: say which with --ca");
  return std::move(found.front());
}

// The SHA-256 of the one certificate in `path` (PEM or DER), as the store keeps it.
inline Result<std::string> fingerprint_of_file(const std::string& path) {
  PKI_ASSIGN(auto certs, in_field(load_certificates(path), Field::kCertificate));
  if (certs.size() != 1)
    return fail(ErrorCode::kBadInput, Field::kCertificate, "--cert must hold one certificate");
  return sha256_hex(der_of(*certs.front()));
}

inline Result<store::CertificateRecord> find_by_fingerprint(store::Store& st, const std::string& fingerprint,
                                                            const std::string& path, const std::string& ca) {
  PKI_ASSIGN(auto found, st.certificate_by_fingerprint(fingerprint));
  if (!found)
    return fail(ErrorCode::kNotFound,
                "'" + path + "' is not a certificate of this store (sha256 " + fingerprint + ")");
  if (!ca.empty() && found->issuer_name != ca)
    return fail(ErrorCode::kNotFound, "'" + path + "' was not issued by CA '" + ca + "'");
  return std::move(*found);
}

// A certificate a verb names by SERIAL or by --cert FILE (one of them; `ca` narrows a serial).
// `read` reads the file before any store is opened, so that bad input is exit 2 wherever the store
// is; `find` then looks it up.
struct NamedCertificate {
  std::string serial, file, ca, fingerprint;

  static Result<NamedCertificate> read(const std::string& serial, const std::string& file,
                                       const std::string& ca) {
    NamedCertificate n{serial, file, ca, {}};
    if (!file.empty()) {
      PKI_ASSIGN(n.fingerprint, fingerprint_of_file(file));
    }
    return n;
  }
  Result<store::CertificateRecord> find(store::Store& st) const {
    return file.empty() ? find_by_serial(st, serial, ca) : find_by_fingerprint(st, fingerprint, file, ca);
  }
};

}  // namespace pki::app
