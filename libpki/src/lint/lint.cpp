#include "pki/lint/lint.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/keys/keys.h"

namespace pki::lint {

namespace {

using cert::Certificate;
using cert::GeneralNameType;
using cert::ProblemId;
using Detail = std::optional<std::string>;  // a finding's detail, or nullopt when the rule holds
using Check = std::function<Detail(const Certificate&)>;

struct Entry {
  Rule rule;
  Check check;
};

bool is_ca(const Certificate& c) { return c.basic_constraints() && c.basic_constraints()->ca; }

bool may_serve_tls(const Certificate& c) {
  if (is_ca(c) || !c.extended_key_usage()) return false;
  const auto& eku = *c.extended_key_usage();
  return std::find(eku.begin(), eku.end(), oid::kServerAuth) != eku.end() ||
         std::find(eku.begin(), eku.end(), oid::kAnyExtendedKeyUsage) != eku.end();
}

bool in_scope(Scope scope, const Certificate& c) {
  switch (scope) {
    case Scope::kAll:
      return true;
    case Scope::kCa:
      return is_ca(c);
    case Scope::kSubscriber:
      return !is_ca(c);
    case Scope::kTlsServer:
      return may_serve_tls(c);
  }
  return false;
}

// A finding for each parse-time profile breach of kind `id` (Certificate::problems()).
Check problem(ProblemId id) {
  return [id](const Certificate& c) -> Detail {
    for (const auto& p : c.problems())
      if (p.id == id) return p.message;
    return std::nullopt;
  };
}

const cert::ExtensionInfo* extension(const Certificate& c, std::string_view oid) {
  for (const auto& e : c.extensions())
    if (e.oid == oid) return &e;
  return nullptr;
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      // RFC 5280: what a certificate is.
      {{"e_invalid_certificate_version", Level::kError, Scope::kAll, "RFC 5280 4.1.2.1",
        "a certificate with extensions is version 3"},
       problem(ProblemId::kBadVersion)},
      {{"e_serial_number_not_positive", Level::kError, Scope::kAll, "RFC 5280 4.1.2.2",
        "the serial number is a positive integer"},
       cert::serial_not_positive},
      {{"e_serial_number_longer_than_20_octets", Level::kError, Scope::kAll, "RFC 5280 4.1.2.2",
        "the serial number takes at most 20 octets"},
       cert::serial_too_long},
      {{"e_issuer_field_empty", Level::kError, Scope::kAll, "RFC 5280 4.1.2.4",
        "the issuer name is not empty"},
       problem(ProblemId::kEmptyIssuer)},
      {{"e_validity_time_not_positive", Level::kError, Scope::kAll, "RFC 5280 4.1.2.5",
        "notAfter is after notBefore"},
       [](const Certificate& c) -> Detail {
         if (c.not_after() <= c.not_before()) return "notAfter is not after notBefore";
         return std::nullopt;
       }},
      {{"e_validity_time_encoding", Level::kError, Scope::kAll, "RFC 5280 4.1.2.5.1, 4.1.2.5.2",
        "times before 2050 as UTCTime, from 2050 as GeneralizedTime, in Zulu with seconds"},
       problem(ProblemId::kTimeEncoding)},
      {{"e_ext_duplicate_extension", Level::kError, Scope::kAll, "RFC 5280 4.2",
        "no extension appears twice"},
       problem(ProblemId::kDuplicateExtension)},
      {{"e_ext_malformed", Level::kError, Scope::kAll, "RFC 5280 4.2",
        "every extension pki knows decodes and keeps its own rules"},
       problem(ProblemId::kMalformedExtension)},
      {{"e_ext_must_be_non_critical", Level::kError, Scope::kAll, "RFC 5280 4.2.1.1, 4.2.1.2, 4.2.2.1",
        "authority and subject key identifiers and information access are not critical (zlint "
        "e_ext_aki_critical, e_ext_ski_critical, e_ext_aia_marked_critical)"},
       problem(ProblemId::kMustBeNonCritical)},
      {{"e_ext_authority_key_identifier_missing", Level::kError, Scope::kAll, "RFC 5280 4.2.1.1",
        "every certificate but a self-signed one names its issuer's key"},
       problem(ProblemId::kNoAuthorityKeyId)},
      {{"e_ext_subject_key_identifier_missing_ca", Level::kError, Scope::kCa, "RFC 5280 4.2.1.2",
        "a CA certificate carries a subjectKeyIdentifier"},
       problem(ProblemId::kCaWithoutSubjectKeyId)},
      {{"e_ext_san_not_critical_without_subject", Level::kError, Scope::kAll, "RFC 5280 4.2.1.6",
        "with an empty subject, subjectAltName is present and critical"},
       problem(ProblemId::kEmptySubjectWithoutCriticalSan)},
      {{"e_ca_subject_field_empty", Level::kError, Scope::kCa, "RFC 5280 4.1.2.6",
        "a CA's subject is not empty"},
       problem(ProblemId::kCaWithEmptySubject)},
      {{"e_path_len_constraint_improperly_included", Level::kError, Scope::kAll, "RFC 5280 4.2.1.9",
        "pathLenConstraint only with cA"},
       problem(ProblemId::kPathLenWithoutCa)},
      {{"e_ext_key_usage_cert_sign_without_ca", Level::kError, Scope::kAll, "RFC 5280 4.2.1.3, 4.2.1.9",
        "keyCertSign only in a CA certificate"},
       problem(ProblemId::kKeyCertSignWithoutCa)},
      {{"e_name_constraint_on_non_ca", Level::kError, Scope::kAll, "RFC 5280 4.2.1.10",
        "nameConstraints only in a CA certificate"},
       problem(ProblemId::kNameConstraintsWithoutCa)},
      {{"e_not_der", Level::kError, Scope::kAll, "RFC 5280 4.1, X.690 10-11",
        "the certificate and each extension's value are DER: minimal lengths and integers, BOOLEAN "
        "00 or FF, BIT STRING unused bits zero, no constructed strings"},
       problem(ProblemId::kNotDer)},
      {{"e_empty_rdn", Level::kError, Scope::kAll, "RFC 5280 4.1.2.4",
        "each relative distinguished name of the subject and issuer has one or more attributes"},
       problem(ProblemId::kMalformedName)},
      {{"e_basic_constraints_not_critical", Level::kError, Scope::kCa, "RFC 5280 4.2.1.9",
        "a CA certificate's basicConstraints is critical"},
       [](const Certificate& c) -> Detail {
         const auto* e = extension(c, oid::kBasicConstraints);
         if (e && !e->critical) return "basicConstraints is not critical";
         return std::nullopt;
       }},
      {{"e_ca_key_usage_missing", Level::kError, Scope::kCa, "RFC 5280 4.2.1.3",
        "a CA certificate carries keyUsage"},
       [](const Certificate& c) -> Detail {
         if (!c.key_usage()) return "no keyUsage";
         return std::nullopt;
       }},
      {{"e_ca_key_cert_sign_not_set", Level::kError, Scope::kCa, "RFC 5280 4.2.1.3",
        "a CA certificate's keyUsage has keyCertSign"},
       [](const Certificate& c) -> Detail {
         if (c.key_usage() && !(*c.key_usage() & cert::key_usage::kKeyCertSign))
           return "keyCertSign is not set";
         return std::nullopt;
       }},
      {{"e_ext_key_usage_without_bits", Level::kError, Scope::kAll, "RFC 5280 4.2.1.3",
        "keyUsage, when present, has a bit set"},
       [](const Certificate& c) -> Detail {
         if (c.key_usage() && *c.key_usage() == 0) return "keyUsage has no bit set";
         return std::nullopt;
       }},
      {{"e_ext_san_empty_name", Level::kError, Scope::kAll, "RFC 5280 4.2.1.6",
        "subjectAltName, when present, names something, and no name in it is empty"},
       [](const Certificate& c) -> Detail {
         if (!c.subject_alt_names()) return std::nullopt;
         if (c.subject_alt_names()->empty()) return "subjectAltName is empty";
         for (const auto& n : *c.subject_alt_names())
           if ((n.type == GeneralNameType::kDns || n.type == GeneralNameType::kEmail ||
                n.type == GeneralNameType::kUri) &&
               n.text.empty())
             return "an empty " + cert::to_string(n);
         return std::nullopt;
       }},
      {{"e_san_dns_name_invalid", Level::kError, Scope::kAll, "RFC 5280 4.2.1.6, RFC 1034 3.5",
        "each DNS name is a host name, a wildcard only as the whole leftmost label (zlint "
        "e_dnsname_bad_character_in_label, e_dnsname_label_too_long, e_dnsname_empty_label, "
        "e_dnsname_hyphen_in_sld, e_dnsname_wildcard_only_in_left_label)"},
       [](const Certificate& c) -> Detail {
         if (!c.subject_alt_names()) return std::nullopt;
         for (const auto& n : *c.subject_alt_names())
           if (n.type == GeneralNameType::kDns)
             if (auto bad = cert::parse_dns_name(n.text, "DNS name", cert::Wildcard::kAllow); !bad)
               return bad.error().message;
         return std::nullopt;
       }},
      {{"e_san_ip_address_length", Level::kError, Scope::kAll, "RFC 5280 4.2.1.6",
        "an IP address is 4 octets (IPv4) or 16 (IPv6)"},
       [](const Certificate& c) -> Detail {
         if (!c.subject_alt_names()) return std::nullopt;
         for (const auto& n : *c.subject_alt_names())
           if (n.type == GeneralNameType::kIp && n.bytes.size() != 4 && n.bytes.size() != 16)
             return "an IP address of " + std::to_string(n.bytes.size()) + " octets";
         return std::nullopt;
       }},
      {{"e_rsa_public_exponent_not_odd", Level::kError, Scope::kAll, "RFC 3279 2.3.1, NIST SP 800-89 5.3.3",
        "an RSA public exponent is odd and above 1"},
       [](const Certificate& c) -> Detail {
         const EVP_PKEY* key = c.public_key();
         if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return std::nullopt;
         if (auto sound = keys::check_public_key(*key); !sound) return sound.error().message;
         return std::nullopt;
       }},
      {{"w_ext_name_constraints_not_critical", Level::kWarning, Scope::kCa, "RFC 5280 4.2.1.10",
        "nameConstraints is critical (RFC 5280 says MUST; the Baseline Requirements allow it not)"},
       [](const Certificate& c) -> Detail {
         const auto* e = extension(c, oid::kNameConstraints);
         if (e && !e->critical) return "nameConstraints is not critical";
         return std::nullopt;
       }},
      {{"w_sub_cert_eku_missing", Level::kWarning, Scope::kSubscriber, "CABF BR 7.1.2.3 (f)",
        "a subscriber certificate says what it is for (extendedKeyUsage): without it, it serves any purpose"},
       [](const Certificate& c) -> Detail {
         if (!c.extended_key_usage()) return "no extendedKeyUsage";
         return std::nullopt;
       }},
      // CA/Browser Forum Baseline Requirements, for certificates that may serve TLS.
      {{"e_sub_cert_valid_time_longer_than_398_days", Level::kError, Scope::kTlsServer, "CABF BR 6.3.2",
        "a TLS server certificate is valid for at most 398 days"},
       [](const Certificate& c) -> Detail {
         // The validity period includes both ends (BR 1.6.1: "inclusive"), so 398 days is 398 * 86400 s - 1.
         const auto seconds =
             std::chrono::duration_cast<std::chrono::seconds>(c.not_after() - c.not_before()).count();
         if (seconds + 1 > 398 * 86400LL)
           return "valid for " + std::to_string((seconds + 1) / 86400) + " days and " +
                  std::to_string((seconds + 1) % 86400) + " s";
         return std::nullopt;
       }},
      {{"e_ext_san_missing", Level::kError, Scope::kTlsServer, "CABF BR 7.1.4.2.1",
        "a TLS server certificate names its hosts in subjectAltName"},
       [](const Certificate& c) -> Detail {
         if (!c.subject_alt_names() || c.subject_alt_names()->empty()) return "no subjectAltName";
         return std::nullopt;
       }},
      {{"e_subject_common_name_not_from_san", Level::kError, Scope::kTlsServer, "CABF BR 7.1.4.2.2",
        "a TLS server certificate's CN, if any, is one of its subjectAltName entries"},
       [](const Certificate& c) -> Detail {
         const std::string cn = cert::common_name(c.subject());
         if (cn.empty() || !c.subject_alt_names()) return std::nullopt;
         for (const auto& n : *c.subject_alt_names()) {
           if (n.type == GeneralNameType::kDns && n.text.size() == cn.size() &&
               std::equal(cn.begin(), cn.end(), n.text.begin(), [](char a, char b) {
                 return std::tolower(static_cast<unsigned char>(a)) ==
                        std::tolower(static_cast<unsigned char>(b));
               }))
             return std::nullopt;
           if (n.type == GeneralNameType::kIp)
             if (auto ip = cert::parse_ip(cn); ip && *ip == n.bytes) return std::nullopt;
         }
         return "the CN '" + cn + "' is not in subjectAltName";
       }},
      {{"e_sub_cert_key_usage_cert_sign_bit_set", Level::kError, Scope::kTlsServer, "CABF BR 7.1.2.3 (e)",
        "a TLS server certificate's keyUsage has neither keyCertSign nor cRLSign"},
       [](const Certificate& c) -> Detail {
         if (c.key_usage() && (*c.key_usage() & (cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign)))
           return "keyUsage has keyCertSign or cRLSign";
         return std::nullopt;
       }},
      {{"e_rsa_mod_less_than_2048_bits", Level::kError, Scope::kTlsServer, "CABF BR 6.1.5",
        "an RSA key has at least 2048 bits"},
       [](const Certificate& c) -> Detail {
         const EVP_PKEY* key = c.public_key();
         if (key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048)
           return "an RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
         return std::nullopt;
       }},
      {{"e_ec_improper_curves", Level::kError, Scope::kTlsServer, "CABF BR 6.1.5",
        "an EC key is on P-256, P-384 or P-521"},
       [](const Certificate& c) -> Detail {
         const EVP_PKEY* key = c.public_key();
         if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return std::nullopt;
         char group[64] = {};
         std::size_t len = 0;
         if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
           return "an EC key without a named curve";
         const std::string_view g(group, len);
         if (g != "prime256v1" && g != "secp384r1" && g != "secp521r1")
           return "an EC key on " + std::string(g);
         return std::nullopt;
       }},
  };
  return entries;
}

}  // namespace

