#include "pki/cert/crl.h"

#include <algorithm>

#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/io.h"
#include "pki/core/time.h"

namespace pki::cert {

namespace {

std::string integer_hex(const ASN1_INTEGER* i) {
  const std::string mag =
      serial_to_hex(BytesView(ASN1_STRING_get0_data(i), static_cast<std::size_t>(ASN1_STRING_length(i))));
  return ASN1_STRING_type(i) == V_ASN1_NEG_INTEGER ? "-" + mag : mag;
}

bool known_crl_extension(const std::string& oid) {
  return oid == oid::kAuthorityKeyIdentifier || oid == oid::kIssuerAltName || oid == oid::kCrlNumber ||
         oid == oid::kDeltaCrlIndicator || oid == oid::kIssuingDistributionPoint ||
         oid == oid::kFreshestCrl || oid == oid::kAuthorityInfoAccess;
}

}  // namespace

int compare_hex_numbers(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& s) {
    const std::size_t nz = s.find_first_not_of('0');
    return nz == std::string::npos ? std::string() : s.substr(nz);
  };
  const std::string x = strip(a), y = strip(b);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y);
}

Result<std::shared_ptr<const Crl>> Crl::from_der(BytesView der) {
  const unsigned char* p = der.data();
  OsslPtr<X509_CRL> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl) return fail_openssl(ErrorCode::kBadInput, "cannot parse the CRL: invalid DER");
  if (p != der.data() + der.size()) return fail(ErrorCode::kBadInput, "cannot parse the CRL: trailing data");
  std::shared_ptr<Crl> c(new Crl());
  c->crl_ = std::move(crl);
  c->der_.assign(der.begin(), der.end());  // as given: not encoded again
  PKI_TRY(c->parse());
  return std::shared_ptr<const Crl>(std::move(c));
}

Result<std::shared_ptr<const Crl>> Crl::from_x509(OsslPtr<X509_CRL> x) {
  std::shared_ptr<Crl> c(new Crl());
  c->crl_ = std::move(x);
  PKI_TRY(c->parse());
  return std::shared_ptr<const Crl>(std::move(c));
}

