#include "pki/core/bytes.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace pki {

std::string to_hex(BytesView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex_into(std::string_view hex, Bytes& out) {
  std::size_t digits = 0;
  for (char c : hex) {
    if (c == ':') continue;
    if (hex_value(c) < 0) return false;
    ++digits;
  }
  if (digits == 0) return false;
  out.assign((digits + 1) / 2, 0);
  // An odd count has an implied leading zero: the first digit is a whole octet's low half.
  bool high = digits % 2 == 0;
  std::size_t o = 0;
  for (char c : hex) {
    if (c == ':') continue;
    const auto v = static_cast<std::uint8_t>(hex_value(c));
    if (high) {
      out[o] = static_cast<std::uint8_t>(v << 4);
    } else {
      out[o++] |= v;
    }
    high = !high;
  }
  return true;
}

std::optional<Bytes> from_hex(std::string_view hex) {
  Bytes out;
  if (!from_hex_into(hex, out)) return std::nullopt;
  return out;
}

Bytes sha256(BytesView data) {
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

std::string sha256_hex(BytesView data) { return to_hex(sha256(data)); }

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}
Secret::~Secret() { wipe(); }
void Secret::wipe() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

}  // namespace pki
