// NIST PKITS data as both conformance programs read it: the run table, the files by name (each
// parsed once), and each run's inputs and initial policy settings as libpki verifier options.
#pragma once

#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/verify/verifier.h"

namespace pkits {

// PKITS's validation time: inside every certificate's validity (2010-2030), the suite's date.
inline pki::TimePoint validation_time() { return pki::parse_rfc3339("2011-04-15T00:00:00Z").value(); }

inline std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

// "NIST-test-policy-N" is 2.16.840.1.101.3.2.1.48.N (PKITS.pdf section 3.2).
inline std::string policy_oid(const std::string& name) {
  if (name == "anyPolicy") return "2.5.29.32.0";
  const std::string prefix = "NIST-test-policy-";
  if (name.rfind(prefix, 0) == 0) return "2.16.840.1.101.3.2.1.48." + name.substr(prefix.size());
  return name;
}

class Files {
 public:
  explicit Files(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // The runs; exits with a one-line message when the suite is not there (the test then fails).
  nlohmann::json runs() const {
    auto text = pki::read_input(dir_ + "/pkits_tests.json");
    if (!text) {
      std::cerr << "PKITS data missing: " << text.error().message << "\n";
      std::exit(2);
    }
    return nlohmann::json::parse(*text);
  }

  // nullptr (with a message on stderr) when the file is missing or does not parse.
  pki::cert::CertificatePtr cert(const std::string& name) {
    auto& slot = certs_[name];
    if (!slot) {
      auto data = pki::read_input(dir_ + "/certs/" + name + ".crt");
      auto parsed =
          data ? pki::cert::Certificate::from_der(pki::as_bytes(*data)) : tl::unexpected(data.error());
      if (parsed)
        slot = *parsed;
      else
        std::cerr << name << ": " << parsed.error().message << "\n";
    }
    return slot;
  }
  pki::cert::CrlPtr crl(const std::string& name) {
    auto& slot = crls_[name];
    if (!slot) {
      auto data = pki::read_input(dir_ + "/crls/" + name + ".crl");
      auto parsed = data ? pki::cert::Crl::from_der(pki::as_bytes(*data)) : tl::unexpected(data.error());
      if (parsed)
        slot = *parsed;
      else
        std::cerr << name << ": " << parsed.error().message << "\n";
    }
    return slot;
  }

 private:
  std::string dir_;
  std::map<std::string, pki::cert::CertificatePtr> certs_;
  std::map<std::string, pki::cert::CrlPtr> crls_;
};

// One run's inputs. `complete` is false when a file is missing.
struct Run {
  pki::cert::CertificatePtr anchor, target;
  std::vector<pki::cert::CertificatePtr> intermediates;
  std::vector<pki::cert::CrlPtr> crls;
  pki::verify::CertificateSet anchor_set, intermediate_set;
  pki::verify::CrlSet crl_set;
  pki::verify::VerifyOptions options;
  bool complete = true;
};

// The run's files, and its settings as verifier options: the PKITS time, the legacy algorithm
// policy (4.1.4-4.1.6 use DSA with SHA-1) for every run alike, its initial policy settings.
inline Run load(Files& files, const nlohmann::json& run) {
  Run r;
  r.anchor = files.cert(run["trust_anchor"]);
  r.target = files.cert(run["end_entity"]);
  r.complete = r.anchor && r.target;
  if (r.anchor) r.anchor_set.add(r.anchor);
  for (const auto& n : run["intermediates"]) {
    auto c = files.cert(n);
    if (!c)
      r.complete = false;
    else {
      r.intermediates.push_back(c);
      r.intermediate_set.add(c);
    }
  }
  for (const auto& n : run["crls"]) {
    auto c = files.crl(n);
    if (!c)
      r.complete = false;
    else {
      r.crls.push_back(c);
      r.crl_set.add(c);
    }
  }
  r.options.at = validation_time();
  r.options.algorithms = pki::verify::AlgorithmPolicy::kLegacy;
  for (const auto& p : split(run["initial_policy_set"]))
    r.options.initial_policy_set.push_back(policy_oid(p));
  if (run["initial_explicit_policy"]) r.options.explicit_policy = pki::verify::ExplicitPolicy::kRequired;
  if (run["initial_policy_mapping_inhibit"])
    r.options.policy_mapping = pki::verify::PolicyMappingInhibit::kInhibited;
  if (run["initial_inhibit_any_policy"]) r.options.any_policy = pki::verify::AnyPolicyInhibit::kInhibited;
  return r;
}

}  // namespace pkits
