// RFC 5280 section 6.1 on one ordered path (private to verify/), with each step named after the
// RFC text and the state variables of 6.1.2 as members. The path's certificates are numbered as
// the RFC numbers them: 1 is the certificate the trust anchor issued, n the target; the report is
// indexed the other way, target first (index = n - i).
#pragma once

#include <string>
#include <vector>

#include "path.h"
#include "pki/cert/certificate.h"
#include "pki/verify/options.h"
#include "pki/verify/policy_tree.h"
#include "revocation.h"
#include "signature_cache.h"
#include "working_key.h"

namespace pki::verify {

// Whether the target's purpose and name are checked: yes for the user's target, no for a CRL
// issuer's certificate (RFC 5280 6.3.3 (f) asks only for a valid path).
enum class TargetChecks { kYes, kNo };

struct ValidationInputs {
  const VerifyOptions& options;
  TargetChecks target_checks;
  SignatureCache& signatures;
  RevocationChecker* revocation;  // null when no CRLs were given
  const OcspSource* ocsp = nullptr;
};

class ChainValidator {
 public:
  ChainValidator(const Path& path, const ValidationInputs& in);
  Validation run();

 private:
  // 6.1.1 (d): the trust anchor, a name and a key; its own fields are reported, not enforced.
  void process_trust_anchor();
  // 6.1.2: the state variables.
  void initialize();
  // 6.1.3: certificate i (1-based).
  void basic_certificate_processing(int i);
  void check_signature(int i);   // (a)(1)
  void check_algorithms(int i);  // the algorithm and key policy (the delegate)
  void check_validity(int index, const cert::Certificate& c, Outcome when_outside);  // (a)(2)
  void check_revocation(int i);                                                      // (a)(3)
  void check_issuer_name(int i);                                                     // (a)(4)
  void check_name_constraints(int i);                                                // (b), (c)
  void process_policies(int i);                                                      // (d), (e), (f)
  // 6.1.4: preparation for certificate i + 1.
  void prepare_for_next_certificate(int i);
  void update_policy_state(int i);  // (a)-(c), (h)-(j)
  void check_ca(int i);             // (k)-(n), and the intermediate's extendedKeyUsage
  // 6.1.5: wrap-up, on the target.
  void wrap_up(int i);
  // 6.1.4 (o), 6.1.5 (f): critical extensions pki does not understand; the profile breaches.
  void check_extensions(int i);
  // The handshake's checks on the target: purpose (extendedKeyUsage, keyUsage) and name.
  void check_target();

  int index(int i) const { return n_ - i; }
  const cert::Certificate& cert(int i) const { return *path_.certs[static_cast<std::size_t>(index(i))]; }
  void fail_policy(int i, std::string message, FindingCode code = FindingCode::kPolicy);

  const Path& path_;
  const ValidationInputs& in_;
  const VerifyOptions& o_;
  const int total_;                  // certificates in the path, the anchor included
  const int n_;                      // the path's length without the anchor
  const cert::Certificate* anchor_;  // null when the path does not reach one
  Validation v_;

  // RFC 5280 6.1.2 state variables.
  PolicyTree valid_policy_tree_;
  struct Constraints {
    const cert::NameConstraints* subtrees;  // permitted_subtrees and excluded_subtrees, per CA
    std::string owner;
  };
  std::vector<Constraints> name_constraints_;
  int explicit_policy_ = 0;
  int inhibit_any_policy_ = 0;
  int policy_mapping_ = 0;
  WorkingKey working_public_key_;
  const X509_NAME* working_issuer_name_ = nullptr;
  int max_path_length_ = 0;
  bool policy_failed_ = false;  // reported once
};

}  // namespace pki::verify
