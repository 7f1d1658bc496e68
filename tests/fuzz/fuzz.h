// Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput. Built with clang and libFuzzer
// (-DPKI_FUZZ=ON, scripts/fuzz.sh) each is a fuzzer; otherwise each is linked with replay_main.cpp
// and ctest runs it over its seed corpus (tests/fuzz/corpus/TARGET).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "pki/core/bytes.h"

namespace pki::fuzz {

inline BytesView bytes(const std::uint8_t* data, std::size_t size) { return BytesView(data, size); }
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// A property that does not hold: a finding, reported as a crash so that the fuzzer keeps the input.
[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}
#define PKI_FUZZ_ASSERT(cond)                  \
  do {                                         \
    if (!(cond)) ::pki::fuzz::violated(#cond); \
  } while (0)

}  // namespace pki::fuzz
