#include "working_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

namespace pki::verify {

namespace {

bool is_dsa(const EVP_PKEY* k) { return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_DSA; }

// `c`'s DSA public value with the domain parameters of `from`.
EVP_PKEY* inherit_dsa_parameters(const cert::Certificate& c, const EVP_PKEY& from) {
  const unsigned char* pk = nullptr;
  int pklen = 0;
  if (!X509_PUBKEY_get0_param(nullptr, &pk, &pklen, nullptr, X509_get_X509_PUBKEY(&c.x509()))) return nullptr;
  OsslPtr<ASN1_INTEGER> yi(d2i_ASN1_INTEGER(nullptr, &pk, pklen));
  if (!yi) return nullptr;
  OsslPtr<BIGNUM> y(ASN1_INTEGER_to_BN(yi.get(), nullptr));
  BIGNUM *p = nullptr, *q = nullptr, *g = nullptr;
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_P, &p);
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_Q, &q);
  EVP_PKEY_get_bn_param(&from, OSSL_PKEY_PARAM_FFC_G, &g);
  OsslPtr<BIGNUM> pp(p), qq(q), gg(g);
  if (!y || !p || !q || !g) return nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (!bld) return nullptr;
  const bool pushed = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) == 1 &&
                      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, q) == 1 &&
                      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g) == 1 &&
                      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y.get()) == 1;
  OSSL_PARAM* params = pushed ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
  OSSL_PARAM_BLD_free(bld);
  if (!params) return nullptr;
  OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    key = nullptr;
  OSSL_PARAM_free(params);
  return key;
}

}  // namespace

bool dsa_without_parameters(const cert::Certificate& c) {
  X509_ALGOR* alg = nullptr;
  if (!X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, X509_get_X509_PUBKEY(&c.x509()))) return false;
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  X509_ALGOR_get0(&oid, &ptype, nullptr, alg);
  return OBJ_obj2nid(oid) == NID_dsa && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL);
}

WorkingKey WorkingKey::of(const cert::Certificate& c) {
  WorkingKey k;
  k.key_ = c.public_key();
  k.owner_ = &c;
  return k;
}

WorkingKey WorkingKey::next(const cert::Certificate& c) const {
  if (!dsa_without_parameters(c) || !is_dsa(key_)) return of(c);
  WorkingKey k;
  k.derived_.reset(inherit_dsa_parameters(c, *key_), EVP_PKEY_free);
  drain_openssl_errors();
  k.key_ = k.derived_.get();
  return k;
}

}  // namespace pki::verify
