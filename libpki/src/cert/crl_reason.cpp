#include "pki/cert/crl_reason.h"

#include <array>
#include <cctype>

namespace pki::cert {

namespace {

constexpr std::array<std::pair<CrlReason, std::string_view>, 10> kReasons{{
    {CrlReason::kUnspecified, "unspecified"},
    {CrlReason::kKeyCompromise, "keyCompromise"},
    {CrlReason::kCaCompromise, "cACompromise"},
    {CrlReason::kAffiliationChanged, "affiliationChanged"},
    {CrlReason::kSuperseded, "superseded"},
    {CrlReason::kCessationOfOperation, "cessationOfOperation"},
    {CrlReason::kCertificateHold, "certificateHold"},
    {CrlReason::kRemoveFromCrl, "removeFromCRL"},
    {CrlReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {CrlReason::kAaCompromise, "aACompromise"},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::string_view to_string(CrlReason reason) {
  for (const auto& [r, name] : kReasons)
    if (r == reason) return name;
  return "unknown";
}

std::string crl_reason_names() {
  std::string out;
  for (const auto& [r, name] : kReasons) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

Result<CrlReason> parse_crl_reason(std::string_view name) {
  for (const auto& [r, n] : kReasons)
    if (iequals(n, name)) return r;
  return fail(ErrorCode::kBadInput, "unknown revocation reason '" + std::string(name) +
                                        "' (expected one of " + crl_reason_names() + ")");
}

Result<CrlReason> crl_reason_from_code(long code) {
  for (const auto& [r, n] : kReasons)
    if (static_cast<long>(r) == code) return r;
  return fail(ErrorCode::kBadInput, "invalid CRL reason code " + std::to_string(code));
}

}  // namespace pki::cert
