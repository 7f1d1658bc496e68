#include "pki/core/time.h"

#include <cctype>
#include <cstdio>

namespace pki {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<TimePoint> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&] {
    return fail(ErrorCode::kBadInput,
                "invalid time '" + std::string(text) + "': expected RFC 3339 such as 2026-11-29T12:00:00Z");
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d))
    return bad();
  std::size_t pos = 10;
  seconds offset{0};
  // RFC 3339 5.6 date-time: a date alone is not a time (whose midnight, in which zone?).
  if (pos >= text.size()) return bad();
  {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad();
    if (!digits(text, pos + 1, 2, h) || text.size() < pos + 9 || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, mi) || text[pos + 6] != ':' || !digits(text, pos + 7, 2, s))
      return bad();
    pos += 9;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const std::size_t start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos == start) return bad();
    }
    if (pos >= text.size()) return bad();  // a time needs its offset
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int oh, om;
      if (!digits(text, pos + 1, 2, oh) || text.size() < pos + 6 || text[pos + 3] != ':' ||
          !digits(text, pos + 4, 2, om) || oh > 23 || om > 59)
        return bad();
      offset = hours{oh} + minutes{om};
      if (text[pos] == '-') offset = -offset;
      pos += 6;
    } else {
      return bad();
    }
  }
  if (pos != text.size()) return bad();
  // RFC 3339 5.7 allows second 60 (a leap second); X.509 times cannot hold it, so it is refused.
  if (h > 23 || mi > 59 || s > 59) return bad();
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad();
  return TimePoint{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{s} - offset;
}

std::string format_rfc3339(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&] {
    return fail(ErrorCode::kBadInput, "invalid duration '" + std::string(text) +
                                          "': expected a number and a unit w, d, h, m or s, e.g. 90d");
  };
  if (text.empty()) return bad();
  // 100 years in seconds: far beyond any certificate or CRL lifetime, and far from overflow.
  constexpr long long kMaxSeconds = 100LL * 366 * 86400;
  long long total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    long long n = 0;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      n = n * 10 + (text[pos] - '0');
      if (n > kMaxSeconds) return bad();
      ++pos;
    }
    if (pos == start || pos == text.size()) return bad();
    long long unit = 0;
    switch (text[pos]) {
      case 'w':
        unit = 7 * 86400;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return bad();
    }
    ++pos;
    total += n * unit;
    if (total > kMaxSeconds) return bad();
  }
  return seconds{total};
}

std::string format_duration(std::chrono::seconds d) {
  long long s = d.count();
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const long long days = s / 86400, hours = s % 86400 / 3600, minutes = s % 3600 / 60, secs = s % 60;
  if (days) out += std::to_string(days) + "d";
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (secs || out.empty() || out == "-") out += std::to_string(secs) + "s";
  return out;
}

bool is_der_time(const ASN1_TIME& t) {
  const int type = ASN1_STRING_type(&t);
  const std::size_t want = type == V_ASN1_UTCTIME ? 13 : type == V_ASN1_GENERALIZEDTIME ? 15 : 0;
  const auto* p = reinterpret_cast<const char*>(ASN1_STRING_get0_data(&t));
  const auto len = static_cast<std::size_t>(ASN1_STRING_length(&t));
  if (want == 0 || len != want || p[len - 1] != 'Z') return false;
  for (std::size_t i = 0; i + 1 < len; ++i)
    if (!std::isdigit(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

Result<TimePoint> from_asn1_time(const ASN1_TIME& t) {
  using namespace std::chrono;
  // ASN1_TIME_to_tm validates the encoding (UTCTime YYMMDDHHMMSSZ, GeneralizedTime
  // YYYYMMDDHHMMSSZ) and interprets UTCTime years per RFC 5280 4.1.2.5.1.
  struct tm tm {};
  if (ASN1_TIME_to_tm(&t, &tm) != 1) return fail_openssl(ErrorCode::kBadInput, "invalid ASN.1 time");
  const year_month_day ymd{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                           day{static_cast<unsigned>(tm.tm_mday)}};
  if (!ymd.ok()) return fail(ErrorCode::kBadInput, "invalid ASN.1 time");
  return TimePoint{sys_days{ymd}} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

}  // namespace pki
