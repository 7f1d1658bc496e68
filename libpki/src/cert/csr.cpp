#include "pki/cert/csr.h"

#include <openssl/core_names.h>

#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"

namespace pki::cert {

namespace {

// The subjectAltName among a request's extensions, if any.
Result<std::vector<GeneralName>> requested_sans(const STACK_OF(X509_EXTENSION) & exts) {
  const int idx = X509v3_get_ext_by_NID(&exts, NID_subject_alt_name, -1);
  if (idx < 0) return std::vector<GeneralName>{};
  OsslPtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(X509v3_get_ext(&exts, idx))));
  if (!names) return fail_openssl(ErrorCode::kBadInput, "the CSR's subjectAltName is malformed");
  return from_openssl(*names);
}

}  // namespace

Result<CsrInfo> inspect_csr(X509_REQ& csr) {
  CsrInfo out;
  EVP_PKEY* key = X509_REQ_get0_pubkey(&csr);
  if (!key) return fail_openssl(ErrorCode::kBadInput, "the CSR's public key cannot be decoded");
  PKI_ASSIGN(out.key_type, keys::classify(*key));
  if (X509_REQ_verify(&csr, key) != 1)
    return fail_openssl(ErrorCode::kBadInput, "the CSR's signature does not verify with its own public key");
  out.subject.reset(X509_NAME_dup(X509_REQ_get_subject_name(&csr)));
  if (!out.subject) return fail_openssl(ErrorCode::kInternal, "out of memory");
  unsigned char* buf = nullptr;
  const int n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(&csr), &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kBadInput, "the CSR's public key cannot be encoded");
  out.spki.assign(buf, buf + n);
  OPENSSL_free(buf);

  OsslPtr<STACK_OF(X509_EXTENSION)> exts(X509_REQ_get_extensions(&csr));
  drain_openssl_errors();
  // No extension request is not an error; one that cannot be read is.
  if (!exts && (X509_REQ_get_attr_by_NID(&csr, NID_ext_req, -1) >= 0 ||
                X509_REQ_get_attr_by_NID(&csr, NID_ms_ext_req, -1) >= 0))
    return fail(ErrorCode::kBadInput, "the CSR's extension request is malformed");
  if (exts) {
    PKI_ASSIGN(out.requested_sans, requested_sans(*exts));
  }
  return out;
}

