// Time is an input: libpki never reads the system clock. The `pki` command passes a system clock,
// or a fixed one for `--now`.
#pragma once

#include <chrono>

namespace pki {

using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }

 private:
  TimePoint at_;
};

}  // namespace pki
