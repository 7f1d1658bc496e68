// Byte strings and hex.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pki {

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;

inline BytesView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(BytesView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Lowercase hex without separators.
std::string to_hex(BytesView bytes);
// Hex with optional ':' separators, either case; nullopt when not hex.
std::optional<Bytes> from_hex(std::string_view hex);
// The same into `out` (resized, its storage reused): no allocation per call once it has grown,
// for loops over many serials. False when not hex.
bool from_hex_into(std::string_view hex, Bytes& out);

// SHA-256 of `data`, as lowercase hex.
std::string sha256_hex(BytesView data);
Bytes sha256(BytesView data);

// A passphrase: wiped from memory when destroyed, never printed.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();
  const std::string& reveal() const { return value_; }

 private:
  void wipe();
  std::string value_;
};

}  // namespace pki
