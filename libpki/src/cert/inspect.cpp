#include "pki/cert/inspect.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "pki/cert/certificate.h"
#include "pki/cert/crl.h"
#include "pki/cert/crl_reason.h"
#include "pki/cert/general_name.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/keys/keys.h"

namespace pki::cert {

namespace {

// Extensions pki decodes, by RFC name. RFC 5280 4.2 and 5.2-5.3 unless noted.
struct KnownExtension {
  std::string_view oid;
  std::string_view name;
};
constexpr std::array<KnownExtension, 29> kKnownExtensions{{
    {"2.5.29.9", "subjectDirectoryAttributes"},
    {oid::kSubjectKeyIdentifier, "subjectKeyIdentifier"},
    {oid::kKeyUsage, "keyUsage"},
    {"2.5.29.16", "privateKeyUsagePeriod"},  // RFC 3280 4.2.1.4 (dropped from RFC 5280)
    {oid::kSubjectAltName, "subjectAltName"},
    {oid::kIssuerAltName, "issuerAltName"},
    {oid::kBasicConstraints, "basicConstraints"},
    {oid::kCrlNumber, "cRLNumber"},
    {oid::kCrlReason, "reasonCode"},
    {"2.5.29.23", "holdInstructionCode"},
    {oid::kInvalidityDate, "invalidityDate"},
    {oid::kDeltaCrlIndicator, "deltaCRLIndicator"},
    {oid::kIssuingDistributionPoint, "issuingDistributionPoint"},
    {oid::kCertificateIssuer, "certificateIssuer"},
    {oid::kNameConstraints, "nameConstraints"},
    {oid::kCrlDistributionPoints, "cRLDistributionPoints"},
    {oid::kCertificatePolicies, "certificatePolicies"},
    {oid::kPolicyMappings, "policyMappings"},
    {oid::kAuthorityKeyIdentifier, "authorityKeyIdentifier"},
    {oid::kPolicyConstraints, "policyConstraints"},
    {oid::kExtKeyUsage, "extKeyUsage"},
    {oid::kFreshestCrl, "freshestCRL"},
    {oid::kInhibitAnyPolicy, "inhibitAnyPolicy"},
    {oid::kAuthorityInfoAccess, "authorityInfoAccess"},
    {oid::kSubjectInfoAccess, "subjectInfoAccess"},
    {"1.3.6.1.5.5.7.1.24", "tlsFeature"},                   // RFC 7633
    {"1.3.6.1.5.5.7.48.1.5", "ocspNoCheck"},                // RFC 6960 4.2.2.2.1
    {"1.3.6.1.4.1.11129.2.4.2", "ctPrecertificateSCTs"},    // RFC 6962 3.3
    {"1.3.6.1.4.1.11129.2.4.3", "ctPrecertificatePoison"},  // RFC 6962 3.1
}};

std::string_view known_name(std::string_view oid) {
  for (const auto& k : kKnownExtensions)
    if (k.oid == oid) return k.name;
  return {};
}

// Control characters in text taken from the input are shown escaped.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string string_text(const ASN1_STRING* s) {
  if (!s) return "";
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) {
    drain_openssl_errors();
    return "#" + to_hex(BytesView(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))));
  }
  std::string out =
      printable(std::string_view(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n)));
  OPENSSL_free(utf8);
  return out;
}

std::string integer_decimal(const ASN1_INTEGER* i) {
  if (!i) return "";
  OsslPtr<BIGNUM> bn(ASN1_INTEGER_to_BN(i, nullptr));
  if (!bn) return "?";
  char* dec = BN_bn2dec(bn.get());
  if (!dec) return "?";
  std::string out(dec);
  OPENSSL_free(dec);
  return out;
}

std::string integer_hex(const ASN1_INTEGER* i) {
  const std::string mag =
      serial_to_hex(BytesView(ASN1_STRING_get0_data(i), static_cast<std::size_t>(ASN1_STRING_length(i))));
  return ASN1_STRING_type(i) == V_ASN1_NEG_INTEGER ? "-" + mag : mag;
}

std::string octets_hex(const ASN1_STRING* s) {
  return to_hex(BytesView(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s))));
}

std::string time_text(const ASN1_TIME* t) {
  if (!t) return "";
  auto tp = from_asn1_time(*t);
  return tp ? format_rfc3339(*tp) : "#" + octets_hex(t);
}

std::vector<std::string> names_text(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    auto gn = from_openssl(*sk_GENERAL_NAME_value(names, i));
    out.push_back(gn ? printable(to_string(*gn)) : std::string("#malformed"));
  }
  return out;
}

