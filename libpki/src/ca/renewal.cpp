// A certificate's life after issuance: renewal (same subject, names and profile, linked to the one
// it replaces) and a CA's key rollover (a new key generation with the same subject).
#include <nlohmann/json.hpp>

#include "internal.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/time.h"

namespace pki::ca {

using namespace detail;

Result<Issued> Authority::renew(const RenewRequest& req) {
  std::optional<std::string> serial;
  if (req.serial) {
    PKI_ASSIGN(serial, normalize_serial(*req.serial));
  }
  std::optional<std::int64_t> ca_id;
  if (req.ca) {
    PKI_ASSIGN(auto a, find_authority(*req.ca));
    ca_id = a.id;
  }
  PKI_ASSIGN(const store::CertificateRecord old, find_certificate(serial, req.fingerprint, req.ca, ca_id));
  if (!old.has_der())
    return fail(ErrorCode::kRefused,
                "certificate " + old.serial +
                    " was imported without its file: pki knows neither its key nor its names (issue a "
                    "new certificate instead)");
  PKI_ASSIGN(auto owner, store_.authority_of_certificate(old.id));
  if (owner || old.profile == "root-ca" || old.profile == "intermediate-ca" || old.profile == "outside-ca")
    return fail(ErrorCode::kRefused,
                "certificate " + old.serial +
                    " is a CA certificate: a CA gets a new key and certificate by a rollover");
  if (old.revocation)
    return fail(ErrorCode::kRefused, "certificate " + old.serial + " is revoked (" + old.revocation->reason +
                                         ", " + when(old.revocation->revoked_at) +
                                         "): issue a new certificate rather than renew it");
  if (old.renewed_by_serial)
    warn("certificate " + old.serial + " was already renewed by " + *old.renewed_by_serial);
  PKI_ASSIGN(const auto c, cert::Certificate::from_der(old.der));

  IssueRequest ir;
  ir.ca = old.issuer_name;
  ir.profile = req.profile.value_or(old.profile);
  if (auto known = current_profile(ir.profile); !known || (*known)->kind != profiles::Kind::kLeaf) {
    if (!known && known.error().code != ErrorCode::kBadInput) return tl::unexpected(known.error());
    if (req.profile)
      return tl::unexpected(known ? Error{ErrorCode::kBadInput,
                                          "profile '" + ir.profile + "' is for CA certificates, not leaves",
                                          {},
                                          Field::kProfile}
                                  : known.error());
    return fail(ErrorCode::kBadInput, Field::kProfile,
                "certificate " + old.serial + " has the profile '" + old.profile +
                    "', which this store no longer offers: say which profile the renewal gets");
  }
  ir.lifetime = req.lifetime;
  if (c->subject_alt_names()) ir.sans = *c->subject_alt_names();
  if (req.rekey) {
    ir.key = *req.rekey;
  } else {
    const EVP_PKEY* key = c->public_key();
    if (!key)
      return fail(ErrorCode::kRefused, "the public key of certificate " + old.serial + " cannot be read");
    PKI_ASSIGN(const keys::KeyType type, keys::classify(*key));
    ir.key = SubjectKey{c->spki_der(), type};
  }
  // The subject is kept as it was encoded; the SANs already hold what the CN added.
  PKI_ASSIGN(Shaped shaped, shape(ir, &c->subject()));
  shaped.renews = old.id;
  shaped.renews_serial = old.serial;
  PKI_ASSIGN(const Issuer issuer, load_issuer(old.issuer_name));
  PKI_ASSIGN(const std::int64_t renewals_before, store_.renewal_count(old.id));
  const TimePoint now = clock_.now();
  const bool revoke_old = req.revoke_old;
  const InTransaction in_tx = [&](const store::CertificateRecord& renewed) -> Result<void> {
    // Inside the transaction: the old one was not revoked or renewed meanwhile by another process.
    PKI_ASSIGN(auto current, store_.certificate(old.id));
    if (!current || current->revocation)
      return fail(ErrorCode::kRefused, "certificate " + old.serial + " was revoked meanwhile");
    PKI_ASSIGN(const std::int64_t renewals, store_.renewal_count(old.id));
    if (renewals != renewals_before + 1)
      return fail(ErrorCode::kRefused,
                  "certificate " + old.serial + " was renewed meanwhile, by another process");
    PKI_TRY(audit("renewed", old.issuer_name, old.serial, nlohmann::json({{"renewed_by", renewed.serial}})));
    if (!revoke_old) return {};
    const std::string reason(cert::to_string(cert::CrlReason::kSuperseded));
    PKI_TRY(store_.put_revocation(old.id, store::RevocationRecord{reason, now, std::nullopt}));
    return audit("revoke", old.issuer_name, old.serial,
                 nlohmann::json({{"reason", reason}, {"renewed_by", renewed.serial}}));
  };
  return issue_shaped(issuer, shaped, &in_tx);
}

Result<CaCreated> Authority::rollover_ca(const RolloverRequest& req) {
  PKI_ASSIGN(const Issuer current, load_issuer(req.name));
  PKI_ASSIGN(const auto current_rec, certificate_of(current.record, current.generation));
  const bool root = current_rec.issuer_id == current.record.id;
  std::optional<Issuer> parent;
  if (!root) {
    PKI_ASSIGN(auto p, store_.authority_by_id(current_rec.issuer_id));
    if (!p) return fail(ErrorCode::kStore, "the issuer of CA '" + req.name + "' is missing");
    if (p->kind == store::AuthorityKind::kOutside)
      return fail(ErrorCode::kRefused,
                  "CA '" + req.name + "' is signed by the outside issuer '" + p->name +
                      "': its new key needs that CA's signature (make a new CA signed elsewhere)");
    PKI_ASSIGN(parent, load_issuer(p->name));
  }
  PKI_ASSIGN(const auto key_rec, store_.key(*current.record.key_id));
  keys::KeyType key_type = keys::kDefaultKeyType;
  if (req.key_type) {
    key_type = *req.key_type;
  } else {
    PKI_ASSIGN(key_type, keys::parse_key_type(key_rec.key_type));
  }
  PKI_ASSIGN(const auto profile, current_profile(root ? profiles::kRootCa : profiles::kIntermediateCa));
  const TimePoint now = clock_.now();
  std::optional<std::chrono::seconds> length;
  if (req.days) length = std::chrono::days{*req.days};
  PKI_ASSIGN(const TimePoint not_after,
             resolve_not_after(*profile, Lifetime{length, std::nullopt}, now, false, Field::kDays));
  if (parent) {
    PKI_TRY(check_issuer_usable(*parent, now));
    PKI_TRY(check_within_issuer(*parent, not_after));
  }
  if (current.revoked) return fail(ErrorCode::kRefused, *current.revoked);

  // The new key, and a certificate like the current one: same subject, path length and name
  // constraints; a new SKI.
  const cert::Certificate& old = *current.certificate;
  PKI_ASSIGN(auto key, keys::generate(key_type));
  PKI_ASSIGN(std::string key_pem, keys::to_pkcs8_pem(*key, passphrase_));
  PKI_ASSIGN(Bytes spki, keys::spki_der(*key));
  PKI_ASSIGN(Bytes ski, cert::key_identifier(spki));
  cert::TbsCertificate tbs;
  PKI_ASSIGN(tbs.subject, cert::name_der(old.subject()));
  if (parent) {
    PKI_ASSIGN(tbs.issuer, cert::name_der(parent->certificate->subject()));
  } else {
    tbs.issuer = tbs.subject;
  }
  tbs.not_before = now;
  tbs.not_after = not_after;
  tbs.spki = spki;
  std::optional<int> path_len;
  if (old.basic_constraints() && old.basic_constraints()->path_len)
    path_len = static_cast<int>(*old.basic_constraints()->path_len);
  tbs.extensions.push_back(cert::ext::basic_constraints(true, path_len));
  tbs.extensions.push_back(cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign));
  tbs.extensions.push_back(cert::ext::subject_key_id(ski));
  tbs.extensions.push_back(cert::ext::authority_key_id(parent ? ski_of(*parent->certificate) : ski));
  const int nc = X509_get_ext_by_NID(&const_cast<X509&>(old.x509()), NID_name_constraints, -1);
  if (nc >= 0) {
    X509_EXTENSION* e = X509_get_ext(&const_cast<X509&>(old.x509()), nc);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(e);
    tbs.extensions.push_back(cert::Extension{oid::kNameConstraints, X509_EXTENSION_get_critical(e) == 1,
                                             Bytes(data->data, data->data + data->length)});
  }
  if (parent)
    for (auto& e : detail::publication_extensions(parent->record)) tbs.extensions.push_back(std::move(e));
  std::unique_ptr<cert::Signer> self_signer;
  if (!parent) {
    PKI_ASSIGN(auto s, cert::Signer::create(up_ref(key.get())));
    self_signer = std::make_unique<cert::Signer>(std::move(s));
  }
  const cert::Signer& signer = parent ? *parent->signer : *self_signer;
  const int generation = current.record.generation + 1;

