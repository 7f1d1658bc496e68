// A small DER writer (ITU-T X.690 section 10), for the structures libpki signs itself: certificates
// and CRLs are encoded here from their parts, so that a CSR's SubjectPublicKeyInfo is carried as
// bytes and a CRL of a million entries is written without a million library objects.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "pki/core/bytes.h"
#include "pki/core/clock.h"

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

// OID from dotted text ("2.5.29.19"); the text must be a valid OID (these are constants).
Bytes oid(std::string_view dotted);
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

}  // namespace pki::der

namespace pki::der {

// A DER reader for the few places that walk encoded structures without an OpenSSL object
// (a SubjectPublicKeyInfo's key bits, a TBS certificate's algorithm). Tags are single-octet.
struct Tlv {
  std::uint8_t tag = 0;
  BytesView content;  // the value octets
  BytesView whole;    // tag, length and value
};

// Reads one TLV from the front of `in` and advances `in` past it; nullopt when malformed
// (indefinite or non-minimal lengths, truncation).
std::optional<Tlv> read(BytesView& in);

}  // namespace pki::der
