#include "pki/profiles/profile.h"

#include "pki/cert/oids.h"

namespace pki::profiles {

namespace {

const std::vector<Profile>& table() {
  static const std::vector<Profile> kProfiles = {
      {"server",
       "TLS server (serverAuth)",
       Kind::kLeaf,
       {oid::kServerAuth},
       90,
       398,
       NameRequirement::kRequired,
       "CA/Browser Forum Baseline Requirements 6.3.2: TLS server certificates valid at most 398 days"},
      {"client",
       "TLS client (clientAuth)",
       Kind::kLeaf,
       {oid::kClientAuth},
       365,
       825,
       NameRequirement::kOptional,
       "825 days: the longest TLS certificate lifetime the CA/Browser Forum ever allowed (BR 6.3.2, "
       "2018-2020)"},
      {"server-client",
       "TLS server and client (serverAuth, clientAuth)",
       Kind::kLeaf,
       {oid::kServerAuth, oid::kClientAuth},
       90,
       398,
       NameRequirement::kRequired,
       "CA/Browser Forum Baseline Requirements 6.3.2, as for server"},
      {"intermediate-ca",
       "subordinate CA",
       Kind::kCa,
       {},
       5 * 365,
       15 * 365,
       NameRequirement::kOptional,
       "pki policy: three times the five-year default, so that a sub-CA key is rolled over within a key "
       "size's useful life"},
      {"root-ca",
       "self-signed root CA",
       Kind::kCa,
       {},
       10 * 365,
       25 * 365,
       NameRequirement::kOptional,
       "pki policy: two and a half times the ten-year default"},
  };
  return kProfiles;
}

}  // namespace

std::span<const Profile> all() { return table(); }

Result<const Profile*> find(std::string_view name) {
  for (const auto& p : table())
    if (p.name == name) return &p;
  return fail(ErrorCode::kBadInput,
              "unknown profile '" + std::string(name) + "' (expected one of " + leaf_names() + ")");
}

Result<const Profile*> find_leaf(std::string_view name) {
  PKI_ASSIGN(const Profile* p, find(name));
  if (p->kind != Kind::kLeaf)
    return fail(ErrorCode::kBadInput,
                "profile '" + std::string(name) + "' is for CA certificates, not leaves");
  return p;
}

// The table's last two rows.
const Profile& root_ca() { return table()[4]; }
const Profile& intermediate_ca() { return table()[3]; }

std::string leaf_names() {
  std::string out;
  for (const auto& p : table()) {
    if (p.kind != Kind::kLeaf) continue;
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace pki::profiles
