#include "pki/core/der.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace pki::der {

std::size_t header_size(std::size_t length) {
  if (length < 0x80) return 2;
  std::size_t n = 0;
  for (std::size_t l = length; l != 0; l >>= 8) ++n;
  return 2 + n;
}

void append_header(Bytes& out, std::uint8_t tag, std::size_t length) {
  out.push_back(tag);
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  int n = 0;
  for (std::size_t l = length; l != 0; l >>= 8) ++n;
  out.push_back(static_cast<std::uint8_t>(0x80 | n));
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
}

void append_tlv(Bytes& out, std::uint8_t tag, BytesView content) {
  append_header(out, tag, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

Bytes tlv(std::uint8_t tag, BytesView content) {
  Bytes out;
  out.reserve(header_size(content.size()) + content.size());
  append_tlv(out, tag, content);
  return out;
}

Bytes constructed(std::uint8_t tag, std::initializer_list<BytesView> parts) {
  std::size_t length = 0;
  for (const auto& p : parts) length += p.size();
  Bytes out;
  out.reserve(header_size(length) + length);
  append_header(out, tag, length);
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

static void append_base128(Bytes& out, unsigned long long v) {
  std::uint8_t buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(buf[i] | (i ? 0x80 : 0)));
}

namespace {

// `dotted` has passed valid_dotted_oid.
Bytes encode_oid(std::string_view dotted) {
  std::vector<unsigned long long> arcs;
  unsigned long long value = 0;
  for (char c : dotted) {
    if (c == '.') {
      arcs.push_back(value);
      value = 0;
    } else {
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
  }
  arcs.push_back(value);
  Bytes content;
  append_base128(content, arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) append_base128(content, arcs[i]);
  return tlv(tag::kOid, content);
}

}  // namespace

Bytes oid(ConstOid dotted) { return encode_oid(dotted.text()); }

Result<Bytes> parse_oid(std::string_view dotted) {
  if (!valid_dotted_oid(dotted))
    return fail(ErrorCode::kBadInput, "'" + std::string(dotted) + "' is not an OID in dotted form");
  return encode_oid(dotted);
}

Bytes boolean(bool value) { return Bytes{tag::kBoolean, 1, static_cast<std::uint8_t>(value ? 0xff : 0x00)}; }

Bytes integer(std::int64_t value) {
  // Two's complement, minimal length (X.690 8.3.2).
  Bytes content;
  for (int i = 7; i >= 0; --i) content.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  std::size_t start = 0;
  while (start + 1 < content.size() && ((content[start] == 0x00 && !(content[start + 1] & 0x80)) ||
                                        (content[start] == 0xff && (content[start + 1] & 0x80))))
    ++start;
  return tlv(tag::kInteger, BytesView(content).subspan(start));
}

Bytes enumerated(std::int64_t value) {
  Bytes out = integer(value);  // same content rules (X.690 8.4)
  out[0] = tag::kEnumerated;
  return out;
}

Bytes unsigned_integer(BytesView magnitude) {
  std::size_t start = 0;
  while (start + 1 < magnitude.size() && magnitude[start] == 0) ++start;
  Bytes content;
  if (magnitude.empty()) {
    content.push_back(0);
  } else {
    if (magnitude[start] & 0x80) content.push_back(0);
    content.insert(content.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(start), magnitude.end());
  }
  return tlv(tag::kInteger, content);
}

Bytes octet_string(BytesView content) { return tlv(tag::kOctetString, content); }

Bytes bit_string(BytesView content, int unused_bits) {
  Bytes body;
  body.reserve(content.size() + 1);
  body.push_back(static_cast<std::uint8_t>(unused_bits));
  body.insert(body.end(), content.begin(), content.end());
  return tlv(tag::kBitString, body);
}

Bytes null() { return Bytes{tag::kNull, 0}; }

// RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ for 1950-2049, GeneralizedTime YYYYMMDDHHMMSSZ
// otherwise (and always for what asks for GeneralizedTime). Digits written directly: a CRL of a
// million entries encodes a million of them.
static void append_encoded_time(Bytes& out, TimePoint t, bool generalized) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(t - day)};
  const int year = static_cast<int>(ymd.year());
  out.push_back(generalized ? tag::kGeneralizedTime : tag::kUtcTime);
  out.push_back(generalized ? 15 : 13);
  auto two = [&](long v) {
    out.push_back(static_cast<std::uint8_t>('0' + v / 10 % 10));
    out.push_back(static_cast<std::uint8_t>('0' + v % 10));
  };
  if (generalized) two(year / 100);
  two(year % 100);
  two(static_cast<unsigned>(ymd.month()));
  two(static_cast<unsigned>(ymd.day()));
  two(hms.hours().count());
  two(hms.minutes().count());
  two(hms.seconds().count());
  out.push_back('Z');
}

static bool needs_generalized(TimePoint t) {
  using namespace std::chrono;
  const int year = static_cast<int>(year_month_day{floor<days>(t)}.year());
  return year < 1950 || year >= 2050;
}

std::size_t time_size(TimePoint t) { return needs_generalized(t) ? 17 : 15; }

void append_time(Bytes& out, TimePoint t) { append_encoded_time(out, t, needs_generalized(t)); }
void append_generalized_time(Bytes& out, TimePoint t) { append_encoded_time(out, t, true); }

Bytes time(TimePoint t) {
  Bytes out;
  append_time(out, t);
  return out;
}

Bytes generalized_time(TimePoint t) {
  Bytes out;
  append_generalized_time(out, t);
  return out;
}

}  // namespace pki::der

