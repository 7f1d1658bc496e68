// Path building (private to verify/): from a certificate through candidate issuers to a trust
// anchor, depth first (RFC 4158's approach). Issuers are matched by name (RFC 5280 7.1) and
// ordered by AKI/SKI; anchors are tried before intermediates; a candidate whose signature does not
// verify is tried only after every other, and among the rest those that would fail the path on
// their own (expired, not a CA, no keyCertSign, an extendedKeyUsage without the purpose, a profile
// breach, a weak key or signature algorithm: RFC 4158 3.5) after those that would not. Each complete path
// goes to a PathValidator; the first valid one wins. When none is valid, the most useful failure is kept (see
// better()).
//
// Bounds: `max_depth` intermediates (self-issued ones not counted, as pathLenConstraint does not
// count them), with a hard cap of 2 * max_depth + 1 certificates of any kind, and the Budget.
#pragma once

#include <optional>

#include "path.h"
#include "pki/verify/sources.h"
#include "signature_cache.h"

namespace pki::verify {

// Validates one complete candidate path (ChainValidator, through the Verifier).
class PathValidator {
 public:
  virtual ~PathValidator() = default;
  virtual Validation validate(const Path& path) = 0;
};

struct PathGoal {
  int max_depth = kDefaultMaxDepth;
  // A CRL issuer's path must reach the target's anchor (RFC 5280 6.3.3 (f)); null for any anchor.
  const cert::Certificate* required_anchor = nullptr;
  // The validation time and purpose, by which candidate issuers that would fail are tried last.
  TimePoint at{};
  Purpose purpose = Purpose::kAny;
  AlgorithmPolicy algorithms = AlgorithmPolicy::kModern;
};

struct BuildResult {
  std::optional<Validation> best;  // the valid path's validation, else the most useful failure
  Path best_path;
  bool valid = false;
};

// The most useful of two failing paths: one that reaches an anchor, then the fewest failures. But
// a path whose signatures all verify, cut short only by the depth limit, says more than one that
// reaches an anchor through a certificate whose signature does not verify.
bool better(const Validation& a, const Path& pa, const Validation& b, const Path& pb);

class PathBuilder {
 public:
  PathBuilder(const CertificateSet& anchors, const CertificateSource* intermediates,
              SignatureCache& signatures, Budget& budget)
      : anchors_(anchors), intermediates_(intermediates), signatures_(signatures), budget_(budget) {}

  BuildResult build(const cert::CertificatePtr& start, const PathGoal& goal, PathValidator& validator);

 private:
  struct Search;
  void extend(Path& path, Search& s);
  bool try_anchors(Path& path, Search& s);
  int doubts(const cert::Certificate& c, const PathGoal& goal);
  std::vector<cert::CertificatePtr> intermediate_candidates(const Path& path, const Search& s,
                                                            bool& cut_by_depth, bool& looped) const;
  void evaluate(Path& path, Search& s);

  const CertificateSet& anchors_;
  const CertificateSource* intermediates_;
  SignatureCache& signatures_;
  Budget& budget_;
};

}  // namespace pki::verify
