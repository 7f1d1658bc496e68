#include "path_builder.h"

#include <algorithm>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/verify/algorithms.h"
#include "working_key.h"

namespace pki::verify {

namespace {

using cert::Certificate;
using cert::CertificatePtr;

// Orders candidate issuers: those whose SKI equals the child's AKI first, those without either
// next, mismatches last (RFC 4158 section 3.5.12).
void order_by_key_id(const Certificate& child, std::vector<CertificatePtr>& candidates) {
  if (!child.authority_key_id() || !child.authority_key_id()->key_id) return;
  const Bytes& wanted = *child.authority_key_id()->key_id;
  auto rank = [&](const CertificatePtr& c) {
    if (!c->subject_key_id()) return 1;
    return *c->subject_key_id() == wanted ? 0 : 2;
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const CertificatePtr& a, const CertificatePtr& b) { return rank(a) < rank(b); });
}

bool in_path(const Path& path, const Certificate& c) {
  for (const auto& p : path.certs) {
    if (p->fingerprint() == c.fingerprint()) return true;
    // The same name and key again is a loop through cross-certificates.
    if (X509_NAME_cmp(&p->subject(), &c.subject()) == 0 && p->spki_der() == c.spki_der()) return true;
  }
  return false;
}

bool cut_but_sound(const Validation& v, const Path& p) {
  return !v.anchored && p.cut_by_depth && !v.has_failure(FindingCode::kBadSignature);
}

}  // namespace

bool better(const Validation& a, const Path& pa, const Validation& b, const Path& pb) {
  const bool a_cut = cut_but_sound(a, pa), b_cut = cut_but_sound(b, pb);
  if (a_cut && !b_cut && b.has_failure(FindingCode::kBadSignature)) return true;
  if (b_cut && !a_cut && a.has_failure(FindingCode::kBadSignature)) return false;
  if (a.anchored != b.anchored) return a.anchored;
  if (a.failures != b.failures) return a.failures < b.failures;
  return pa.certs.size() > pb.certs.size();
}

struct PathBuilder::Search {
  const PathGoal& goal;
  PathValidator& validator;
  BuildResult result;
  bool done() const { return result.valid; }
};

// What would fail a path through intermediate `c` on its own, or mar it, whatever the rest of the
// path: the checks of RFC 5280 6.1.3 (a)(2) and 6.1.4 (k), (n), the profile and the algorithm
// policy, as ChainValidator makes them. A candidate with none is tried before one with any
// (RFC 4158 3.5.1-3.5.4, 3.5.2): among many cross-certificates and renewals of one CA, mostly
// expired, the sound one is found first rather than after every combination of the others.
int PathBuilder::doubts(const Certificate& c, const PathGoal& goal) {
  int n = 0;
  if (goal.at < c.not_before() || goal.at > c.not_after()) ++n;
  if (!c.basic_constraints() || !c.basic_constraints()->ca) ++n;
  if (c.key_usage() && !(*c.key_usage() & cert::key_usage::kKeyCertSign)) ++n;
  if (goal.purpose != Purpose::kAny && c.extended_key_usage()) {
    const std::string_view want = goal.purpose == Purpose::kServer ? oid::kServerAuth : oid::kClientAuth;
    const auto& ekus = *c.extended_key_usage();
    if (std::find(ekus.begin(), ekus.end(), want) == ekus.end() &&
        std::find(ekus.begin(), ekus.end(), oid::kAnyExtendedKeyUsage) == ekus.end())
      ++n;
  }
  for (const auto& p : c.problems())
    if (p.id != cert::ProblemId::kPathLenWithoutCa) ++n;  // the one breach below the anchor that only warns
  for (const auto& e : c.extensions())
    if (e.critical && !e.understood) ++n;
  if (signatures_.key_verdict(c, goal.algorithms).verdict != Verdict::kAccept) ++n;
  if (judge_signature_algorithm(c.signature_algorithm_identifier(), goal.algorithms).verdict !=
      Verdict::kAccept)
    ++n;
  return n;
}

BuildResult PathBuilder::build(const CertificatePtr& start, const PathGoal& goal, PathValidator& validator) {
  Search s{goal, validator, {}};
  Path path;
  path.certs.push_back(start);
  if (anchors_.contains(*start) && !goal.required_anchor) {
    path.anchored = true;  // the target is itself a trust anchor
    evaluate(path, s);
  } else {
    extend(path, s);
  }
  return std::move(s.result);
}

void PathBuilder::evaluate(Path& path, Search& s) {
  if (!budget_.spend_path()) return;
  Validation v = s.validator.validate(path);
  const bool valid = v.valid();
  if (valid || !s.result.best || better(v, path, *s.result.best, s.result.best_path)) {
    s.result.best = std::move(v);
    s.result.best_path = path;
    s.result.valid = valid;
  }
}

