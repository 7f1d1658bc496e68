// The valid_policy_tree of RFC 5280 section 6.1, with each step named after the RFC text.
// Qualifiers are not kept: pki reports policies, it does not display qualifiers.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "pki/cert/certificate.h"

namespace pki::verify {

class PolicyTree {
 public:
  // A tree whose root, at depth 0, is anyPolicy (6.1.2 (a)).
  PolicyTree();

  bool null() const { return null_; }
  void make_null() { null_ = true; }

  // 6.1.3 (d) for the certificate at `depth` (1-based): its certificatePolicies, and whether
  // anyPolicy in them is honoured (inhibit_anyPolicy > 0, or a self-issued intermediate).
  void process_policies(int depth, const std::vector<std::string>& policies, bool any_policy_honoured);
  // 6.1.4 (b): policy mappings of the certificate at `depth`; mapping allowed when policy_mapping > 0.
  void process_mappings(int depth, const std::vector<cert::PolicyMapping>& mappings, bool mapping_allowed);
  // 6.1.5 (g): the intersection with the user-initial-policy-set (empty means anyPolicy), at depth n.
  void intersect(int n, const std::set<std::string>& user_initial_policy_set);
  // The user-constrained policy set after intersect() (RFC 5280 6.1.6), named in the trust
  // anchor's domain: for each node left at depth n, the policy of its ancestor just below an
  // anyPolicy node (mappings rename policies further down). {anyPolicy} when that is all there is.
  std::vector<std::string> constrained_policies(int n) const;
  // Whether the tree grew past kMaxNodes (then it is made null and the path fails).
  bool exhausted() const { return exhausted_; }

  // Policy trees can grow exponentially with mappings (CVE-2023-0464 in OpenSSL); a hostile chain
  // is stopped here. PKITS's largest tree has a few dozen nodes.
  static constexpr std::size_t kMaxNodes = 10'000;

 private:
  struct Node {
    std::string valid_policy;
    std::set<std::string> expected;
    int parent = -1;  // index at depth - 1
    bool alive = true;
  };
  bool add(int depth, int parent, const std::string& policy, std::set<std::string> expected);
  bool has_live_child(int depth, int index) const;
  void prune(int max_depth);
  void delete_subtree(int depth, int index);

  std::vector<std::vector<Node>> levels_;
  std::size_t nodes_ = 0;
  bool null_ = false;
  bool exhausted_ = false;
};

}  // namespace pki::verify
