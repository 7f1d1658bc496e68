// A small DER writer (ITU-T X.690 section 10), for the structures libpki signs itself: certificates
// and CRLs are encoded here from their parts, so that a CSR's SubjectPublicKeyInfo is carried as
// bytes and a CRL of a million entries is written without a million library objects.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"

namespace pki::der {

namespace tag {
inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kEnumerated = 0x0a;
inline constexpr std::uint8_t kUtf8String = 0x0c;
inline constexpr std::uint8_t kIa5String = 0x16;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kGeneralizedTime = 0x18;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
// Context-specific tags: [n] primitive (0x80 | n) and [n] constructed (0xa0 | n).
constexpr std::uint8_t context(int n) { return static_cast<std::uint8_t>(0x80 | n); }
constexpr std::uint8_t context_constructed(int n) { return static_cast<std::uint8_t>(0xa0 | n); }
}  // namespace tag

// Appends tag, definite length and content to `out`.
void append_tlv(Bytes& out, std::uint8_t tag, BytesView content);
// Appends only the tag and length header of a value of `length` bytes (the content follows).
void append_header(Bytes& out, std::uint8_t tag, std::size_t length);
std::size_t header_size(std::size_t length);

Bytes tlv(std::uint8_t tag, BytesView content);
// A constructed value from already-encoded parts.
Bytes constructed(std::uint8_t tag, std::initializer_list<BytesView> parts);
inline Bytes sequence(std::initializer_list<BytesView> parts) { return constructed(tag::kSequence, parts); }

// Whether `dotted` is an OID in dotted text: at least two arcs of decimal digits, the first 0, 1
// or 2 (X.660), the second below 40 under 0 and 1.
constexpr bool valid_dotted_oid(std::string_view dotted) {
  int arcs = 0;
  unsigned long long first = 0, value = 0;
  bool digits = false;
  for (std::size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      if (!digits) return false;
      if (arcs == 0) first = value;
      if (arcs == 1 && first < 2 && value >= 40) return false;
      ++arcs;
      value = 0;
      digits = false;
    } else if (dotted[i] >= '0' && dotted[i] <= '9') {
      if (digits && value == 0) return false;  // no leading zeros
      if (value > (~0ULL - 9) / 10) return false;
      value = value * 10 + static_cast<unsigned>(dotted[i] - '0');
      digits = true;
    } else {
      return false;
    }
  }
  return arcs >= 2 && first <= 2;
}

// An OID that is a constant of the program (oids.h, a literal): checked when pki is compiled, so
// that encoding it cannot fail. Text read at run time goes through parse_oid.
class ConstOid {
 public:
  consteval ConstOid(std::string_view dotted) : text_(dotted) {
    if (!valid_dotted_oid(dotted)) throw "not an OID in dotted form";  // a compile-time error
  }
  consteval ConstOid(const char* dotted) : ConstOid(std::string_view(dotted)) {}
  constexpr std::string_view text() const { return text_; }
  constexpr operator std::string_view() const { return text_; }
  friend constexpr bool operator==(ConstOid a, std::string_view b) { return a.text_ == b; }

 private:
  std::string_view text_;
};

// The DER of an OID.
Bytes oid(ConstOid dotted);
// The DER of an OID read at run time; kBadInput when it is not one.
Result<Bytes> parse_oid(std::string_view dotted);
Bytes boolean(bool value);
Bytes integer(std::int64_t value);
Bytes enumerated(std::int64_t value);
// A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped, 0x00 added when
// the top bit is set).
Bytes unsigned_integer(BytesView magnitude);
Bytes octet_string(BytesView content);
Bytes bit_string(BytesView content, int unused_bits = 0);
Bytes null();
// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on, both in Z form.
Bytes time(TimePoint t);
Bytes generalized_time(TimePoint t);
// The same appended to `out`.
void append_time(Bytes& out, TimePoint t);
void append_generalized_time(Bytes& out, TimePoint t);
// The encoded size of time(t), header included.
std::size_t time_size(TimePoint t);

}  // namespace pki::der

namespace pki::der {

// A DER reader for the few places that walk encoded structures without an OpenSSL object
// (a SubjectPublicKeyInfo's key bits, a TBS certificate's algorithm). Tags are single-octet.
struct Tlv {
  std::uint8_t tag = 0;
  BytesView content;  // the value octets
  BytesView whole;    // tag, length and value

  // Whether it is exactly `encoded` (tag, length and value): an OID against der::oid(...), say.
  bool is(BytesView encoded) const {
    return whole.size() == encoded.size() && std::equal(whole.begin(), whole.end(), encoded.begin());
  }
};

// Reads one TLV from the front of `in` and advances `in` past it; nullopt when malformed
// (indefinite or non-minimal lengths, truncation).
std::optional<Tlv> read(BytesView& in);

// What in `encoded` (one or more TLVs) is not DER (X.690 10, 11), as far as the encoding alone
// tells: lengths, constructed strings, BOOLEAN, INTEGER, BIT STRING, NULL and OBJECT IDENTIFIER
// contents, at every depth of constructed encodings (not inside implicitly tagged primitives, nor
// inside OCTET STRINGs, whose contents are not known to be DER). nullopt when nothing is found.
std::optional<std::string> der_violation(BytesView encoded);

}  // namespace pki::der
