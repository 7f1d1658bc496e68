// What the benchmarks share.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "pki/core/error.h"

namespace pki::bench {

// The value, or a message and exit 1: a benchmark has no failure path worth measuring.
template <class T>
T must(Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench: %s [%s]\n", r.error().message.c_str(), r.error().detail.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace pki::bench
