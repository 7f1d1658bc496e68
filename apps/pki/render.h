// How certificates, CAs and CRLs look in text and JSON; shared by the verbs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/clock.h"
#include "pki/store/store.h"
#include "pki/verify/result.h"

namespace pki::app {

// "revoked", "expired" or "valid" at `now`.
std::string_view origin_name(store::Origin o);
std::string status_of(const store::CertificateRecord& c, TimePoint now);
nlohmann::json certificate_json(const store::CertificateRecord& c, TimePoint now);
// A few lines for people: serial, subject, SANs, validity, status.
std::string certificate_text(const store::CertificateRecord& c, TimePoint now);
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
