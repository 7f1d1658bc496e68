#include "pki/cert/certificate.h"

#include <openssl/core_names.h>
#include <openssl/provider.h>

#include <algorithm>
#include <set>

#include "pki/cert/builder.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/keys/keys.h"

namespace pki::cert {

std::string oid_text(const ASN1_OBJECT& obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, &obj, 1);
  if (n <= 0) return "?";
  if (static_cast<std::size_t>(n) < sizeof buf) return std::string(buf, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');  // a long OID: never truncate it
  OBJ_obj2txt(big.data(), n + 1, &obj, 1);
  big.resize(static_cast<std::size_t>(n));
  return big;
}

std::string oid_name(const ASN1_OBJECT& obj) {
  const int nid = OBJ_obj2nid(&obj);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  return oid_text(obj);
}

std::vector<std::string> key_usage_names(std::uint16_t bits) {
  static const char* const kNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                       "dataEncipherment", "keyAgreement",   "keyCertSign",
                                       "cRLSign",          "encipherOnly",   "decipherOnly"};
  std::vector<std::string> out;
  for (int i = 0; i < 9; ++i)
    if (bits & (1u << i)) out.emplace_back(kNames[i]);
  return out;
}

std::uint16_t named_bits(const ASN1_BIT_STRING& bits) {
  std::uint16_t out = 0;
  for (int i = 0; i < 16; ++i)
    if (ASN1_BIT_STRING_get_bit(&bits, i)) out |= static_cast<std::uint16_t>(1u << i);
  return out;
}

std::string serial_to_hex(BytesView magnitude) {
  // One allocation: a CRL of a million entries makes a million of these.
  std::size_t i = 0;
  while (i < magnitude.size() && magnitude[i] == 0) ++i;
  if (i == magnitude.size()) return "0";
  std::string hex = to_hex(magnitude.subspan(i));
  if (hex.front() == '0') hex.erase(0, 1);
  return hex;
}

std::optional<std::string> serial_not_positive(const Certificate& c) {
  if (c.serial_negative()) return "the serial number is negative";
  if (std::all_of(c.serial().begin(), c.serial().end(), [](std::uint8_t b) { return b == 0; }))
    return "the serial number is zero";
  return std::nullopt;
}

std::optional<std::string> serial_too_long(const Certificate& c) {
  // The magnitude; its DER encoding takes one octet more when the top bit is set.
  const std::size_t octets = c.serial().size() + (!c.serial().empty() && (c.serial()[0] & 0x80) ? 1 : 0);
  if (octets > 20) return "the serial number takes " + std::to_string(octets) + " octets";
  return std::nullopt;
}

Result<DistributionPoint> distribution_point_from(const DIST_POINT_NAME* name, const ASN1_BIT_STRING* reasons,
                                                  const GENERAL_NAMES* crl_issuer) {
  DistributionPoint dp;
  if (name) {
    if (name->type == 0) {
      PKI_ASSIGN(auto full, from_openssl(*name->name.fullname));
      dp.full_name = std::move(full);
    } else {
      dp.relative_name.reset(X509_NAME_new());
      const STACK_OF(X509_NAME_ENTRY)* rdn = name->name.relativename;
      for (int i = 0; i < sk_X509_NAME_ENTRY_num(rdn); ++i)
        if (!X509_NAME_add_entry(dp.relative_name.get(), sk_X509_NAME_ENTRY_value(rdn, i), -1,
                                 i == 0 ? 0 : -1))
          return fail_openssl(ErrorCode::kBadInput, "malformed distribution point name");
    }
  }
  if (reasons) dp.reasons = named_bits(*reasons);
  if (crl_issuer) {
    PKI_ASSIGN(dp.crl_issuer, from_openssl(*crl_issuer));
  }
  return dp;
}

