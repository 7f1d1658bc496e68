// Delegated OCSP responders (RFC 6960 4.2.2.2): issuing them, and the keys `pki serve` signs with.
#include <nlohmann/json.hpp>

#include "internal.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/time.h"

namespace pki::ca {

using namespace detail;

Result<OcspResponderIssued> Authority::issue_ocsp_responder(const OcspResponderRequest& req) {
  if (req.validity <= std::chrono::seconds{0})
    return fail(ErrorCode::kBadInput, "the responder's validity must be positive");
  PKI_ASSIGN(const Issuer issuer, load_issuer(req.ca));
  const TimePoint now = clock_.now();
  PKI_TRY(check_issuer_usable(issuer, now));
  const TimePoint not_after = std::chrono::floor<std::chrono::seconds>(now) + req.validity;
  PKI_TRY(check_within_issuer(issuer, not_after));
  keys::KeyType key_type = req.key_type.value_or(issuer.signer->key_type());

  PKI_ASSIGN(auto key, keys::generate(key_type));
  PKI_ASSIGN(auto responder_signer, cert::Signer::create(up_ref(key.get())));
  PKI_ASSIGN(std::string key_pem, keys::to_pkcs8_pem(*key, passphrase_));
  PKI_ASSIGN(Bytes spki, keys::spki_der(*key));
  PKI_ASSIGN(Bytes ski, cert::key_identifier(spki));
  const std::string subject = "CN=OCSP responder of " + issuer.record.name;
  PKI_ASSIGN(auto subject_name, cert::parse_dn(subject));
  cert::TbsCertificate tbs;
  PKI_ASSIGN(tbs.issuer, cert::name_der(issuer.certificate->subject()));
  PKI_ASSIGN(tbs.subject, cert::name_der(*subject_name));
  tbs.not_before = now;
  tbs.not_after = not_after;
  tbs.spki = spki;
  const der::ConstOid purposes[] = {oid::kOcspSigning};
  tbs.extensions.push_back(cert::ext::basic_constraints(false, std::nullopt));
  tbs.extensions.push_back(cert::ext::key_usage(cert::key_usage::kDigitalSignature));
  tbs.extensions.push_back(cert::ext::ext_key_usage(purposes));
  tbs.extensions.push_back(cert::ext::subject_key_id(ski));
  tbs.extensions.push_back(cert::ext::authority_key_id(ski_of(*issuer.certificate)));
  // RFC 6960 4.2.2.2.1: clients need not check this certificate's revocation; short-lived instead.
  tbs.extensions.push_back(cert::ext::ocsp_no_check());

  store::CertificateRecord crec;
  crec.issuer_id = issuer.record.id;
  crec.issuer_name = issuer.record.name;
  crec.generation = issuer.generation;
  crec.subject = cert::format_dn(*subject_name);
  crec.not_before = now;
  crec.not_after = not_after;
  crec.profile = "ocsp-responder";
  crec.key_type = std::string(keys::to_string(key_type));
  crec.created_at = now;
  PKI_TRY(sign_with_new_serial(tbs, crec, *issuer.signer));

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  store::KeyRecord krec{0, crec.key_type, key_pem, passphrase_ != nullptr, sha256_hex(spki), now, {}};
  PKI_ASSIGN(krec.id, store_.insert_key(krec));
  PKI_TRY(insert_with_fresh_serial(tbs, crec, *issuer.signer));
  PKI_TRY(store_.insert_ocsp_responder(
      store::OcspResponderRecord{0, issuer.record.id, issuer.generation, crec.id, krec.id, now}));
  PKI_TRY(audit("issue", issuer.record.name, crec.serial,
                nlohmann::json({{"profile", crec.profile},
                                {"subject", crec.subject},
                                {"not_after", when(crec.not_after)},
                                {"generation", issuer.generation}})));
  PKI_TRY(tx.commit());
  if (!passphrase_)
    warn("the key of the OCSP responder of CA '" + issuer.record.name +
         "' is stored unencrypted: whoever can read the database can use it");
  PKI_ASSIGN(auto certificate, cert::Certificate::from_der(crec.der));
  return OcspResponderIssued{
      std::move(crec),
      {std::move(certificate), std::make_shared<const cert::Signer>(std::move(responder_signer)), true}};
}

Result<std::vector<ocsp::ServedKey>> Authority::ocsp_keys(std::span<const std::string> names) {
  std::vector<store::AuthorityRecord> cas;
  if (names.empty()) {
    PKI_ASSIGN(auto all, store_.authorities());
    for (auto& a : all)
      if (a.kind == store::AuthorityKind::kLocal && !a.pending()) cas.push_back(std::move(a));
  } else {
    for (const auto& n : names) {
      PKI_ASSIGN(auto a, find_authority(n));
      if (a.kind == store::AuthorityKind::kOutside)
        return fail(ErrorCode::kRefused,
                    "CA '" + a.name + "' is an outside issuer: pki cannot answer for it");
      if (a.pending())
        return fail(ErrorCode::kRefused, "CA '" + a.name + "' is pending: it has no certificate yet");
      cas.push_back(std::move(a));
    }
  }
  std::vector<ocsp::ServedKey> out;
  for (const auto& a : cas) {
    PKI_ASSIGN(const auto gens, store_.generations(a.id));
    for (const auto& g : gens) {
      PKI_ASSIGN(Issuer issuer, load_issuer(a.name, g.generation));
      ocsp::ServedKey k;
      k.authority = a;
      k.generation = g.generation;
      k.ca_certificate = issuer.certificate;
      k.signing = {issuer.certificate, std::shared_ptr<const cert::Signer>(std::move(issuer.signer)), false};
      // Delegated responders answer for the current key; older keys sign their own answers.
      PKI_ASSIGN(const auto responder, store_.latest_ocsp_responder(a.id, g.generation));
      if (responder && g.generation == a.generation) {
        PKI_ASSIGN(const auto rec, store_.certificate(responder->certificate_id));
        if (!rec)
          return fail(ErrorCode::kStore, "the OCSP responder certificate of CA '" + a.name + "' is missing");
        PKI_ASSIGN(auto loaded, load_key(responder->key_id, "the OCSP responder of CA '" + a.name + "'"));
        PKI_ASSIGN(auto cert, cert::Certificate::from_der(rec->der));
        PKI_ASSIGN(auto signer, cert::Signer::create(std::move(loaded.first)));
        // An expired one is still the one to renew (renew_ocsp_responder); a revoked one is not used.
        if (!rec->revocation)
          k.signing = {std::move(cert), std::make_shared<const cert::Signer>(std::move(signer)), true};
        else
          warn("the OCSP responder of CA '" + a.name + "' (serial " + rec->serial +
               ") is revoked: the CA's key signs its answers until a new responder is issued");
      }
      out.push_back(std::move(k));
    }
  }
  return out;
}

Result<std::optional<ocsp::SigningKey>> Authority::renew_ocsp_responder(const ocsp::ServedKey& key) {
  if (!key.signing.delegated) return std::optional<ocsp::SigningKey>();
  const TimePoint now = clock_.now();
  const auto& c = *key.signing.certificate;
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(c.not_after() - c.not_before());
  if (now < c.not_after() - lifetime / 3) return std::optional<ocsp::SigningKey>();
  // The CA may have rolled over since the server started: its older key then answers itself.
  PKI_ASSIGN(const auto current, find_authority(key.authority.name));
  if (current.generation != key.generation) {
    PKI_ASSIGN(Issuer own, load_issuer(key.authority.name, key.generation));
    return std::optional<ocsp::SigningKey>(
        ocsp::SigningKey{own.certificate, std::shared_ptr<const cert::Signer>(std::move(own.signer)), false});
  }
  OcspResponderRequest req;
  req.ca = key.authority.name;
  req.validity = lifetime;
  PKI_ASSIGN(auto issued, issue_ocsp_responder(req));
  return std::optional<ocsp::SigningKey>(std::move(issued.signing));
}

}  // namespace pki::ca
