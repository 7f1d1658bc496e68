#include "pki/profiles/profile.h"

#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "pki/cert/builder.h"
#include "pki/cert/certificate.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"

namespace pki::profiles {

namespace {

using nlohmann::json;
using std::chrono::days;
using std::chrono::seconds;

// The key usages a leaf profile may give (RFC 5280 4.2.1.3; cert::key_usage_names names them):
// keyCertSign and cRLSign are a CA's, and encipherOnly and decipherOnly only qualify keyAgreement
// (Diffie-Hellman keys, which pki does not certify).
constexpr std::uint16_t kLeafKeyUsages =
    cert::key_usage::kDigitalSignature | cert::key_usage::kNonRepudiation |
    cert::key_usage::kKeyEncipherment | cert::key_usage::kDataEncipherment | cert::key_usage::kKeyAgreement;

struct Purpose {
  std::string_view name;
  std::string_view oid;
  std::uint16_t needs;  // key usages of which one must be present (RFC 5280 4.2.1.12, TLS, S/MIME)
};
constexpr std::uint16_t kDs = cert::key_usage::kDigitalSignature, kNr = cert::key_usage::kNonRepudiation,
                        kKe = cert::key_usage::kKeyEncipherment, kKa = cert::key_usage::kKeyAgreement;
// RFC 5280 4.2.1.12's purposes and the key usages each is consistent with: TLS servers sign
// (ECDHE), decrypt (RSA key exchange) or agree keys; clients sign or agree; code, time stamps and
// OCSP answers are signed.
constexpr std::array<Purpose, 6> kPurposes = {{
    {"serverAuth", oid::kServerAuth, kDs | kKe | kKa},
    {"clientAuth", oid::kClientAuth, kDs | kKa},
    {"codeSigning", oid::kCodeSigning, kDs},
    {"emailProtection", oid::kEmailProtection, kDs | kNr | kKe | kKa},
    {"timeStamping", oid::kTimeStamping, kDs | kNr},
    {"OCSPSigning", oid::kOcspSigning, kDs | kNr},
}};

struct SanType {
  std::string_view name;
  cert::GeneralNameType type;
};
constexpr std::array<SanType, 4> kSanTypes = {{{"DNS", cert::GeneralNameType::kDns},
                                               {"IP", cert::GeneralNameType::kIp},
                                               {"EMAIL", cert::GeneralNameType::kEmail},
                                               {"URI", cert::GeneralNameType::kUri}}};

std::vector<cert::GeneralNameType> all_san_types() {
  std::vector<cert::GeneralNameType> out;
  for (const auto& t : kSanTypes) out.push_back(t.type);
  return out;
}

Profile leaf(std::string name, std::string description, days default_validity, days max_validity,
             std::vector<std::string> eku, bool server) {
  Profile p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.kind = Kind::kLeaf;
  p.default_validity = default_validity;
  p.max_validity = max_validity;
  p.key_usage = cert::key_usage::kDigitalSignature | cert::key_usage::kKeyEncipherment;
  p.extended_key_usage = std::move(eku);
  // A server's CN is also a SAN, since RFC 9525 clients look only at SANs; a client's CN names
  // its holder ("alice"), not a host.
  p.cn_to_san = server;
  p.name_required = server;
  p.san_types = all_san_types();
  p.key_types = keys::all_key_types();
  // The 398-day cap of CA/Browser Forum Baseline Requirements 6.3.2 applies to the stock server
  // profiles; a profile for internal hosts may leave it out (cabf: false).
  p.cabf = server;
  return p;
}

Profile ca(std::string name, std::string description, days default_validity, days max_validity) {
  Profile p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.kind = Kind::kCa;
  p.default_validity = default_validity;
  p.max_validity = max_validity;
  return p;
}

const std::vector<Profile>& table() {
  static const std::vector<Profile> kProfiles = {
      leaf("server", "TLS server (serverAuth)", days{90}, days{398}, {std::string(oid::kServerAuth)}, true),
      // 825 days: the longest TLS certificate lifetime the CA/Browser Forum ever allowed.
      leaf("client", "TLS client (clientAuth)", days{365}, days{825}, {std::string(oid::kClientAuth)}, false),
      leaf("server-client", "TLS server and client (serverAuth, clientAuth)", days{90}, days{398},
           {std::string(oid::kServerAuth), std::string(oid::kClientAuth)}, true),
      // pki policy: a sub-CA key rolled over within three times its default lifetime, a root's
      // within two and a half.
      ca(std::string(kIntermediateCa), "subordinate CA", days{5 * 365}, days{15 * 365}),
      ca(std::string(kRootCa), "self-signed root CA", days{10 * 365}, days{25 * 365}),
  };
  return kProfiles;
}

const Profile& stock_named(std::string_view name) {
  for (const auto& p : table())
    if (p.name == name) return p;
  return table()[1];  // client
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

tl::unexpected<Error> bad(std::string_view field, const std::string& why) {
  return fail(ErrorCode::kBadInput, "profile field '" + std::string(field) + "': " + why);
}

// The object's keys must be among `known`.
Result<void> only_known(const json& obj, std::string_view where,
                        std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : obj.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      return bad(std::string(where) + key, "unknown field");
  return {};
}

Result<std::vector<std::string>> strings(const json& v, std::string_view field) {
  if (!v.is_array()) return bad(field, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) return bad(field, "expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<bool> boolean(const json& v, std::string_view field) {
  if (!v.is_boolean()) return bad(field, "expected true or false");
  return v.get<bool>();
}

Result<seconds> duration(const json& v, std::string_view field) {
  if (!v.is_string()) return bad(field, "expected a duration such as \"90d\" or \"24h\"");
  auto d = parse_duration(v.get<std::string>());
  if (!d) return bad(field, d.error().message);
  if (d->count() <= 0) return bad(field, "the duration must be positive");
  return *d;
}

std::string days_or_duration(seconds d) {
  return d.count() % 86400 == 0 ? std::to_string(d.count() / 86400) + " days" : format_duration(d);
}

Result<std::vector<int>> attributes(const json& v, std::string_view field) {
  PKI_ASSIGN(auto names, strings(v, field));
  std::vector<int> out;
  for (const auto& n : names) {
    const int nid = OBJ_txt2nid(n.c_str());
    if (nid == NID_undef) return bad(field, "unknown attribute '" + n + "' (e.g. CN, O, OU, C)");
    if (std::find(out.begin(), out.end(), nid) == out.end()) out.push_back(nid);
  }
  return out;
}

std::string attribute_name(int nid) {
  const char* sn = OBJ_nid2sn(nid);
  return sn ? sn : std::to_string(nid);
}

// The first of the profile's purposes that `usage` cannot serve (RFC 5280 4.2.1.12), described.
std::optional<std::string> unserved_purpose(const Profile& p, std::uint16_t usage) {
  for (const auto& e : p.extended_key_usage)
    for (const auto& purpose : kPurposes)
      if (purpose.oid == e && (usage & purpose.needs) == 0) {
        std::string needs;
        for (const auto& k : cert::key_usage_names(purpose.needs)) needs += (needs.empty() ? "" : " or ") + k;
        return std::string(purpose.name) + " needs " + needs + " in key_usage (RFC 5280 4.2.1.12)";
      }
  return std::nullopt;
}

Result<void> check_leaf(const Profile& p) {
  if (p.key_usage == 0) return bad("key_usage", "a certificate needs at least one key usage");
  if (auto why = unserved_purpose(p, p.key_usage)) return bad("extended_key_usage", *why);
  // A subscriber that may sign OCSP answers for its CA could vouch for revoked certificates:
  // pki makes delegated responders itself (RFC 6960 4.2.2.2).
  if (p.has_eku(oid::kOcspSigning))
    return bad("extended_key_usage",
               "OCSPSigning makes a delegated OCSP responder for the CA, which pki issues only as such");
  if (p.has_eku(oid::kTimeStamping) && p.extended_key_usage.size() != 1)
    return bad("extended_key_usage", "timeStamping must be the only purpose (RFC 3161 2.3)");
  auto allows = [&](cert::GeneralNameType t) {
    return std::find(p.san_types.begin(), p.san_types.end(), t) != p.san_types.end();
  };
  const bool host_names = allows(cert::GeneralNameType::kDns) || allows(cert::GeneralNameType::kIp);
  if (p.cn_to_san && !host_names)
    return bad("cn_to_san", "the CN becomes a DNS or IP name, which san_types does not allow");
  if (p.name_required && !host_names)
    return bad("name_required", "a DNS or IP name is required but san_types allows neither");
  if (!p.allowed_domains.empty() && !allows(cert::GeneralNameType::kDns))
    return bad("allowed_domains", "DNS names are not in san_types");
  if (p.key_types.empty()) return bad("key_types", "no key type is allowed");
  for (int nid : p.subject_required)
    if (std::find(p.subject_forbidden.begin(), p.subject_forbidden.end(), nid) != p.subject_forbidden.end())
      return bad("subject", attribute_name(nid) + " is both required and forbidden");
  if (p.cabf && p.max_validity > days{398})
    return bad("validity.max",
               "the CA/Browser Forum Baseline Requirements (6.3.2) allow at most 398 days; set cabf to false "
               "for other uses");
  return {};
}

}  // namespace

bool Profile::has_eku(std::string_view dotted) const {
  return std::find(extended_key_usage.begin(), extended_key_usage.end(), dotted) != extended_key_usage.end();
}

bool Profile::domain_allowed(std::string_view name) const {
  if (allowed_domains.empty()) return true;
  for (const auto& pattern : allowed_domains) {
    if (pattern.starts_with("*.")) {
      const std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
      if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

Result<Profile> from_json(const json& doc, std::string_view name) {
  if (!doc.is_object()) return bad("(document)", "expected a JSON object");
  std::string doc_name;
  if (doc.contains("name")) {
    if (!doc["name"].is_string()) return bad("name", "expected a string");
    doc_name = doc["name"].get<std::string>();
    if (!name.empty() && doc_name != name)
      return bad("name", "the document names '" + doc_name + "', not '" + std::string(name) + "'");
  } else {
    doc_name = std::string(name);
  }
  if (doc_name.empty()) return bad("name", "missing");
  if (!is_plain_name(doc_name))
    return bad("name",
               "'" + doc_name + "' is not a profile name (letters, digits, '-', '_', '.'; at most 64)");
  const bool ca_profile = is_ca_profile(doc_name);
  Profile p = stock_named(ca_profile ? doc_name : std::string_view("client"));
  p.name = doc_name;
  p.version = 0;
  if (ca_profile)
    PKI_TRY(only_known(doc, "", {"name", "description", "validity"}));
  else
    PKI_TRY(only_known(
        doc, "",
        {"name", "description", "validity", "key_usage", "extended_key_usage", "cn_to_san", "name_required",
         "san_types", "allowed_domains", "key_types", "subject", "csr_subject", "cabf"}));
  if (doc.contains("description")) {
    if (!doc["description"].is_string()) return bad("description", "expected a string");
    p.description = doc["description"].get<std::string>();
  } else if (!ca_profile && doc_name != "client") {
    p.description.clear();
  }
  if (doc.contains("validity")) {
    const json& v = doc["validity"];
    if (!v.is_object()) return bad("validity", "expected {\"default\": ..., \"max\": ...}");
    PKI_TRY(only_known(v, "validity.", {"default", "max"}));
    if (v.contains("default")) {
      PKI_ASSIGN(p.default_validity, duration(v["default"], "validity.default"));
    }
    if (v.contains("max")) {
      PKI_ASSIGN(p.max_validity, duration(v["max"], "validity.max"));
    }
  }
  if (p.max_validity < p.default_validity)
    return bad("validity.max", format_duration(p.max_validity) + " is below validity.default (" +
                                   format_duration(p.default_validity) + ")");
  // Certificates end by 9999-12-31 in any case; a century is far past any use.
  if (p.max_validity > days{100 * 365}) return bad("validity.max", "at most 100 years");
  if (ca_profile) return p;

  if (doc.contains("key_usage")) {
    PKI_ASSIGN(auto names, strings(doc["key_usage"], "key_usage"));
    p.key_usage = 0;
    for (const auto& n : names) {
      std::uint16_t bit = 0;
      for (int i = 0; i < 16 && !bit; ++i)
        if (const auto named = cert::key_usage_names(static_cast<std::uint16_t>(1u << i));
            !named.empty() && named.front() == n)
          bit = static_cast<std::uint16_t>(1u << i);
      if (bit & (cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign))
        return bad("key_usage", n + " is for CA certificates, which the CA profiles make");
      if (!(bit & kLeafKeyUsages))
        return bad("key_usage", "unknown key usage '" + n + "' (" +
                                    join_names(cert::key_usage_names(kLeafKeyUsages)) + ")");
      p.key_usage |= bit;
    }
  }
  if (doc.contains("extended_key_usage")) {
    PKI_ASSIGN(auto names, strings(doc["extended_key_usage"], "extended_key_usage"));
    p.extended_key_usage.clear();
    for (const auto& n : names) {
      std::string dotted;
      for (const auto& purpose : kPurposes)
        if (purpose.name == n) dotted = purpose.oid;
      if (dotted.empty()) {
        if (!der::parse_oid(n))
          return bad("extended_key_usage",
                     "'" + n +
                         "' is neither a purpose pki knows (serverAuth, clientAuth, codeSigning, "
                         "emailProtection, timeStamping, OCSPSigning) nor a dotted OID");
        dotted = n;
      }
      if (!p.has_eku(dotted)) p.extended_key_usage.push_back(dotted);
    }
  }
  if (doc.contains("cn_to_san")) {
    PKI_ASSIGN(p.cn_to_san, boolean(doc["cn_to_san"], "cn_to_san"));
  }
  if (doc.contains("name_required")) {
    PKI_ASSIGN(p.name_required, boolean(doc["name_required"], "name_required"));
  }
  if (doc.contains("cabf")) {
    PKI_ASSIGN(p.cabf, boolean(doc["cabf"], "cabf"));
  }
  if (doc.contains("san_types")) {
    PKI_ASSIGN(auto names, strings(doc["san_types"], "san_types"));
    p.san_types.clear();
    for (const auto& n : names) {
      auto it =
          std::find_if(kSanTypes.begin(), kSanTypes.end(), [&](const SanType& t) { return t.name == n; });
      if (it == kSanTypes.end()) return bad("san_types", "unknown type '" + n + "' (DNS, IP, EMAIL, URI)");
      if (std::find(p.san_types.begin(), p.san_types.end(), it->type) == p.san_types.end())
        p.san_types.push_back(it->type);
    }
  }
  if (doc.contains("allowed_domains")) {
    PKI_ASSIGN(auto patterns, strings(doc["allowed_domains"], "allowed_domains"));
    p.allowed_domains.clear();
    for (const auto& pattern : patterns) {
      const bool below = pattern.starts_with("*.");
      auto dns = cert::parse_dns_name(below ? std::string_view(pattern).substr(2) : std::string_view(pattern),
                                      "allowed_domains entry", cert::Wildcard::kRefuse);
      if (!dns) return bad("allowed_domains", dns.error().message);
      std::string norm = (below ? "*." : "") + *dns;
      std::transform(norm.begin(), norm.end(), norm.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      p.allowed_domains.push_back(std::move(norm));
    }
  }
  if (doc.contains("key_types")) {
    PKI_ASSIGN(auto names, strings(doc["key_types"], "key_types"));
    p.key_types.clear();
    for (const auto& n : names) {
      auto t = keys::parse_key_type(n);
      if (!t) return bad("key_types", t.error().message);
      if (std::find(p.key_types.begin(), p.key_types.end(), *t) == p.key_types.end())
        p.key_types.push_back(*t);
    }
  }
  if (doc.contains("subject")) {
    const json& s = doc["subject"];
    if (!s.is_object()) return bad("subject", "expected {\"required\": [...], \"forbidden\": [...]}");
    PKI_TRY(only_known(s, "subject.", {"required", "forbidden"}));
    if (s.contains("required")) {
      PKI_ASSIGN(p.subject_required, attributes(s["required"], "subject.required"));
    }
    if (s.contains("forbidden")) {
      PKI_ASSIGN(p.subject_forbidden, attributes(s["forbidden"], "subject.forbidden"));
    }
  }
  if (doc.contains("csr_subject")) {
    const json& c = doc["csr_subject"];
    if (!c.is_string() || (c != "keep" && c != "replace"))
      return bad("csr_subject", "expected \"keep\" or \"replace\"");
    p.keep_csr_subject = c == "keep";
  }
  PKI_TRY(check_leaf(p));
  return p;
}

Result<Profile> parse(std::string_view json_text, std::string_view name) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return fail(ErrorCode::kBadInput, "the profile is not valid JSON");
  return from_json(doc, name);
}

nlohmann::ordered_json to_json(const Profile& p) {
  nlohmann::ordered_json j = {
      {"name", p.name},
      {"description", p.description},
      {"validity",
       {{"default", format_duration(p.default_validity)}, {"max", format_duration(p.max_validity)}}}};
  if (p.kind == Kind::kCa) return j;
  j["key_usage"] = cert::key_usage_names(p.key_usage);
  auto eku = nlohmann::ordered_json::array();
  for (const auto& e : p.extended_key_usage) eku.push_back(eku_name(e));
  j["extended_key_usage"] = eku;
  j["cn_to_san"] = p.cn_to_san;
  j["name_required"] = p.name_required;
  auto sans = nlohmann::ordered_json::array();
  for (const auto& t : kSanTypes)
    if (std::find(p.san_types.begin(), p.san_types.end(), t.type) != p.san_types.end())
      sans.push_back(t.name);
  j["san_types"] = sans;
  j["allowed_domains"] = p.allowed_domains;
  auto kt = nlohmann::ordered_json::array();
  for (auto t : p.key_types) kt.push_back(keys::to_string(t));
  j["key_types"] = kt;
  auto required = nlohmann::ordered_json::array(), forbidden = nlohmann::ordered_json::array();
  for (int nid : p.subject_required) required.push_back(attribute_name(nid));
  for (int nid : p.subject_forbidden) forbidden.push_back(attribute_name(nid));
  j["subject"] = nlohmann::ordered_json{{"required", required}, {"forbidden", forbidden}};
  j["csr_subject"] = p.keep_csr_subject ? "keep" : "replace";
  j["cabf"] = p.cabf;
  return j;
}

std::span<const Profile> stock() { return table(); }

bool is_ca_profile(std::string_view name) { return name == kRootCa || name == kIntermediateCa; }

std::string eku_name(std::string_view dotted) {
  for (const auto& purpose : kPurposes)
    if (purpose.oid == dotted) return std::string(purpose.name);
  return std::string(dotted);
}

Result<std::uint16_t> key_usage_for(const Profile& p, keys::KeyType type) {
  using namespace cert::key_usage;
  std::uint16_t can = 0;
  switch (type) {
    case keys::KeyType::kRsa2048:
    case keys::KeyType::kRsa3072:
    case keys::KeyType::kRsa4096:
      can = kDigitalSignature | kNonRepudiation | kKeyEncipherment | kDataEncipherment;
      break;
    case keys::KeyType::kEcP256:
    case keys::KeyType::kEcP384:
      can = kDigitalSignature | kNonRepudiation | kKeyAgreement;
      break;
    case keys::KeyType::kEd25519:
      can = kDigitalSignature | kNonRepudiation;
      break;
  }
  const std::uint16_t usage = p.key_usage & can;
  const std::string key = std::string(keys::to_string(type));
  if (usage == 0)
    return fail(ErrorCode::kRefused,
                "profile '" + p.name + "' gives a " + key +
                    " key no key usage it can have (RFC 5480 3, RFC 8410 5, RFC 3279 2.3.1)");
  if (auto why = unserved_purpose(p, usage))
    return fail(ErrorCode::kRefused, "profile '" + p.name + "' with a " + key + " key: " + *why);
  return usage;
}

std::string describe_limit(const Profile& p) {
  std::string out = "profile '" + p.name + "' allows at most " + days_or_duration(p.max_validity);
  if (p.cabf) out += " (CA/Browser Forum Baseline Requirements 6.3.2)";
  return out;
}

}  // namespace pki::profiles
