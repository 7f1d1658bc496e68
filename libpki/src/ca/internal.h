// What the CA side's source files share; not part of the library's interface.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "pki/ca/authority.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/lint/lint.h"

namespace pki::ca {

struct Authority::Shaped {
  std::shared_ptr<const profiles::Profile> profile;
  SubjectKey key;  // the SPKI is empty until a NewKey is made
  const NewKey* new_key = nullptr;
  OsslPtr<X509_NAME> subject;
  std::vector<cert::GeneralName> sans;
  Lifetime lifetime;
  std::optional<std::int64_t> renews;  // set by renew()
  std::optional<std::string> renews_serial;
};

struct Authority::Prepared {
  cert::TbsCertificate tbs;
  store::CertificateRecord record;  // everything but the serial, DER and fingerprint
  Bytes der;
  lint::Baseline baseline = lint::Baseline::kApply;  // the profile's choice
};

struct Authority::ProfileCache {
  std::mutex mutex;
  bool loaded = false;
  std::map<std::string, std::shared_ptr<const profiles::Profile>, std::less<>> current;
  std::map<std::string, std::string, std::less<>> unusable;  // stored, but refused by this pki: why
};

namespace detail {

std::string when(TimePoint t);
// CA names appear in file names (CRL publishing) and commands: kept plain.
Result<void> check_ca_name(std::string_view name);
// The URLs' form (kBadInput).
Result<void> check_urls(const PublicationUrls& urls);
// Records the URLs given in `record` (the caIssuers default derived for record.name).
void apply_urls(const PublicationUrls& urls, store::AuthorityRecord& record);
// What a CA puts in every certificate it signs so that clients find its CRLs, OCSP responder and
// certificate.
std::vector<cert::Extension> publication_extensions(const store::AuthorityRecord& issuer);

// Serial collisions are a 2^-127 event; a few retries only guard against a broken RNG spinning.
inline constexpr int kSerialAttempts = 8;
// The issuing CA must be usable now: not revoked (nor any CA above it), inside its validity period.
Result<void> check_issuer_usable(const Issuer& issuer, TimePoint now);
Bytes ski_of(const cert::Certificate& c);
// When a certificate made now under `profile` ends: lifetime's end or length, else the profile's
// default; refused past the profile's maximum. A leaf's validity includes its last second
// (`inclusive`); a CA's runs to now + its length, as it always has.
Result<TimePoint> resolve_not_after(const profiles::Profile& profile, const Lifetime& lifetime, TimePoint now,
                                    bool inclusive, Field field);
// Within RFC 5280's last time and the issuer's validity.
Result<void> check_within_issuer(const Issuer& issuer, TimePoint not_after);
Result<void> sign_with_new_serial(cert::TbsCertificate& tbs, store::CertificateRecord& rec,
                                  const cert::Signer& signer,
                                  lint::Baseline baseline = lint::Baseline::kApply);

}  // namespace detail

}  // namespace pki::ca
