// What the verifier's parts pass between them (private to verify/): a candidate path, the report
// its validation writes, and the budget one verification may spend.
#pragma once

#include <string>
#include <vector>

#include "pki/cert/certificate.h"
#include "pki/verify/options.h"
#include "pki/verify/result.h"

namespace pki::verify {

// A candidate path: the target first; the last certificate is a trust anchor when `anchored`.
struct Path {
  std::vector<cert::CertificatePtr> certs;
  bool anchored = false;
  std::string dead_end;       // why the search stopped here, for unanchored paths
  bool cut_by_depth = false;  // stopped by the depth limit, not for want of an issuer
};

// The findings of one path's validation, per certificate (index 0 is the target).
struct Validation {
  std::vector<CertificateReport> reports;
  int failures = 0;
  bool anchored = false;
  std::vector<std::string> policies;  // the user-constrained policy set (RFC 5280 6.1.6)

  bool valid() const { return anchored && failures == 0; }
  bool has_failure(FindingCode code) const;

  void add(int index, Check check, Outcome outcome, FindingCode code, std::string message);
  void pass(int index, Check check, std::string message) {
    add(index, check, Outcome::kPass, FindingCode::kOk, std::move(message));
  }
  void fail(int index, Check check, FindingCode code, std::string message) {
    add(index, check, Outcome::kFail, code, std::move(message));
  }
  void warn(int index, Check check, FindingCode code, std::string message) {
    add(index, check, Outcome::kWarn, code, std::move(message));
  }
  void skip(int index, Check check, FindingCode code, std::string message) {
    add(index, check, Outcome::kSkip, code, std::move(message));
  }
};

// What one verification may spend, over every path tried and every CRL issuer's path (as
// rustls-webpki's Budget bounds its search). A spent budget fails the verification with
// budget-exceeded rather than letting a hostile pile of certificates cost unbounded time.
class Budget {
 public:
  // Path search budget beside the signature budget: candidate extensions tried, and complete
  // paths validated in full. Many certificates with one name (cross-signing, rollovers, or a
  // hostile pile) make the search factorial; rustls-webpki bounds it with 200,000 build calls,
  // and each of our calls is cheaper while each complete path costs a full validation, hence the
  // two limits.
  static constexpr int kMaxSearchCalls = 10'000;
  static constexpr int kMaxPathsValidated = 50;

  explicit Budget(int signature_checks = kDefaultSignatureBudget) : signatures_left_(signature_checks) {}

  bool spend_signature() { return spend(signatures_left_, signature_checks_); }
  bool spend_search_call() { return spend(search_calls_left_, search_calls_); }
  bool spend_path() { return spend(paths_left_, paths_tried_); }
  // A budget of one kind spent: the verification stops where it is.
  bool exhausted() const { return exhausted_; }
  int signature_checks() const { return signature_checks_; }
  int paths_tried() const { return paths_tried_; }

 private:
  bool spend(int& left, int& used) {
    if (left <= 0) {
      exhausted_ = true;
      return false;
    }
    --left;
    ++used;
    return true;
  }
  int signatures_left_;
  int search_calls_left_ = kMaxSearchCalls;
  int paths_left_ = kMaxPathsValidated;
  int signature_checks_ = 0;
  int search_calls_ = 0;
  int paths_tried_ = 0;
  bool exhausted_ = false;
};

}  // namespace pki::verify