namespace {

// A DEFAULT value written out, which DER forbids (X.690 11.5), where RFC 5280 has one: the version
// v1, an extension's critical FALSE, basicConstraints' cA FALSE, a subtree's minimum 0. What does
// not read as a certificate is left to OpenSSL's parse.
std::optional<std::string> explicit_default(BytesView cert) {
  auto inside = [](BytesView& in, std::uint8_t tag) -> std::optional<BytesView> {
    auto t = der::read(in);
    if (!t || t->tag != tag) return std::nullopt;
    return t->content;
  };
  auto is_false = [](const der::Tlv& v) {
    return v.tag == 0x01 && v.content.size() == 1 && v.content[0] == 0;
  };
  static const Bytes kBc = der::oid(oid::kBasicConstraints), kNc = der::oid(oid::kNameConstraints);
  auto tbs = inside(cert, 0x30);
  if (!tbs) return std::nullopt;
  auto fields = inside(*tbs, 0x30);
  if (!fields) return std::nullopt;
  while (!fields->empty()) {
    auto f = der::read(*fields);
    if (!f) return std::nullopt;
    BytesView in = f->content;
    if (f->tag == 0xA0) {
      auto v = inside(in, 0x02);
      if (v && v->size() == 1 && (*v)[0] == 0) return "the version v1 written out (it is the default)";
    }
    if (f->tag != 0xA3) continue;
    auto exts = inside(in, 0x30);
    while (exts && !exts->empty()) {
      auto e = inside(*exts, 0x30);
      if (!e) return std::nullopt;
      auto id = der::read(*e);
      auto next = der::read(*e);
      if (!id || !next) return std::nullopt;
      if (is_false(*next)) return "an extension's critical FALSE written out (it is the default)";
      if (next->tag == 0x01 && !(next = der::read(*e))) return std::nullopt;
      if (next->tag != 0x04) return std::nullopt;
      BytesView value = next->content;
      if (id->is(kBc)) {
        auto bc = inside(value, 0x30);
        if (bc && !bc->empty()) {
          auto first = der::read(*bc);
          if (first && is_false(*first)) return "basicConstraints' cA FALSE written out (it is the default)";
        }
      } else if (id->is(kNc)) {
        auto nc = inside(value, 0x30);
        while (nc && !nc->empty()) {
          auto trees = der::read(*nc);
          if (!trees) break;
          BytesView list = trees->content;
          while (auto subtree = inside(list, 0x30)) {
            der::read(*subtree);  // the base
            while (auto more = der::read(*subtree))
              if (more->tag == 0x80 && more->content.size() == 1 && more->content[0] == 0)
                return "a name constraint's minimum 0 written out (it is the default)";
          }
        }
      }
    }
  }
  return std::nullopt;
}

// A library context with the null provider only: OpenSSL finds no decoder there, so a certificate
// parsed in it keeps its public key undecoded (RFC 5280's fields are all read as usual). Made
// once, shared by every thread, never freed (the certificates parsed in it point at it).
OSSL_LIB_CTX* keyless_context() {
  static OSSL_LIB_CTX* const ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (c && !OSSL_PROVIDER_load(c, "null")) {
      OSSL_LIB_CTX_free(c);
      c = nullptr;
    }
    drain_openssl_errors();
    return c;
  }();
  return ctx;
}

// One certificate decoded in `libctx` (null: OpenSSL's default): all of `der`, nothing after it.
Result<OsslPtr<X509>> decode_x509(BytesView der, OSSL_LIB_CTX* libctx) {
  const unsigned char* p = der.data();
  OsslPtr<X509> x(libctx
                      ? reinterpret_cast<X509*>(ASN1_item_d2i_ex(nullptr, &p, static_cast<long>(der.size()),
                                                                 ASN1_ITEM_rptr(X509), libctx, nullptr))
                      : d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return fail_openssl(ErrorCode::kBadInput, "cannot parse the certificate: invalid DER");
  if (p != der.data() + der.size())
    return fail(ErrorCode::kBadInput, "cannot parse the certificate: trailing data");
  return x;
}

}  // namespace

Result<std::shared_ptr<const Certificate>> Certificate::from_der(BytesView der, OSSL_LIB_CTX* libctx) {
  PKI_ASSIGN(auto x, decode_x509(der, libctx));
  PKI_ASSIGN(auto c, from_received(std::move(x), der));
  c->libctx_ = libctx;
  return std::shared_ptr<const Certificate>(std::move(c));
}

Result<std::shared_ptr<const Certificate>> Certificate::from_der_key_apart(BytesView der,
                                                                           OSSL_LIB_CTX* libctx) {
  OSSL_LIB_CTX* keyless = keyless_context();
  if (!keyless) return from_der(der, libctx);
  auto x = decode_x509(der, keyless);
  drain_openssl_errors();  // the decoders the key found none of
  if (!x) return tl::unexpected(std::move(x.error()));
  PKI_ASSIGN(auto c, from_received(std::move(*x), der));
  c->libctx_ = libctx;
  // As from_der: a key that cannot be decoded leaves public_key() null, not the parse failed.
  if (auto key = keys::public_key_from_spki(c->spki_der_, libctx)) c->key_apart_ = std::move(*key);
  drain_openssl_errors();
  return std::shared_ptr<const Certificate>(std::move(c));
}

Result<std::shared_ptr<Certificate>> Certificate::from_received(OsslPtr<X509> x509, BytesView der) {
  std::shared_ptr<Certificate> c(new Certificate());
  c->x509_ = std::move(x509);
  PKI_TRY(c->parse());
  // OpenSSL reads BER and writes the outer SEQUENCE afresh (the signed part it keeps as received,
  // which parse() checked): bytes given that differ from its encoding were not DER.
  const auto& p = c->problems_;
  if (!std::equal(der.begin(), der.end(), c->der_.begin(), c->der_.end()) &&
      std::none_of(p.begin(), p.end(), [](const Problem& q) { return q.id == ProblemId::kNotDer; }))
    c->problem(ProblemId::kNotDer, "the certificate is not DER-encoded (X.690): " +
                                       der::der_violation(der).value_or("an encoding OpenSSL rewrote"));
  return c;
}

