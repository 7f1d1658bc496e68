#include "pki/cert/crl.h"

#include <algorithm>
#include <cstring>

#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"

namespace pki::cert {

namespace {

std::string integer_hex(const ASN1_INTEGER* i) {
  const std::string mag =
      serial_to_hex(BytesView(ASN1_STRING_get0_data(i), static_cast<std::size_t>(ASN1_STRING_length(i))));
  return ASN1_STRING_type(i) == V_ASN1_NEG_INTEGER ? "-" + mag : mag;
}

// The content octets of the entry extensions' OIDs: 2.5.29.21, .24, .29 and .23.
constexpr std::uint8_t kReasonCodeOid[] = {0x55, 0x1d, 0x15};
constexpr std::uint8_t kInvalidityDateOid[] = {0x55, 0x1d, 0x18};
constexpr std::uint8_t kCertificateIssuerOid[] = {0x55, 0x1d, 0x1d};
constexpr std::uint8_t kHoldInstructionOid[] = {0x55, 0x1d, 0x17};

tl::unexpected<Error> entry_invalid() {
  return fail(ErrorCode::kBadInput, "cannot parse the CRL: an entry is invalid DER");
}

// A serial's INTEGER content octets as lowercase hex without leading zeros, "-" before a
// negative one.
std::string integer_hex(BytesView content) {
  if (content[0] < 0x80) return serial_to_hex(content);
  Bytes magnitude(content.begin(), content.end());  // two's complement, negated
  bool carry = true;
  for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
    *it = static_cast<std::uint8_t>(~*it);
    if (carry) carry = ++*it == 0;
  }
  return "-" + serial_to_hex(magnitude);
}

int digits(BytesView s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// A Time (tag and length included): the forms RFC 5280 4.1.2.5 prescribes, read in place
// (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ); any other through OpenSSL, as before.
Result<TimePoint> time_of(BytesView whole) {
  using namespace std::chrono;
  const std::uint8_t tag = whole[0];
  const std::size_t n = tag == 0x17 ? 13 : 15;
  if (whole.size() == n + 2 && whole[1] == n && whole[n + 1] == 'Z') {
    const BytesView s = whole.subspan(2);
    int y = tag == 0x17 ? digits(s, 0, 2) : digits(s, 0, 4);
    if (tag == 0x17 && y >= 0) y += y < 50 ? 2000 : 1900;  // RFC 5280 4.1.2.5.1
    const std::size_t o = tag == 0x17 ? 2 : 4;
    const int mo = digits(s, o, 2), d = digits(s, o + 2, 2), h = digits(s, o + 4, 2),
              mi = digits(s, o + 6, 2), se = digits(s, o + 8, 2);
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (y >= 0 && mo >= 0 && d >= 0 && ymd.ok() && h >= 0 && h < 24 && mi >= 0 && mi < 60 && se >= 0 &&
        se < 60)
      return TimePoint{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{se};
  }
  const unsigned char* p = whole.data();
  OsslPtr<ASN1_STRING> t(d2i_ASN1_TIME(nullptr, &p, static_cast<long>(whole.size())));
  if (!t) return fail_openssl(ErrorCode::kBadInput, "cannot parse the CRL: an entry's time is invalid");
  return from_asn1_time(*t);
}

// An OBJECT IDENTIFIER's content octets as X.690 8.19 has them: at least one subidentifier, each
// in the fewest octets (never a leading 0x80) and the last octet ending one (its top bit clear).
bool valid_oid_content(BytesView oid) {
  if (oid.empty() || (oid.back() & 0x80)) return false;
  bool starts_subidentifier = true;
  for (const std::uint8_t b : oid) {
    if (starts_subidentifier && b == 0x80) return false;
    starts_subidentifier = !(b & 0x80);
  }
  return true;
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

Result<std::shared_ptr<const Crl>> Crl::from_der(BytesView input) {
  return from_der(Bytes(input.begin(), input.end()));
}

Result<std::shared_ptr<const Crl>> Crl::from_der(Bytes&& input) {
  const auto invalid = [] { return fail(ErrorCode::kBadInput, "cannot parse the CRL: invalid DER"); };
  // The index keeps 32-bit offsets into the DER.
  if (input.size() > 0xffffffffu)
    return fail(ErrorCode::kBadInput, "cannot parse the CRL: larger than 4 GiB");
  std::shared_ptr<Crl> c(new Crl());
  c->der_ = std::move(input);  // as given: not encoded again
  // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
  BytesView in = c->der_;
  const auto outer = der::read(in);
  if (!outer || outer->tag != der::tag::kSequence) return invalid();
  if (!in.empty()) return fail(ErrorCode::kBadInput, "cannot parse the CRL: trailing data");
  BytesView body = outer->content;
  const auto tbs = der::read(body);
  const auto algorithm = der::read(body);
  const auto signature = der::read(body);
  if (!tbs || !algorithm || !signature || !body.empty() || tbs->tag != der::tag::kSequence) return invalid();
  c->tbs_ = tbs->whole;
  c->outer_algorithm_ = algorithm->whole;

  // TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature, issuer, thisUpdate,
  //   nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL, [0] crlExtensions }
  // Everything but revokedCertificates goes into the copy OpenSSL parses.
  BytesView fields = tbs->content;
  Bytes shell_tbs;
  const auto keep = [&shell_tbs](const der::Tlv& t) {
    shell_tbs.insert(shell_tbs.end(), t.whole.begin(), t.whole.end());
  };
  const auto is_time = [](std::uint8_t tag) { return tag == 0x17 || tag == 0x18; };
  auto f = der::read(fields);
  if (f && f->tag == der::tag::kInteger) {
    keep(*f);
    f = der::read(fields);
  }
  if (!f || f->tag != der::tag::kSequence) return invalid();
  c->inner_algorithm_ = f->whole;
  keep(*f);
  for (int i = 0; i < 2; ++i) {  // issuer, thisUpdate
    f = der::read(fields);
    if (!f || (i == 0 ? f->tag != der::tag::kSequence : !is_time(f->tag))) return invalid();
    keep(*f);
  }
  if (!fields.empty() && is_time(fields.front())) {  // nextUpdate
    f = der::read(fields);
    if (!f) return invalid();
    keep(*f);
  }
  if (!fields.empty() && fields.front() == der::tag::kSequence) {
    f = der::read(fields);
    if (!f) return invalid();
    c->revoked_ = f->content;
  }
  if (!fields.empty()) {
    f = der::read(fields);
    if (!f || f->tag != der::tag::context_constructed(0) || !fields.empty()) return invalid();
    keep(*f);
  }
  const Bytes shell =
      der::sequence({der::constructed(der::tag::kSequence, {shell_tbs}), algorithm->whole, signature->whole});
  const unsigned char* p = shell.data();
  c->crl_.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(shell.size())));
  if (!c->crl_ || p != shell.data() + shell.size())
    return fail_openssl(ErrorCode::kBadInput, "cannot parse the CRL: invalid DER");
  PKI_TRY(c->parse());
  return std::shared_ptr<const Crl>(std::move(c));
}

bool Crl::signature_verifies(const EVP_PKEY& key) const {
  // RFC 5280 5.1.1.2: signatureAlgorithm MUST be the same as the signature field in tbsCertList.
  if (!std::ranges::equal(outer_algorithm_, inner_algorithm_)) return false;
  const X509_ALGOR* algorithm = nullptr;
  const ASN1_BIT_STRING* signature = nullptr;
  X509_CRL_get0_signature(crl_.get(), &signature, &algorithm);
  return cert::signature_verifies(tbs_, *algorithm, *signature, key, nullptr);
}

Result<void> Crl::for_each_entry(const std::function<Result<void>(RawEntry&)>& visit) const {
  return walk_entries(visit, true);
}

Result<void> Crl::walk_entries(const std::function<Result<void>(RawEntry&)>& visit, bool with_hex) const {
  const auto invalid = [] {
    return fail(ErrorCode::kBadInput, "cannot parse the CRL: an entry is invalid DER");
  };
  BytesView list = revoked_;
  while (!list.empty()) {
    // revokedCertificates ::= SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
    //   revocationDate Time, crlEntryExtensions Extensions OPTIONAL }
    const auto entry = der::read(list);
    if (!entry || entry->tag != der::tag::kSequence) return invalid();
    BytesView parts = entry->content;
    const auto serial = der::read(parts);
    const auto date = der::read(parts);
    if (!serial || !date || serial->tag != der::tag::kInteger || serial->content.empty() ||
        (date->tag != 0x17 && date->tag != 0x18))
      return invalid();
    // X.690 8.3.2: the fewest octets (no redundant leading 0x00 or 0xff).
    const BytesView s = serial->content;
    if (s.size() > 1 && ((s[0] == 0x00 && s[1] < 0x80) || (s[0] == 0xff && s[1] >= 0x80))) return invalid();
    RawEntry raw{with_hex ? integer_hex(s) : std::string(), s, {}, {}};
    PKI_ASSIGN(raw.revocation_date, time_of(date->whole));
    if (!parts.empty()) {
      const auto exts = der::read(parts);
      if (!exts || exts->tag != der::tag::kSequence || !parts.empty()) return invalid();
      raw.extensions = exts->whole;
    }
    PKI_TRY(visit(raw));
  }
  return {};
}

Result<void> Crl::parse() {
  X509_CRL* x = crl_.get();
  fingerprint_ = sha256_hex(der_);
  issuer_text_ = format_dn(issuer());
  version_ = static_cast<int>(X509_CRL_get_version(x)) + 1;
  PKI_ASSIGN(this_update_, from_asn1_time(*X509_CRL_get0_lastUpdate(x)));
  if (!is_der_time(*X509_CRL_get0_lastUpdate(x)))
    unusable_ = "its thisUpdate is not in the form RFC 5280 5.1.2.4 requires";
  if (const ASN1_TIME* nu = X509_CRL_get0_nextUpdate(x)) {
    PKI_ASSIGN(next_update_, from_asn1_time(*nu));
    if (!is_der_time(*nu)) unusable_ = "its nextUpdate is not in the form RFC 5280 5.1.2.5 requires";
  } else if (!unusable_) {
    // Without it the CRL would never go stale: a replayed old CRL could hide a revocation forever.
    unusable_ = "it has no nextUpdate (RFC 5280 5.1.2.5: CRL issuers MUST include it)";
  }
  // RFC 5280 5.1.2.1: a CRL with extensions (a CRL number, which 5.2.3 requires) is version 2;
  // there is no other (a v1 CRL carries no extensions, so no CRL number: refused below).
  if ((version_ < 1 || version_ > 2) && !unusable_)
    unusable_ = "its version field is " + std::to_string(version_ - 1) + ", not 1 (v2, RFC 5280 5.1.2.1)";
  if (version_ == 1 && X509_CRL_get_ext_count(x) > 0 && !unusable_)
    unusable_ = "it is a version 1 CRL with extensions (RFC 5280 5.1.2.1 requires v2)";

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
  int issuer_index = -1;
  std::size_t count = 0;
  for (BytesView list = revoked_; !list.empty() && der::read(list);) ++count;
  index_.reserve(count);
  PKI_TRY(walk_entries(
      [&](RawEntry& raw) -> Result<void> {
        CrlEntry e;
        e.revocation_date = raw.revocation_date;
        BytesView exts = raw.extensions;
        if (!exts.empty()) exts = der::read(exts)->content;  // checked by for_each_entry
        while (!exts.empty()) {
          // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
          const auto ext = der::read(exts);
          if (!ext || ext->tag != der::tag::kSequence) return entry_invalid();
          BytesView parts = ext->content;
          const auto id = der::read(parts);
          auto value = der::read(parts);
          bool critical = false;
          if (value && value->tag == der::tag::kBoolean) {
            if (value->content.size() != 1) return entry_invalid();
            critical = value->content[0] != 0;
            value = der::read(parts);
          }
          if (!id || id->tag != der::tag::kOid || !valid_oid_content(id->content) || !value ||
              value->tag != der::tag::kOctetString || !parts.empty())
            return entry_invalid();
          const BytesView oid = id->content;
          if (std::ranges::equal(oid, kReasonCodeOid)) {
            // reasonCode ::= ENUMERATED, one content octet for every defined value.
            const BytesView d = value->content;
            std::optional<CrlReason> reason;
            if (d.size() == 3 && d[0] == V_ASN1_ENUMERATED && d[1] == 1 && d[2] < 0x80)
              if (auto known = crl_reason_from_code(d[2])) reason = *known;
            if (!reason) {
              if (!unusable_) unusable_ = "an entry has an invalid reason code";
              continue;
            }
            e.reason = *reason;
          } else if (std::ranges::equal(oid, kInvalidityDateOid)) {
            BytesView v = value->content;
            const auto t = der::read(v);
            if (t && t->tag == 0x18 && v.empty())
              if (auto tp = time_of(t->whole)) e.invalidity_date = *tp;
          } else if (std::ranges::equal(oid, kCertificateIssuerOid)) {
            const unsigned char* p = value->content.data();
            OsslPtr<GENERAL_NAMES> names(
                d2i_GENERAL_NAMES(nullptr, &p, static_cast<long>(value->content.size())));
            const X509_NAME* dn = nullptr;
            for (int k = 0; names && k < sk_GENERAL_NAME_num(names.get()); ++k) {
              const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), k);
              if (gn->type == GEN_DIRNAME) dn = gn->d.directoryName;
            }
            if (!dn) {
              if (!unusable_) unusable_ = "an entry's certificate issuer has no directory name";
              continue;
            }
            entry_issuers_.emplace_back(X509_NAME_dup(dn));
            issuer_index = static_cast<int>(entry_issuers_.size()) - 1;
          } else if (!std::ranges::equal(oid, kHoldInstructionOid) && critical && !unusable_) {
            const unsigned char* p = id->whole.data();
            OsslPtr<ASN1_OBJECT> obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(id->whole.size())));
            unusable_ =
                "an entry has an unknown critical extension " + (obj ? oid_text(*obj) : std::string("?"));
          }
        }
        Slot slot;
        slot.serial_at = static_cast<std::uint32_t>(raw.serial.data() - der_.data());
        slot.serial_size = static_cast<std::uint32_t>(raw.serial.size());
        slot.revoked = e.revocation_date.time_since_epoch().count();
        if (e.reason) {
          slot.has_reason = true;
          slot.reason = static_cast<std::uint8_t>(*e.reason);
        }
        if (e.invalidity_date) {
          slot.has_invalidity = true;
          slot.invalidity = e.invalidity_date->time_since_epoch().count();
        }
        slot.issuer_index = issuer_index;
        index_.push_back(slot);
        return {};
      },
      false));
  entry_count_ = index_.size();
  // Sorted by serial (then issuer), looked up by binary search: no node per entry.
  std::sort(index_.begin(), index_.end(), [this](const Slot& a, const Slot& b) {
    if (a.serial_size != b.serial_size) return a.serial_size < b.serial_size;
    if (const int c = std::memcmp(der_.data() + a.serial_at, der_.data() + b.serial_at, a.serial_size);
        c != 0)
      return c < 0;
    return a.issuer_index < b.issuer_index;
  });
  // One entry per certificate: a serial listed twice for one issuer leaves its status ambiguous.
  for (std::size_t i = 1; i < index_.size() && !unusable_; ++i)
    if (std::ranges::equal(serial_of(index_[i]), serial_of(index_[i - 1])) &&
        index_[i].issuer_index == index_[i - 1].issuer_index)
      unusable_ = "it lists serial " + integer_hex(serial_of(index_[i])) + " twice";
  drain_openssl_errors();
  return {};
}

