// Making PKCS#10 requests (RFC 2986): encoded here from their parts, like certificates, and signed
// by a Signer.
#include "pki/cert/builder.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/io.h"

namespace pki::cert {

namespace {

// The subject: the DN as written, with CN=<cn> added last when asked. A CN in both is refused
// rather than guessed at.
Result<Bytes> request_subject(const CsrRequest& r) {
  if (r.subject.empty() && !r.cn)
    return fail(ErrorCode::kBadInput, Field::kCommonName,
                "a request needs a subject: a common name or a distinguished name");
  OsslPtr<X509_NAME> name;
  if (!r.subject.empty()) {
    PKI_ASSIGN(name, in_field(parse_dn(r.subject), Field::kSubject));
  } else {
    name.reset(X509_NAME_new());
    if (!name) return fail_openssl(ErrorCode::kInternal, "out of memory");
  }
  if (r.cn) {
    if (r.cn->empty()) return fail(ErrorCode::kBadInput, Field::kCommonName, "the common name is empty");
    if (!common_names(*name).empty())
      return fail(ErrorCode::kBadInput, Field::kCommonName,
                  "the distinguished name already has a CN: give the common name in one place");
    if (!X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(r.cn->data()),
                                    static_cast<int>(r.cn->size()), -1, 0))
      return fail(ErrorCode::kBadInput, Field::kCommonName,
                  "the common name cannot be encoded: " + drain_openssl_errors());
  }
  PKI_TRY(in_field(check_subject(*name), r.cn && r.subject.empty() ? Field::kCommonName : Field::kSubject));
  return name_der(*name);
}

Result<OsslPtr<EVP_PKEY>> request_key(const CsrRequest& r) {
  if (const auto* file = std::get_if<CsrKeyFile>(&r.key)) {
    PKI_ASSIGN(std::string data, in_field(read_input(file->path), Field::kKey));
    auto key = keys::load_private_key(data, file->passphrase);
    if (!key) {
      Error e = std::move(key.error());
      if (e.field == Field::kNone || e.field == Field::kKey) {
        e.message = "the key file '" + file->path + "': " + e.message;
        e.field = Field::kKey;
      }
      return tl::unexpected(std::move(e));
    }
    return std::move(*key);
  }
  return keys::generate(std::get<CsrNewKey>(r.key).type);
}

}  // namespace

Result<Bytes> sign_csr(BytesView subject_der, std::span<const GeneralName> sans, const Signer& signer) {
  // CertificationRequestInfo (RFC 2986 4.1): version 0, subject, SubjectPublicKeyInfo, and the
  // attributes [0]: an extensionRequest (PKCS#9, RFC 2985 5.4.2) when SANs are asked for.
  PKI_ASSIGN(const Bytes spki, keys::spki_der(signer.key()));
  Bytes attributes;
  if (!sans.empty()) {
    const Extension san = ext::subject_alt_name(sans, false);
    attributes = der::sequence(
        {der::oid(oid::kExtensionRequest), der::constructed(der::tag::kSet, {encode_extensions({&san, 1})})});
  }
  const Bytes info = der::sequence({der::integer(0), Bytes(subject_der.begin(), subject_der.end()), spki,
                                    der::tlv(der::tag::context_constructed(0), attributes)});
  PKI_ASSIGN(const Bytes signature, signer.sign(info));
  Bytes csr = signed_structure(info, signer.algorithm(), signature);
  // Read back as any CA would: the signature verifies with the request's own key.
  if (auto check = inspect_csr_der(csr); !check)
    return fail(ErrorCode::kInternal, "the request made does not verify: " + check.error().message);
  return csr;
}

Result<CsrMade> create_csr(const CsrRequest& request) {
  // The request's form before any key is read or made.
  PKI_ASSIGN(const Bytes subject, request_subject(request));
  if (const auto* fresh = std::get_if<CsrNewKey>(&request.key)) {
    if (fresh->out.empty())
      return fail(ErrorCode::kBadInput, Field::kKeyOut, "no file named for the new key");
    PKI_TRY(in_field(check_writable(fresh->out, Overwrite::kRefuse), Field::kKeyOut));
  }
  PKI_ASSIGN(OsslPtr<EVP_PKEY> key, request_key(request));
  // The signer owns the key; the key file, if any, is written from it at the end.
  auto signer_or = Signer::create(std::move(key));
  if (!signer_or) {
    Error e = std::move(signer_or.error());
    e.field = std::holds_alternative<CsrKeyFile>(request.key) ? Field::kKey : Field::kNone;
    return tl::unexpected(std::move(e));
  }
  const Signer& signer = *signer_or;

  CsrMade made;
  PKI_ASSIGN(made.der, sign_csr(subject, request.sans, signer));
  made.key_type = signer.key_type();

  if (const auto* fresh = std::get_if<CsrNewKey>(&request.key)) {
    PKI_ASSIGN(std::string pem, keys::to_pkcs8_pem(signer.key(), fresh->passphrase));
    PKI_TRY(in_field(write_file_atomic(fresh->out, pem, 0600, Overwrite::kRefuse), Field::kKeyOut));
    made.key_written = true;
  }
  return made;
}

}  // namespace pki::cert