namespace pki::der {

std::optional<Tlv> read(BytesView& in) {
  if (in.size() < 2) return std::nullopt;
  const std::uint8_t t = in[0];
  if ((t & 0x1f) == 0x1f) return std::nullopt;  // multi-octet tags: not used by X.509 structures we walk
  std::size_t len = in[1];
  std::size_t hdr = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > sizeof(std::size_t) || in.size() < 2 + n)
      return std::nullopt;  // indefinite or too long
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    if (in[2] == 0 || len < 0x80) return std::nullopt;  // X.690 10.1: minimal length octets
    hdr += n;
  }
  if (in.size() - hdr < len) return std::nullopt;
  Tlv out{t, in.subspan(hdr, len), in.subspan(0, hdr + len)};
  in = in.subspan(hdr + len);
  return out;
}

}  // namespace pki::der

namespace pki::der {

namespace {

std::optional<std::string> violation_in(BytesView in, int depth) {
  if (depth > 32) return "nesting deeper than any X.509 structure";
  while (!in.empty()) {
    const auto t = read(in);
    if (!t) return "a length that is not in DER (indefinite, not minimal, or past the end)";
    const BytesView c = t->content;
    const bool constructed = t->tag & 0x20;
    const bool universal = (t->tag & 0xc0) == 0;
    const std::uint8_t number = t->tag & 0x1f;
    if (constructed) {
      // X.690 10.2: only SEQUENCE and SET are constructed among the universal types.
      if (universal && number != 0x10 && number != 0x11) return "a string in the constructed form";
      if (auto v = violation_in(c, depth + 1)) return v;
      continue;
    }
    if (!universal) continue;  // an implicitly tagged primitive: its type is not known here
    switch (t->tag) {
      case tag::kBoolean:
        if (c.size() != 1 || (c[0] != 0x00 && c[0] != 0xff)) return "a BOOLEAN that is neither 00 nor FF";
        break;
      case tag::kInteger:
      case tag::kEnumerated:
        if (c.empty()) return "an empty INTEGER";
        if (c.size() > 1 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80))))
          return "an INTEGER not in its fewest octets";
        break;
      case tag::kBitString:
        if (c.empty() || c[0] > 7 || (c.size() == 1 && c[0] != 0))
          return "a BIT STRING with a bad count of unused bits";
        if (c.size() > 1 && (c.back() & ((1u << c[0]) - 1)) != 0)
          return "a BIT STRING whose unused bits are set";
        break;
      case tag::kNull:
        if (!c.empty()) return "a NULL with content";
        break;
      case tag::kOid:
        if (c.empty() || (c.back() & 0x80)) return "a malformed OBJECT IDENTIFIER";
        for (std::size_t i = 0; i < c.size(); ++i)
          if (c[i] == 0x80 && (i == 0 || !(c[i - 1] & 0x80)))
            return "an OBJECT IDENTIFIER arc not in its fewest octets";
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> der_violation(BytesView encoded) { return violation_in(encoded, 0); }

}  // namespace pki::der
