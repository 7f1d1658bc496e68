// How certificates, CAs and CRLs look in text and JSON; shared by the verbs.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/clock.h"
#include "pki/store/store.h"
#include "pki/verify/result.h"

namespace pki::app {

std::string_view origin_name(store::Origin o);
// "revoked", "expired" or "valid" at `now`; "revoked (issuer revoked)" for one whose issuing CA,
// or a CA above it, is revoked (issuer_revoked).
std::string status_of(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked = false);
// With issuer_revoked: "status" is "revoked" and "issuer_revoked" true.
nlohmann::json certificate_json(const store::CertificateRecord& c, TimePoint now,
                                bool issuer_revoked = false);
// A few lines for people: serial, subject, SANs, validity, status.
std::string certificate_text(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked = false);
// The CAs (authority ids) whose certificate is revoked, or one of whose ancestors' is: what they
// signed is revoked with them.
Result<std::set<std::int64_t>> revoked_issuers(store::Store& store);
// Details read from the certificate itself (extensions), for show.
nlohmann::json certificate_details_json(const cert::Certificate& c);
std::string certificate_details_text(const cert::Certificate& c);
// A verification result: the chain, then each certificate's findings in check order.
nlohmann::json verify_result_json(const verify::VerifyResult& r);
std::string verify_result_text(const verify::VerifyResult& r);

// A fixed-width table.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

}  // namespace pki::app
