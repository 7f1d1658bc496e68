// Finding one certificate by serial (and optionally CA), shared by show and export.
#pragma once

#include <string>

#include "pki/ca/authority.h"
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

}  // namespace pki::app
