#include "pki/cert/builder.h"

#include "pki/cert/oids.h"
#include "pki/core/der.h"

namespace pki::cert {

namespace ext {

Extension basic_constraints(bool ca, std::optional<int> path_len) {
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
  // DER omits a DEFAULT value (X.690 11.5), so CA:FALSE is an empty SEQUENCE.
  Bytes body;
  if (ca) {
    const Bytes t = der::boolean(true);
    body.insert(body.end(), t.begin(), t.end());
    if (path_len) {
      const Bytes n = der::integer(*path_len);
      body.insert(body.end(), n.begin(), n.end());
    }
  }
  return {oid::kBasicConstraints, true, der::tlv(der::tag::kSequence, body)};
}

Extension key_usage(std::uint16_t bits) {
  // A named bit list: bit n is bit (7 - n % 8) of octet n / 8; trailing zero bits are dropped
  // (X.690 11.2.2).
  int highest = -1;
  for (int i = 0; i < 16; ++i)
    if (bits & (1u << i)) highest = i;
  Bytes content;
  int unused = 0;
  if (highest >= 0) {
    content.assign(static_cast<std::size_t>(highest / 8 + 1), 0);
    for (int i = 0; i <= highest; ++i)
      if (bits & (1u << i))
        content[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    unused = 7 - highest % 8;
  }
  return {oid::kKeyUsage, true, der::bit_string(content, unused)};
}

Extension ext_key_usage(std::span<const der::ConstOid> purposes) {
  std::vector<Bytes> encoded;
  for (der::ConstOid p : purposes) encoded.push_back(der::oid(p));
  return ext_key_usage(encoded);
}

Extension ext_key_usage(std::span<const Bytes> encoded_purposes) {
  Bytes body;
  for (const Bytes& o : encoded_purposes) body.insert(body.end(), o.begin(), o.end());
  return {oid::kExtKeyUsage, false, der::tlv(der::tag::kSequence, body)};
}

Extension subject_key_id(BytesView key_id) {
  return {oid::kSubjectKeyIdentifier, false, der::octet_string(key_id)};
}

Extension authority_key_id(BytesView key_id) {
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... }
  return {oid::kAuthorityKeyIdentifier, false, der::sequence({der::tlv(der::tag::context(0), key_id)})};
}

Extension subject_alt_name(std::span<const GeneralName> names, bool critical) {
  Bytes body;
  for (const auto& n : names) {
    const Bytes e = encode(n);
    body.insert(body.end(), e.begin(), e.end());
  }
  return {oid::kSubjectAltName, critical, der::tlv(der::tag::kSequence, body)};
}

namespace {
// CRLDistributionPoints ::= SEQUENCE OF DistributionPoint
// DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, ... }
// DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... }
Bytes distribution_points(std::string_view url) {
  const Bytes uri = encode(GeneralName{GeneralNameType::kUri, std::string(url), {}});
  const Bytes full_name = der::tlv(der::tag::context_constructed(0), uri);
  const Bytes dp_name = der::tlv(der::tag::context_constructed(0), full_name);
  return der::sequence({der::sequence({dp_name})});
}
}  // namespace

Extension crl_distribution_point(std::string_view url) {
  return {oid::kCrlDistributionPoints, false, distribution_points(url)};
}

Extension freshest_crl(std::string_view url) { return {oid::kFreshestCrl, false, distribution_points(url)}; }

Extension authority_info_access(const std::optional<std::string>& ocsp_url,
                                const std::optional<std::string>& ca_issuers_url) {
  // AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
  // AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER, accessLocation GeneralName }
  Bytes list;
  auto add = [&](der::ConstOid method, const std::string& url) {
    const Bytes d = der::sequence({der::oid(method), encode(GeneralName{GeneralNameType::kUri, url, {}})});
    list.insert(list.end(), d.begin(), d.end());
  };
  if (ocsp_url) add(oid::kAdOcsp, *ocsp_url);
  if (ca_issuers_url) add(oid::kAdCaIssuers, *ca_issuers_url);
  return {oid::kAuthorityInfoAccess, false, der::tlv(der::tag::kSequence, list)};
}

Extension ocsp_no_check() { return {oid::kOcspNoCheck, false, Bytes{0x05, 0x00}}; }

Extension name_constraints(std::span<const std::string> permitted_dns,
                           std::span<const std::string> excluded_dns) {
  // NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
  //                                excludedSubtrees [1] GeneralSubtrees OPTIONAL }
  // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
  auto subtrees = [](std::span<const std::string> names) {
    Bytes out;
    for (const auto& n : names) {
      const Bytes sub = der::sequence({encode(GeneralName{GeneralNameType::kDns, n, {}})});
      out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
  };
  Bytes body;
  if (!permitted_dns.empty()) {
    const Bytes p = der::tlv(der::tag::context_constructed(0), subtrees(permitted_dns));
    body.insert(body.end(), p.begin(), p.end());
  }
  if (!excluded_dns.empty()) {
    const Bytes e = der::tlv(der::tag::context_constructed(1), subtrees(excluded_dns));
    body.insert(body.end(), e.begin(), e.end());
  }
  return {oid::kNameConstraints, true, der::tlv(der::tag::kSequence, body)};
}

}  // namespace ext

Result<Bytes> key_identifier(BytesView spki_der) {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  BytesView in = spki_der;
  auto spki = der::read(in);
  if (!spki || spki->tag != der::tag::kSequence) return fail(ErrorCode::kBadInput, "malformed public key");
  BytesView body = spki->content;
  auto alg = der::read(body);
  auto bits = der::read(body);
  if (!alg || !bits || bits->tag != der::tag::kBitString || bits->content.empty())
    return fail(ErrorCode::kBadInput, "malformed public key");
  Bytes digest = sha256(bits->content.subspan(1));
  digest.resize(20);
  return digest;
}

Result<Signer> Signer::create(OsslPtr<EVP_PKEY> key) {
  Signer s;
  PKI_ASSIGN(s.type_, keys::classify(*key));
  switch (s.type_) {
    case keys::KeyType::kEcP256:
      s.md_ = EVP_sha256();
      s.algorithm_ = der::sequence({der::oid(oid::kEcdsaWithSha256)});  // RFC 5758 3.2: no parameters
      break;
    case keys::KeyType::kEcP384:
      s.md_ = EVP_sha384();
      s.algorithm_ = der::sequence({der::oid(oid::kEcdsaWithSha384)});
      break;
    case keys::KeyType::kRsa2048:
    case keys::KeyType::kRsa3072:
    case keys::KeyType::kRsa4096:
      s.md_ = EVP_sha256();
      s.algorithm_ =
          der::sequence({der::oid(oid::kSha256WithRsa), der::null()});  // RFC 4055 5: NULL parameters
      break;
    case keys::KeyType::kEd25519:
      s.md_ = nullptr;
      s.algorithm_ = der::sequence({der::oid(oid::kEd25519)});  // RFC 8410 3: parameters absent
      break;
  }
  s.key_ = std::move(key);
  return s;
}

Result<Bytes> Signer::sign(BytesView data) const {
  OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_, nullptr, key_.get()) != 1)
    return fail_openssl(ErrorCode::kInternal, "cannot start signing");
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1)
    return fail_openssl(ErrorCode::kInternal, "signing failed");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1)
    return fail_openssl(ErrorCode::kInternal, "signing failed");
  sig.resize(len);
  return sig;
}