Result<std::shared_ptr<const Certificate>> Certificate::from_x509(OsslPtr<X509> x509) {
  std::shared_ptr<Certificate> c(new Certificate());
  c->x509_ = std::move(x509);
  PKI_TRY(c->parse());
  return std::shared_ptr<const Certificate>(std::move(c));
}

const EVP_PKEY* Certificate::public_key() const {
  if (key_apart_) return key_apart_.get();
  const EVP_PKEY* k = X509_get0_pubkey(x509_.get());
  if (!k) drain_openssl_errors();
  return k;
}

std::string Certificate::public_key_algorithm() const {
  const EVP_PKEY* k = public_key();
  if (!k) {
    const X509_PUBKEY* pub = X509_get_X509_PUBKEY(x509_.get());
    ASN1_OBJECT* alg = nullptr;
    X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, pub);
    return alg ? oid_name(*alg) : "unknown";
  }
  const int id = EVP_PKEY_get_base_id(k);
  const int bits = EVP_PKEY_get_bits(k);
  switch (id) {
    case EVP_PKEY_RSA:
      return "RSA " + std::to_string(bits);
    case EVP_PKEY_RSA_PSS:
      return "RSA-PSS " + std::to_string(bits);
    case EVP_PKEY_DSA:
      return "DSA " + std::to_string(bits);
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len)) {
        const int nid = OBJ_txt2nid(group);
        const char* nist = nid != NID_undef ? EC_curve_nid2nist(nid) : nullptr;
        return std::string("EC ") + (nist ? nist : group);
      }
      drain_openssl_errors();
      return "EC (explicit parameters)";
    }
    default:
      return OBJ_nid2sn(id);
  }
}

bool Certificate::signature_verifies(const EVP_PKEY& issuer_key) const {
  if (!sig_algs_match_) return false;
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(&signature, &algorithm, x509_.get());
  // The signed part as X509_verify checks it: in OpenSSL's encoding of the certificate (der_),
  // whose outer SEQUENCE and last two fields it writes afresh as DER, the bytes it kept for the
  // signed part as received (BER too) between them.
  BytesView in = der_;
  const auto outer = der::read(in);
  const int algorithm_size = i2d_X509_ALGOR(algorithm, nullptr);
  const int signature_size = i2d_ASN1_BIT_STRING(signature, nullptr);
  if (!outer || algorithm_size <= 0 || signature_size <= 0 ||
      outer->content.size() <= static_cast<std::size_t>(algorithm_size + signature_size)) {
    drain_openssl_errors();
    return false;
  }
  const BytesView tbs = outer->content.first(outer->content.size() - algorithm_size - signature_size);
  return cert::signature_verifies(tbs, *algorithm, *signature, issuer_key, libctx_);
}

bool signature_verifies(BytesView signed_der, const X509_ALGOR& algorithm, const ASN1_BIT_STRING& signature,
                        const EVP_PKEY& key, OSSL_LIB_CTX* libctx) {
  // The signed bytes as an ASN.1 ANY holding a SEQUENCE, which OpenSSL writes out verbatim.
  OsslPtr<ASN1_TYPE> any(ASN1_TYPE_new());
  ASN1_STRING* sequence = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
  if (!any || !sequence ||
      ASN1_STRING_set(sequence, signed_der.data(), static_cast<int>(signed_der.size())) != 1) {
    ASN1_STRING_free(sequence);
    drain_openssl_errors();
    return false;
  }
  ASN1_TYPE_set(any.get(), V_ASN1_SEQUENCE, sequence);
  const bool ok = ASN1_item_verify_ex(ASN1_ITEM_rptr(ASN1_ANY), const_cast<X509_ALGOR*>(&algorithm),
                                      const_cast<ASN1_BIT_STRING*>(&signature), any.get(), nullptr,
                                      const_cast<EVP_PKEY*>(&key), libctx, nullptr) == 1;
  drain_openssl_errors();
  return ok;
}

const X509_ALGOR& Certificate::signature_algorithm_identifier() const {
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x509_.get());
  return *alg;
}

std::string Certificate::signature_algorithm() const {
  if (signature_nid_ != NID_undef) return OBJ_nid2ln(signature_nid_);
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x509_.get());
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return obj ? oid_text(*obj) : "unknown";
}

std::string_view to_string(ProblemId id) {
  switch (id) {
    case ProblemId::kBadVersion:
      return "bad-version";
    case ProblemId::kEmptyIssuer:
      return "empty-issuer";
    case ProblemId::kTimeEncoding:
      return "time-encoding";
    case ProblemId::kDuplicateExtension:
      return "duplicate-extension";
    case ProblemId::kMalformedExtension:
      return "malformed-extension";
    case ProblemId::kMustBeNonCritical:
      return "must-be-non-critical";
    case ProblemId::kEmptySubjectWithoutCriticalSan:
      return "empty-subject-without-critical-san";
    case ProblemId::kCaWithEmptySubject:
      return "ca-with-empty-subject";
    case ProblemId::kNoAuthorityKeyId:
      return "no-authority-key-id";
    case ProblemId::kCaWithoutSubjectKeyId:
      return "ca-without-subject-key-id";
    case ProblemId::kPathLenWithoutCa:
      return "path-len-without-ca";
    case ProblemId::kKeyCertSignWithoutCa:
      return "key-cert-sign-without-ca";
    case ProblemId::kNameConstraintsWithoutCa:
      return "name-constraints-without-ca";
    case ProblemId::kNotDer:
      return "not-der";
    case ProblemId::kMalformedName:
      return "malformed-name";
  }
  return "?";
}

