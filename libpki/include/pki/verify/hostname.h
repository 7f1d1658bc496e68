// Matching the name a client connected to against a certificate (RFC 9525, which obsoletes
// RFC 6125): subjectAltName only, never the CN; DNS names compared case-insensitively in A-label
// form; a wildcard only as the whole leftmost label, matching exactly one label; IP addresses
// compared as bytes, never against DNS names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pki/cert/certificate.h"
#include "pki/core/error.h"

namespace pki::verify {

// A reference host as a client would use it: ASCII (A-labels), lowercased, one trailing dot
// dropped. kBadInput for anything that cannot be a host name.
Result<std::string> normalize_host(std::string_view host);

// Does the DNS-ID `pattern` (from a SAN) match the normalised `host`? (RFC 9525 6.3)
bool dns_id_matches(std::string_view pattern, std::string_view host);

// The SAN that matched, or nullopt.
std::optional<std::string> match_host(const cert::Certificate& cert, const std::string& normalized_host);
std::optional<std::string> match_ip(const cert::Certificate& cert, BytesView ip);

}  // namespace pki::verify