std::string_view to_string(Level level) { return level == Level::kError ? "error" : "warning"; }

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::kAll:
      return "all";
    case Scope::kCa:
      return "ca";
    case Scope::kSubscriber:
      return "subscriber";
    case Scope::kTlsServer:
      return "tls-server";
  }
  return "all";
}

std::span<const Rule> rules() {
  static const std::vector<Rule> list = [] {
    std::vector<Rule> out;
    for (const auto& e : table()) out.push_back(e.rule);
    return out;
  }();
  return list;
}

std::vector<Finding> check(const cert::Certificate& cert, Baseline baseline) {
  std::vector<Finding> out;
  const auto& entries = table();
  const auto all = rules();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!in_scope(entries[i].rule.scope, cert)) continue;
    if (baseline == Baseline::kSkip && entries[i].rule.source.starts_with("CABF")) continue;
    if (auto detail = entries[i].check(cert)) out.push_back({&all[i], std::move(*detail)});
  }
  return out;
}

bool has_error(std::span<const Finding> findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.rule->level == Level::kError; });
}

Result<void> check_before_signing(BytesView tbs_der, BytesView signature_algorithm, Baseline baseline) {
  const Bytes unsigned_der = cert::signed_structure(tbs_der, signature_algorithm, {});
  PKI_ASSIGN(auto parsed, cert::Certificate::from_der_key_apart(unsigned_der));
  const auto findings = check(*parsed, baseline);
  std::string errors;
  for (const auto& f : findings) {
    if (f.rule->level != Level::kError) continue;
    if (!errors.empty()) errors += "; ";
    errors += std::string(f.rule->name) + " (" + std::string(f.rule->source) + "): " + f.detail;
  }
  if (!errors.empty())
    return fail(ErrorCode::kRefused, "the certificate would break the lint rules: " + errors);
  return {};
}

}  // namespace pki::lint
