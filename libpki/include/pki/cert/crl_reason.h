// CRLReason (RFC 5280 5.3.1): the reasons a certificate is revoked, by RFC name and code.
#pragma once

#include <string>
#include <string_view>

#include "pki/core/error.h"

namespace pki::cert {

enum class CrlReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  // 7 is not used
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

std::string_view to_string(CrlReason reason);  // "keyCompromise", ...
// By RFC name (case-insensitive); kBadInput for anything else.
Result<CrlReason> parse_crl_reason(std::string_view name);
// From the ENUMERATED value; nullopt for 7 and values above 10.
Result<CrlReason> crl_reason_from_code(long code);
std::string crl_reason_names();

}  // namespace pki::cert