void Certificate::problem(ProblemId id, std::string message, std::string extension) {
  problems_.push_back(Problem{id, std::move(extension), std::move(message)});
}

Result<void> Certificate::parse() {
  X509* x = x509_.get();
  der_ = der_of(*x);
  if (der_.empty()) return fail_openssl(ErrorCode::kBadInput, "cannot encode the certificate");
  fingerprint_ = sha256_hex(der_);
  if (auto v = der::der_violation(der_))
    problem(ProblemId::kNotDer, "the certificate is not DER-encoded (X.690): " + *v);
  version_ = static_cast<int>(X509_get_version(x)) + 1;
  if (version_ > 3 || version_ < 1)
    problem(ProblemId::kBadVersion, "version field " + std::to_string(version_ - 1) +
                                        " names no version (RFC 5280 4.1.2.1: v1, v2 or v3)");
  {
    const ASN1_BIT_STRING *issuer_uid = nullptr, *subject_uid = nullptr;
    X509_get0_uids(x, &issuer_uid, &subject_uid);
    if (version_ == 1 && (issuer_uid || subject_uid))
      problem(ProblemId::kBadVersion, "unique identifiers in a version 1 certificate (RFC 5280 4.1.2.8)");
    const STACK_OF(X509_EXTENSION)* exts = X509_get0_extensions(x);
    if (exts && sk_X509_EXTENSION_num(exts) == 0)
      problem(ProblemId::kMalformedExtension,
              "an empty extensions field (RFC 5280 4.1: one or more extensions)");
  }
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  const auto* sp = ASN1_STRING_get0_data(serial);
  serial_.assign(sp, sp + ASN1_STRING_length(serial));
  serial_negative_ = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER;
  serial_hex_ = serial_to_hex(serial_);
  if (serial_negative_) serial_hex_.insert(serial_hex_.begin(), '-');
  subject_text_ = format_dn(subject());
  issuer_text_ = format_dn(issuer());
  self_issued_ = X509_NAME_cmp(&subject(), &issuer()) == 0;
  for (const X509_NAME* name : {&subject(), &issuer()}) {
    // Name ::= SEQUENCE OF RelativeDistinguishedName, each a SET SIZE (1..MAX) (RFC 5280 4.1.2.4).
    const unsigned char* encoded = nullptr;
    std::size_t length = 0;
    if (X509_NAME_get0_der(name, &encoded, &length) != 1) continue;
    BytesView in(encoded, length);
    auto seq = der::read(in);
    BytesView rdns = seq ? seq->content : BytesView{};
    while (auto rdn = der::read(rdns))
      if (rdn->content.empty()) {
        problem(ProblemId::kMalformedName, std::string("an empty relative distinguished name in the ") +
                                               (name == &subject() ? "subject" : "issuer") +
                                               " (RFC 5280 4.1.2.4: each has one or more attributes)");
        break;
      }
  }
  if (X509_NAME_entry_count(&issuer()) == 0)
    problem(ProblemId::kEmptyIssuer, "an empty issuer name (RFC 5280 4.1.2.4)");
  PKI_ASSIGN(not_before_, from_asn1_time(*X509_get0_notBefore(x)));
  PKI_ASSIGN(not_after_, from_asn1_time(*X509_get0_notAfter(x)));
  if (!is_der_time(*X509_get0_notBefore(x)))
    problem(ProblemId::kTimeEncoding, "notBefore is not in the form RFC 5280 4.1.2.5 requires");
  if (!is_der_time(*X509_get0_notAfter(x)))
    problem(ProblemId::kTimeEncoding, "notAfter is not in the form RFC 5280 4.1.2.5 requires");
  {
    unsigned char* buf = nullptr;
    const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);
    if (n <= 0) return fail_openssl(ErrorCode::kBadInput, "cannot encode the public key");
    spki_der_.assign(buf, buf + n);
    OPENSSL_free(buf);
  }
  signature_nid_ = X509_get_signature_nid(x);
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, x);
  sig_algs_match_ = X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)) == 0;

  std::set<std::string> seen;
  for (int i = 0; i < X509_get_ext_count(x); ++i) {
    X509_EXTENSION* ext = X509_get_ext(x, i);
    const std::string id = oid_text(*X509_EXTENSION_get_object(ext));
    // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (!seen.insert(id).second)
      problem(ProblemId::kDuplicateExtension,
              "extension " + oid_name(*X509_EXTENSION_get_object(ext)) + " appears more than once", id);
    parse_extension(*ext);
    // extnValue holds the DER encoding of the extension (RFC 5280 4.1). Checked in those pki reads
    // (each decoded whole); another's value is opaque to it.
    if (extensions_.back().understood) {
      const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
      if (auto v = der::der_violation(
              {ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data))}))
        problem(ProblemId::kNotDer, "extension " + id + " is not DER-encoded (X.690): " + *v, id);
    }
  }
  if (auto v = explicit_default(der_))
    problem(ProblemId::kNotDer, "the certificate is not DER-encoded (X.690 11.5): " + *v);
  check_profile();
  drain_openssl_errors();
  return {};
}

