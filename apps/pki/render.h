// How certificates, CAs and CRLs look in text and JSON; shared by the verbs.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/inspect.h"
#include "pki/core/clock.h"
#include "pki/store/store.h"
#include "pki/verify/result.h"

namespace pki::app {

std::string_view origin_name(store::Origin o);
// "revoked", "expired", "not-yet-valid" or "valid" at `now`; "revoked (issuer revoked)" for one whose issuing
// CA, or a CA above it, is revoked (issuer_revoked).
std::string status_of(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked = false);
// With issuer_revoked: "status" is "revoked" and "issuer_revoked" true.
nlohmann::json certificate_json(const store::CertificateRecord& c, TimePoint now,
                                bool issuer_revoked = false);
// A few lines for people: serial, subject, SANs, validity, status.
std::string certificate_text(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked = false);
// The CA keys whose certificate is revoked (or on hold), or sits below one that is: what such a
// key signed is revoked with it. Each key generation of a CA counts alone: revoking the
// certificate of an old key leaves what the new one signed as it was.
class RevokedIssuers {
 public:
  static Result<RevokedIssuers> of(store::Store& store);
  // Whether `c`, itself not revoked, was signed by such a key.
  bool covers(const store::CertificateRecord& c) const {
    return !c.revocation && keys_.count({c.issuer_id, c.generation}) > 0;
  }

 private:
  std::set<std::pair<std::int64_t, int>> keys_;  // (authority id, key generation)
};
// A certificate read from a file (inspect): the fields every certificate has, then the file's own
// (docs/schema/certificate.json#/$defs/from_file).
nlohmann::json certificate_json(const cert::InspectedCertificate& c, TimePoint now);
nlohmann::json public_key_json(const cert::PublicKeyInfo& k);
nlohmann::json extensions_json(const std::vector<cert::InspectedExtension>& exts);
// What a stored certificate's file holds (show, ca show), read once for the form printed: with
// `json`, the fields only the file shows added to its document `stored` (one shape: the store's
// answer kept where both have a field, as its status knows revocation); else its details
// (extensions) added to `text` for people.
Result<void> add_file_details(BytesView der, TimePoint now, bool json, nlohmann::json& stored,
                              std::string& text);
// A verification result: the chain, then each certificate's findings in check order.
nlohmann::json verify_result_json(const verify::VerifyResult& r);
std::string verify_result_text(const verify::VerifyResult& r);

// A fixed-width table.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

}  // namespace pki::app