namespace {

// The OIDs the fast path knows, as DER (tag and length included), encoded once. A function-local
// static is initialised once, thread-safely, so concurrent issuers share it.
struct KnownOids {
  Bytes ed25519 = der::oid(oid::kEd25519);
  Bytes ecdsa_sha256 = der::oid(oid::kEcdsaWithSha256);
  Bytes ecdsa_sha384 = der::oid(oid::kEcdsaWithSha384);
  Bytes ecdsa_sha512 = der::oid(oid::kEcdsaWithSha512);
  Bytes extension_request = der::oid(oid::kExtensionRequest);
};

const KnownOids& oids() {
  static const KnownOids known;
  return known;
}

// The fast path's answer: nullopt means "not for the fast path, use OpenSSL's parser". Anything
// the walk does not recognise goes there too, so a malformed request gets OpenSSL's judgement and
// message, and the fast path only ever answers for requests it has read completely.
using Fast = std::optional<Result<CsrInfo>>;

Fast fast_inspect(BytesView der) {
  const KnownOids& k = oids();
  BytesView in = der;
  auto outer = der::read(in);
  if (!outer || outer->tag != der::tag::kSequence || !in.empty()) return std::nullopt;
  BytesView body = outer->content;
  auto info = der::read(body);
  auto sig_alg = der::read(body);
  auto sig = der::read(body);
  if (!info || !sig_alg || !sig || !body.empty() || info->tag != der::tag::kSequence ||
      sig_alg->tag != der::tag::kSequence || sig->tag != der::tag::kBitString || sig->content.empty() ||
      sig->content[0] != 0)
    return std::nullopt;

  // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }
  BytesView fields = info->content;
  auto version = der::read(fields);
  auto subject = der::read(fields);
  auto spki = der::read(fields);
  auto attributes = der::read(fields);
  if (!version || !subject || !spki || !attributes || !fields.empty() || version->tag != der::tag::kInteger ||
      version->content.size() != 1 || version->content[0] != 0 || subject->tag != der::tag::kSequence ||
      spki->tag != der::tag::kSequence || attributes->tag != der::tag::context_constructed(0))
    return std::nullopt;

  // SubjectPublicKeyInfo: only EC on P-256/P-384 and Ed25519 go fast.
  auto fast_key = keys::fast_public_key(spki->whole);
  if (!fast_key) return std::nullopt;
  if (!*fast_key) {
    Error e = std::move(fast_key->error());
    e.message = "the CSR's " + e.message;
    return Fast(tl::unexpected(std::move(e)));
  }
  const OsslPtr<EVP_PKEY> key = std::move((*fast_key)->key);
  const keys::KeyType type = (*fast_key)->type;
  const char* md = nullptr;

  // The signature algorithm must fit the key: ECDSA with SHA-2 (no parameters, RFC 5758 3.2) or
  // pure Ed25519.
  BytesView sig_alg_body = sig_alg->content;
  auto sig_oid = der::read(sig_alg_body);
  if (!sig_oid || !sig_alg_body.empty()) return std::nullopt;
  if (type == keys::KeyType::kEd25519) {
    if (!sig_oid->is(k.ed25519)) return std::nullopt;
  } else if (sig_oid->is(k.ecdsa_sha256)) {
    md = "SHA256";
  } else if (sig_oid->is(k.ecdsa_sha384)) {
    md = "SHA384";
  } else if (sig_oid->is(k.ecdsa_sha512)) {
    md = "SHA512";
  } else {
    return std::nullopt;  // SHA-1 and the rest: OpenSSL's path, and its refusals
  }
  PKI_TRY(keys::check_public_key(*key));
  OsslPtr<EVP_MD_CTX> mctx(EVP_MD_CTX_new());
  const BytesView signature = sig->content.subspan(1);
  if (!mctx || EVP_DigestVerifyInit_ex(mctx.get(), nullptr, md, nullptr, nullptr, key.get(), nullptr) != 1 ||
      EVP_DigestVerify(mctx.get(), signature.data(), signature.size(), info->whole.data(),
                       info->whole.size()) != 1) {
    drain_openssl_errors();
    return Fast(fail(ErrorCode::kBadInput, "the CSR's signature does not verify with its own public key"));
  }

  CsrInfo out;
  out.key_type = type;
  out.spki.assign(spki->whole.begin(), spki->whole.end());
  const unsigned char* p = subject->whole.data();
  out.subject.reset(d2i_X509_NAME(nullptr, &p, static_cast<long>(subject->whole.size())));
  if (!out.subject) return Fast(fail_openssl(ErrorCode::kBadInput, "the CSR's subject is malformed"));
  // Attributes: the extensionRequest (PKCS#9, RFC 2985 5.4.2) carries the SANs asked for. Only
  // a request with no attributes, or with one extensionRequest of one value, is read here; any
  // other attribute (challengePassword, Microsoft's extension request, a repeat) or anything
  // unexpected goes to OpenSSL's parser, so that both paths give one answer.
  BytesView attrs = attributes->content;
  bool seen_request = false;
  while (!attrs.empty()) {
    auto attr = der::read(attrs);
    if (!attr || attr->tag != der::tag::kSequence) return std::nullopt;
    BytesView a = attr->content;
    auto type_oid = der::read(a);
    auto values = der::read(a);
    if (!type_oid || !values || !a.empty() || values->tag != der::tag::kSet) return std::nullopt;
    if (!type_oid->is(k.extension_request) || seen_request) return std::nullopt;
    seen_request = true;
    BytesView v = values->content;
    auto exts = der::read(v);
    if (!exts || !v.empty()) return std::nullopt;
    const unsigned char* ep = exts->whole.data();
    OsslPtr<STACK_OF(X509_EXTENSION)> list(
        d2i_X509_EXTENSIONS(nullptr, &ep, static_cast<long>(exts->whole.size())));
    if (!list || ep != exts->whole.data() + exts->whole.size()) {
      drain_openssl_errors();
      return std::nullopt;
    }
    auto sans = requested_sans(*list);
    if (!sans) return Fast(tl::unexpected(sans.error()));
    out.requested_sans = std::move(*sans);
  }
  out.read_directly = true;
  return Fast(std::move(out));
}

}  // namespace

Result<CsrInfo> inspect_csr_der(BytesView der) {
  if (auto fast = fast_inspect(der)) return std::move(*fast);
  PKI_ASSIGN(auto csr, parse_csr(as_chars(der), "the CSR"));
  return inspect_csr(*csr);
}

}  // namespace pki::cert
