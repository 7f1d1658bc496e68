// Certificate lint: a table of rules from RFC 5280's profile and a chosen subset of the
// CA/Browser Forum Baseline Requirements, each with its source and, where zlint has the same rule,
// zlint's name. pki runs them on every certificate before signing it (an error-level finding
// refuses the issuance) and `pki lint FILE` runs them on any certificate.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/core/bytes.h"
#include "pki/core/error.h"

namespace pki::lint {

enum class Level { kError, kWarning };
std::string_view to_string(Level level);

// Which certificates a rule speaks of. kTlsServer: a subscriber (non-CA) certificate that may
// authenticate a TLS server: its extendedKeyUsage lists serverAuth or anyExtendedKeyUsage (the
// Baseline Requirements cover these).
enum class Scope { kAll, kCa, kSubscriber, kTlsServer };
std::string_view to_string(Scope scope);

struct Rule {
  std::string_view name;  // zlint's name where zlint has the rule, else one in the same style
  Level level;
  Scope scope;
  std::string_view source;  // "RFC 5280 4.2.1.9", "CABF BR 6.3.2", ...
  std::string_view summary;
};

// Every rule, in the order they run.
std::span<const Rule> rules();

struct Finding {
  const Rule* rule;
  std::string detail;  // what in this certificate breaks the rule
};

// Whether the rules taken from the CA/Browser Forum Baseline Requirements (source "CABF ...") run:
// they govern publicly trusted TLS certificates, and an issuance profile says whether it makes
// those (profiles::Profile::cabf).
enum class Baseline { kApply, kSkip };

// Every rule's findings for `cert`.
std::vector<Finding> check(const cert::Certificate& cert, Baseline baseline = Baseline::kApply);
bool has_error(std::span<const Finding> findings);

// Before signing: the certificate as it would be (its TBSCertificate with an empty signature)
// checked with the same rules. kRefused naming each error-level rule that fails.
Result<void> check_before_signing(BytesView tbs_der, BytesView signature_algorithm,
                                  Baseline baseline = Baseline::kApply);

}  // namespace pki::lint