Result<void> Crl::parse() {
  X509_CRL* x = crl_.get();
  if (der_.empty()) der_ = der_of(*x);
  fingerprint_ = sha256_hex(der_);
  issuer_text_ = format_dn(issuer());
  version_ = static_cast<int>(X509_CRL_get_version(x)) + 1;
  PKI_ASSIGN(this_update_, from_asn1_time(*X509_CRL_get0_lastUpdate(x)));
  if (!is_der_time(*X509_CRL_get0_lastUpdate(x)))
    unusable_ = "its thisUpdate is not in the form RFC 5280 5.1.2.4 requires";
  if (const ASN1_TIME* nu = X509_CRL_get0_nextUpdate(x)) {
    PKI_ASSIGN(next_update_, from_asn1_time(*nu));
    if (!is_der_time(*nu)) unusable_ = "its nextUpdate is not in the form RFC 5280 5.1.2.5 requires";
  }

  for (int i = 0; i < X509_CRL_get_ext_count(x); ++i) {
    X509_EXTENSION* ext = X509_CRL_get_ext(x, i);
    const std::string id = oid_text(*X509_EXTENSION_get_object(ext));
    const bool critical = X509_EXTENSION_get_critical(ext) == 1;
    if (!known_crl_extension(id)) {
      if (critical && !unusable_) unusable_ = "it has an unknown critical CRL extension " + id;
      continue;
    }
    // RFC 5280 5.2.3, 5.2.1: the CRL number and AKI are non-critical (deltaCRLIndicator, 5.2.4, is
    // critical, and an IDP, 5.2.5, is critical too).
    if (critical && (id == oid::kCrlNumber || id == oid::kAuthorityKeyIdentifier) && !unusable_)
      unusable_ = "its " + std::string(id == oid::kCrlNumber ? "CRL number" : "authority key identifier") +
                  " is marked critical (RFC 5280 5.2)";
    if (id == oid::kCrlNumber || id == oid::kDeltaCrlIndicator) {
      OsslPtr<ASN1_INTEGER> n(static_cast<ASN1_INTEGER*>(X509V3_EXT_d2i(ext)));
      if (!n || ASN1_STRING_type(n.get()) == V_ASN1_NEG_INTEGER) {
        unusable_ = "its " + std::string(id == oid::kCrlNumber ? "CRL number" : "delta CRL indicator") +
                    " is malformed";
        continue;
      }
      (id == oid::kCrlNumber ? crl_number_ : delta_base_) = integer_hex(n.get());
    } else if (id == oid::kAuthorityKeyIdentifier) {
      OsslPtr<AUTHORITY_KEYID> aki(static_cast<AUTHORITY_KEYID*>(X509V3_EXT_d2i(ext)));
      if (aki && aki->keyid)
        aki_ = Bytes(ASN1_STRING_get0_data(aki->keyid),
                     ASN1_STRING_get0_data(aki->keyid) + ASN1_STRING_length(aki->keyid));
    } else if (id == oid::kIssuingDistributionPoint) {
      OsslPtr<ISSUING_DIST_POINT> idp(static_cast<ISSUING_DIST_POINT*>(X509V3_EXT_d2i(ext)));
      if (!idp) {
        unusable_ = "its issuing distribution point is malformed";
        continue;
      }
      IssuingDistributionPoint out;
      auto dp = distribution_point_from(idp->distpoint, idp->onlysomereasons, nullptr);
      if (!dp) {
        unusable_ = "its issuing distribution point is malformed";
        continue;
      }
      out.full_name = std::move(dp->full_name);
      out.relative_name = std::move(dp->relative_name);
      out.only_some_reasons = dp->reasons;
      out.only_user_certs = idp->onlyuser > 0;
      out.only_ca_certs = idp->onlyCA > 0;
      out.only_attribute_certs = idp->onlyattr > 0;
      out.indirect = idp->indirectCRL > 0;
      idp_ = std::move(out);
    }
  }
  drain_openssl_errors();
  // RFC 5280 5.2.3: "CRL issuers conforming to this profile MUST include this extension in all CRLs".
  if (!crl_number_ && !unusable_) unusable_ = "it has no CRL number (RFC 5280 5.2.3)";

  // Entries: the certificate issuer of an entry is the CRL issuer until a certificateIssuer entry
  // extension names another, which then holds for the following entries too (RFC 5280 5.3.3).
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(x);
  int issuer_index = -1;
  // A CRL without entries has no list at all: sk_X509_REVOKED_num(nullptr) is -1.
  entry_count_ = static_cast<std::size_t>(std::max(0, sk_X509_REVOKED_num(revoked)));
  entries_.reserve(entry_count_);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    CrlEntry e;
    PKI_ASSIGN(e.revocation_date, from_asn1_time(*X509_REVOKED_get0_revocationDate(r)));
    const STACK_OF(X509_EXTENSION)* exts = X509_REVOKED_get0_extensions(r);
    for (int j = 0; j < sk_X509_EXTENSION_num(exts); ++j) {
      X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, j);
      // By NID, not dotted text: a CRL of a million entries has a million of these.
      const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
      if (nid != NID_crl_reason && nid != NID_hold_instruction_code && nid != NID_invalidity_date &&
          nid != NID_certificate_issuer) {
        if (X509_EXTENSION_get_critical(ext) == 1 && !unusable_)
          unusable_ =
              "an entry has an unknown critical extension " + oid_text(*X509_EXTENSION_get_object(ext));
        continue;
      }
      if (nid == NID_crl_reason) {
        // reasonCode ::= ENUMERATED, one content octet for every defined value: read in place.
        const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
        const unsigned char* d = ASN1_STRING_get0_data(value);
        const int n = ASN1_STRING_length(value);
        std::optional<CrlReason> reason;
        if (n == 3 && d[0] == V_ASN1_ENUMERATED && d[1] == 1 && d[2] < 0x80)
          if (auto known = crl_reason_from_code(d[2])) reason = *known;
        if (!reason) {
          unusable_ = "an entry has an invalid reason code";
          continue;
        }
        e.reason = *reason;
      } else if (nid == NID_invalidity_date) {
        OsslPtr<ASN1_GENERALIZEDTIME> t(static_cast<ASN1_GENERALIZEDTIME*>(X509V3_EXT_d2i(ext)));
        if (t) {
          if (auto tp = from_asn1_time(*t)) e.invalidity_date = *tp;
        }
      } else if (nid == NID_certificate_issuer) {
        OsslPtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
        const X509_NAME* dn = nullptr;
        for (int k = 0; names && k < sk_GENERAL_NAME_num(names.get()); ++k) {
          const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), k);
          if (gn->type == GEN_DIRNAME) dn = gn->d.directoryName;
        }
        if (!dn) {
          unusable_ = "an entry's certificate issuer has no directory name";
          continue;
        }
        entry_issuers_.emplace_back(X509_NAME_dup(dn));
        issuer_index = static_cast<int>(entry_issuers_.size()) - 1;
      }
    }
    e.issuer_index = issuer_index;
    entries_.emplace_back(integer_hex(X509_REVOKED_get0_serialNumber(r)), e);
  }
  // Sorted by serial (then issuer), looked up by binary search: no node per entry.
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.issuer_index < b.second.issuer_index;
  });
  // One entry per certificate: a serial listed twice for one issuer leaves its status ambiguous.
  for (std::size_t i = 1; i < entries_.size() && !unusable_; ++i)
    if (entries_[i].first == entries_[i - 1].first &&
        entries_[i].second.issuer_index == entries_[i - 1].second.issuer_index)
      unusable_ = "it lists serial " + entries_[i].first + " twice";
  drain_openssl_errors();
  return {};
}

const CrlEntry* Crl::find(const Certificate& cert) const {
  const std::string& serial = cert.serial_hex();
  auto it = std::lower_bound(entries_.begin(), entries_.end(), serial,
                             [](const auto& e, const std::string& s) { return e.first < s; });
  for (; it != entries_.end() && it->first == serial; ++it) {
    const X509_NAME* entry_issuer =
        it->second.issuer_index < 0 ? &issuer()
                                    : entry_issuers_[static_cast<std::size_t>(it->second.issuer_index)].get();
    if (X509_NAME_cmp(entry_issuer, &cert.issuer()) == 0) return &it->second;
  }
  return nullptr;
}

}  // namespace pki::cert