// Profile rules of RFC 5280 4.2.1 that involve more than one field.
void Certificate::check_profile() {
  const bool ca = basic_constraints_ && basic_constraints_->ca;
  auto critical = [&](std::string_view oid) {
    return std::any_of(extensions_.begin(), extensions_.end(),
                       [&](const ExtensionInfo& e) { return e.oid == oid && e.critical; });
  };
  if (subject_empty() && (!san_ || !critical(oid::kSubjectAltName)))
    problem(ProblemId::kEmptySubjectWithoutCriticalSan,
            "an empty subject needs a critical subjectAltName (RFC 5280 4.2.1.6)");
  if (ca && subject_empty())
    problem(ProblemId::kCaWithEmptySubject, "a CA certificate with an empty subject (RFC 5280 4.1.2.6)");
  // How paths are built: every certificate but a self-signed one names its issuer's key, and
  // every CA certificate names its own (RFC 5280 4.2.1.1, 4.2.1.2).
  if (!self_issued_ && !(aki_ && aki_->key_id))
    problem(ProblemId::kNoAuthorityKeyId, "no authorityKeyIdentifier keyIdentifier (RFC 5280 4.2.1.1)");
  if (ca && !ski_)
    problem(ProblemId::kCaWithoutSubjectKeyId,
            "a CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
  if (basic_constraints_ && !ca && basic_constraints_->path_len)
    problem(ProblemId::kPathLenWithoutCa,
            "pathLenConstraint without cA, which makes it meaningless (RFC 5280 4.2.1.9)",
            std::string(oid::kBasicConstraints));
  if (key_usage_ && (*key_usage_ & key_usage::kKeyCertSign) && !ca)
    problem(ProblemId::kKeyCertSignWithoutCa, "keyCertSign without basicConstraints cA (RFC 5280 4.2.1.3)",
            std::string(oid::kKeyUsage));
  if (name_constraints_ && !ca)
    problem(
        ProblemId::kNameConstraintsWithoutCa,
        "nameConstraints in a certificate that is not a CA's (RFC 5280 4.2.1.10: only in CA certificates)",
        std::string(oid::kNameConstraints));
  // Extensions RFC 5280 says MUST (or, for issuerAltName, SHOULD) be non-critical: 4.2.1.1,
  // 4.2.1.2, 4.2.1.7, 4.2.1.15, 4.2.2.1, 4.2.2.2.
  for (const auto& e : extensions_) {
    if (!e.critical) continue;
    const char* which = e.oid == oid::kAuthorityKeyIdentifier ? "authorityKeyIdentifier"
                        : e.oid == oid::kSubjectKeyIdentifier ? "subjectKeyIdentifier"
                        : e.oid == oid::kIssuerAltName        ? "issuerAltName"
                        : e.oid == oid::kFreshestCrl          ? "freshestCRL"
                        : e.oid == oid::kAuthorityInfoAccess  ? "authorityInfoAccess"
                        : e.oid == oid::kSubjectInfoAccess    ? "subjectInfoAccess"
                                                              : nullptr;
    if (which)
      problem(ProblemId::kMustBeNonCritical, std::string(which) + " marked critical (RFC 5280 4.2)", e.oid);
  }
}

namespace {

// Decodes extnValue as `item`, requiring every byte to be used.
template <class T>
OsslPtr<T> decode_ext(X509_EXTENSION& ext, const ASN1_ITEM* item) {
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(&ext);
  const unsigned char* p = ASN1_STRING_get0_data(data);
  const long len = ASN1_STRING_length(data);
  OsslPtr<T> out(reinterpret_cast<T*>(ASN1_item_d2i(nullptr, &p, len, item)));
  if (out && p != ASN1_STRING_get0_data(data) + len) out.reset();
  return out;
}

std::optional<long> to_long(const ASN1_INTEGER* i) {
  if (!i) return std::nullopt;
  std::int64_t v = 0;
  if (ASN1_INTEGER_get_int64(&v, i) != 1) return std::nullopt;
  return static_cast<long>(v);
}

}  // namespace

void Certificate::parse_extension(X509_EXTENSION& ext) {
  const std::string id = oid_text(*X509_EXTENSION_get_object(&ext));
  extensions_.push_back(ExtensionInfo{id, X509_EXTENSION_get_critical(&ext) == 1, true});
  auto malformed = [&](const char* name, const char* what = nullptr) {
    problem(ProblemId::kMalformedExtension,
            what ? std::string(what) : std::string("malformed ") + name + " extension", id);
  };

  if (id == oid::kBasicConstraints) {
    auto bc = decode_ext<BASIC_CONSTRAINTS>(ext, ASN1_ITEM_rptr(BASIC_CONSTRAINTS));
    if (!bc) return malformed("basicConstraints");
    BasicConstraints out{bc->ca != 0, std::nullopt};
    if (bc->pathlen) {
      if (ASN1_STRING_type(bc->pathlen) == V_ASN1_NEG_INTEGER || !to_long(bc->pathlen))
        malformed("basicConstraints", "basicConstraints pathLenConstraint is negative or too large");
      else
        out.path_len = to_long(bc->pathlen);
    }
    basic_constraints_ = out;
  } else if (id == oid::kKeyUsage) {
    auto ku = decode_ext<ASN1_BIT_STRING>(ext, ASN1_ITEM_rptr(ASN1_BIT_STRING));
    if (!ku) return malformed("keyUsage");
    key_usage_ = named_bits(*ku);
    if (*key_usage_ == 0) malformed("keyUsage", "keyUsage with no bit set (RFC 5280 4.2.1.3)");
    // A named bit list in DER ends at its last set bit (X.690 11.2.2): the unused-bits count
    // covers every trailing zero bit, and no zero octet follows.
    const ASN1_OCTET_STRING* raw = X509_EXTENSION_get_data(&ext);
    const unsigned char* v = ASN1_STRING_get0_data(raw);
    const int n = ASN1_STRING_length(raw);
    if (*key_usage_ != 0 && n >= 4 && v[0] == 0x03 && v[1] == n - 2) {
      const unsigned last = v[n - 1];
      const unsigned unused = v[2];
      if (last == 0 || (last & ((1u << (unused + 1)) - 1)) != (1u << unused))
        problem(ProblemId::kNotDer,
                "keyUsage has trailing zero bits (X.690 11.2.2: a named bit list ends at its last set bit)",
                id);
    }
  } else if (id == oid::kExtKeyUsage) {
    auto eku = decode_ext<EXTENDED_KEY_USAGE>(ext, ASN1_ITEM_rptr(EXTENDED_KEY_USAGE));
    if (!eku) return malformed("extKeyUsage");
    if (sk_ASN1_OBJECT_num(eku.get()) == 0)
      malformed("extKeyUsage", "an empty extendedKeyUsage (RFC 5280 4.2.1.12: one or more purposes)");
    std::vector<std::string> purposes;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i)
      purposes.push_back(oid_text(*sk_ASN1_OBJECT_value(eku.get(), i)));
    eku_ = std::move(purposes);
  } else if (id == oid::kSubjectKeyIdentifier) {
    auto ski = decode_ext<ASN1_OCTET_STRING>(ext, ASN1_ITEM_rptr(ASN1_OCTET_STRING));
    if (!ski) return malformed("subjectKeyIdentifier");
    const auto* p = ASN1_STRING_get0_data(ski.get());
    ski_ = Bytes(p, p + ASN1_STRING_length(ski.get()));
  } else if (id == oid::kAuthorityKeyIdentifier) {
    auto aki = decode_ext<AUTHORITY_KEYID>(ext, ASN1_ITEM_rptr(AUTHORITY_KEYID));
    if (!aki) return malformed("authorityKeyIdentifier");
    {
      // keyIdentifier [0] and authorityCertSerialNumber [2] are primitive in DER (X.690 10.2).
      const ASN1_OCTET_STRING* raw = X509_EXTENSION_get_data(&ext);
      BytesView in(ASN1_STRING_get0_data(raw), static_cast<std::size_t>(ASN1_STRING_length(raw)));
      if (auto seq = der::read(in)) {
        BytesView fields = seq->content;
        while (auto f = der::read(fields))
          if (f->tag == 0xA0 || f->tag == 0xA2)
            problem(ProblemId::kNotDer,
                    "authorityKeyIdentifier has a constructed " +
                        std::string(f->tag == 0xA0 ? "keyIdentifier" : "serial number") +
                        " (X.690 10.2: primitive in DER)",
                    id);
      }
    }
    AuthorityKeyId out;
    if (aki->keyid) {
      const auto* p = ASN1_STRING_get0_data(aki->keyid);
      out.key_id = Bytes(p, p + ASN1_STRING_length(aki->keyid));
    }
    if (aki->issuer) {
      auto names = from_openssl(*aki->issuer);
      if (!names) return malformed("authorityKeyIdentifier");
      out.issuer = std::move(*names);
    }
    if (aki->serial) {
      const auto* p = ASN1_STRING_get0_data(aki->serial);
      out.serial = Bytes(p, p + ASN1_STRING_length(aki->serial));
    }
    aki_ = std::move(out);
  } else if (id == oid::kSubjectAltName) {
    auto names = decode_ext<GENERAL_NAMES>(ext, ASN1_ITEM_rptr(GENERAL_NAMES));
    if (!names) return malformed("subjectAltName");
    auto parsed = from_openssl(*names);
    if (!parsed) return malformed("subjectAltName");
    if (parsed->empty())
      malformed("subjectAltName", "an empty subjectAltName (RFC 5280 4.2.1.6: one or more names)");
    for (const auto& n : *parsed)
      if (n.type == GeneralNameType::kIp && n.bytes.size() != 4 && n.bytes.size() != 16)
        malformed("subjectAltName",
                  "an iPAddress of neither 4 nor 16 octets in subjectAltName (RFC 5280 4.2.1.6)");
    san_ = std::move(*parsed);
  } else if (id == oid::kNameConstraints) {
    parse_name_constraints(ext, id);
  } else if (id == oid::kCertificatePolicies) {
    parse_policies(ext, id);
  } else if (id == oid::kPolicyMappings) {
    auto pm = decode_ext<POLICY_MAPPINGS>(ext, ASN1_ITEM_rptr(POLICY_MAPPINGS));
    if (!pm) return malformed("policyMappings");
    if (sk_POLICY_MAPPING_num(pm.get()) == 0)
      malformed("policyMappings", "an empty policyMappings (RFC 5280 4.2.1.5: one or more mappings)");
    std::vector<PolicyMapping> out;
    for (int i = 0; i < sk_POLICY_MAPPING_num(pm.get()); ++i) {
      const POLICY_MAPPING* m = sk_POLICY_MAPPING_value(pm.get(), i);
      out.push_back({oid_text(*m->issuerDomainPolicy), oid_text(*m->subjectDomainPolicy)});
    }
    policy_mappings_ = std::move(out);
  } else if (id == oid::kPolicyConstraints) {
    auto pc = decode_ext<POLICY_CONSTRAINTS>(ext, ASN1_ITEM_rptr(POLICY_CONSTRAINTS));
    if (!pc) return malformed("policyConstraints");
    PolicyConstraints out;
    if (pc->requireExplicitPolicy) out.require_explicit_policy = to_long(pc->requireExplicitPolicy);
    if (pc->inhibitPolicyMapping) out.inhibit_policy_mapping = to_long(pc->inhibitPolicyMapping);
    // RFC 5280 4.2.1.11: "Conforming CAs MUST NOT issue certificates where policyConstraints is an
    // empty sequence."
    if (!pc->requireExplicitPolicy && !pc->inhibitPolicyMapping)
      malformed("policyConstraints", "empty policyConstraints");
    policy_constraints_ = out;
  } else if (id == oid::kInhibitAnyPolicy) {
    auto n = decode_ext<ASN1_INTEGER>(ext, ASN1_ITEM_rptr(ASN1_INTEGER));
    if (!n || !to_long(n.get()) || *to_long(n.get()) < 0) return malformed("inhibitAnyPolicy");
    inhibit_any_policy_ = to_long(n.get());
  } else if (id == oid::kCrlDistributionPoints || id == oid::kFreshestCrl) {
    auto dps = decode_ext<CRL_DIST_POINTS>(ext, ASN1_ITEM_rptr(CRL_DIST_POINTS));
    if (!dps) return malformed("CRL distribution points");
    if (sk_DIST_POINT_num(dps.get()) == 0)
      malformed("CRL distribution points",
                "an empty list of CRL distribution points (RFC 5280 4.2.1.13: one or more)");
    auto& into = id == oid::kFreshestCrl ? freshest_crl_ : crl_dps_;
    for (int i = 0; i < sk_DIST_POINT_num(dps.get()); ++i) {
      const DIST_POINT* d = sk_DIST_POINT_value(dps.get(), i);
      auto dp = distribution_point_from(d->distpoint, d->reasons, d->CRLissuer);
      if (!dp) {
        malformed("CRL distribution points");
        continue;
      }
      if (!d->distpoint && !d->CRLissuer)
        malformed("CRL distribution points",
                  "a distribution point with neither a name nor a CRL issuer (RFC 5280 4.2.1.13)");
      into.push_back(std::move(*dp));
    }
  } else if (id == oid::kAuthorityInfoAccess || id == oid::kSubjectInfoAccess) {
    // Informational (nothing in path validation depends on them), but read: AccessDescriptions,
    // one or more (RFC 5280 4.2.2.1, 4.2.2.2).
    auto info = decode_ext<AUTHORITY_INFO_ACCESS>(ext, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS));
    if (!info || sk_ACCESS_DESCRIPTION_num(info.get()) == 0)
      return malformed(id == oid::kAuthorityInfoAccess ? "authorityInfoAccess" : "subjectInfoAccess");
  } else if (id == oid::kIssuerAltName) {
    auto names = decode_ext<GENERAL_NAMES>(ext, ASN1_ITEM_rptr(GENERAL_NAMES));
    if (!names || sk_GENERAL_NAME_num(names.get()) == 0) return malformed("issuerAltName");
  } else if (id == oid::kOcspNoCheck) {
    // A NULL telling OCSP clients not to ask after this responder's own status (RFC 6960
    // 4.2.2.2.1): it limits nothing in a path, so it is understood, critical or not.
    const ASN1_OCTET_STRING* raw = X509_EXTENSION_get_data(&ext);
    const unsigned char* v = ASN1_STRING_get0_data(raw);
    if (ASN1_STRING_length(raw) != 2 || v[0] != 0x05 || v[1] != 0x00)
      return malformed("ocspNoCheck",
                       "an ocspNoCheck extension whose value is not NULL (RFC 6960 4.2.2.2.1)");
  } else {
    extensions_.back().understood = false;
  }
}