// ReasonFlags (RFC 5280 4.2.1.13): bit 0 is unused.
std::vector<std::string> reason_flags(std::uint16_t bits) {
  static constexpr std::array<std::string_view, 9> kNames{
      "unused",      "keyCompromise",        "cACompromise",    "affiliationChanged",
      "superseded",  "cessationOfOperation", "certificateHold", "privilegeWithdrawn",
      "aACompromise"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (bits & (1u << i)) out.emplace_back(kNames[i]);
  return out;
}

std::string distribution_point_text(const DIST_POINT_NAME* name, const ASN1_BIT_STRING* reasons,
                                    const GENERAL_NAMES* crl_issuer) {
  std::string out;
  if (name && name->type == 0) {
    for (const auto& n : names_text(name->name.fullname)) out += (out.empty() ? "" : ", ") + n;
  } else if (name) {
    auto dp = distribution_point_from(name, nullptr, nullptr);
    out = "relative " + (dp && dp->relative_name ? format_dn(*dp->relative_name) : std::string("#malformed"));
  }
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (reasons) {
    std::string r;
    for (const auto& n : reason_flags(named_bits(*reasons))) r += (r.empty() ? "" : ",") + n;
    add("reasons " + r);
  }
  if (crl_issuer) {
    std::string r;
    for (const auto& n : names_text(crl_issuer)) r += (r.empty() ? "" : ", ") + n;
    add("CRL issuer " + r);
  }
  return out.empty() ? "(empty)" : out;
}

// Decodes extnValue as `item`, requiring every byte to be used.
template <class T>
OsslPtr<T> decode_value(const ASN1_OCTET_STRING& data, const ASN1_ITEM* item) {
  const unsigned char* p = ASN1_STRING_get0_data(&data);
  const long len = ASN1_STRING_length(&data);
  OsslPtr<T> out(reinterpret_cast<T*>(ASN1_item_d2i(nullptr, &p, len, item)));
  if (out && p != ASN1_STRING_get0_data(&data) + len) out.reset();
  return out;
}

// Types without an OsslDeleter: freed through their ASN1_ITEM.
struct ItemDeleter {
  const ASN1_ITEM* item;
  void operator()(void* p) const { ASN1_item_free(static_cast<ASN1_VALUE*>(p), item); }
};
template <class T>
std::unique_ptr<T, ItemDeleter> decode_item(const ASN1_OCTET_STRING& data, const ASN1_ITEM* item) {
  const unsigned char* p = ASN1_STRING_get0_data(&data);
  const long len = ASN1_STRING_length(&data);
  std::unique_ptr<T, ItemDeleter> out(reinterpret_cast<T*>(ASN1_item_d2i(nullptr, &p, len, item)),
                                      ItemDeleter{item});
  if (out && p != ASN1_STRING_get0_data(&data) + len) out.reset();
  return out;
}

struct Fields {
  std::vector<InspectedField>& out;
  void boolean(std::string key, bool v) {
    out.push_back({std::move(key), FieldKind::kBoolean, {v ? "true" : "false"}});
  }
  void integer(std::string key, std::string v) {
    out.push_back({std::move(key), FieldKind::kInteger, {std::move(v)}});
  }
  void text(std::string key, std::string v) {
    out.push_back({std::move(key), FieldKind::kText, {std::move(v)}});
  }
  void list(std::string key, std::vector<std::string> v) {
    out.push_back({std::move(key), FieldKind::kList, std::move(v)});
  }
};

std::string access_method_key(const ASN1_OBJECT& method) {
  const std::string id = oid_text(method);
  if (id == "1.3.6.1.5.5.7.48.1") return "ocsp";
  if (id == "1.3.6.1.5.5.7.48.2") return "ca_issuers";
  if (id == "1.3.6.1.5.5.7.48.3") return "time_stamping";
  if (id == "1.3.6.1.5.5.7.48.5") return "ca_repository";
  return id;
}

std::string policy_text(const POLICYINFO& info) {
  std::string out = oid_text(*info.policyid);
  if (out == oid::kAnyPolicy) out += " (anyPolicy)";
  std::string qualifiers;
  for (int q = 0; q < sk_POLICYQUALINFO_num(info.qualifiers); ++q) {
    const POLICYQUALINFO* pq = sk_POLICYQUALINFO_value(info.qualifiers, q);
    const int nid = OBJ_obj2nid(pq->pqualid);
    std::string part;
    if (nid == NID_id_qt_cps) {
      part = "CPS " + string_text(pq->d.cpsuri);
    } else if (nid == NID_id_qt_unotice) {
      part = "user notice";
      if (pq->d.usernotice && pq->d.usernotice->exptext)
        part += " \"" + string_text(pq->d.usernotice->exptext) + "\"";
      if (pq->d.usernotice && pq->d.usernotice->noticeref)
        part += " (" + string_text(pq->d.usernotice->noticeref->organization) + ")";
    } else {
      part = "qualifier " + oid_text(*pq->pqualid);
    }
    qualifiers += (qualifiers.empty() ? "" : "; ") + part;
  }
  if (!qualifiers.empty()) out += " [" + qualifiers + "]";
  return out;
}

// A DER value shown for people: strings and times as text, anything else in hex.
std::string der_value_text(const der::Tlv& v) {
  switch (v.tag) {
    case der::tag::kUtf8String:
    case der::tag::kIa5String:
    case 0x13:  // PrintableString
    case 0x1a:  // VisibleString
      return printable(as_chars(v.content));
    case der::tag::kGeneralizedTime:
    case der::tag::kUtcTime:
      return std::string(as_chars(v.content));
    default:
      return "#" + to_hex(v.whole);
  }
}

// subjectDirectoryAttributes (RFC 5280 4.2.1.8): SEQUENCE SIZE (1..MAX) OF Attribute.
bool subject_directory_attributes(BytesView value, Fields& f) {
  auto seq = der::read(value);
  if (!seq || seq->tag != der::tag::kSequence || !value.empty()) return false;
  std::vector<std::string> out;
  BytesView attrs = seq->content;
  while (!attrs.empty()) {
    auto attr = der::read(attrs);
    if (!attr || attr->tag != der::tag::kSequence) return false;
    BytesView body = attr->content;
    auto type = der::read(body);
    auto values = der::read(body);
    if (!type || type->tag != der::tag::kOid || !values || values->tag != der::tag::kSet || !body.empty())
      return false;
    const unsigned char* p = type->whole.data();
    OsslPtr<ASN1_OBJECT> obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(type->whole.size())));
    if (!obj) return false;
    std::string text = oid_name(*obj) + ":";
    BytesView vs = values->content;
    while (!vs.empty()) {
      auto v = der::read(vs);
      if (!v) return false;
      text += " " + der_value_text(*v);
    }
    out.push_back(std::move(text));
  }
  if (out.empty()) return false;
  f.list("attributes", std::move(out));
  return true;
}

