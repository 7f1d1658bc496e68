// What `pki verify` and `pki probe` share: trust anchors, intermediates and CRLs from files and
// from the store, and the purpose option.
#pragma once

#include <string>
#include <vector>

#include "context.h"
#include "pki/verify/options.h"
#include "pki/verify/sources.h"

namespace pki::app {

struct VerifyInputs {
  const std::vector<std::string>& trust;      // --trust files
  const std::vector<std::string>& trust_ca;   // --trust-ca store CAs
  const std::vector<std::string>& untrusted;  // --untrusted files
  const std::vector<std::string>& crls;       // --crl files
  bool crl_from_store = false;                // each store CA's latest CRL
  bool store_intermediates = false;           // with --trust-ca, the store's other CAs are intermediates
};

Result<void> load_verify_inputs(Context& ctx, const VerifyInputs& in, verify::CertificateSet& anchors,
                                verify::CertificateSet& intermediates, verify::CrlSet& crl_set);
Result<verify::Purpose> parse_purpose(const std::string& purpose);

}  // namespace pki::app