void Certificate::parse_name_constraints(X509_EXTENSION& ext, const std::string& id) {
  auto malformed = [&](std::string what) { problem(ProblemId::kMalformedExtension, std::move(what), id); };
  auto nc = decode_ext<NAME_CONSTRAINTS>(ext, ASN1_ITEM_rptr(NAME_CONSTRAINTS));
  if (!nc) return malformed("malformed nameConstraints extension");
  NameConstraints out;
  bool ok = true;
  auto subtrees = [&](const STACK_OF(GENERAL_SUBTREE) * s, std::vector<GeneralSubtree> & into) {
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(s); ++i) {
      const GENERAL_SUBTREE* st = sk_GENERAL_SUBTREE_value(s, i);
      auto base = from_openssl(*st->base);
      if (!base) {
        ok = false;
        continue;
      }
      into.push_back(
          GeneralSubtree{std::move(*base), to_long(st->minimum).value_or(0), to_long(st->maximum)});
    }
  };
  if (nc->permittedSubtrees) subtrees(nc->permittedSubtrees, out.permitted);
  if (nc->excludedSubtrees) subtrees(nc->excludedSubtrees, out.excluded);
  if (!ok) return malformed("malformed nameConstraints extension");
  // RFC 5280 4.2.1.10: not empty; minimum zero and maximum absent; an iPAddress subtree is an
  // address and a contiguous mask (8 or 32 octets).
  if (out.permitted.empty() && out.excluded.empty()) malformed("empty nameConstraints");
  for (const auto* list : {&out.permitted, &out.excluded})
    for (const auto& st : *list) {
      if (st.minimum != 0 || st.maximum) malformed("nameConstraints subtree with a minimum or maximum");
      if (st.base.type != GeneralNameType::kIp) continue;
      const auto& b = st.base.bytes;
      bool contiguous = b.size() == 8 || b.size() == 32;
      bool zero_seen = false;
      for (std::size_t i = b.size() / 2; contiguous && i < b.size(); ++i)
        for (int bit = 7; bit >= 0; --bit) {
          const bool one = (b[i] >> bit) & 1;
          if (one && zero_seen) contiguous = false;
          if (!one) zero_seen = true;
        }
      if (!contiguous)
        malformed("nameConstraints iPAddress subtree that is not an address and a prefix mask");
    }
  name_constraints_ = std::move(out);
}