// SignedCertificateTimestampList (RFC 6962 3.3): an OCTET STRING of a TLS-encoded list.
bool signed_certificate_timestamps(BytesView value, Fields& f) {
  auto octets = der::read(value);
  if (!octets || octets->tag != der::tag::kOctetString || !value.empty()) return false;
  BytesView in = octets->content;
  auto u16 = [](BytesView b, std::size_t at) { return static_cast<std::size_t>(b[at] << 8 | b[at + 1]); };
  if (in.size() < 2 || u16(in, 0) != in.size() - 2) return false;
  in = in.subspan(2);
  std::vector<std::string> out;
  while (!in.empty()) {
    if (in.size() < 2) return false;
    const std::size_t len = u16(in, 0);
    if (in.size() < 2 + len) return false;
    const BytesView sct = in.subspan(2, len);
    in = in.subspan(2 + len);
    // version (1), log id (32), timestamp in milliseconds (8), ...
    if (sct.size() < 41) return false;
    std::uint64_t ms = 0;
    for (std::size_t i = 33; i < 41; ++i) ms = ms << 8 | sct[i];
    const TimePoint at{std::chrono::seconds(static_cast<std::int64_t>(ms / 1000))};
    out.push_back("v" + std::to_string(sct[0] + 1) + " log " + to_hex(sct.subspan(1, 32)) + " at " +
                  format_rfc3339(at));
  }
  f.list("timestamps", std::move(out));
  return true;
}

// TLS Feature (RFC 7633): SEQUENCE OF INTEGER, TLS extension numbers.
bool tls_features(BytesView value, Fields& f) {
  auto seq = der::read(value);
  if (!seq || seq->tag != der::tag::kSequence || !value.empty()) return false;
  std::vector<std::string> out;
  BytesView items = seq->content;
  while (!items.empty()) {
    auto i = der::read(items);
    if (!i || i->tag != der::tag::kInteger || i->content.empty() || i->content.size() > 2) return false;
    unsigned n = 0;
    for (auto b : i->content) n = n << 8 | b;
    out.push_back(n == 5 ? "status_request" : n == 17 ? "status_request_v2" : std::to_string(n));
  }
  f.list("features", std::move(out));
  return true;
}

bool is_der_null(BytesView value) {
  return value.size() == 2 && value[0] == der::tag::kNull && value[1] == 0;
}

