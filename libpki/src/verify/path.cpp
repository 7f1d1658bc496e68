#include "path.h"

namespace pki::verify {

bool Validation::has_failure(FindingCode code) const {
  for (const auto& r : reports)
    for (const auto& f : r.findings)
      if (f.outcome == Outcome::kFail && f.code == code) return true;
  return false;
}

void Validation::add(int index, Check check, Outcome outcome, FindingCode code, std::string message) {
  reports[static_cast<std::size_t>(index)].findings.push_back(
      Finding{check, outcome, code, std::move(message)});
  if (outcome == Outcome::kFail) ++failures;
}

}  // namespace pki::verify