void Certificate::parse_policies(X509_EXTENSION& ext, const std::string& id) {
  auto cp = decode_ext<CERTIFICATEPOLICIES>(ext, ASN1_ITEM_rptr(CERTIFICATEPOLICIES));
  if (!cp) return problem(ProblemId::kMalformedExtension, "malformed certificatePolicies extension", id);
  if (sk_POLICYINFO_num(cp.get()) == 0)
    problem(ProblemId::kMalformedExtension,
            "an empty certificatePolicies (RFC 5280 4.2.1.4: one or more policies)", id);
  std::vector<std::string> out;
  std::set<std::string> unique;
  bool qualifiers_known = true;
  for (int i = 0; i < sk_POLICYINFO_num(cp.get()); ++i) {
    const POLICYINFO* info = sk_POLICYINFO_value(cp.get(), i);
    std::string p = oid_text(*info->policyid);
    // RFC 5280 4.2.1.4: "A certificate policy OID MUST NOT appear more than once".
    if (!unique.insert(p).second)
      problem(ProblemId::kMalformedExtension, "certificate policy " + p + " appears more than once", id);
    for (int q = 0; q < sk_POLICYQUALINFO_num(info->qualifiers); ++q) {
      const std::string qid = oid_text(*sk_POLICYQUALINFO_value(info->qualifiers, q)->pqualid);
      if (qid != oid::kCpsQualifier && qid != oid::kUserNoticeQualifier) qualifiers_known = false;
    }
    out.push_back(std::move(p));
  }
  // RFC 5280 4.2.1.4: "If this extension is critical, the path validation software MUST be able to
  // interpret this extension (including the optional qualifier), or MUST reject the certificate."
  // pki knows the two qualifiers RFC 5280 defines, CPS pointer and user notice (text to display).
  if (!qualifiers_known) extensions_.back().understood = false;
  policies_ = std::move(out);
}

}  // namespace pki::cert