// Decodes a known extension's value into `f`; false when it does not decode.
bool decode_known(std::string_view id, const ASN1_OCTET_STRING& data, Fields& f) {
  const BytesView value(ASN1_STRING_get0_data(&data), static_cast<std::size_t>(ASN1_STRING_length(&data)));
  if (id == oid::kBasicConstraints) {
    auto bc = decode_value<BASIC_CONSTRAINTS>(data, ASN1_ITEM_rptr(BASIC_CONSTRAINTS));
    if (!bc) return false;
    f.boolean("ca", bc->ca != 0);
    if (bc->pathlen) f.integer("path_len", integer_decimal(bc->pathlen));
  } else if (id == oid::kKeyUsage) {
    auto ku = decode_value<ASN1_STRING>(data, ASN1_ITEM_rptr(ASN1_BIT_STRING));
    if (!ku) return false;
    f.list("usages", key_usage_names(named_bits(*ku)));
  } else if (id == oid::kExtKeyUsage) {
    auto eku = decode_value<EXTENDED_KEY_USAGE>(data, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE));
    if (!eku) return false;
    std::vector<std::string> purposes;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i)
      purposes.push_back(oid_name(*sk_ASN1_OBJECT_value(eku.get(), i)));
    f.list("purposes", std::move(purposes));
  } else if (id == oid::kSubjectAltName || id == oid::kIssuerAltName || id == oid::kCertificateIssuer) {
    auto names = decode_value<GENERAL_NAMES>(data, ASN1_ITEM_rptr(GENERAL_NAMES));
    if (!names) return false;
    f.list("names", names_text(names.get()));
  } else if (id == oid::kSubjectKeyIdentifier) {
    auto ski = decode_value<ASN1_STRING>(data, ASN1_ITEM_rptr(ASN1_OCTET_STRING));
    if (!ski) return false;
    f.text("key_id", octets_hex(ski.get()));
  } else if (id == oid::kAuthorityKeyIdentifier) {
    auto aki = decode_value<AUTHORITY_KEYID>(data, ASN1_ITEM_rptr(AUTHORITY_KEYID));
    if (!aki) return false;
    if (aki->keyid) f.text("key_id", octets_hex(aki->keyid));
    if (aki->issuer) f.list("issuer", names_text(aki->issuer));
    if (aki->serial) f.text("serial", integer_hex(aki->serial));
  } else if (id == oid::kCrlDistributionPoints || id == oid::kFreshestCrl) {
    auto dps = decode_value<CRL_DIST_POINTS>(data, ASN1_ITEM_rptr(CRL_DIST_POINTS));
    if (!dps) return false;
    std::vector<std::string> out;
    for (int i = 0; i < sk_DIST_POINT_num(dps.get()); ++i) {
      const DIST_POINT* d = sk_DIST_POINT_value(dps.get(), i);
      out.push_back(distribution_point_text(d->distpoint, d->reasons, d->CRLissuer));
    }
    f.list("distribution_points", std::move(out));
  } else if (id == oid::kAuthorityInfoAccess || id == oid::kSubjectInfoAccess) {
    auto info = decode_value<AUTHORITY_INFO_ACCESS>(data, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS));
    if (!info) return false;
    std::vector<std::pair<std::string, std::vector<std::string>>> by_method;
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(info.get()); ++i) {
      const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(info.get(), i);
      const std::string key = access_method_key(*ad->method);
      auto gn = from_openssl(*ad->location);
      const std::string where = gn ? printable(to_string(*gn)) : std::string("#malformed");
      auto it =
          std::find_if(by_method.begin(), by_method.end(), [&](const auto& m) { return m.first == key; });
      if (it == by_method.end()) {
        by_method.push_back({key, {where}});
      } else {
        it->second.push_back(where);
      }
    }
    for (auto& [key, where] : by_method) f.list(key, std::move(where));
  } else if (id == oid::kCertificatePolicies) {
    auto cp = decode_value<CERTIFICATEPOLICIES>(data, ASN1_ITEM_rptr(CERTIFICATEPOLICIES));
    if (!cp) return false;
    std::vector<std::string> out;
    for (int i = 0; i < sk_POLICYINFO_num(cp.get()); ++i)
      out.push_back(policy_text(*sk_POLICYINFO_value(cp.get(), i)));
    f.list("policies", std::move(out));
  } else if (id == oid::kNameConstraints) {
    auto nc = decode_value<NAME_CONSTRAINTS>(data, ASN1_ITEM_rptr(NAME_CONSTRAINTS));
    if (!nc) return false;
    auto subtrees = [](const STACK_OF(GENERAL_SUBTREE) * s) {
      std::vector<std::string> out;
      for (int i = 0; i < sk_GENERAL_SUBTREE_num(s); ++i) {
        auto gn = from_openssl(*sk_GENERAL_SUBTREE_value(s, i)->base);
        out.push_back(gn ? printable(to_string(*gn)) : std::string("#malformed"));
      }
      return out;
    };
    f.list("permitted", subtrees(nc->permittedSubtrees));
    f.list("excluded", subtrees(nc->excludedSubtrees));
  } else if (id == oid::kPolicyMappings) {
    auto pm = decode_value<POLICY_MAPPINGS>(data, ASN1_ITEM_rptr(POLICY_MAPPINGS));
    if (!pm) return false;
    std::vector<std::string> out;
    for (int i = 0; i < sk_POLICY_MAPPING_num(pm.get()); ++i) {
      const POLICY_MAPPING* m = sk_POLICY_MAPPING_value(pm.get(), i);
      out.push_back(oid_text(*m->issuerDomainPolicy) + " -> " + oid_text(*m->subjectDomainPolicy));
    }
    f.list("mappings", std::move(out));
  } else if (id == oid::kPolicyConstraints) {
    auto pc = decode_value<POLICY_CONSTRAINTS>(data, ASN1_ITEM_rptr(POLICY_CONSTRAINTS));
    if (!pc) return false;
    if (pc->requireExplicitPolicy)
      f.integer("require_explicit_policy", integer_decimal(pc->requireExplicitPolicy));
    if (pc->inhibitPolicyMapping)
      f.integer("inhibit_policy_mapping", integer_decimal(pc->inhibitPolicyMapping));
  } else if (id == oid::kInhibitAnyPolicy || id == oid::kCrlNumber || id == oid::kDeltaCrlIndicator) {
    auto n = decode_value<ASN1_STRING>(data, ASN1_ITEM_rptr(ASN1_INTEGER));
    if (!n) return false;
    f.integer(id == oid::kInhibitAnyPolicy ? "skip_certs"
              : id == oid::kCrlNumber      ? "number"
                                           : "base_crl_number",
              integer_decimal(n.get()));
  } else if (id == oid::kIssuingDistributionPoint) {
    auto idp = decode_value<ISSUING_DIST_POINT>(data, ASN1_ITEM_rptr(ISSUING_DIST_POINT));
    if (!idp) return false;
    if (idp->distpoint)
      f.text("distribution_point", distribution_point_text(idp->distpoint, nullptr, nullptr));
    f.boolean("only_user_certs", idp->onlyuser > 0);
    f.boolean("only_ca_certs", idp->onlyCA > 0);
    f.boolean("only_attribute_certs", idp->onlyattr > 0);
    f.boolean("indirect_crl", idp->indirectCRL > 0);
    if (idp->onlysomereasons) f.list("only_some_reasons", reason_flags(named_bits(*idp->onlysomereasons)));
  } else if (id == oid::kCrlReason) {
    auto code = decode_value<ASN1_STRING>(data, ASN1_ITEM_rptr(ASN1_ENUMERATED));
    if (!code) return false;
    auto reason = crl_reason_from_code(ASN1_ENUMERATED_get(code.get()));
    if (!reason) return false;
    f.text("reason", std::string(to_string(*reason)));
  } else if (id == oid::kInvalidityDate) {
    auto t = decode_value<ASN1_STRING>(data, ASN1_ITEM_rptr(ASN1_GENERALIZEDTIME));
    if (!t) return false;
    f.text("date", time_text(t.get()));
  } else if (id == "2.5.29.23") {
    auto o = decode_value<ASN1_OBJECT>(data, ASN1_ITEM_rptr(ASN1_OBJECT));
    if (!o) return false;
    f.text("instruction", oid_name(*o));
  } else if (id == "2.5.29.16") {
    auto period = decode_item<PKEY_USAGE_PERIOD>(data, ASN1_ITEM_rptr(PKEY_USAGE_PERIOD));
    if (!period) return false;
    if (period->notBefore) f.text("not_before", time_text(period->notBefore));
    if (period->notAfter) f.text("not_after", time_text(period->notAfter));
  } else if (id == "2.5.29.9") {
    return subject_directory_attributes(value, f);
  } else if (id == "1.3.6.1.4.1.11129.2.4.2") {
    return signed_certificate_timestamps(value, f);
  } else if (id == "1.3.6.1.5.5.7.1.24") {
    return tls_features(value, f);
  } else if (id == "1.3.6.1.5.5.7.48.1.5" || id == "1.3.6.1.4.1.11129.2.4.3") {
    return is_der_null(value);  // a NULL value, nothing to show
  } else {
    return false;
  }
  return true;
}

