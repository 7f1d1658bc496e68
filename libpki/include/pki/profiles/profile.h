// Issuance profiles, as data: what a certificate of each kind gets (key usage, extended key usage,
// lifetime, which names and keys it may carry) and the limits the CA enforces. The CSR never
// decides these. Profiles live in the store as JSON documents (parse, to_json), each change a new
// version; the stock ones below seed a new store.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/cert/general_name.h"
#include "pki/core/error.h"
#include "pki/keys/keys.h"

namespace pki::profiles {

// root-ca and intermediate-ca are the CA profiles (validity only); every other profile is a leaf's.
enum class Kind { kLeaf, kCa };

struct Profile {
  std::string name;
  int version = 0;  // the store's version; 0 for a stock profile not read from a store
  std::string description;
  Kind kind = Kind::kLeaf;
  std::chrono::seconds default_validity{};
  std::chrono::seconds max_validity{};

  // Leaves only.
  std::uint16_t key_usage = 0;                  // cert::key_usage bits; keyEncipherment goes to RSA keys only
  std::vector<std::string> extended_key_usage;  // dotted OIDs; empty: no extendedKeyUsage
  bool cn_to_san = false;                       // the subject's CN is also a DNS or IP SAN
  bool name_required = false;                   // at least one DNS or IP SAN
  std::vector<cert::GeneralNameType> san_types;  // the SAN types allowed
  std::vector<std::string> allowed_domains;      // "example.com" or "*.example.com"; empty: any
  std::vector<keys::KeyType> key_types;          // the key types allowed
  std::vector<int> subject_required;             // attribute NIDs the subject must have
  std::vector<int> subject_forbidden;            // and must not
  bool keep_csr_subject = true;                  // false: a CSR's subject is ignored
  bool cabf = false;  // the CA/Browser Forum Baseline Requirements apply (398 days at most, ...)

  bool has_eku(std::string_view dotted) const;
  // Whether a DNS name (lowercase) is one allowed_domains admits.
  bool domain_allowed(std::string_view dns_name) const;
};

// A profile document (JSON text or parsed). Fields left out take the stock `client` profile's
// values (the CA profiles': the stock CA profile of that name). Unknown fields, a maximum below the
// default, an extended key usage the key usage cannot serve, ... are kBadInput naming the field.
// `name`, when given, is the name the document must have (or take, when it has none).
Result<Profile> parse(std::string_view json_text, std::string_view name = {});
Result<Profile> from_json(const nlohmann::json& doc, std::string_view name = {});
// Every field, in the form parse reads, in a fixed order.
nlohmann::ordered_json to_json(const Profile& profile);

// server, client, server-client (leaves), intermediate-ca, root-ca (CAs): what a new store holds.
std::span<const Profile> stock();
bool is_ca_profile(std::string_view name);
inline constexpr std::string_view kRootCa = "root-ca";
inline constexpr std::string_view kIntermediateCa = "intermediate-ca";

// The key usage a certificate for a key of `type` gets under the profile: its key_usage less what
// that kind of key cannot do (RSA: keyAgreement; EC: keyEncipherment, dataEncipherment; Ed25519:
// all but digitalSignature and nonRepudiation). kRefused when nothing is left, or when what is
// left cannot serve one of the profile's extended key usages.
Result<std::uint16_t> key_usage_for(const Profile& profile, keys::KeyType type);

// "serverAuth" for a dotted OID pki has a name for, else the OID.
std::string eku_name(std::string_view dotted);
// "profile 'server' allows at most 398 days (CA/Browser Forum Baseline Requirements 6.3.2)".
std::string describe_limit(const Profile& profile);

}  // namespace pki::profiles
