// Issuance profiles, as data: what a certificate of each kind gets (basicConstraints, key usage,
// extended key usage, lifetime) and the limits the CA enforces. The CSR never decides these.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/core/der.h"
#include "pki/core/error.h"

namespace pki::profiles {

enum class Kind { kLeaf, kCa };
enum class NameRequirement { kOptional, kRequired };

struct Profile {
  std::string_view name;
  std::string_view description;
  Kind kind;
  std::vector<der::ConstOid> extended_key_usages;  // empty for CAs
  int default_days;
  int max_days;
  NameRequirement name_requirement;  // kRequired: at least one SAN (a server must be named)
  std::string_view max_days_source;  // where max_days comes from
};

// The built-in profiles: server, client, server-client (leaves), intermediate-ca, root-ca (CAs).
std::span<const Profile> all();
// A leaf or CA profile by name; kBadInput for an unknown name.
Result<const Profile*> find(std::string_view name);
Result<const Profile*> find_leaf(std::string_view name);
const Profile& root_ca();
const Profile& intermediate_ca();
std::string leaf_names();

}  // namespace pki::profiles