std::vector<InspectedExtension> inspect_extensions(const STACK_OF(X509_EXTENSION) * exts) {
  std::vector<InspectedExtension> out;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i)
    out.push_back(inspect_extension(*sk_X509_EXTENSION_value(exts, i)));
  return out;
}

std::string algorithm_name(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  if (alg) X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  if (!obj) return "unknown";
  const int nid = OBJ_obj2nid(obj);
  return nid != NID_undef ? OBJ_nid2ln(nid) : oid_text(*obj);
}

std::optional<std::string> ec_curve(const EVP_PKEY& key) {
  char group[64] = {0};
  std::size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len)) {
    drain_openssl_errors();
    return std::nullopt;
  }
  const int nid = OBJ_txt2nid(group);
  const char* nist = nid != NID_undef ? EC_curve_nid2nist(nid) : nullptr;
  return std::string(nist ? nist : group);
}

template <class T, class D2i>
OsslPtr<T> decode_whole(BytesView der, D2i d2i) {
  const unsigned char* p = der.data();
  OsslPtr<T> out(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (out && p != der.data() + der.size()) out.reset();
  return out;
}

Result<InspectedKey> inspect_key(const keys::DecodedKey& decoded) {
  InspectedKey out;
  out.format = decoded.format;
  out.encrypted = !decoded.encryption.empty();
  out.encryption = decoded.encryption;
  if (decoded.key) {
    PKI_ASSIGN(out.public_key, public_key_info(*decoded.key));
  }
  return out;
}

// Every key derivation the file would have OpenSSL run (its MAC, encrypted safes, shrouded key
// bags, bags nested in safeContents bags), counted together against keys::kMaxKdfIterations
// before any runs. The bags of an encrypted safe are seen only once it is decrypted with `pass`
// (as PKCS12_parse will decrypt it; its own derivation counted first).
class Pkcs12Cost {
 public:
  explicit Pkcs12Cost(const char* pass) : pass_(pass) {}

  Result<void> check(PKCS12& p12) {
    const ASN1_INTEGER* mac_iterations = nullptr;
    PKCS12_get0_mac(nullptr, nullptr, nullptr, &mac_iterations, &p12);
    std::int64_t n = 1;  // RFC 7292: iterations DEFAULT 1
    if (mac_iterations && ASN1_INTEGER_get_int64(&n, mac_iterations) != 1) n = keys::kMaxKdfIterations + 1;
    // The MAC is derived up to twice when checked (with "" and with no password) and again by
    // PKCS12_parse.
    if (PKCS12_mac_present(&p12) == 1) PKI_TRY(spend(3 * n, "the PKCS#12 file's MAC"));
    const auto free_safes = [](STACK_OF(PKCS7) * s) { sk_PKCS7_pop_free(s, PKCS7_free); };
    std::unique_ptr<STACK_OF(PKCS7), decltype(free_safes)> safes(PKCS12_unpack_authsafes(&p12), free_safes);
    for (int i = 0; safes && i < sk_PKCS7_num(safes.get()); ++i) {
      PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
      const auto free_bags = [](STACK_OF(PKCS12_SAFEBAG) * b) {
        sk_PKCS12_SAFEBAG_pop_free(b, PKCS12_SAFEBAG_free);
      };
      std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), decltype(free_bags)> bags(nullptr, free_bags);
      if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
        if (p7->d.encrypted && p7->d.encrypted->enc_data && p7->d.encrypted->enc_data->algorithm)
          // Decrypted here to see its bags, and again by PKCS12_parse.
          PKI_TRY(
              spend_algorithm(*p7->d.encrypted->enc_data->algorithm, 2, "the PKCS#12 file's encrypted safe"));
        bags.reset(PKCS12_unpack_p7encdata(p7, pass_, pass_ ? static_cast<int>(std::strlen(pass_)) : 0));
      } else if (OBJ_obj2nid(p7->type) == NID_pkcs7_data) {
        bags.reset(PKCS12_unpack_p7data(p7));
      }
      if (bags) PKI_TRY(check_bags(bags.get(), 0));
    }
    drain_openssl_errors();
    return {};
  }

 private:
  Result<void> check_bags(const STACK_OF(PKCS12_SAFEBAG) * bags, int depth) {
    if (depth > 8) return fail(ErrorCode::kBadInput, "the PKCS#12 file nests its bags too deeply");
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, j);
      const int nid = PKCS12_SAFEBAG_get_nid(bag);
      if (nid == NID_pkcs8ShroudedKeyBag) {
        const X509_ALGOR* alg = nullptr;
        X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, nullptr);
        if (alg) PKI_TRY(spend_algorithm(*alg, 1, "the PKCS#12 file's key"));
      } else if (nid == NID_safeContentsBag) {
        if (const auto* inner = PKCS12_SAFEBAG_get0_safes(bag)) PKI_TRY(check_bags(inner, depth + 1));
      }
    }
    return {};
  }
  Result<void> spend_algorithm(const X509_ALGOR& alg, std::int64_t times, std::string_view what) {
    PKI_ASSIGN(const std::int64_t n, keys::kdf_iterations(alg));
    return spend(times * n, what);
  }
  Result<void> spend(std::int64_t n, std::string_view what) {
    total_ += n;
    if (n > keys::kMaxKdfIterations || total_ > keys::kMaxKdfIterations)
      return fail(ErrorCode::kBadInput, std::string(what) + " takes the file past " +
                                            std::to_string(keys::kMaxKdfIterations) +
                                            " key derivation iterations in all, more than pki runs");
    return {};
  }
  const char* pass_;  // as PKCS12_parse gets it: NULL and "" differ in PKCS#12
  std::int64_t total_ = 0;
};

