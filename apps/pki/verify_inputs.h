// What `pki verify` and `pki probe` share: trust anchors, intermediates and CRLs from files and
// from the store, and the purpose option.
#pragma once

#include <string>
#include <vector>

#include "context.h"
#include "pki/verify/options.h"
#include "pki/verify/sources.h"

namespace pki::app {

Result<void> load_verify_inputs(Context& ctx, const std::vector<std::string>& trust, const std::vector<std::string>& trust_ca,
                                const std::vector<std::string>& untrusted, const std::vector<std::string>& crls,
                                bool crl_from_store, verify::CertificateSet& anchors, verify::CertificateSet& intermediates,
                                verify::CrlSet& crl_set);
Result<verify::Purpose> parse_purpose(const std::string& purpose);

}  // namespace pki::app
