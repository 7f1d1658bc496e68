// CAs that join from outside: a CA whose certificate an outside CA signs (create --external, then
// install), and a CA made elsewhere that pki takes over (import), with the outside issuers above
// them stored as parents: trust anchors and intermediates, never signers.
#include <openssl/x509v3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "internal.h"
#include "openssl_index.h"
#include "pki/ca/authority.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"
#include "pki/core/time.h"
#include "pki/keys/keys.h"
#include "pki/verify/verifier.h"

namespace pki::ca {

using detail::apply_urls;
using detail::check_ca_name;
using detail::check_urls;

namespace {

Result<cert::CertificatePtr> parse_input_certificate(BytesView der, Field field, std::string_view what) {
  auto c = cert::Certificate::from_der(der);
  if (!c)
    return fail(ErrorCode::kBadInput, field,
                std::string(what) + " is not a certificate: " + c.error().message);
  return std::move(*c);
}

// A CA certificate pki may sign with: cA, and keyCertSign when key usage is given (RFC 5280
// 4.2.1.3, 4.2.1.9).
Result<void> check_ca_certificate(const cert::Certificate& c, Field field, std::string_view what) {
  if (!c.basic_constraints() || !c.basic_constraints()->ca)
    return fail(ErrorCode::kRefused, field,
                std::string(what) + " (" + c.subject_text() +
                    ") is not a CA certificate: basicConstraints cA is not set");
  if (c.key_usage() && !(*c.key_usage() & cert::key_usage::kKeyCertSign))
    return fail(ErrorCode::kRefused, field,
                std::string(what) + " (" + c.subject_text() +
                    ") may not sign certificates: its key usage lacks keyCertSign");
  return {};
}

bool signs(const cert::Certificate& issuer, const cert::Certificate& child) {
  if (X509_check_issued(issuer.x509_mutable(), child.x509_mutable()) != X509_V_OK) return false;
  const EVP_PKEY* key = issuer.public_key();
  return key && X509_verify(child.x509_mutable(), const_cast<EVP_PKEY*>(key)) == 1;
}

bool self_signed(const cert::Certificate& c) { return c.self_issued() && signs(c, c); }

std::string outside_name(const cert::Certificate& c) { return "outside-" + c.fingerprint().substr(0, 12); }

store::Origin origin_for_parent(const std::optional<store::AuthorityRecord>& parent) {
  return parent && parent->kind == store::AuthorityKind::kLocal ? store::Origin::kImported
                                                                : store::Origin::kOutside;
}

}  // namespace

// The issuers above a CA certificate: those to store (from the chain given, top first) and where
// they meet the store (an authority and its key generation), or nothing for a self-signed root.
struct Authority::Parents {
  std::vector<cert::CertificatePtr> to_store;          // outside issuers not yet stored, top first
  std::optional<store::AuthorityRecord> top_in_store;  // the stored authority the path reaches
  int top_generation = 1;
  std::vector<cert::CertificatePtr> path;  // the certificate, its issuers, up to a self-signed root
};

Result<Authority::Parents> Authority::find_parents(const cert::Certificate& target,
                                                   std::span<const Bytes> chain_der,
                                                   std::string_view for_name) {
  std::vector<cert::CertificatePtr> given;
  for (const auto& der : chain_der) {
    PKI_ASSIGN(auto c, parse_input_certificate(der, Field::kChain, "a certificate of the chain"));
    given.push_back(std::move(c));
  }
  // Every certificate the store holds for an authority (each generation of a local CA, each
  // outside issuer): an issuer already known is used rather than stored again.
  std::vector<std::pair<cert::CertificatePtr, std::pair<store::AuthorityRecord, int>>> stored;
  PKI_ASSIGN(const auto all, store_.authorities());
  for (const auto& a : all) {
    if (a.pending()) continue;
    std::vector<int> gens{1};  // an outside issuer has its one certificate
    if (a.kind == store::AuthorityKind::kLocal) {
      gens.clear();
      PKI_ASSIGN(const auto gs, store_.generations(a.id));
      for (const auto& g : gs) gens.push_back(g.generation);
    }
    for (int g : gens) {
      PKI_ASSIGN(const auto rec, certificate_of(a, g));
      PKI_ASSIGN(auto c, cert::Certificate::from_der(rec.der));
      stored.push_back({std::move(c), {a, g}});
    }
  }

  Parents out;
  const cert::Certificate* cur = &target;
  for (int depth = 0; depth < 32; ++depth) {
    if (self_signed(*cur)) {
      std::reverse(out.to_store.begin(), out.to_store.end());
      return out;
    }
    bool found = false;
    // A stored issuer valid now first: an outside CA renewed with the same key signs with both
    // its old and its new certificate.
    const TimePoint now = clock_.now();
    std::stable_partition(stored.begin(), stored.end(), [&](const auto& s) {
      return s.first->not_before() <= now && now <= s.first->not_after();
    });
    for (const auto& [c, owner] : stored) {
      if (!signs(*c, *cur)) continue;
      if (owner.first.name == for_name)
        return fail(ErrorCode::kRefused, Field::kCertificate,
                    "the certificate is signed by CA '" + std::string(for_name) + "' itself");
      out.top_in_store = owner.first;
      out.top_generation = owner.second;
      PKI_ASSIGN(auto above, chain(owner.first, owner.second));
      out.path.insert(out.path.end(), above.begin(), above.end());
      std::reverse(out.to_store.begin(), out.to_store.end());
      return out;
    }
    for (const auto& c : given) {
      if (c.get() == cur || !signs(*c, *cur)) continue;
      PKI_TRY(check_ca_certificate(*c, Field::kChain, "the issuer"));
      out.to_store.push_back(c);
      out.path.push_back(c);
      cur = c.get();
      found = true;
      break;
    }
    if (!found)
      return fail(
          ErrorCode::kRefused, Field::kChain,
          "the issuer of " + cur->subject_text() + " (" + cur->issuer_text() +
              ") is neither in the chain given nor in this database: give it, up to its root, with --chain");
  }
  return fail(ErrorCode::kRefused, Field::kChain, "the chain given is longer than 32 certificates");
}

// Stores the outside issuers found by find_parents, top first; returns their names.
Result<std::vector<std::string>> Authority::store_parents(Parents& parents, TimePoint now) {
  std::vector<std::string> names;
  std::optional<store::AuthorityRecord> above = parents.top_in_store;
  int above_generation = parents.top_generation;
  for (const auto& c : parents.to_store) {
    PKI_ASSIGN(auto existing, store_.certificate_by_fingerprint(c->fingerprint()));
    if (existing)
      return fail(ErrorCode::kRefused, Field::kChain,
                  "the certificate of " + c->subject_text() + " is already in this database, issued by CA '" +
                      existing->issuer_name + "'");
    PKI_TRY(in_field(check_subject_free(c->subject(), std::nullopt, true), Field::kChain));
    store::AuthorityRecord a;
    a.name = outside_name(*c);
    a.kind = store::AuthorityKind::kOutside;
    a.parent_id = above ? std::optional(above->id) : std::nullopt;
    a.created_at = now;
    PKI_ASSIGN(a.id, store_.insert_authority(a));
    store::CertificateRecord rec;
    rec.issuer_id = above ? above->id : a.id;
    rec.issuer_name = above ? above->name : a.name;
    rec.generation = above ? above_generation : 1;
    rec.serial = c->serial_hex();
    rec.subject = c->subject_text();
    rec.not_before = c->not_before();
    rec.not_after = c->not_after();
    rec.profile = "outside-ca";
    rec.key_type = c->public_key() ? keys::type_name(*c->public_key()) : c->public_key_algorithm();
    rec.der = c->der();
    rec.fingerprint = c->fingerprint();
    rec.origin = store::Origin::kOutside;
    rec.created_at = now;
    PKI_ASSIGN(auto id, store_.insert_certificate(rec));
    if (!id)
      return fail(ErrorCode::kRefused, Field::kChain,
                  "serial " + rec.serial + " of " + c->subject_text() + " is already used by its issuer");
    a.certificate_id = *id;
    PKI_TRY(store_.update_authority(a));
    names.push_back(a.name);
    above = a;
    above_generation = 1;
  }
  parents.top_in_store = above;
  parents.top_generation = above_generation;
  return names;
}

namespace {

// The whole path, verified as a relying party would (RFC 5280 6.1) at `now`, its root the anchor.
Result<void> verify_path(const std::vector<cert::CertificatePtr>& path, TimePoint now) {
  verify::CertificateSet anchors, intermediates;
  anchors.add(path.back());
  for (std::size_t i = 1; i + 1 < path.size(); ++i) intermediates.add(path[i]);
  verify::Verifier verifier({&anchors, &intermediates, nullptr});
  verify::VerifyOptions options;
  options.at = now;
  PKI_ASSIGN(auto result, verifier.verify(path.front(), options));
  if (!result.valid)
    return fail(
        ErrorCode::kRefused, Field::kCertificate,
        "the certificate does not verify up to " + path.back()->subject_text() + ": " + result.summary);
  return {};
}

}  // namespace

Result<CaCreated> Authority::create_external(const CreateCaRequest& req, const X509_NAME& subject) {
  const TimePoint now = clock_.now();
  PKI_ASSIGN(auto key, keys::generate(req.key_type));
  PKI_ASSIGN(std::string key_pem, keys::to_pkcs8_pem(*key, passphrase_));
  PKI_ASSIGN(Bytes spki, keys::spki_der(*key));
  PKI_ASSIGN(Bytes subject_der, cert::name_der(subject));
  PKI_ASSIGN(auto signer, cert::Signer::create(std::move(key)));
  PKI_ASSIGN(Bytes csr, cert::sign_csr(subject_der, {}, signer));

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  store::KeyRecord krec{
      0, std::string(keys::to_string(req.key_type)), key_pem, passphrase_ != nullptr, sha256_hex(spki), now,
      {}};
  PKI_ASSIGN(krec.id, store_.insert_key(krec));
  store::AuthorityRecord arec;
  arec.name = req.name;
  arec.key_id = krec.id;
  apply_urls(req.urls, arec);
  arec.pending_csr = csr;
  arec.created_at = now;
  PKI_ASSIGN(arec.id, store_.insert_authority(arec));
  if (!passphrase_)
    warn("the key of CA '" + arec.name +
         "' is stored unencrypted: whoever can read the database can sign as this CA");
  PKI_TRY(
      audit("ca-create", arec.name, std::nullopt,
            nlohmann::json(
                {{"subject", cert::format_dn(subject)}, {"key_type", krec.key_type}, {"external", true}})));
  PKI_TRY(tx.commit());
  return CaCreated{std::move(arec), {}, std::move(csr)};
}

Result<CaInstalled> Authority::install_ca(const InstallCaRequest& req) {
  PKI_ASSIGN(const auto target,
             parse_input_certificate(req.certificate_der, Field::kCertificate, "the file"));
  PKI_TRY(check_urls(req.urls));
  PKI_ASSIGN(auto arec, find_authority(req.name));
  if (arec.kind == store::AuthorityKind::kOutside || !arec.pending())
    return fail(ErrorCode::kRefused,
                "CA '" + arec.name +
                    "' is not waiting for a certificate: only a CA made to be signed elsewhere (external) "
                    "is installed");
  PKI_ASSIGN(const auto key_rec, store_.key(*arec.key_id));
  if (key_rec.spki_sha256 != sha256_hex(target->spki_der()))
    return fail(ErrorCode::kRefused, Field::kCertificate,
                "the certificate does not certify the key of CA '" + arec.name + "' (it is for another key)");
  PKI_TRY(check_ca_certificate(*target, Field::kCertificate, "the certificate"));
  if (arec.pending_csr) {
    PKI_ASSIGN(auto info, cert::inspect_csr_der(*arec.pending_csr));
    if (info.subject && X509_NAME_cmp(info.subject.get(), &target->subject()) != 0)
      warn("the outside CA changed the subject: requested " + cert::format_dn(*info.subject) +
           ", certified " + target->subject_text());
  }
  if (self_signed(*target))
    return fail(ErrorCode::kRefused, Field::kCertificate,
                "the certificate is self-signed: an outside CA signs the request of an --external CA");
  const TimePoint now = clock_.now();
  PKI_ASSIGN(auto parents, find_parents(*target, req.chain_der, arec.name));
  std::vector<cert::CertificatePtr> path{target};
  path.insert(path.end(), parents.path.begin(), parents.path.end());
  PKI_TRY(verify_path(path, now));
  PKI_TRY(check_subject_free(target->subject(), arec.id));

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  CaInstalled out;
  PKI_ASSIGN(out.outside_issuers, store_parents(parents, now));
  const auto& parent = *parents.top_in_store;
  store::CertificateRecord rec;
  rec.issuer_id = parent.id;
  rec.issuer_name = parent.name;
  rec.generation = parents.top_generation;
  rec.serial = target->serial_hex();
  rec.subject = target->subject_text();
  rec.not_before = target->not_before();
  rec.not_after = target->not_after();
  rec.profile = "intermediate-ca";
  rec.key_type = key_rec.key_type;
  rec.der = target->der();
  rec.fingerprint = target->fingerprint();
  rec.origin = origin_for_parent(parent);
  rec.created_at = now;
  PKI_ASSIGN(auto id, store_.insert_certificate(rec));
  if (!id) return fail(ErrorCode::kRefused, "serial " + rec.serial + " is already used by " + parent.name);
  rec.id = *id;
  arec.parent_id = parent.id;
  arec.certificate_id = rec.id;
  arec.pending_csr.reset();
  arec.generation = 1;
  apply_urls(req.urls, arec);
  PKI_TRY(store_.update_authority(arec));
  PKI_TRY(store_.insert_generation(store::KeyGeneration{arec.id, 1, *arec.key_id, rec.id, now}));
  PKI_TRY(audit("ca-install", arec.name, rec.serial,
                nlohmann::json({{"subject", rec.subject},
                                {"issuer", target->issuer_text()},
                                {"not_after", format_rfc3339(rec.not_after)},
                                {"fingerprint", rec.fingerprint},
                                {"outside_issuers", out.outside_issuers}})));
  PKI_TRY(tx.commit());
  out.authority = std::move(arec);
  out.certificate = std::move(rec);
  return out;
}

Result<CaInstalled> Authority::import_ca(const ImportCaRequest& req) {
  // The request's own form: name, certificate, key, and the index read whole before anything
  // is written.
  PKI_TRY(check_ca_name(req.name));
  PKI_TRY(check_urls(req.urls));
  PKI_ASSIGN(const auto target,
             parse_input_certificate(req.certificate_der, Field::kCertificate, "the file"));
  PKI_TRY(check_ca_certificate(*target, Field::kCertificate, "the certificate"));
  auto key = keys::load_private_key(req.key_pem, req.key_passphrase);
  if (!key) {
    Error e = std::move(key.error());
    if (e.field == Field::kNone) e.field = Field::kKey;
    return tl::unexpected(std::move(e));
  }
  PKI_ASSIGN(const Bytes spki, keys::spki_der(**key));
  if (spki != target->spki_der())
    return fail(ErrorCode::kBadInput, Field::kKey, "the key does not match the certificate");
  PKI_ASSIGN(const keys::KeyType key_type, in_field(keys::classify(**key), Field::kKey));
  if (target->key_usage() && !(*target->key_usage() & cert::key_usage::kCrlSign))
    warn("the certificate of CA '" + req.name +
         "' lacks cRLSign in its key usage: verifiers refuse the CRLs it signs");
  std::optional<ImportedIndex> index;
  if (req.openssl_index) {
    PKI_ASSIGN(index, read_openssl_index(*req.openssl_index, req.certs_dir, req.crl_number_file, *target));
    for (auto& w : index->warnings) warn(std::move(w));
  } else if (req.certs_dir || req.crl_number_file) {
    return fail(ErrorCode::kBadInput, Field::kIndex, "--certs-dir and --crl-number go with --openssl-index");
  }

  // Lookups: the name, the subject, the issuers.
  PKI_ASSIGN(auto existing, store_.authority_by_name(req.name));
  if (existing) return fail(ErrorCode::kRefused, "a CA named '" + req.name + "' already exists");
  // The certificate may already be here as a record of a CA imported before (its parent, with
  // its openssl index): it becomes this CA's certificate. Anything else already here is refused.
  PKI_ASSIGN(auto same, store_.certificate_by_fingerprint(target->fingerprint()));
  std::optional<store::AuthorityRecord> same_issuer;
  if (same) {
    PKI_ASSIGN(auto owner, store_.authority_of_certificate(same->id));
    PKI_ASSIGN(same_issuer, store_.authority_by_id(same->issuer_id));
    if (owner || !same_issuer || same_issuer->kind != store::AuthorityKind::kLocal)
      return fail(ErrorCode::kRefused, Field::kCertificate,
                  "this certificate is already in the database (serial " + same->serial + " of CA '" +
                      same->issuer_name + "')");
    if (same->revocation)
      return fail(
          ErrorCode::kRefused, Field::kCertificate,
          "this certificate is revoked by CA '" + same->issuer_name + "' (" + same->revocation->reason + ")");
  }
  PKI_TRY(check_subject_free(target->subject(), std::nullopt));
  const TimePoint now = clock_.now();
  const bool root = self_signed(*target);
  Parents parents;
  std::vector<cert::CertificatePtr> path{target};
  if (same) {
    parents.top_in_store = same_issuer;
    parents.top_generation = same->generation;
    PKI_ASSIGN(parents.path, chain(*same_issuer, same->generation));
    path.insert(path.end(), parents.path.begin(), parents.path.end());
  } else if (!root) {
    PKI_ASSIGN(parents, find_parents(*target, req.chain_der, req.name));
    path.insert(path.end(), parents.path.begin(), parents.path.end());
  } else if (!req.chain_der.empty()) {
    warn("the certificate is a self-signed root: --chain is not used");
  }
  PKI_TRY(verify_path(path, now));

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  CaInstalled out;
  if (!root && !same) {
    PKI_ASSIGN(out.outside_issuers, store_parents(parents, now));
  }
  PKI_ASSIGN(std::string key_pem, keys::to_pkcs8_pem(**key, passphrase_));
  store::KeyRecord krec{
      0, std::string(keys::to_string(key_type)), key_pem, passphrase_ != nullptr, sha256_hex(spki), now, {}};
  PKI_ASSIGN(krec.id, store_.insert_key(krec));
  store::AuthorityRecord arec;
  arec.name = req.name;
  arec.parent_id = root ? std::nullopt : std::optional(parents.top_in_store->id);
  arec.key_id = krec.id;
  apply_urls(req.urls, arec);
  arec.created_at = now;
  if (index) arec.crl_number_floor = index->crl_number_floor;
  PKI_ASSIGN(arec.id, store_.insert_authority(arec));

  store::CertificateRecord rec;
  if (same) {
    rec = *same;
  } else {
    rec.issuer_id = root ? arec.id : parents.top_in_store->id;
    rec.issuer_name = root ? arec.name : parents.top_in_store->name;
    rec.generation = root ? 1 : parents.top_generation;
    rec.serial = target->serial_hex();
    rec.subject = target->subject_text();
    rec.not_before = target->not_before();
    rec.not_after = target->not_after();
    rec.profile = root ? "root-ca" : "intermediate-ca";
    rec.key_type = krec.key_type;
    rec.der = target->der();
    rec.fingerprint = target->fingerprint();
    rec.origin = root ? store::Origin::kImported : origin_for_parent(parents.top_in_store);
    rec.created_at = now;
    PKI_ASSIGN(auto id, store_.insert_certificate(rec));
    if (!id)
      return fail(ErrorCode::kRefused, "serial " + rec.serial + " is already used by " + rec.issuer_name);
    rec.id = *id;
  }
  arec.certificate_id = rec.id;
  arec.generation = 1;
  PKI_TRY(store_.update_authority(arec));
  PKI_TRY(store_.insert_generation(store::KeyGeneration{arec.id, 1, krec.id, rec.id, now}));

  if (index) {
    // Stored in serial order, the indexes on serials grow at their ends instead of everywhere. A
    // serial twice meets the store's UNIQUE constraint at its later line (the sort is stable).
    std::vector<IndexEntry*> order;
    order.reserve(index->entries.size());
    for (auto& entry : index->entries) order.push_back(&entry);
    std::stable_sort(order.begin(), order.end(), [](const IndexEntry* a, const IndexEntry* b) {
      return a->record.serial < b->record.serial;
    });
    for (IndexEntry* e : order) {
      IndexEntry& entry = *e;
      entry.record.issuer_id = arec.id;
      entry.record.issuer_name = arec.name;
      entry.record.created_at = now;
      PKI_ASSIGN(auto eid, store_.insert_certificate(entry.record));
      if (!eid)
        return fail(ErrorCode::kBadInput, Field::kIndex,
                    req.openssl_index.value() + ":" + std::to_string(entry.line) + ": serial " +
                        entry.record.serial + " appears twice");
    }
    out.imported_certificates = index->entries.size();
    out.imported_without_file = index->without_file;
    out.imported_revocations = index->revoked;
    out.crl_number_floor = index->crl_number_floor;
  }
  if (!passphrase_)
    warn("the key of CA '" + arec.name +
         "' is stored unencrypted: whoever can read the database can sign as this CA");
  nlohmann::json detail = {{"subject", rec.subject},
                           {"key_type", krec.key_type},
                           {"not_after", format_rfc3339(rec.not_after)},
                           {"fingerprint", rec.fingerprint},
                           {"outside_issuers", out.outside_issuers}};
  if (index)
    detail["openssl_index"] = {{"certificates", out.imported_certificates},
                               {"without_file", out.imported_without_file},
                               {"revoked", out.imported_revocations},
                               {"crl_number_floor", out.crl_number_floor}};
  PKI_TRY(audit("ca-import", arec.name, rec.serial, detail));
  PKI_TRY(tx.commit());
  out.authority = std::move(arec);
  out.certificate = std::move(rec);
  return out;
}

}  // namespace pki::ca