Result<InspectedPkcs12> inspect_pkcs12(PKCS12& p12, const Secret* passphrase) {
  InspectedPkcs12 out;
  out.mac_present = PKCS12_mac_present(&p12) == 1;
  // The cost of every password this may try, before any derivation runs.
  if (passphrase) {
    PKI_TRY(Pkcs12Cost(passphrase->reveal().c_str()).check(p12));
  } else {
    PKI_TRY(Pkcs12Cost("").check(p12));
    PKI_TRY(Pkcs12Cost(nullptr).check(p12));
  }
  // Without a passphrase, only a file with none opens: RFC 7292 leaves the password empty or absent.
  std::string pass;
  const char* pass_arg = nullptr;
  if (passphrase) {
    pass = passphrase->reveal();
    pass_arg = pass.c_str();
    if (out.mac_present && PKCS12_verify_mac(&p12, pass.c_str(), static_cast<int>(pass.size())) != 1) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, Field::kPkcs12Passphrase, "wrong passphrase for the PKCS#12 file");
    }
  } else if (out.mac_present) {
    if (PKCS12_verify_mac(&p12, "", 0) == 1) {
      pass_arg = "";
    } else if (PKCS12_verify_mac(&p12, nullptr, 0) != 1) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, Field::kPkcs12Passphrase,
                  "the PKCS#12 file is protected by a passphrase and none was given");
    }
  }
  EVP_PKEY* key_raw = nullptr;
  X509* cert_raw = nullptr;
  STACK_OF(X509)* ca_raw = nullptr;
  const int parsed = PKCS12_parse(&p12, pass_arg, &key_raw, &cert_raw, &ca_raw);
  OPENSSL_cleanse(pass.data(), pass.size());
  OsslPtr<EVP_PKEY> key(key_raw);
  OsslPtr<X509> cert(cert_raw);
  OsslPtr<STACK_OF(X509)> cas(ca_raw);
  if (parsed != 1)
    return fail_openssl(ErrorCode::kBadInput,
                        "cannot open the PKCS#12 file (a wrong passphrase, or an algorithm OpenSSL 3 no "
                        "longer enables by default, such as RC2)");
  if (cert) {
    PKI_ASSIGN(auto c, inspect_certificate(der_of(*cert)));
    out.certificates.push_back(std::move(c));
  }
  for (int i = 0; cas && i < sk_X509_num(cas.get()); ++i) {
    PKI_ASSIGN(auto c, inspect_certificate(der_of(*sk_X509_value(cas.get(), i))));
    out.certificates.push_back(std::move(c));
  }
  if (key) {
    PKI_ASSIGN(out.key, public_key_info(*key));
    if (cert && X509_check_private_key(cert.get(), key.get()) == 1) out.key_certificate = 0;
  }
  drain_openssl_errors();
  return out;
}

// The object a DER input holds, recognised by trying each structure whole.
Result<InspectedObject> inspect_der(BytesView der, const InspectOptions& options) {
  if (auto x = decode_whole<X509>(der, d2i_X509)) {
    PKI_ASSIGN(auto c, inspect_certificate(der));
    return InspectedObject{std::move(c)};
  }
  if (auto crl = decode_whole<X509_CRL>(der, d2i_X509_CRL)) {
    PKI_ASSIGN(auto c, inspect_crl(der, options.crl_entries));
    return InspectedObject{std::move(c)};
  }
  if (auto req = decode_whole<X509_REQ>(der, d2i_X509_REQ)) {
    PKI_ASSIGN(auto c, inspect_csr_details(der));
    return InspectedObject{std::move(c)};
  }
  if (auto p12 = decode_whole<PKCS12>(der, d2i_PKCS12)) {
    PKI_ASSIGN(auto p, inspect_pkcs12(*p12, options.pkcs12_passphrase));
    return InspectedObject{std::move(p)};
  }
  if (auto format = keys::detect_key_format(der)) {
    PKI_ASSIGN(auto decoded, keys::decode_key(*format, der, options.key_passphrase));
    PKI_ASSIGN(auto k, inspect_key(decoded));
    return InspectedObject{std::move(k)};
  }
  drain_openssl_errors();
  return fail(ErrorCode::kBadInput,
              "DER that is not a certificate, CSR, CRL, key or PKCS#12 file (or is damaged)");
}

Result<InspectedObject> inspect_block(const PemBlock& block, const InspectOptions& options) {
  const std::string& label = block.label;
  if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") {
    PKI_ASSIGN(auto c, inspect_certificate(block.der));
    return InspectedObject{std::move(c)};
  }
  if (label == "TRUSTED CERTIFICATE") {  // OpenSSL's certificate with trust settings after it
    auto x = decode_whole<X509>(block.der, d2i_X509_AUX);
    if (!x) return fail_openssl(ErrorCode::kBadInput, "cannot parse the certificate: invalid DER");
    PKI_ASSIGN(auto c, inspect_certificate(der_of(*x)));
    return InspectedObject{std::move(c)};
  }
  if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") {
    PKI_ASSIGN(auto c, inspect_csr_details(block.der));
    return InspectedObject{std::move(c)};
  }
  if (label == "X509 CRL") {
    PKI_ASSIGN(auto c, inspect_crl(block.der, options.crl_entries));
    return InspectedObject{std::move(c)};
  }
  if (label == "EC PARAMETERS") {
    const unsigned char* p = block.der.data();
    OsslPtr<EVP_PKEY> params(d2i_KeyParams(EVP_PKEY_EC, nullptr, &p, static_cast<long>(block.der.size())));
    if (!params || p != block.der.data() + block.der.size())
      return fail_openssl(ErrorCode::kBadInput, "malformed EC parameters");
    const auto curve = ec_curve(*params);
    return InspectedObject{InspectedParameters{"EC " + curve.value_or("(explicit parameters)")}};
  }
  if (const auto format = keys::key_format_of_label(label)) {
    keys::DecodedKey decoded;
    if (keys::is_private(*format) && block.headers.find("ENCRYPTED") != std::string::npos) {
      PKI_ASSIGN(decoded, keys::decode_legacy_encrypted_pem(*format, block.text, block.headers,
                                                            options.key_passphrase));
    } else {
      PKI_ASSIGN(decoded, keys::decode_key(*format, block.der, options.key_passphrase));
    }
    PKI_ASSIGN(auto k, inspect_key(decoded));
    return InspectedObject{std::move(k)};
  }
  return fail(ErrorCode::kBadInput, "a PEM block pki does not read ('" + printable(label) + "')");
}

}  // namespace