  store::CertificateRecord crec;
  crec.issuer_id = parent ? parent->record.id : current.record.id;
  crec.issuer_name = parent ? parent->record.name : current.record.name;
  crec.generation = parent ? parent->generation : generation;
  crec.subject = cert::format_dn(old.subject());
  crec.not_before = now;
  crec.not_after = not_after;
  crec.profile = profile->name;
  if (profile->version) crec.profile_version = profile->version;
  crec.key_type = std::string(keys::to_string(key_type));
  crec.created_at = now;
  PKI_TRY(sign_with_new_serial(tbs, crec, signer));

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  store::KeyRecord krec{0, crec.key_type, key_pem, passphrase_ != nullptr, sha256_hex(spki), now, {}};
  PKI_ASSIGN(krec.id, store_.insert_key(krec));
  PKI_TRY(insert_with_fresh_serial(tbs, crec, signer));
  store::AuthorityRecord arec = current.record;
  arec.key_id = krec.id;
  arec.certificate_id = crec.id;
  arec.generation = generation;
  PKI_TRY(store_.update_authority(arec));
  PKI_TRY(store_.insert_generation(store::KeyGeneration{arec.id, generation, krec.id, crec.id, now}));
  PKI_TRY(audit("ca-rollover", arec.name, crec.serial,
                nlohmann::json({{"generation", generation},
                                {"subject", crec.subject},
                                {"key_type", crec.key_type},
                                {"not_after", when(crec.not_after)},
                                {"previous", current_rec.serial}})));
  PKI_TRY(tx.commit());
  return CaCreated{std::move(arec), std::move(crec), {}};
}

}  // namespace pki::ca
