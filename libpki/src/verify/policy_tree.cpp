#include "pki/verify/policy_tree.h"

#include <algorithm>

#include "pki/cert/oids.h"

namespace pki::verify {

namespace {
const std::string kAny(oid::kAnyPolicy);
}

PolicyTree::PolicyTree() {
  levels_.push_back({Node{kAny, {kAny}, -1, true}});
  nodes_ = 1;
}

// Callers size levels_ beforehand, so that references into it stay valid.
bool PolicyTree::add(int depth, int parent, const std::string& policy, std::set<std::string> expected) {
  if (nodes_ >= kMaxNodes) {
    exhausted_ = true;
    null_ = true;
    return false;
  }
  levels_[static_cast<std::size_t>(depth)].push_back(Node{policy, std::move(expected), parent, true});
  ++nodes_;
  return true;
}

bool PolicyTree::has_live_child(int depth, int index) const {
  if (depth + 1 >= static_cast<int>(levels_.size())) return false;
  for (const auto& c : levels_[static_cast<std::size_t>(depth) + 1])
    if (c.alive && c.parent == index) return true;
  return false;
}

// Deletes nodes of depth <= max_depth without children, deepest first, so that a deletion
// cascades upwards; the tree is null when the root goes.
void PolicyTree::prune(int max_depth) {
  for (int d = std::min(max_depth, static_cast<int>(levels_.size()) - 1); d >= 0; --d) {
    auto& level = levels_[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; i < level.size(); ++i)
      if (level[i].alive && !has_live_child(d, static_cast<int>(i))) level[i].alive = false;
  }
  if (!levels_[0][0].alive) null_ = true;
}

void PolicyTree::delete_subtree(int depth, int index) {
  levels_[static_cast<std::size_t>(depth)][static_cast<std::size_t>(index)].alive = false;
  if (depth + 1 >= static_cast<int>(levels_.size())) return;
  auto& next = levels_[static_cast<std::size_t>(depth) + 1];
  for (std::size_t i = 0; i < next.size(); ++i)
    if (next[i].alive && next[i].parent == index) delete_subtree(depth + 1, static_cast<int>(i));
}

void PolicyTree::process_policies(int i, const std::vector<std::string>& policies, bool any_policy_honoured) {
  if (null_) return;
  // Size the levels first: add() must not reallocate the vector that `parents` refers into.
  if (static_cast<int>(levels_.size()) <= i) levels_.resize(static_cast<std::size_t>(i) + 1);
  const auto& parents = levels_[static_cast<std::size_t>(i) - 1];
  // (d)(1): each policy other than anyPolicy.
  for (const std::string& p : policies) {
    if (p == kAny) continue;
    bool matched = false;
    for (std::size_t k = 0; k < parents.size(); ++k) {
      // (i): a child of each node of depth i-1 whose expected_policy_set holds P.
      if (parents[k].alive && parents[k].expected.count(p)) {
        if (!add(i, static_cast<int>(k), p, {p})) return;
        matched = true;
      }
    }
    if (!matched) {
      // (ii): otherwise a child of the node of depth i-1 whose valid_policy is anyPolicy.
      for (std::size_t k = 0; k < parents.size(); ++k)
        if (parents[k].alive && parents[k].valid_policy == kAny) {
          if (!add(i, static_cast<int>(k), p, {p})) return;
        }
    }
  }
  // (d)(2): anyPolicy, when honoured: for each node of depth i-1, a child for each value of its
  // expected_policy_set that no child of it has yet.
  if (any_policy_honoured && std::find(policies.begin(), policies.end(), kAny) != policies.end()) {
    for (std::size_t k = 0; k < parents.size(); ++k) {
      if (!parents[k].alive) continue;
      const std::set<std::string> expected = parents[k].expected;
      for (const std::string& v : expected) {
        bool present = false;
        for (const auto& c : levels_[static_cast<std::size_t>(i)])
          if (c.alive && c.parent == static_cast<int>(k) && c.valid_policy == v) present = true;
        if (!present && !add(i, static_cast<int>(k), v, {v})) return;
      }
    }
  }
  // (d)(3): prune childless nodes of depth i-1 and above.
  prune(i - 1);
}

void PolicyTree::process_mappings(int i, const std::vector<cert::PolicyMapping>& mappings,
                                  bool mapping_allowed) {
  if (null_) return;
  if (static_cast<int>(levels_.size()) <= i) return;
  // Each issuerDomainPolicy once, with the set of subject policies it maps to.
  std::vector<std::pair<std::string, std::set<std::string>>> by_issuer;
  for (const auto& m : mappings) {
    auto it = std::find_if(by_issuer.begin(), by_issuer.end(),
                           [&](const auto& e) { return e.first == m.issuer_domain; });
    if (it == by_issuer.end())
      by_issuer.push_back({m.issuer_domain, {m.subject_domain}});
    else
      it->second.insert(m.subject_domain);
  }
  for (const auto& [id_p, mapped] : by_issuer) {
    auto& level = levels_[static_cast<std::size_t>(i)];
    if (mapping_allowed) {
      // (b)(1): nodes of depth i for ID-P now expect the mapped policies...
      bool found = false;
      for (auto& n : level)
        if (n.alive && n.valid_policy == id_p) {
          n.expected = mapped;
          found = true;
        }
      // ...or, if none exists but anyPolicy does at depth i, a new node for ID-P under the
      // anyPolicy node of depth i-1.
      if (!found) {
        for (std::size_t k = 0; k < level.size(); ++k) {
          if (!level[k].alive || level[k].valid_policy != kAny) continue;
          const int parent = level[k].parent;
          if (!add(i, parent, id_p, mapped)) return;
          break;
        }
      }
    } else {
      // (b)(2): mapping inhibited: delete the nodes of depth i for ID-P, then prune.
      for (auto& n : level)
        if (n.alive && n.valid_policy == id_p) n.alive = false;
      prune(i - 1);
      if (null_) return;
    }
  }
}

void PolicyTree::intersect(int n, const std::set<std::string>& user) {
  if (null_) return;
  if (user.empty() || user.count(kAny)) return;  // (g)(ii)
  if (static_cast<int>(levels_.size()) <= n) levels_.resize(static_cast<std::size_t>(n) + 1);
  // (g)(iii)(1)-(2): nodes whose parent is anyPolicy and whose policy the user did not ask for go,
  // with their subtrees.
  std::set<std::string> node_set_policies;
  for (int d = 1; d <= n; ++d) {
    auto& level = levels_[static_cast<std::size_t>(d)];
    for (std::size_t k = 0; k < level.size(); ++k) {
      if (!level[k].alive) continue;
      const auto& parent =
          levels_[static_cast<std::size_t>(d) - 1][static_cast<std::size_t>(level[k].parent)];
      if (parent.valid_policy != kAny) continue;
      if (level[k].valid_policy != kAny && !user.count(level[k].valid_policy)) {
        delete_subtree(d, static_cast<int>(k));
      } else {
        node_set_policies.insert(level[k].valid_policy);
      }
    }
  }
  // (g)(iii)(3): an anyPolicy leaf becomes the user's policies not already in the node set.
  auto& leaves = levels_[static_cast<std::size_t>(n)];
  for (std::size_t k = 0; k < leaves.size(); ++k) {
    if (!leaves[k].alive || leaves[k].valid_policy != kAny) continue;
    const int parent = leaves[k].parent;
    leaves[k].alive = false;
    for (const std::string& p : user)
      if (!node_set_policies.count(p) && !add(n, parent, p, {p})) return;
    break;
  }
  // (g)(iii)(4): prune childless nodes above depth n.
  prune(n - 1);
}

std::vector<std::string> PolicyTree::constrained_policies(int n) const {
  std::vector<std::string> out;
  if (null_ || n >= static_cast<int>(levels_.size())) return out;
  for (const auto& leaf : levels_[static_cast<std::size_t>(n)]) {
    if (!leaf.alive) continue;
    // Walk up to the node whose parent is anyPolicy: its valid_policy is in the anchor's domain.
    int depth = n;
    const Node* node = &leaf;
    while (depth > 1) {
      const Node& parent =
          levels_[static_cast<std::size_t>(depth) - 1][static_cast<std::size_t>(node->parent)];
      if (parent.valid_policy == kAny) break;
      node = &parent;
      --depth;
    }
    if (std::find(out.begin(), out.end(), node->valid_policy) == out.end()) out.push_back(node->valid_policy);
  }
  return out;
}

}  // namespace pki::verify
