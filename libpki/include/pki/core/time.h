// Times and durations as users write them: RFC 3339 timestamps and durations such as 90d, 12h, 30m.
#pragma once

#include <openssl/asn1.h>

#include <chrono>
#include <string>
#include <string_view>

#include "pki/core/clock.h"
#include "pki/core/error.h"

namespace pki {

// "2026-11-29T12:00:00Z", "2026-11-29T13:00:00+01:00", fractions of a second are truncated. A
// date alone ("2026-11-29") is refused: RFC 3339 5.6 date-time has a time and an offset.
Result<TimePoint> parse_rfc3339(std::string_view text);
// Always UTC with a Z: "2026-11-29T12:00:00Z" (sorts as text; the store keeps times this way).
std::string format_rfc3339(TimePoint t);

// One or more <number><unit> with units w, d, h, m, s: "90d", "12h", "1d12h". Zero is allowed here;
// callers that need a positive duration say so.
Result<std::chrono::seconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::seconds d);

// ASN.1 UTCTime / GeneralizedTime to a time point; an error when the encoding is invalid.
Result<TimePoint> from_asn1_time(const ASN1_TIME& t);
// RFC 5280 4.1.2.5.1-2: UTCTime is YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ: seconds
// present, Zulu, no fractions. OpenSSL's parser is more lenient.
bool is_der_time(const ASN1_TIME& t);

}  // namespace pki
