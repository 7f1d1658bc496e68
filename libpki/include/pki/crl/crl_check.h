// Checking a published CRL before clients fetch it: the CI guard against a stale, foreign or
// superseded CRL taking every client down (an expired CRL makes revocation status unknown, and
// verifiers that deny unknown status, as pki does, then refuse every certificate).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/store/store.h"

namespace pki::crl {

// Published CRLs should outlive the time a scheduled job takes to notice and republish: two days
// by default, a weekend's margin for a daily job.
inline constexpr std::chrono::seconds kDefaultMinRemaining = std::chrono::days{2};
// Delta CRLs are republished often (a day's validity by default): a quarter of that.
inline constexpr std::chrono::seconds kDefaultDeltaMinRemaining = std::chrono::hours{6};

struct CheckItem {
  // "issuer", "signature", "crl-number", "delta-base" (delta CRLs), "this-update", "next-update"
  std::string check;
  bool ok = false;
  std::string message;
};

struct CheckReport {
  bool ok = false;
  std::vector<CheckItem> items;
};

// Checks `crl` against CA `authority`: issued by it, signed with its key, the newest CRL number the
// store recorded for it (among complete or among delta CRLs), for a delta the newest complete CRL
// as its base, already current, and current for at least `min_remaining` more.
Result<CheckReport> check_published(store::Store& store, const store::AuthorityRecord& authority,
                                    int generation, const cert::Certificate& ca_certificate,
                                    const cert::Crl& crl, TimePoint now, std::chrono::seconds min_remaining);

}  // namespace pki::crl
