// Runs NIST PKITS (tests/data/pkits) through libpki's verifier: every run with the
// trust anchor, intermediates, end entity, CRLs and initial policy settings its table gives, at
// 2011-04-15T00:00:00Z, with the legacy algorithm policy (PKITS 4.1.4-4.1.6 use DSA with SHA-1)
// for every run alike. Prints "N passed, M failed" and each failing id; exits 1 when any fails.
// Valid runs also compare the user-constrained policy set (RFC 5280 6.1.6) with PKITS's.
//
//   pkits_conformance PKITS_DIR [--id ID] [--verbose]
#include <algorithm>
#include <iostream>

#include "pkits_data.h"

using namespace pki;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: pkits_conformance PKITS_DIR [--id ID] [--verbose]\n";
    return 2;
  }
  pkits::Files files(argv[1]);
  std::string only;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--id" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--verbose")
      verbose = true;
  }
  int passed = 0, failed = 0, policy_set_differs = 0;
  std::vector<std::string> failures;
  for (const auto& run : files.runs()) {
    const std::string id = run["id"];
    if (!only.empty() && id != only) continue;
    auto r = pkits::load(files, run);
    if (!r.complete) {
      ++failed;
      failures.push_back(id + " (missing files)");
      continue;
    }
    verify::Verifier verifier({&r.anchor_set, &r.intermediate_set, &r.crl_set});
    auto result = verifier.verify(r.target, r.options);
    if (!result) {
      std::cerr << id << ": verification could not run: " << result.error().message << "\n";
      ++failed;
      failures.push_back(id);
      continue;
    }
    const bool want_valid = run["expected"] == "valid";
    const bool ok = result->valid == want_valid;
    if (ok)
      ++passed;
    else
      ++failed;
    if (!ok)
      failures.push_back(id + " " + std::string(run["name"]) + ": expected " + std::string(run["expected"]) +
                         ", got " + (result->valid ? "valid" : "invalid (" + result->summary + ")"));
    if (want_valid && result->valid) {
      std::vector<std::string> want;
      for (const auto& p : pkits::split(run["user_constrained_policy_set"]))
        want.push_back(pkits::policy_oid(p));
      auto got = result->user_constrained_policy_set;
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      if (!want.empty() && want != got && want != std::vector<std::string>{"2.5.29.32.0"})
        ++policy_set_differs;
    }
    if (verbose || !only.empty()) {
      std::cout << id << " " << std::string(run["name"]) << ": expected " << std::string(run["expected"])
                << ", got " << (result->valid ? "valid" : "invalid") << " (" << result->paths_tried
                << " paths, " << result->signature_checks << " signatures)\n";
      for (std::size_t i = 0; i < result->chain.size(); ++i) {
        const auto& rep = result->chain[i];
        std::cout << "  [" << i << "] " << rep.certificate->subject_text() << " ("
                  << verify::to_string(rep.role) << ")\n";
        for (const auto& f : rep.findings)
          if (f.outcome != verify::Outcome::kPass || verbose)
            std::cout << "      " << verify::to_string(f.outcome) << " " << verify::to_string(f.check) << " "
                      << verify::to_string(f.code) << ": " << f.message << "\n";
      }
    }
  }
  for (const auto& f : failures) std::cout << "FAIL " << f << "\n";
  std::cout << "PKITS: " << passed << " passed, " << failed << " failed";
  if (policy_set_differs)
    std::cout << " (" << policy_set_differs << " valid runs report another user-constrained policy set)";
  std::cout << "\n";
  return failed == 0 && policy_set_differs == 0 ? 0 : 1;
}
