// OpenSSL ownership: OsslPtr<T> is a unique_ptr whose deleter is specialised per OpenSSL type.
// Taking ownership is OsslPtr<T> by value; borrowing is `const T&` or `const T*`.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace pki {

template <class T>
struct OsslDeleter;

#define PKI_OSSL_DELETER(T, free_fn)                     \
  template <>                                            \
  struct OsslDeleter<T> {                                \
    void operator()(T* p) const noexcept { free_fn(p); } \
  };

PKI_OSSL_DELETER(OSSL_LIB_CTX, OSSL_LIB_CTX_free)
PKI_OSSL_DELETER(BIO, BIO_free_all)
PKI_OSSL_DELETER(BIGNUM, BN_free)
PKI_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free)
PKI_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
PKI_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free)
PKI_OSSL_DELETER(EVP_CIPHER, EVP_CIPHER_free)
PKI_OSSL_DELETER(X509, X509_free)
PKI_OSSL_DELETER(X509_REQ, X509_REQ_free)
PKI_OSSL_DELETER(X509_CRL, X509_CRL_free)
PKI_OSSL_DELETER(X509_NAME, X509_NAME_free)
PKI_OSSL_DELETER(X509_PUBKEY, X509_PUBKEY_free)
PKI_OSSL_DELETER(X509_SIG, X509_SIG_free)
PKI_OSSL_DELETER(X509_ALGOR, X509_ALGOR_free)
PKI_OSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free)
PKI_OSSL_DELETER(X509_STORE, X509_STORE_free)
PKI_OSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free)
PKI_OSSL_DELETER(X509_VERIFY_PARAM, X509_VERIFY_PARAM_free)
PKI_OSSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
PKI_OSSL_DELETER(PKCS12, PKCS12_free)
// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING and ASN1_BIT_STRING are all ASN1_STRING.
PKI_OSSL_DELETER(ASN1_STRING, ASN1_STRING_free)
PKI_OSSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free)
PKI_OSSL_DELETER(ASN1_TYPE, ASN1_TYPE_free)
PKI_OSSL_DELETER(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free)
PKI_OSSL_DELETER(AUTHORITY_KEYID, AUTHORITY_KEYID_free)
PKI_OSSL_DELETER(GENERAL_NAME, GENERAL_NAME_free)
PKI_OSSL_DELETER(NAME_CONSTRAINTS, NAME_CONSTRAINTS_free)
PKI_OSSL_DELETER(POLICY_CONSTRAINTS, POLICY_CONSTRAINTS_free)
PKI_OSSL_DELETER(ISSUING_DIST_POINT, ISSUING_DIST_POINT_free)
PKI_OSSL_DELETER(SSL_CTX, SSL_CTX_free)
PKI_OSSL_DELETER(SSL, SSL_free)
PKI_OSSL_DELETER(OCSP_REQUEST, OCSP_REQUEST_free)
PKI_OSSL_DELETER(OCSP_RESPONSE, OCSP_RESPONSE_free)
PKI_OSSL_DELETER(OCSP_BASICRESP, OCSP_BASICRESP_free)
PKI_OSSL_DELETER(OCSP_CERTID, OCSP_CERTID_free)

// Stacks free their members too.
inline void pki_free_x509_stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
inline void pki_free_x509_crl_stack(STACK_OF(X509_CRL) * s) { sk_X509_CRL_pop_free(s, X509_CRL_free); }
inline void pki_free_extension_stack(STACK_OF(X509_EXTENSION) * s) {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
inline void pki_free_general_names(GENERAL_NAMES* s) { GENERAL_NAMES_free(s); }
inline void pki_free_eku(EXTENDED_KEY_USAGE* s) { sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free); }
inline void pki_free_policies(CERTIFICATEPOLICIES* s) { CERTIFICATEPOLICIES_free(s); }
inline void pki_free_policy_mappings(POLICY_MAPPINGS* s) {
  sk_POLICY_MAPPING_pop_free(s, POLICY_MAPPING_free);
}
inline void pki_free_crl_dps(CRL_DIST_POINTS* s) { CRL_DIST_POINTS_free(s); }
inline void pki_free_info_access(AUTHORITY_INFO_ACCESS* s) { AUTHORITY_INFO_ACCESS_free(s); }
PKI_OSSL_DELETER(STACK_OF(X509), pki_free_x509_stack)
PKI_OSSL_DELETER(STACK_OF(X509_CRL), pki_free_x509_crl_stack)
PKI_OSSL_DELETER(STACK_OF(X509_EXTENSION), pki_free_extension_stack)
PKI_OSSL_DELETER(GENERAL_NAMES, pki_free_general_names)
PKI_OSSL_DELETER(EXTENDED_KEY_USAGE, pki_free_eku)
PKI_OSSL_DELETER(CERTIFICATEPOLICIES, pki_free_policies)
PKI_OSSL_DELETER(POLICY_MAPPINGS, pki_free_policy_mappings)
PKI_OSSL_DELETER(CRL_DIST_POINTS, pki_free_crl_dps)
PKI_OSSL_DELETER(AUTHORITY_INFO_ACCESS, pki_free_info_access)

#undef PKI_OSSL_DELETER

template <class T>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T>>;

// A new owning reference to a shared OpenSSL object.
inline OsslPtr<X509> up_ref(X509* x) {
  X509_up_ref(x);
  return OsslPtr<X509>(x);
}
inline OsslPtr<EVP_PKEY> up_ref(EVP_PKEY* k) {
  EVP_PKEY_up_ref(k);
  return OsslPtr<EVP_PKEY>(k);
}
inline OsslPtr<X509_CRL> up_ref(X509_CRL* c) {
  X509_CRL_up_ref(c);
  return OsslPtr<X509_CRL>(c);
}

}  // namespace pki