std::string_view type_name(const InspectedObject& object) {
  struct Name {
    std::string_view operator()(const InspectedCertificate&) const { return "certificate"; }
    std::string_view operator()(const InspectedCsr&) const { return "csr"; }
    std::string_view operator()(const InspectedCrl&) const { return "crl"; }
    std::string_view operator()(const InspectedKey& k) const {
      return keys::is_private(k.format) ? "private-key" : "public-key";
    }
    std::string_view operator()(const InspectedPkcs12&) const { return "pkcs12"; }
    std::string_view operator()(const InspectedParameters&) const { return "parameters"; }
  };
  return std::visit(Name{}, object.value);
}

InspectedExtension inspect_extension(const X509_EXTENSION& const_ext) {
  auto& ext = const_cast<X509_EXTENSION&>(const_ext);  // OpenSSL's getters take non-const
  const ASN1_OBJECT& obj = *X509_EXTENSION_get_object(&ext);
  const ASN1_OCTET_STRING& data = *X509_EXTENSION_get_data(&ext);
  InspectedExtension out;
  out.oid = oid_text(obj);
  out.critical = X509_EXTENSION_get_critical(&ext) == 1;
  out.name = std::string(known_name(out.oid));
  if (out.name.empty() && OBJ_obj2nid(&obj) != NID_undef) out.name = OBJ_nid2sn(OBJ_obj2nid(&obj));
  if (!known_name(out.oid).empty()) {
    Fields f{out.fields};
    out.decoded = decode_known(out.oid, data, f);
    if (!out.decoded) {
      out.fields.clear();
      out.error = "malformed " + out.name + " extension";
    }
  }
  if (!out.decoded) out.value_hex = octets_hex(&data);
  drain_openssl_errors();
  return out;
}

Result<PublicKeyInfo> public_key_info(const EVP_PKEY& key) {
  PublicKeyInfo out;
  const int id = EVP_PKEY_get_base_id(&key);
  const int bits = EVP_PKEY_get_bits(&key);
  switch (id) {
    case EVP_PKEY_RSA:
      out.algorithm = "RSA";
      out.bits = bits;
      break;
    case EVP_PKEY_RSA_PSS:
      out.algorithm = "RSA-PSS";
      out.bits = bits;
      break;
    case EVP_PKEY_DSA:
      out.algorithm = "DSA";
      out.bits = bits;
      break;
    case EVP_PKEY_EC:
      out.algorithm = "EC";
      out.bits = bits;
      out.curve = ec_curve(key).value_or("explicit parameters");
      break;
    case EVP_PKEY_ED25519:
      out.algorithm = "Ed25519";
      break;
    case EVP_PKEY_ED448:
      out.algorithm = "Ed448";
      break;
    default:
      out.algorithm = id != NID_undef ? OBJ_nid2sn(id) : "unknown";
      if (bits > 0) out.bits = bits;
  }
  out.description = out.algorithm;
  if (out.curve) {
    out.description += " " + *out.curve;
  } else if (out.bits) {
    out.description += " " + std::to_string(*out.bits);
  }
  // The public part only: i2d_PUBKEY writes a SubjectPublicKeyInfo, whatever the key holds.
  if (auto spki = keys::spki_der(key)) out.spki_sha256 = sha256_hex(*spki);
  drain_openssl_errors();
  return out;
}

Result<InspectedCertificate> inspect_certificate(BytesView der) {
  PKI_ASSIGN(const CertificatePtr c, Certificate::from_der(der));
  InspectedCertificate out;
  out.version = c->version();
  out.serial = c->serial_hex();
  out.subject = printable(c->subject_text());
  out.issuer = printable(c->issuer_text());
  out.not_before = c->not_before();
  out.not_after = c->not_after();
  if (c->subject_alt_names())
    for (const auto& n : *c->subject_alt_names()) out.sans.push_back(printable(to_string(n)));
  if (const EVP_PKEY* key = c->public_key()) {
    PKI_ASSIGN(out.public_key, public_key_info(*key));
    out.key_type = keys::type_name(*key);
    out.self_signed = c->self_issued() && c->signature_verifies(*key);
  } else {
    // A key that cannot be decoded alone (DSA inheriting its issuer's parameters).
    out.public_key.algorithm = out.public_key.description = out.key_type = c->public_key_algorithm();
    out.public_key.spki_sha256 = sha256_hex(c->spki_der());
  }
  out.signature_algorithm = c->signature_algorithm();
  out.fingerprint_sha256 = c->fingerprint();
  out.extensions = inspect_extensions(X509_get0_extensions(&c->x509()));
  for (const auto& p : c->problems()) out.problems.push_back(p.message);
  drain_openssl_errors();
  return out;
}

