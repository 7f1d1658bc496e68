// Runs NIST PKITS (../shared/conformance/pkits) through libpki's verifier: every run with the
// trust anchor, intermediates, end entity, CRLs and initial policy settings its table gives, at
// 2011-04-15T00:00:00Z, with the legacy algorithm policy (PKITS 4.1.4-4.1.6 use DSA with SHA-1)
// for every run alike. Prints "N passed, M failed" and each failing id; exits 1 when any fails.
//
//   pkits_conformance PKITS_DIR [--id ID] [--verbose]
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/verify/verifier.h"

using namespace pki;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

// "NIST-test-policy-N" is 2.16.840.1.101.3.2.1.48.N (PKITS.pdf section 3.2).
std::string policy_oid(const std::string& name) {
  if (name == "anyPolicy") return "2.5.29.32.0";
  const std::string prefix = "NIST-test-policy-";
  if (name.rfind(prefix, 0) == 0) return "2.16.840.1.101.3.2.1.48." + name.substr(prefix.size());
  return name;
}

struct Loaded {
  std::map<std::string, cert::CertificatePtr> certs;
  std::map<std::string, cert::CrlPtr> crls;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: pkits_conformance PKITS_DIR [--id ID] [--verbose]\n";
    return 2;
  }
  const std::string dir = argv[1];
  std::string only;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--id" && i + 1 < argc) only = argv[++i];
    else if (a == "--verbose") verbose = true;
  }
  auto text = read_file(dir + "/pkits_tests.json");
  if (!text) {
    std::cerr << "cannot read " << dir << "/pkits_tests.json: " << text.error().message << "\n";
    return 2;
  }
  const auto runs = nlohmann::json::parse(*text);
  Loaded loaded;
  auto cert_of = [&](const std::string& name) -> cert::CertificatePtr {
    if (auto it = loaded.certs.find(name); it != loaded.certs.end()) return it->second;
    auto data = read_file(dir + "/certs/" + name + ".crt");
    if (!data) return nullptr;
    auto c = cert::Certificate::from_der(as_bytes(*data));
    if (!c) {
      std::cerr << "cannot parse " << name << ": " << c.error().message << "\n";
      return nullptr;
    }
    return loaded.certs[name] = *c;
  };
  auto crl_of = [&](const std::string& name) -> cert::CrlPtr {
    if (auto it = loaded.crls.find(name); it != loaded.crls.end()) return it->second;
    auto data = read_file(dir + "/crls/" + name + ".crl");
    if (!data) return nullptr;
    auto c = cert::Crl::from_der(as_bytes(*data));
    if (!c) {
      std::cerr << "cannot parse " << name << ": " << c.error().message << "\n";
      return nullptr;
    }
    return loaded.crls[name] = *c;
  };

  const TimePoint at = parse_rfc3339("2011-04-15T00:00:00Z").value();
  int passed = 0, failed = 0, policy_set_differs = 0;
  std::vector<std::string> failures;
  for (const auto& run : runs) {
    const std::string id = run["id"];
    if (!only.empty() && id != only) continue;
    verify::CertificateSet anchors, intermediates;
    verify::CrlSet crls;
    bool missing = false;
    if (auto a = cert_of(run["trust_anchor"])) anchors.add(a); else missing = true;
    for (const auto& name : run["intermediates"])
      if (auto c = cert_of(name)) intermediates.add(c); else missing = true;
    for (const auto& name : run["crls"])
      if (auto c = crl_of(name)) crls.add(c); else missing = true;
    auto target = cert_of(run["end_entity"]);
    if (!target || missing) {
      std::cerr << id << ": missing files\n";
      ++failed;
      failures.push_back(id + " (missing files)");
      continue;
    }
    verify::VerifyOptions o;
    o.at = at;
    o.algorithms = verify::AlgorithmPolicy::kLegacy;
    for (const auto& p : split(run["initial_policy_set"])) o.initial_policy_set.push_back(policy_oid(p));
    o.initial_explicit_policy = run["initial_explicit_policy"];
    o.initial_policy_mapping_inhibit = run["initial_policy_mapping_inhibit"];
    o.initial_any_policy_inhibit = run["initial_inhibit_any_policy"];
    verify::Verifier verifier({&anchors, &intermediates, &crls});
    auto result = verifier.verify(target, o);
    if (!result) {
      std::cerr << id << ": verification could not run: " << result.error().message << "\n";
      ++failed;
      failures.push_back(id);
      continue;
    }
    const bool want_valid = run["expected"] == "valid";
    const bool ok = result->valid == want_valid;
    if (ok) ++passed; else ++failed;
    if (!ok) failures.push_back(id + " " + std::string(run["name"]) + ": expected " + std::string(run["expected"]) +
                                ", got " + (result->valid ? "valid" : "invalid (" + result->summary + ")"));
    if (want_valid && result->valid) {
      std::vector<std::string> want;
      for (const auto& p : split(run["user_constrained_policy_set"])) want.push_back(policy_oid(p));
      auto got = result->user_constrained_policy_set;
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      if (!want.empty() && want != got && !(want == std::vector<std::string>{"2.5.29.32.0"})) ++policy_set_differs;
    }
    if (verbose || (!only.empty())) {
      std::cout << id << " " << std::string(run["name"]) << ": expected " << std::string(run["expected"]) << ", got "
                << (result->valid ? "valid" : "invalid") << " (" << result->paths_tried << " paths, "
                << result->signature_checks << " signatures)\n";
      for (std::size_t i = 0; i < result->chain.size(); ++i) {
        const auto& rep = result->chain[i];
        std::cout << "  [" << i << "] " << rep.certificate->subject_text() << " (" << verify::to_string(rep.role) << ")\n";
        for (const auto& f : rep.findings)
          if (f.outcome != verify::Outcome::kPass || verbose)
            std::cout << "      " << verify::to_string(f.outcome) << " " << verify::to_string(f.check) << " " << f.code
                      << ": " << f.message << "\n";
      }
    }
  }
  for (const auto& f : failures) std::cout << "FAIL " << f << "\n";
  std::cout << "PKITS: " << passed << " passed, " << failed << " failed";
  if (policy_set_differs) std::cout << " (" << policy_set_differs << " valid runs report another user-constrained policy set)";
  std::cout << "\n";
  return failed == 0 ? 0 : 1;
}