Bytes encode_extensions(std::span<const Extension> extensions) {
  Bytes body;
  for (const auto& e : extensions) {
    const Bytes one = e.critical
                          ? der::sequence({der::oid(e.oid), der::boolean(true), der::octet_string(e.value)})
                          : der::sequence({der::oid(e.oid), der::octet_string(e.value)});
    body.insert(body.end(), one.begin(), one.end());
  }
  return der::tlv(der::tag::kSequence, body);
}

Bytes signed_structure(BytesView tbs, BytesView algorithm, BytesView signature) {
  return der::sequence({tbs, algorithm, der::bit_string(signature)});
}

Result<Bytes> encode_tbs_certificate(const TbsCertificate& t, BytesView algorithm) {
  if (t.serial.empty()) return fail(ErrorCode::kInternal, "certificate without a serial");
  const Bytes version = der::tlv(der::tag::context_constructed(0), der::integer(2));  // v3
  const Bytes validity = der::sequence({der::time(t.not_before), der::time(t.not_after)});
  Bytes extensions;
  if (!t.extensions.empty())
    extensions = der::tlv(der::tag::context_constructed(3), encode_extensions(t.extensions));
  return der::sequence({version, der::unsigned_integer(t.serial), Bytes(algorithm.begin(), algorithm.end()),
                        t.issuer, validity, t.subject, t.spki, extensions});
}

Result<Bytes> sign_certificate(const TbsCertificate& t, const Signer& signer) {
  PKI_ASSIGN(const Bytes tbs, encode_tbs_certificate(t, signer.algorithm()));
  PKI_ASSIGN(Bytes signature, signer.sign(tbs));
  return signed_structure(tbs, signer.algorithm(), signature);
}

}  // namespace pki::cert