CrlEntry Crl::entry_of(const Slot& s) const {
  CrlEntry e;
  e.revocation_date = TimePoint(TimePoint::duration(s.revoked));
  if (s.has_reason) e.reason = static_cast<CrlReason>(s.reason);
  if (s.has_invalidity) e.invalidity_date = TimePoint(TimePoint::duration(s.invalidity));
  e.issuer_index = s.issuer_index;
  return e;
}

std::vector<std::pair<std::string, CrlEntry>> Crl::entries() const {
  std::vector<std::pair<std::string, CrlEntry>> out;
  out.reserve(index_.size());
  for (const Slot& s : index_) out.emplace_back(integer_hex(serial_of(s)), entry_of(s));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.issuer_index < b.second.issuer_index;
  });
  return out;
}

std::optional<CrlEntry> Crl::find(const Certificate& cert) const {
  // The certificate's serial as DER INTEGER content octets, the form the index keeps.
  unsigned char* encoded = nullptr;
  const int n = i2d_ASN1_INTEGER(X509_get0_serialNumber(&cert.x509()), &encoded);
  if (n <= 0) return std::nullopt;
  const std::unique_ptr<unsigned char, void (*)(void*)> owned(encoded, [](void* q) { OPENSSL_free(q); });
  BytesView whole(encoded, static_cast<std::size_t>(n));
  const auto tlv = der::read(whole);
  if (!tlv) return std::nullopt;
  const BytesView serial = tlv->content;
  auto it = std::lower_bound(index_.begin(), index_.end(), serial, [this](const Slot& s, BytesView key) {
    if (s.serial_size != key.size()) return s.serial_size < key.size();
    return std::memcmp(der_.data() + s.serial_at, key.data(), key.size()) < 0;
  });
  for (; it != index_.end() && std::ranges::equal(serial_of(*it), serial); ++it) {
    const X509_NAME* entry_issuer =
        it->issuer_index < 0 ? &issuer() : entry_issuers_[static_cast<std::size_t>(it->issuer_index)].get();
    if (X509_NAME_cmp(entry_issuer, &cert.issuer()) == 0) return entry_of(*it);
  }
  return std::nullopt;
}

}  // namespace pki::cert