Result<InspectedCsr> inspect_csr_details(BytesView der) {
  auto req = decode_whole<X509_REQ>(der, d2i_X509_REQ);
  if (!req) return fail_openssl(ErrorCode::kBadInput, "cannot parse the CSR: invalid DER");
  InspectedCsr out;
  out.version = static_cast<int>(X509_REQ_get_version(req.get())) + 1;
  out.subject = printable(format_dn(*X509_REQ_get_subject_name(req.get())));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key) {
    PKI_ASSIGN(out.public_key, public_key_info(*key));
    out.signature =
        X509_REQ_verify(req.get(), key) == 1 ? SignatureStatus::kValid : SignatureStatus::kInvalid;
  } else {
    out.public_key.algorithm = out.public_key.description = "undecodable";
  }
  const X509_ALGOR* alg = nullptr;
  X509_REQ_get0_signature(req.get(), nullptr, &alg);
  out.signature_algorithm = algorithm_name(alg);
  OsslPtr<STACK_OF(X509_EXTENSION)> exts(X509_REQ_get_extensions(req.get()));
  if (!exts && (X509_REQ_get_attr_by_NID(req.get(), NID_ext_req, -1) >= 0 ||
                X509_REQ_get_attr_by_NID(req.get(), NID_ms_ext_req, -1) >= 0))
    return fail(ErrorCode::kBadInput, "the CSR's extension request is malformed");
  if (exts) {
    out.requested_extensions = inspect_extensions(exts.get());
    for (const auto& e : out.requested_extensions)
      if (e.oid == oid::kSubjectAltName && e.decoded) out.sans = e.fields.front().values;
  }
  for (int i = 0; i < X509_REQ_get_attr_count(req.get()); ++i) {
    const ASN1_OBJECT* obj = X509_ATTRIBUTE_get0_object(X509_REQ_get_attr(req.get(), i));
    const int nid = OBJ_obj2nid(obj);
    if (nid == NID_ext_req || nid == NID_ms_ext_req) continue;
    out.attributes.push_back(oid_name(*obj));
  }
  out.fingerprint_sha256 = sha256_hex(der);
  drain_openssl_errors();
  return out;
}

Result<InspectedCrl> inspect_crl(BytesView der, CrlEntries entries) {
  PKI_ASSIGN(const CrlPtr crl, Crl::from_der(der));
  InspectedCrl out;
  out.version = crl->version();
  out.issuer = printable(crl->issuer_text());
  out.this_update = crl->this_update();
  out.next_update = crl->next_update();
  out.signature_algorithm = algorithm_name(&crl->signature_algorithm_identifier());
  out.entry_count = crl->entry_count();
  out.extensions = inspect_extensions(crl->extensions());
  for (const auto& e : out.extensions) {
    if (!e.decoded || e.fields.empty()) continue;
    if (e.oid == oid::kCrlNumber) out.crl_number = e.fields.front().values.front();
    if (e.oid == oid::kDeltaCrlIndicator) out.delta_base = e.fields.front().values.front();
  }
  out.fingerprint_sha256 = crl->fingerprint();
  if (entries == CrlEntries::kList) {
    std::optional<std::string> issuer;  // RFC 5280 5.3.3: holds for the entries that follow
    out.entries.reserve(out.entry_count);
    PKI_TRY(crl->for_each_entry([&](Crl::RawEntry& r) -> Result<void> {
      InspectedCrlEntry e;
      const unsigned char* p = r.extensions.data();
      OsslPtr<STACK_OF(X509_EXTENSION)> exts(
          r.extensions.empty() ? nullptr
                               : d2i_X509_EXTENSIONS(nullptr, &p, static_cast<long>(r.extensions.size())));
      if (!r.extensions.empty() && !exts)
        return fail_openssl(ErrorCode::kBadInput,
                            "cannot parse the CRL: an entry's extensions are invalid DER");
      e.serial = std::move(r.serial_hex);
      e.revocation_date = r.revocation_date;
      for (const auto& ext : inspect_extensions(exts.get())) {
        if (!ext.decoded || ext.fields.empty()) continue;
        if (ext.oid == oid::kCrlReason) e.reason = ext.fields.front().values.front();
        if (ext.oid == oid::kInvalidityDate) {
          if (auto t = parse_rfc3339(ext.fields.front().values.front())) e.invalidity_date = *t;
        }
        if (ext.oid == oid::kCertificateIssuer) {
          std::string names;
          for (const auto& n : ext.fields.front().values) names += (names.empty() ? "" : ", ") + n;
          issuer = names;
        }
      }
      e.certificate_issuer = issuer;
      out.entries.push_back(std::move(e));
      return {};
    }));
  }
  drain_openssl_errors();
  return out;
}

Result<std::vector<InspectedObject>> inspect(std::string_view data, const InspectOptions& options) {
  if (data.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return fail(ErrorCode::kBadInput, "empty input");
  std::vector<InspectedObject> out;
  if (looks_like_der(data)) {
    PKI_ASSIGN(auto object, inspect_der(as_bytes(data), options));
    out.push_back(std::move(object));
    return out;
  }
  PKI_ASSIGN(const auto blocks, pem_all_blocks(data));
  if (blocks.empty()) return fail(ErrorCode::kBadInput, "neither PEM (no '-----BEGIN' line) nor DER");
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto object = inspect_block(blocks[i], options);
    if (!object) {
      Error e = std::move(object.error());
      e.message =
          "PEM block " + std::to_string(i + 1) + " (" + printable(blocks[i].label) + "): " + e.message;
      return tl::unexpected(std::move(e));
    }
    out.push_back(std::move(*object));
  }
  return out;
}

}  // namespace pki::cert