// Completes `path` with each anchor that issued its last certificate, until one gives a valid
// path; true when any anchor was tried.
bool PathBuilder::try_anchors(Path& path, Search& s) {
  bool tried = false;
  const Certificate& cur = *path.certs.back();
  std::vector<CertificatePtr> anchors;
  anchors_.by_subject(cur.issuer(), anchors);
  order_by_key_id(cur, anchors);
  for (const auto& a : anchors) {
    if (s.goal.required_anchor && a->fingerprint() != s.goal.required_anchor->fingerprint()) continue;
    if (in_path(path, *a)) continue;
    tried = true;
    path.certs.push_back(a);
    path.anchored = true;
    evaluate(path, s);
    path.certs.pop_back();
    path.anchored = false;
    if (s.done() || budget_.exhausted()) break;
  }
  return tried;
}

// The intermediates that may extend `path`, within the depth limits. `cut_by_depth` is set when
// there were candidates and the limits left none; `looped` when every one was already in the path.
std::vector<CertificatePtr> PathBuilder::intermediate_candidates(const Path& path, const Search& s,
                                                                 bool& cut_by_depth, bool& looped) const {
  const Certificate& cur = *path.certs.back();
  std::vector<CertificatePtr> candidates;
  if (intermediates_) intermediates_->by_subject(cur.issuer(), candidates);
  const std::size_t named = candidates.size();
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const CertificatePtr& c) { return anchors_.contains(*c); }),
                   candidates.end());
  const std::size_t not_anchors = candidates.size();
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const CertificatePtr& c) { return in_path(path, *c); }),
                   candidates.end());
  looped = named > 0 && not_anchors > 0 && candidates.empty();
  order_by_key_id(cur, candidates);
  const bool had_candidates = !candidates.empty();
  // max_depth counts intermediates as pathLenConstraint does (RFC 5280 4.2.1.9): self-issued ones
  // (key rollover) are not counted. Every certificate still counts against a hard cap, so that a
  // bundle of self-issued certificates cannot stretch one path without end.
  const int intermediates_so_far = static_cast<int>(std::count_if(
      path.certs.begin() + 1, path.certs.end(), [](const CertificatePtr& c) { return !c->self_issued(); }));
  const std::size_t hard_cap = 2 * static_cast<std::size_t>(s.goal.max_depth) + 1;
  if (path.certs.size() - 1 >= hard_cap)
    candidates.clear();
  else if (intermediates_so_far >= s.goal.max_depth)
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [](const CertificatePtr& c) { return !c->self_issued(); }),
                     candidates.end());
  cut_by_depth = had_candidates && candidates.empty();
  return candidates;
}

void PathBuilder::extend(Path& path, Search& s) {
  if (!budget_.spend_search_call()) return;
  const bool explored_anchor = try_anchors(path, s);
  if (s.done() || budget_.exhausted()) return;
  bool cut_by_depth = false, looped = false;
  const auto candidates = intermediate_candidates(path, s, cut_by_depth, looped);
  if (cut_by_depth) {
    if (!explored_anchor) {
      path.dead_end = "the path would need more than " + std::to_string(s.goal.max_depth) + " intermediates";
      path.cut_by_depth = true;
      evaluate(path, s);
      path.dead_end.clear();
      path.cut_by_depth = false;
    }
    return;
  }
  // Candidates whose signature on the current certificate verifies go first; the others only after.
  const Certificate& cur = *path.certs.back();
  std::vector<CertificatePtr> good, doubtful;
  for (const auto& c : candidates) {
    if (dsa_without_parameters(*c)) {  // its key needs its issuer's parameters: judged on a full path
      good.push_back(c);
      continue;
    }
    const auto ok = signatures_.certificate(cur, KeyRef{c->public_key(), c.get()});
    if (!ok) return;  // budget spent
    (*ok ? good : doubtful).push_back(c);
  }
  for (auto* group : {&good, &doubtful}) {
    std::vector<std::pair<int, CertificatePtr>> ranked;
    ranked.reserve(group->size());
    for (const auto& c : *group) ranked.emplace_back(doubts(*c, s.goal), c);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < ranked.size(); ++i) (*group)[i] = std::move(ranked[i].second);
  }
  for (auto* group : {&good, &doubtful})
    for (const auto& c : *group) {
      path.certs.push_back(c);
      extend(path, s);
      path.certs.pop_back();
      if (s.done() || budget_.exhausted()) return;
    }
  if (!explored_anchor && candidates.empty()) {
    path.dead_end =
        cur.self_issued() ? cur.subject_text() + " is self-issued and not a trust anchor"
        : looped          ? "every intermediate named " + cert::format_dn(cur.issuer()) +
                       " is already in the path: the certificates form a loop, not a path to a trust anchor"
                 : "no trust anchor or intermediate is named " + cert::format_dn(cur.issuer());
    evaluate(path, s);
    path.dead_end.clear();
  }
}

}  // namespace pki::verify
