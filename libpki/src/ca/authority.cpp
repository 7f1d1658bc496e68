#include "pki/ca/authority.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "internal.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"
#include "pki/cert/name_constraints.h"
#include "pki/cert/oids.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/lint/lint.h"

namespace pki::ca {

namespace detail {

using std::chrono::days;

std::string when(TimePoint t) { return format_rfc3339(t); }

// CA names appear in file names (CRL publishing) and commands: kept plain.
Result<void> check_ca_name(std::string_view name) {
  if (!is_plain_name(name))
    return fail(ErrorCode::kBadInput,
                "invalid CA name '" + std::string(name) +
                    "': use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit");
  return {};
}

namespace {
Result<void> check_url(const std::optional<std::string>& url, std::string_view what) {
  if (!url) return {};
  PKI_ASSIGN(auto gn, cert::parse_san("URI:" + *url));
  const std::string lower = [&] {
    std::string s = gn.text;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  // RFC 5280 4.2.1.13 and 4.2.2.1: distribution points and access locations are http (or ldap) URIs.
  if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0 && lower.rfind("ldap://", 0) != 0)
    return fail(ErrorCode::kBadInput, "invalid " + std::string(what) + " '" + *url +
                                          "': expected an http://, https:// or ldap:// URL");
  return {};
}

// scheme://authority of an absolute URL.
std::string origin_of(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path = url.find_first_of("/?#", scheme_end + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}
}  // namespace

Result<void> check_urls(const PublicationUrls& urls) {
  PKI_TRY(check_url(urls.crl_url, "CRL URL"));
  PKI_TRY(check_url(urls.ocsp_url, "OCSP URL"));
  PKI_TRY(check_url(urls.ca_issuers_url, "caIssuers URL"));
  PKI_TRY(check_url(urls.delta_crl_url, "delta CRL URL"));
  return {};
}

void apply_urls(const PublicationUrls& urls, store::AuthorityRecord& record) {
  if (urls.crl_url) record.crl_url = urls.crl_url;
  if (urls.ocsp_url) record.ocsp_url = urls.ocsp_url;
  if (urls.ca_issuers_url) record.ca_issuers_url = urls.ca_issuers_url;
  if (urls.delta_crl_url) record.delta_crl_url = urls.delta_crl_url;
  if (urls.ocsp_url && !urls.ca_issuers_url && !record.ca_issuers_url)
    record.ca_issuers_url = origin_of(*urls.ocsp_url) + "/ca/" + record.name + ".der";
}

std::vector<cert::Extension> publication_extensions(const store::AuthorityRecord& issuer) {
  std::vector<cert::Extension> out;
  if (issuer.crl_url) out.push_back(cert::ext::crl_distribution_point(*issuer.crl_url));
  if (issuer.delta_crl_url) out.push_back(cert::ext::freshest_crl(*issuer.delta_crl_url));
  if (issuer.ocsp_url || issuer.ca_issuers_url)
    out.push_back(cert::ext::authority_info_access(issuer.ocsp_url, issuer.ca_issuers_url));
  return out;
}

// RFC 5280 4.1.2.5: times go up to 9999-12-31T23:59:59Z (99991231235959Z).
const TimePoint kLastTime =
    TimePoint{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31}} + std::chrono::seconds{86399};

// The issuing CA must be usable now: not revoked (nor any CA above it), inside its validity period.
Result<void> check_issuer_usable(const Issuer& issuer, TimePoint now) {
  if (issuer.revoked) return fail(ErrorCode::kRefused, *issuer.revoked);
  const auto& c = *issuer.certificate;
  if (now < c.not_before())
    return fail(ErrorCode::kRefused,
                "CA '" + issuer.record.name + "' is not valid until " + when(c.not_before()));
  if (now > c.not_after())
    return fail(ErrorCode::kRefused, "CA '" + issuer.record.name + "' expired on " + when(c.not_after()));
  return {};
}

Bytes ski_of(const cert::Certificate& c) {
  if (c.subject_key_id()) return *c.subject_key_id();
  auto id = cert::key_identifier(c.spki_der());
  return id ? *id : Bytes{};
}

std::vector<std::string> san_strings(std::span<const cert::GeneralName> names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(cert::to_string(n));
  return out;
}

// Names the chain's name constraints must admit; refuses the first that one of them does not.
Result<void> check_name_constraints(const Issuer& issuer, std::span<const cert::GeneralName> names,
                                    const std::string& authority_name_for_messages) {
  for (std::size_t i = 0; i < issuer.chain.size(); ++i) {
    const auto& ca = *issuer.chain[i];
    if (!ca.name_constraints()) continue;
    const std::string who =
        i == 0 ? "CA '" + authority_name_for_messages + "'" : "its ancestor " + ca.subject_text();
    if (auto v = cert::check(*ca.name_constraints(), names))
      return fail(ErrorCode::kRefused, cert::describe(*v) + " of " + who);
  }
  return {};
}

Result<TimePoint> resolve_not_after(const profiles::Profile& profile, const Lifetime& lifetime, TimePoint now,
                                    bool inclusive, Field field) {
  if (lifetime.length && lifetime.not_after)
    return fail(ErrorCode::kBadInput, field, "give the validity as a length or as an end time, not both");
  const std::chrono::seconds last_second{inclusive ? 1 : 0};
  if (lifetime.not_after && *lifetime.not_after <= now)
    return fail(
        ErrorCode::kBadInput, field,
        "the certificate would end at " + when(*lifetime.not_after) + ", not after now (" + when(now) + ")");
  const std::chrono::seconds length =
      lifetime.not_after
          ? std::chrono::duration_cast<std::chrono::seconds>(*lifetime.not_after - now) + last_second
          : lifetime.length.value_or(profile.default_validity);
  if (length.count() <= 0) return fail(ErrorCode::kBadInput, field, "the validity must be positive");
  // Checked before the addition below, which it keeps from overflowing.
  if (length > profile.max_validity)
    return fail(ErrorCode::kRefused, field, profiles::describe_limit(profile));
  return lifetime.not_after ? *lifetime.not_after : now + length - last_second;
}

Result<void> check_within_issuer(const Issuer& issuer, TimePoint not_after) {
  if (not_after > kLastTime)
    return fail(ErrorCode::kBadInput, "the certificate would end after 9999-12-31 (RFC 5280 4.1.2.5)");
  if (not_after > issuer.certificate->not_after())
    return fail(ErrorCode::kRefused, Field::kDays,
                "the certificate would outlive its issuer: CA '" + issuer.record.name + "' expires on " +
                    when(issuer.certificate->not_after()));
  return {};
}

}  // namespace detail

using namespace detail;

Result<Bytes> random_serial() {
  Bytes serial(16);
  do {
    if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1)
      return fail_openssl(ErrorCode::kInternal, "the random number generator failed");
    serial[0] &= 0x7f;  // positive (RFC 5280 4.1.2.2)
  } while (std::all_of(serial.begin(), serial.end(), [](std::uint8_t b) { return b == 0; }));
  return serial;
}

Result<std::string> normalize_serial(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes)
    return fail(ErrorCode::kBadInput, "invalid serial '" + std::string(text) + "': expected hexadecimal");
  return cert::serial_to_hex(*bytes);
}

Authority::Authority(store::Store& store, const Clock& clock, const Secret* passphrase, std::string actor,
                     Warnings* warnings)
    : store_(store),
      clock_(clock),
      passphrase_(passphrase),
      actor_(std::move(actor)),
      warnings_(warnings),
      profiles_(std::make_shared<ProfileCache>()) {}

void Authority::warn(std::string message) {
  if (warnings_ && std::find(warnings_->begin(), warnings_->end(), message) == warnings_->end())
    warnings_->push_back(std::move(message));
}

Result<void> Authority::audit(std::string verb, std::optional<std::string> authority,
                              std::optional<std::string> serial, const nlohmann::json& detail) {
  store::AuditEvent e;
  e.at = clock_.now();
  e.os_user = actor_;
  e.verb = std::move(verb);
  e.authority = std::move(authority);
  e.serial = std::move(serial);
  e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return store_.append_audit(e);
}

Result<store::AuthorityRecord> Authority::find_authority(std::string_view name) {
  PKI_ASSIGN(auto rec, store_.authority_by_name(name));
  if (!rec) return fail(ErrorCode::kNotFound, "no CA named '" + std::string(name) + "'");
  return std::move(*rec);
}

Result<store::CertificateRecord> Authority::certificate_of(const store::AuthorityRecord& authority,
                                                           int generation) {
  if (authority.pending())
    return fail(ErrorCode::kRefused,
                "CA '" + authority.name +
                    "' is pending: it has no certificate until the outside CA's answer is installed");
  std::optional<std::int64_t> id;
  if (authority.kind == store::AuthorityKind::kOutside || generation == authority.generation) {
    id = authority.certificate_id;
  } else {
    PKI_ASSIGN(const auto gens, store_.generations(authority.id));
    for (const auto& g : gens)
      if (g.generation == generation) id = g.certificate_id;
    if (!id)
      return fail(ErrorCode::kNotFound, Field::kGeneration,
                  "CA '" + authority.name + "' has no key generation " + std::to_string(generation) +
                      " (it has " + std::to_string(gens.size()) + ")");
  }
  if (!id) return fail(ErrorCode::kStore, "CA '" + authority.name + "' has no certificate");
  PKI_ASSIGN(auto rec, store_.certificate(*id));
  if (!rec || !rec->has_der())
    return fail(ErrorCode::kStore, "the certificate of CA '" + authority.name + "' is missing");
  return std::move(*rec);
}

Result<std::vector<cert::CertificatePtr>> Authority::chain(const store::AuthorityRecord& authority,
                                                           std::optional<int> generation) {
  std::vector<cert::CertificatePtr> out;
  store::AuthorityRecord cur = authority;
  int gen = generation.value_or(authority.generation);
  // Each certificate names the authority and the key generation that signed it. A chain longer
  // than 64 would mean a cycle, which the insert order makes impossible; the bound keeps a damaged
  // database from looping.
  for (int depth = 0; depth < 64; ++depth) {
    PKI_ASSIGN(const auto rec, certificate_of(cur, gen));
    PKI_ASSIGN(auto c, cert::Certificate::from_der(rec.der));
    out.push_back(std::move(c));
    if (rec.issuer_id == cur.id) return out;  // self-signed
    PKI_ASSIGN(auto up, store_.authority_by_id(rec.issuer_id));
    if (!up) return fail(ErrorCode::kStore, "the issuer of CA '" + cur.name + "' is missing");
    cur = std::move(*up);
    gen = rec.generation;
  }
  return fail(ErrorCode::kStore, "the chain of CA '" + authority.name + "' does not end");
}

Result<std::pair<OsslPtr<EVP_PKEY>, store::KeyRecord>> Authority::load_key(std::int64_t key_id,
                                                                           const std::string& who) {
  PKI_ASSIGN(auto key_rec, store_.key(key_id));
  // A damaged key is told apart from a wrong passphrase by the checksum taken when it was stored.
  const bool intact =
      key_rec.pkcs8_sha256 && *key_rec.pkcs8_sha256 == sha256_hex(as_bytes(key_rec.pkcs8_pem));
  if (key_rec.pkcs8_sha256 && !intact)
    return fail(ErrorCode::kStore, Field::kDatabase,
                "the stored key of " + who +
                    " is damaged: it no longer matches the checksum taken when it was stored");
  auto key = keys::from_pkcs8_pem(key_rec.pkcs8_pem, passphrase_);
  if (!key) {
    Error e = key.error();
    if (e.field != Field::kPassphrase) {
      e.code = ErrorCode::kStore;  // the passphrase is not the problem: the stored key is
      e.field = Field::kDatabase;
      e.message = "the stored key of " + who + " is damaged: " + e.message;
    } else {
      e.message =
          who + ": " + e.message +
          (intact || !key_rec.encrypted ? "" : " (or the key is damaged: it was stored without a checksum)");
    }
    return tl::unexpected(std::move(e));
  }
  if (!key_rec.encrypted)
    warn("the key of " + who + " is stored unencrypted: whoever can read the database can " +
         (who.rfind("CA ", 0) == 0 ? "sign as this CA" : "use it"));
  return std::pair{std::move(*key), std::move(key_rec)};
}

Result<Issuer> Authority::load_issuer(std::string_view name, std::optional<int> generation) {
  Issuer issuer;
  PKI_ASSIGN(issuer.record, find_authority(name));
  if (issuer.record.kind == store::AuthorityKind::kOutside)
    return fail(ErrorCode::kRefused,
                "CA '" + issuer.record.name +
                    "' is an outside issuer: pki holds no key for it and never signs as it");
  issuer.generation = generation.value_or(issuer.record.generation);
  PKI_ASSIGN(issuer.chain, chain(issuer.record, issuer.generation));
  issuer.certificate = issuer.chain.front();
  std::int64_t key_id = issuer.record.key_id.value_or(0);
  if (issuer.generation != issuer.record.generation) {
    PKI_ASSIGN(const auto gens, store_.generations(issuer.record.id));
    for (const auto& g : gens)
      if (g.generation == issuer.generation) key_id = g.key_id;
  }
  PKI_ASSIGN(auto loaded, load_key(key_id, "CA '" + issuer.record.name + "'"));
  auto& [key, key_rec] = loaded;
  // The key row records its public key's hash when the CA is created; comparing it with the
  // certificate's costs no key encoding (which OpenSSL 3 makes dear).
  if (key_rec.spki_sha256 != sha256_hex(issuer.certificate->spki_der()))
    return fail(ErrorCode::kStore, "CA '" + issuer.record.name + "': its key does not match its certificate");
  PKI_ASSIGN(auto signer, cert::Signer::create(std::move(key)));
  issuer.signer = std::make_unique<cert::Signer>(std::move(signer));
  // A revocation anywhere up the chain stops issuing (the CA's parent revoked it, or a CA above).
  for (std::size_t i = 0; i < issuer.chain.size() && !issuer.revoked; ++i) {
    PKI_ASSIGN(auto rec, store_.certificate_by_fingerprint(issuer.chain[i]->fingerprint()));
    if (!rec || !rec->revocation) continue;
    std::string who = "CA '" + issuer.record.name + "'";
    if (i > 0) {
      PKI_ASSIGN(auto owner, store_.authority_of_certificate(rec->id));
      who = owner ? "CA '" + owner->first.name + "'" : issuer.chain[i]->subject_text();
    }
    issuer.revoked = who + " is revoked (" + rec->revocation->reason + ", " +
                     when(rec->revocation->revoked_at) + ")" +
                     (i == 0 ? "" : ": CA '" + issuer.record.name + "' may not issue");
  }
  return issuer;
}

// Certificates and CRLs find their issuer by name: two CAs with one subject would be confused.
// A CA's generations share its subject; a pending CA holds its subject in its request.
Result<void> Authority::check_subject_free(const X509_NAME& subject, std::optional<std::int64_t> except_id,
                                           bool outside_may_share) {
  PKI_ASSIGN(auto all, store_.authorities());
  for (const auto& a : all) {
    if (except_id && a.id == *except_id) continue;
    if (outside_may_share && a.kind == store::AuthorityKind::kOutside) continue;
    OsslPtr<X509_NAME> theirs;
    std::string text;
    if (a.pending()) {
      if (!a.pending_csr) continue;
      PKI_ASSIGN(auto info, cert::inspect_csr_der(*a.pending_csr));
      theirs = std::move(info.subject);
    } else {
      PKI_ASSIGN(auto rec, certificate_of(a, a.generation));
      PKI_ASSIGN(auto c, cert::Certificate::from_der(rec.der));
      theirs.reset(X509_NAME_dup(&c->subject()));
    }
    if (theirs && X509_NAME_cmp(theirs.get(), &subject) == 0)
      return fail(ErrorCode::kRefused,
                  std::string(a.kind == store::AuthorityKind::kOutside ? "outside issuer '" : "CA '") +
                      a.name + "' already has the subject " + cert::format_dn(subject));
  }
  return {};
}

Result<CaCreated> Authority::create_ca(const CreateCaRequest& req) {
  // The request's own form.
  PKI_TRY(check_ca_name(req.name));
  PKI_ASSIGN(auto subject, cert::parse_dn(req.subject));
  if (req.path_len && *req.path_len < 0)
    return fail(ErrorCode::kBadInput, Field::kPathLen, "the path length constraint must be 0 or more");
  std::vector<std::string> permit, exclude;
  for (const auto& d : req.permit_dns) {
    PKI_ASSIGN(auto n, in_field(cert::parse_dns_name(d, "permitted DNS name", cert::Wildcard::kRefuse),
                                Field::kPermittedDns));
    permit.push_back(std::move(n));
  }
  for (const auto& d : req.exclude_dns) {
    PKI_ASSIGN(auto n, in_field(cert::parse_dns_name(d, "excluded DNS name", cert::Wildcard::kRefuse),
                                Field::kExcludedDns));
    exclude.push_back(std::move(n));
  }
  PKI_TRY(check_urls(req.urls));
  if (req.external) {
    if (req.parent)
      return fail(ErrorCode::kBadInput, Field::kParent,
                  "a CA signed elsewhere (--external) has no parent in this database");
    if (req.days)
      return fail(ErrorCode::kBadInput, Field::kDays,
                  "the outside CA decides the validity of an --external CA");
    if (req.path_len)
      return fail(ErrorCode::kBadInput, Field::kPathLen,
                  "the outside CA decides the path length of an --external CA");
    if (!permit.empty() || !exclude.empty())
      return fail(ErrorCode::kBadInput, Field::kPermittedDns,
                  "the outside CA decides the name constraints of an --external CA");
  }
  PKI_ASSIGN(const auto profile, current_profile(req.parent ? profiles::kIntermediateCa : profiles::kRootCa));
  const TimePoint now = clock_.now();
  std::optional<std::chrono::seconds> length;
  if (req.days) length = days{*req.days};
  PKI_ASSIGN(const TimePoint not_after,
             resolve_not_after(*profile, Lifetime{length, std::nullopt}, now, false, Field::kDays));

  PKI_ASSIGN(auto existing, store_.authority_by_name(req.name));
  if (existing) return fail(ErrorCode::kRefused, "a CA named '" + req.name + "' already exists");
  PKI_TRY(check_subject_free(*subject, std::nullopt));
  if (req.external) return create_external(req, *subject);

  // The parent's state and limits.
  std::optional<Issuer> parent;
  std::optional<int> path_len = req.path_len;
  if (req.parent) {
    PKI_ASSIGN(parent, load_issuer(*req.parent));
    PKI_TRY(check_issuer_usable(*parent, now));
    // RFC 5280 4.2.1.9: pathLenConstraint N allows N non-self-issued CA certificates below the CA.
    // The new CA sits `distance` levels below each ancestor, so each must allow at least that
    // many, and the new CA may allow at most what the tightest leaves over.
    std::optional<long> allowed;
    for (std::size_t i = 0; i < parent->chain.size(); ++i) {
      const auto& bc = parent->chain[i]->basic_constraints();
      if (!bc || !bc->path_len) continue;
      const long distance = static_cast<long>(i) + 1;
      if (*bc->path_len < distance)
        return fail(ErrorCode::kRefused,
                    "path length exceeded: " +
                        (i == 0 ? "CA '" + parent->record.name + "'" : parent->chain[i]->subject_text()) +
                        " has pathLen " + std::to_string(*bc->path_len) + " and allows no CA " +
                        std::to_string(distance) + " level(s) below it");
      const long left = *bc->path_len - distance;
      allowed = allowed ? std::min(*allowed, left) : left;
    }
    if (allowed) {
      if (path_len && *path_len > *allowed)
        return fail(ErrorCode::kRefused, Field::kPathLen,
                    "path length exceeded: a path length constraint of " + std::to_string(*path_len) +
                        " is more than the chain allows below CA '" + parent->record.name + "' (" +
                        std::to_string(*allowed) + ")");
      if (!path_len) path_len = static_cast<int>(*allowed);
    }
    PKI_TRY(check_within_issuer(*parent, not_after));
  }

  // Key, certificate, store.
  PKI_ASSIGN(auto key, keys::generate(req.key_type));
  PKI_ASSIGN(std::string key_pem, keys::to_pkcs8_pem(*key, passphrase_));
  PKI_ASSIGN(Bytes spki, keys::spki_der(*key));
  PKI_ASSIGN(Bytes ski, cert::key_identifier(spki));
  PKI_ASSIGN(Bytes subject_der, cert::name_der(*subject));

  cert::TbsCertificate tbs;
  tbs.subject = subject_der;
  if (parent) {
    PKI_ASSIGN(tbs.issuer, cert::name_der(parent->certificate->subject()));
  } else {
    tbs.issuer = subject_der;
  }
  tbs.not_before = now;
  tbs.not_after = not_after;
  tbs.spki = spki;
  tbs.extensions.push_back(cert::ext::basic_constraints(true, path_len));
  tbs.extensions.push_back(cert::ext::key_usage(cert::key_usage::kKeyCertSign | cert::key_usage::kCrlSign));
  tbs.extensions.push_back(cert::ext::subject_key_id(ski));
  tbs.extensions.push_back(cert::ext::authority_key_id(parent ? ski_of(*parent->certificate) : ski));
  if (!permit.empty() || !exclude.empty())
    tbs.extensions.push_back(cert::ext::name_constraints(permit, exclude));
  if (parent)
    for (auto& e : publication_extensions(parent->record)) tbs.extensions.push_back(std::move(e));

  // A root signs itself with the key just made; an intermediate is signed by its parent.
  std::unique_ptr<cert::Signer> self_signer;
  if (!parent) {
    PKI_ASSIGN(auto s, cert::Signer::create(up_ref(key.get())));
    self_signer = std::make_unique<cert::Signer>(std::move(s));
  }
  const cert::Signer& signer = parent ? *parent->signer : *self_signer;

  store::CertificateRecord crec;
  crec.subject = cert::format_dn(*subject);
  crec.not_before = tbs.not_before;
  crec.not_after = tbs.not_after;
  crec.profile = profile->name;
  if (profile->version) crec.profile_version = profile->version;
  crec.key_type = std::string(keys::to_string(req.key_type));
  crec.created_at = now;

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  store::KeyRecord krec{0, crec.key_type, key_pem, passphrase_ != nullptr, sha256_hex(spki), now, {}};
  PKI_ASSIGN(krec.id, store_.insert_key(krec));
  store::AuthorityRecord arec;
  arec.name = req.name;
  arec.parent_id = parent ? std::optional(parent->record.id) : std::nullopt;
  arec.key_id = krec.id;
  apply_urls(req.urls, arec);
  arec.created_at = now;
  PKI_ASSIGN(arec.id, store_.insert_authority(arec));
  crec.issuer_id = parent ? parent->record.id : arec.id;
  crec.issuer_name = parent ? parent->record.name : arec.name;
  crec.generation = parent ? parent->generation : 1;
  PKI_TRY(sign_with_new_serial(tbs, crec, signer));
  PKI_TRY(insert_with_fresh_serial(tbs, crec, signer));
  arec.certificate_id = crec.id;
  arec.generation = 1;
  PKI_TRY(store_.update_authority(arec));
  PKI_TRY(store_.insert_generation(store::KeyGeneration{arec.id, 1, krec.id, crec.id, now}));
  nlohmann::json detail = {
      {"subject", crec.subject}, {"key_type", crec.key_type}, {"not_after", when(crec.not_after)}};
  if (parent) detail["parent"] = parent->record.name;
  if (path_len) detail["path_len"] = *path_len;
  if (!passphrase_)
    warn("the key of CA '" + arec.name +
         "' is stored unencrypted: whoever can read the database can sign as this CA");
  PKI_TRY(audit("ca-create", arec.name, crec.serial, detail));
  PKI_TRY(tx.commit());
  return CaCreated{std::move(arec), std::move(crec), {}};
}

namespace {

// The profile's subject.required and subject.forbidden.
Result<void> check_subject_rules(const profiles::Profile& profile, const X509_NAME& subject) {
  for (int nid : profile.subject_required)
    if (X509_NAME_get_index_by_NID(&subject, nid, -1) < 0)
      return fail(ErrorCode::kRefused,
                  "profile '" + profile.name + "' requires " + OBJ_nid2sn(nid) + " in the subject");
  for (int nid : profile.subject_forbidden)
    if (X509_NAME_get_index_by_NID(&subject, nid, -1) >= 0)
      return fail(ErrorCode::kRefused,
                  "profile '" + profile.name + "' does not allow " + OBJ_nid2sn(nid) + " in the subject");
  return {};
}

// The profile's san_types and allowed_domains.
Result<void> check_san_rules(const profiles::Profile& profile, const cert::GeneralName& name) {
  if (std::find(profile.san_types.begin(), profile.san_types.end(), name.type) == profile.san_types.end())
    return fail(ErrorCode::kRefused, Field::kSubjectAltName,
                "profile '" + profile.name + "' does not allow the name " + cert::to_string(name) +
                    " (its san_types leave out that type)");
  if (name.type == cert::GeneralNameType::kDns) {
    std::string lower = name.text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!profile.domain_allowed(lower))
      return fail(ErrorCode::kRefused, Field::kSubjectAltName,
                  "profile '" + profile.name + "' does not allow the name " + cert::to_string(name) +
                      " (it is outside allowed_domains)");
  }
  return {};
}

// A stored profile this pki refuses (written by another version, or edited in the database).
Error unusable_profile(const store::ProfileRecord& r, const Error& why) {
  return Error{ErrorCode::kStore,
               "profile '" + r.name + "' (version " + std::to_string(r.version) +
                   ") in the store is not one this pki can use: " + why.message +
                   "; replace it with `pki profile update " + r.name + " --file P.json`",
               {},
               Field::kProfile};
}

}  // namespace

Result<void> Authority::load_profiles() {
  std::lock_guard lock(profiles_->mutex);
  if (profiles_->loaded) return {};
  PKI_ASSIGN(const auto records, store_.profiles());
  for (const auto& r : records) {
    // Checked when stored; one this pki no longer takes (written by another version, or edited in
    // the database) is refused where it is used, and the others work.
    auto p = profiles::parse(r.document, r.name);
    if (!p) {
      profiles_->unusable.emplace(r.name, unusable_profile(r, p.error()).message);
      continue;
    }
    p->version = r.version;
    profiles_->current.emplace(r.name, std::make_shared<const profiles::Profile>(std::move(*p)));
  }
  profiles_->loaded = true;
  return {};
}

Result<std::shared_ptr<const profiles::Profile>> Authority::current_profile(std::string_view name) {
  PKI_TRY(load_profiles());
  std::lock_guard lock(profiles_->mutex);
  if (auto it = profiles_->current.find(name); it != profiles_->current.end()) return it->second;
  if (auto it = profiles_->unusable.find(name); it != profiles_->unusable.end())
    return fail(ErrorCode::kStore, Field::kProfile, it->second);
  std::string known;
  for (const auto& [n, p] : profiles_->current)
    if (p->kind == profiles::Kind::kLeaf) known += (known.empty() ? "" : ", ") + n;
  if (profiles::is_ca_profile(name))
    return fail(ErrorCode::kStore, Field::kDatabase,
                "the store has no CA profile '" + std::string(name) + "': it is damaged");
  return fail(ErrorCode::kBadInput, Field::kProfile,
              "unknown profile '" + std::string(name) + "' (this store has " + known + ")");
}

Result<std::vector<profiles::Profile>> Authority::list_profiles() {
  PKI_TRY(load_profiles());
  std::lock_guard lock(profiles_->mutex);
  std::vector<profiles::Profile> out;
  for (const auto& [n, p] : profiles_->current) out.push_back(*p);
  for (const auto& [n, why] : profiles_->unusable) warn(why);
  return out;
}

Result<profiles::Profile> Authority::find_profile(std::string_view name, std::optional<int> version) {
  PKI_ASSIGN(auto record, store_.profile(name, version));
  if (!record)
    return fail(ErrorCode::kNotFound, "no profile '" + std::string(name) + "'" +
                                          (version ? " version " + std::to_string(*version) : std::string()));
  auto p = profiles::parse(record->document, record->name);
  if (!p) return tl::unexpected(unusable_profile(*record, p.error()));
  p->version = record->version;
  return std::move(*p);
}

Result<profiles::Profile> Authority::put_profile(ProfileChange change, std::string_view name,
                                                 std::string_view document) {
  PKI_ASSIGN(profiles::Profile p, profiles::parse(document, name));
  const std::string normalized = profiles::to_json(p).dump();
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  PKI_ASSIGN(const auto current, store_.profile(p.name));
  if (change == ProfileChange::kAdd && current)
    return fail(ErrorCode::kBadInput, "a profile named '" + p.name + "' exists (version " +
                                          std::to_string(current->version) + "): update it instead");
  if (change == ProfileChange::kUpdate && !current)
    return fail(ErrorCode::kNotFound, "no profile '" + p.name + "' to update");
  if (current && current->document == normalized) {
    p.version = current->version;
    warn("profile '" + p.name + "' is unchanged: still version " + std::to_string(p.version));
    return p;
  }
  PKI_ASSIGN(p.version, store_.put_profile(p.name, normalized, clock_.now()));
  PKI_TRY(
      audit(change == ProfileChange::kAdd ? "profile-add" : "profile-update", std::nullopt, std::nullopt,
            {{"profile", p.name}, {"version", p.version}, {"document", nlohmann::json::parse(normalized)}}));
  PKI_TRY(tx.commit());
  std::lock_guard lock(profiles_->mutex);
  profiles_->loaded = false;
  profiles_->current.clear();
  return p;
}

Result<std::size_t> Authority::change_passphrase(const Secret& new_passphrase) {
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  // No "stored unencrypted" warning for the keys about to be encrypted.
  Warnings* const warnings = std::exchange(warnings_, nullptr);
  struct Restore {
    Warnings*& at;
    Warnings* value;
    ~Restore() { at = value; }
  } restore{warnings_, warnings};
  PKI_ASSIGN(const auto ids, store_.key_ids());
  std::size_t encrypted_before = 0;
  for (std::int64_t id : ids) {
    PKI_ASSIGN(auto loaded, load_key(id, "key " + std::to_string(id)));
    encrypted_before += loaded.second.encrypted ? 1 : 0;
    PKI_ASSIGN(const std::string pem, keys::to_pkcs8_pem(*loaded.first, &new_passphrase));
    // The same key, read back with the new passphrase, before anything is kept.
    PKI_ASSIGN(auto again, keys::from_pkcs8_pem(pem, &new_passphrase));
    if (EVP_PKEY_eq(again.get(), loaded.first.get()) != 1)
      return fail(ErrorCode::kInternal, "key " + std::to_string(id) + " did not read back as itself");
    PKI_TRY(store_.update_key_encryption(id, pem, true));
  }
  PKI_TRY(audit("passphrase-change", std::nullopt, std::nullopt,
                {{"keys", ids.size()}, {"encrypted_before", encrypted_before}}));
  PKI_TRY(tx.commit());
  return ids.size();
}

Result<profiles::Profile> Authority::remove_profile(std::string_view name) {
  if (profiles::is_ca_profile(name))
    return fail(ErrorCode::kRefused, "pki makes every CA certificate with profile '" + std::string(name) +
                                         "': it can be updated, not removed");
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  PKI_ASSIGN(const auto current, store_.profile(name));
  if (!current) return fail(ErrorCode::kNotFound, "no profile '" + std::string(name) + "'");
  PKI_ASSIGN(profiles::Profile p, profiles::parse(current->document, current->name));
  p.version = current->version;
  PKI_TRY(store_.remove_profile(name));
  PKI_TRY(audit("profile-remove", std::nullopt, std::nullopt, {{"profile", p.name}, {"version", p.version}}));
  PKI_TRY(tx.commit());
  std::lock_guard lock(profiles_->mutex);
  profiles_->loaded = false;
  profiles_->current.clear();
  return p;
}

// The request's own form, before anything is looked up: the profile, the key (a CSR's checked),
// the subject, the SANs, the validity.
Result<Authority::Shaped> Authority::shape(const IssueRequest& req, const X509_NAME* subject) {
  Shaped out;
  PKI_ASSIGN(out.profile, current_profile(req.profile));
  const profiles::Profile& profile = *out.profile;
  if (profile.kind != profiles::Kind::kLeaf)
    return fail(ErrorCode::kBadInput, Field::kProfile,
                "profile '" + profile.name + "' is for CA certificates, not leaves");
  // Wildcard names are for TLS servers (RFC 9525 6.3); nothing else matches them.
  const cert::Wildcard wildcard =
      profile.has_eku(oid::kServerAuth) ? cert::Wildcard::kAllow : cert::Wildcard::kRefuse;

  OsslPtr<X509_NAME> requested_subject;
  std::vector<cert::GeneralName> requested_sans;
  if (const auto* k = std::get_if<SubjectKey>(&req.key)) {
    out.key = *k;
  } else if (const auto* csr = std::get_if<CsrKey>(&req.key)) {
    PKI_ASSIGN(auto info, in_field(cert::inspect_csr_der(csr->der), Field::kCsr));
    out.key = SubjectKey{std::move(info.spki), info.key_type};
    if (profile.keep_csr_subject) requested_subject = std::move(info.subject);
    requested_sans = std::move(info.requested_sans);
  } else {
    out.new_key = &std::get<NewKey>(req.key);
    if (out.new_key->out.empty())
      return fail(ErrorCode::kBadInput, Field::kKeyOut, "no file named for the new key");
    PKI_TRY(in_field(check_writable(out.new_key->out, Overwrite::kRefuse),
                     Field::kKeyOut));  // before the key is made
    out.key.type = out.new_key->type;
  }
  if (std::find(profile.key_types.begin(), profile.key_types.end(), out.key.type) ==
      profile.key_types.end()) {
    std::string allowed;
    for (auto t : profile.key_types)
      allowed += (allowed.empty() ? "" : ", ") + std::string(keys::to_string(t));
    return fail(ErrorCode::kRefused, "profile '" + profile.name + "' does not allow " +
                                         std::string(keys::to_string(out.key.type)) + " keys (only " +
                                         allowed + ")");
  }

  if (subject) {
    out.subject.reset(X509_NAME_dup(subject));
  } else if (req.subject) {
    PKI_ASSIGN(out.subject, in_field(cert::parse_dn(*req.subject), Field::kSubject));
    if (req.cn && !cert::common_names(*out.subject).empty())
      return fail(ErrorCode::kBadInput, Field::kCommonName,
                  "the distinguished name already has a CN: give the common name in one place");
  }
  if (req.cn && !subject) {
    if (req.cn->empty()) return fail(ErrorCode::kBadInput, Field::kCommonName, "the common name is empty");
    if (!out.subject) out.subject.reset(X509_NAME_new());
    if (!X509_NAME_add_entry_by_NID(out.subject.get(), NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(req.cn->data()),
                                    static_cast<int>(req.cn->size()), -1, 0))
      return fail_openssl(ErrorCode::kBadInput, "invalid common name");
  } else if (subject || req.subject) {
  } else if (requested_subject) {
    out.subject = std::move(requested_subject);
  } else {
    out.subject.reset(X509_NAME_new());
  }
  PKI_TRY(in_field(cert::check_subject(*out.subject), req.subject ? Field::kSubject : Field::kCommonName));

  PKI_TRY(check_subject_rules(profile, *out.subject));

  const bool from_request = req.sans.empty();
  for (const auto& gn : from_request ? requested_sans : req.sans) {
    // Every SAN passes the same checks, whether typed by the caller or carried by a CSR.
    const auto t = gn.type;
    if (t != cert::GeneralNameType::kDns && t != cert::GeneralNameType::kIp &&
        t != cert::GeneralNameType::kEmail && t != cert::GeneralNameType::kUri)
      return fail(ErrorCode::kBadInput, "the CSR asks for " + cert::to_string(gn) +
                                            ": pki issues DNS, IP, EMAIL and URI names only");
    PKI_ASSIGN(auto checked,
               in_field(cert::parse_san(cert::to_string(gn), wildcard), Field::kSubjectAltName));
    if (std::find(out.sans.begin(), out.sans.end(), checked) == out.sans.end())
      out.sans.push_back(std::move(checked));
  }
  // A server's CN is also a SAN (DESIGN.md), since RFC 9525 clients look only at SANs. A client's
  // CN names its holder ("alice"), not a host: it stays in the subject.
  if (const std::string cn = cert::common_name(*out.subject); profile.cn_to_san && !cn.empty()) {
    cert::GeneralName as_san;
    if (auto ip = cert::parse_ip(cn)) {
      as_san = cert::GeneralName{cert::GeneralNameType::kIp, {}, *ip};
    } else {
      auto dns = cert::parse_dns_name(cn, "CN", wildcard);
      if (!dns)
        return fail(ErrorCode::kBadInput, Field::kCommonName,
                    "the CN '" + cn + "' of a " + profile.name +
                        " certificate must be a DNS name or an IP address: " + dns.error().message);
      as_san = cert::GeneralName{cert::GeneralNameType::kDns, *dns, {}};
    }
    if (std::find(out.sans.begin(), out.sans.end(), as_san) == out.sans.end())
      out.sans.insert(out.sans.begin(), as_san);
  }
  for (const auto& gn : out.sans) PKI_TRY(check_san_rules(profile, gn));
  // The names the subject carries for clients that read it (a CN that looks like a host when no
  // DNS SAN is there, an emailAddress): held to the same rules, or a profile's limits would be
  // passed through the subject.
  for (const auto& gn : cert::subject_names(*out.subject, out.sans))
    if (gn.type != cert::GeneralNameType::kDirectory) PKI_TRY(check_san_rules(profile, gn));
  const bool host_named = std::any_of(out.sans.begin(), out.sans.end(), [](const cert::GeneralName& gn) {
    return gn.type == cert::GeneralNameType::kDns || gn.type == cert::GeneralNameType::kIp;
  });
  if (profile.name_required && !host_named)
    return fail(
        ErrorCode::kRefused,
        "a " + profile.name + " certificate needs a name: a common name or a DNS or IP subjectAltName");
  if (out.sans.empty() && X509_NAME_entry_count(out.subject.get()) == 0)
    return fail(ErrorCode::kBadInput,
                "the certificate would name nobody: it needs a common name or a subjectAltName");
  if ((req.lifetime.length && req.lifetime.length->count() <= 0) ||
      (req.lifetime.length && req.lifetime.not_after))
    return fail(ErrorCode::kBadInput, Field::kValidity,
                req.lifetime.not_after ? "give the validity as a length or as an end time, not both"
                                       : "the validity must be positive");
  out.lifetime = req.lifetime;
  return out;
}

// The issuing CA's state and the chain's limits, then the certificate to sign.
Result<Authority::Prepared> Authority::prepare(const Issuer& issuer, const Shaped& shaped,
                                               const SubjectKey& key) {
  const profiles::Profile& profile = *shaped.profile;
  const TimePoint now = clock_.now();
  // RFC 5280 4.1.2.5: the validity period includes notAfter, so N days end one second before
  // now + N days (a 398-day certificate is 398 days, not 398 days and a second: BR 6.3.2).
  PKI_ASSIGN(const TimePoint not_after,
             resolve_not_after(profile, shaped.lifetime, now, true, Field::kValidity));
  PKI_TRY(check_issuer_usable(issuer, now));
  PKI_TRY(check_within_issuer(issuer, not_after));
  std::vector<cert::GeneralName> constrained = shaped.sans;
  const auto from_subject = cert::subject_names(*shaped.subject, shaped.sans);
  constrained.insert(constrained.end(), from_subject.begin(), from_subject.end());
  PKI_TRY(check_name_constraints(issuer, constrained, issuer.record.name));

  Prepared p;
  PKI_ASSIGN(p.tbs.issuer, cert::name_der(issuer.certificate->subject()));
  PKI_ASSIGN(p.tbs.subject, cert::name_der(*shaped.subject));
  p.tbs.not_before = now;
  p.tbs.not_after = not_after;
  p.tbs.spki = key.spki;
  PKI_ASSIGN(Bytes ski, cert::key_identifier(key.spki));
  // What the key can do: RSA signs and encrypts (keyEncipherment for TLS 1.2's RSA key exchange,
  // RFC 5246 7.4.2), never agrees keys (RFC 3279 2.3.1); EC keys sign or agree keys, never encrypt
  // (RFC 5480 3); Ed25519 only signs (RFC 8410 5).
  PKI_ASSIGN(const std::uint16_t usage, profiles::key_usage_for(profile, key.type));
  p.tbs.extensions.push_back(cert::ext::basic_constraints(false, std::nullopt));
  p.tbs.extensions.push_back(cert::ext::key_usage(usage));
  if (!profile.extended_key_usage.empty()) {
    std::vector<Bytes> purposes;
    for (const auto& dotted : profile.extended_key_usage) {
      PKI_ASSIGN(Bytes o, der::parse_oid(dotted));
      purposes.push_back(std::move(o));
    }
    cert::Extension eku = cert::ext::ext_key_usage(purposes);
    // RFC 3161 2.3: a time-stamping certificate's EKU is timeStamping alone, and critical.
    eku.critical = profile.has_eku(oid::kTimeStamping);
    p.tbs.extensions.push_back(std::move(eku));
  }
  p.tbs.extensions.push_back(cert::ext::subject_key_id(ski));
  p.tbs.extensions.push_back(cert::ext::authority_key_id(ski_of(*issuer.certificate)));
  if (!shaped.sans.empty())
    p.tbs.extensions.push_back(
        cert::ext::subject_alt_name(shaped.sans, X509_NAME_entry_count(shaped.subject.get()) == 0));
  for (auto& e : publication_extensions(issuer.record)) p.tbs.extensions.push_back(std::move(e));

  p.record.issuer_id = issuer.record.id;
  p.record.issuer_name = issuer.record.name;
  p.record.generation = issuer.generation;
  p.record.renews = shaped.renews;
  p.record.renews_serial = shaped.renews_serial;
  p.record.subject = cert::format_dn(*shaped.subject);
  p.record.sans = san_strings(shaped.sans);
  p.record.not_before = now;
  p.record.not_after = not_after;
  p.record.profile = profile.name;
  if (profile.version) p.record.profile_version = profile.version;
  p.baseline = profile.cabf ? lint::Baseline::kApply : lint::Baseline::kSkip;
  p.record.key_type = std::string(keys::to_string(key.type));
  p.record.created_at = now;
  return p;
}

namespace detail {

Result<void> sign_with_new_serial(cert::TbsCertificate& tbs, store::CertificateRecord& rec,
                                  const cert::Signer& signer, lint::Baseline baseline) {
  PKI_ASSIGN(tbs.serial, random_serial());
  // Checked against the lint rules before anything is signed: a certificate that breaks an
  // error-level rule is never made.
  PKI_ASSIGN(const Bytes tbs_der, cert::encode_tbs_certificate(tbs, signer.algorithm()));
  PKI_TRY(lint::check_before_signing(tbs_der, signer.algorithm(), baseline));
  PKI_ASSIGN(const Bytes signature, signer.sign(tbs_der));
  rec.der = cert::signed_structure(tbs_der, signer.algorithm(), signature);
  rec.serial = cert::serial_to_hex(tbs.serial);
  rec.fingerprint = sha256_hex(rec.der);
  return {};
}

}  // namespace detail

Result<void> Authority::insert_with_fresh_serial(cert::TbsCertificate& tbs, store::CertificateRecord& rec,
                                                 const cert::Signer& signer, lint::Baseline baseline) {
  for (int attempt = 0;; ++attempt) {
    PKI_ASSIGN(auto id, store_.insert_certificate(rec));
    if (id) {
      rec.id = *id;
      return {};
    }
    if (attempt + 1 == kSerialAttempts) return fail(ErrorCode::kInternal, "could not draw an unused serial");
    PKI_TRY(sign_with_new_serial(tbs, rec, signer, baseline));
  }
}

// Inside a write transaction: stores the signed certificate (a new serial if the issuer has used
// it) and appends the audit row.
Result<store::CertificateRecord> Authority::store_prepared(const Issuer& issuer, Prepared& p) {
  // The profile it was made under is still the one offered: a profile updated or removed by
  // another process meanwhile refuses it, rather than record a version no longer in force.
  if (p.record.profile_version) {
    PKI_ASSIGN(const auto current, store_.profile(p.record.profile));
    if (!current || current->version != *p.record.profile_version)
      return fail(ErrorCode::kRefused, "profile '" + p.record.profile + "' was " +
                                           (current ? "updated" : "removed") +
                                           " while the certificate was being made: issue it again");
  }
  PKI_TRY(insert_with_fresh_serial(p.tbs, p.record, *issuer.signer, p.baseline));
  nlohmann::json detail = {{"profile", p.record.profile},
                           {"subject", p.record.subject},
                           {"sans", p.record.sans},
                           {"not_after", when(p.record.not_after)},
                           {"fingerprint", p.record.fingerprint}};
  if (p.record.renews_serial) detail["renews"] = *p.record.renews_serial;
  PKI_TRY(audit("issue", issuer.record.name, p.record.serial, detail));
  return p.record;
}

Result<Issued> Authority::issue(const IssueRequest& request) {
  PKI_ASSIGN(const Shaped shaped, shape(request));
  PKI_ASSIGN(const Issuer issuer, load_issuer(request.ca));
  return issue_shaped(issuer, shaped);
}

Result<Issued> Authority::issue(const Issuer& issuer, const IssueRequest& request) {
  if (!request.ca.empty() && request.ca != issuer.record.name)
    return fail(ErrorCode::kBadInput, Field::kCa,
                "the request names CA '" + request.ca + "', not '" + issuer.record.name + "'");
  PKI_ASSIGN(const Shaped shaped, shape(request));
  return issue_shaped(issuer, shaped);
}

Result<Issued> Authority::issue_shaped(const Issuer& issuer, const Shaped& shaped,
                                       const InTransaction* in_tx) {
  // A key made here is made only once the request is known to be good up to signing.
  SubjectKey key = shaped.key;
  OsslPtr<EVP_PKEY> generated;
  std::string key_pem;
  if (shaped.new_key) {
    PKI_ASSIGN(generated, keys::generate(shaped.new_key->type));
    PKI_ASSIGN(key.spki, keys::spki_der(*generated));
    PKI_ASSIGN(key_pem, keys::to_pkcs8_pem(*generated, shaped.new_key->passphrase));
  }
  PKI_ASSIGN(Prepared p, prepare(issuer, shaped, key));
  PKI_TRY(sign_with_new_serial(p.tbs, p.record, *issuer.signer,
                               p.baseline));  // signed before the write lock is taken
  // The key file is written (unnamed) before the transaction, so that if it cannot be written
  // nothing is stored, and given its name only once the certificate is committed, so that no
  // key file exists without its certificate, whenever the run ends.
  std::optional<StagedFile> key_file;
  if (shaped.new_key) {
    auto staged = in_field(
        StagedFile::stage(
            shaped.new_key->out, [&](const Put& put) { return put(key_pem); }, 0600, Overwrite::kRefuse),
        Field::kKeyOut);
    if (!staged) return tl::unexpected(std::move(staged.error()));
    key_file.emplace(std::move(*staged));
  }
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  PKI_ASSIGN(auto rec, store_prepared(issuer, p));
  if (in_tx) PKI_TRY((*in_tx)(rec));
  PKI_TRY(tx.commit());
  if (key_file)
    if (auto published = key_file->publish(); !published)
      return fail(ErrorCode::kStore, Field::kKeyOut,
                  "the certificate " + rec.serial + " is stored, but its key was not written: " +
                      published.error().message + ": the key is lost, so the certificate should be revoked");
  Issued out{std::move(rec), {}};
  for (const auto& c : issuer.chain)
    if (!c->self_issued()) out.chain.push_back(c);
  return out;
}

Result<Authority::Prepared> Authority::prepare_batch_item(const Issuer& issuer, const IssueRequest& request) {
  if (std::holds_alternative<NewKey>(request.key))
    return fail(ErrorCode::kBadInput, "a batch takes keys or CSRs, not keys to make");
  if (!request.ca.empty() && request.ca != issuer.record.name)
    return fail(ErrorCode::kBadInput, Field::kCa,
                "the request names CA '" + request.ca + "', not '" + issuer.record.name + "'");
  PKI_ASSIGN(const Shaped shaped, shape(request));
  PKI_ASSIGN(Prepared p, prepare(issuer, shaped, shaped.key));
  PKI_TRY(sign_with_new_serial(p.tbs, p.record, *issuer.signer, p.baseline));
  return p;
}

Result<std::vector<store::CertificateRecord>> Authority::issue_batch(const Issuer& issuer,
                                                                     std::span<const IssueRequest> requests) {
  std::vector<Prepared> prepared;
  prepared.reserve(requests.size());
  for (const auto& r : requests) {
    PKI_ASSIGN(Prepared p, prepare_batch_item(issuer, r));
    prepared.push_back(std::move(p));
  }
  std::vector<store::CertificateRecord> out;
  out.reserve(prepared.size());
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  for (auto& p : prepared) {
    PKI_ASSIGN(auto rec, store_prepared(issuer, p));
    out.push_back(std::move(rec));
  }
  PKI_TRY(tx.commit());
  return out;
}

Result<store::CertificateRecord> Authority::find_certificate(const std::optional<std::string>& serial,
                                                             const std::optional<std::string>& fingerprint,
                                                             const std::optional<std::string>& ca,
                                                             std::optional<std::int64_t> ca_id) {
  if (serial) {
    PKI_ASSIGN(auto found, store_.certificates_by_serial(*serial, ca_id));
    if (found.empty())
      return fail(ErrorCode::kNotFound,
                  "no certificate with serial " + *serial + (ca ? " from CA '" + *ca + "'" : ""));
    if (found.size() > 1)
      return fail(ErrorCode::kBadInput, Field::kCa,
                  "serial " + *serial + " was issued by several CAs: say which CA");
    return std::move(found.front());
  }
  if (fingerprint) {
    PKI_ASSIGN(auto found, store_.certificate_by_fingerprint(*fingerprint));
    if (!found || (ca_id && found->issuer_id != *ca_id))
      return fail(ErrorCode::kNotFound, "this certificate was not issued by " +
                                            (ca ? "CA '" + *ca + "'" : std::string("a CA in this database")));
    return std::move(*found);
  }
  return fail(ErrorCode::kBadInput, "give a serial or a certificate");
}

Result<Revoked> Authority::revoke(const RevokeRequest& req) {
  const TimePoint now = clock_.now();
  if (req.invalidity_date && *req.invalidity_date > now)
    return fail(ErrorCode::kBadInput, Field::kInvalidityDate, "the invalidity date is in the future");
  std::optional<std::string> serial;
  if (req.serial) {
    PKI_ASSIGN(serial, normalize_serial(*req.serial));
  }
  std::optional<std::int64_t> ca_id;
  if (req.ca) {
    PKI_ASSIGN(auto a, find_authority(*req.ca));
    ca_id = a.id;
  }

  // Look up and change inside one write transaction, so that two revocations cannot interleave.
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  PKI_ASSIGN(store::CertificateRecord cert, find_certificate(serial, req.fingerprint, req.ca, ca_id));
  PKI_ASSIGN(auto issuer, store_.authority_by_id(cert.issuer_id));
  if (issuer && issuer->kind == store::AuthorityKind::kOutside)
    return fail(ErrorCode::kRefused, "certificate " + cert.serial + " was issued by the outside issuer '" +
                                         issuer->name + "': only that CA can revoke it");
  PKI_ASSIGN(auto owner, store_.authority_of_certificate(cert.id));
  if (owner && owner->first.id == cert.issuer_id)
    return fail(ErrorCode::kRefused,
                "certificate " + cert.serial + " is the self-signed root of CA '" + owner->first.name +
                    "': a root cannot be revoked by its own CRL; remove it from trust stores");

  const auto& current = cert.revocation;
  RevokeAction action = RevokeAction::kRevoked;
  std::string verb = "revoke";
  if (req.reason == cert::CrlReason::kRemoveFromCrl) {
    // RFC 5280 5.3.1: removeFromCRL lifts a certificateHold.
    if (!current || current->reason != cert::to_string(cert::CrlReason::kCertificateHold))
      return fail(ErrorCode::kRefused,
                  "certificate " + cert.serial + " is not on hold: only a certificateHold can be lifted");
    PKI_TRY(store_.delete_revocation(cert.id));
    action = RevokeAction::kHoldLifted;
    verb = "unhold";
  } else {
    if (current) {
      const bool on_hold = current->reason == cert::to_string(cert::CrlReason::kCertificateHold);
      if (!on_hold || req.reason == cert::CrlReason::kCertificateHold)
        return fail(ErrorCode::kRefused, "certificate " + cert.serial + " is already revoked (" +
                                             current->reason + ", " + when(current->revoked_at) + ")");
      action = RevokeAction::kHoldMadePermanent;  // RFC 5280 5.3.1: a hold may become a permanent revocation
    }
    const TimePoint revoked_at = action == RevokeAction::kHoldMadePermanent ? current->revoked_at : now;
    PKI_TRY(store_.put_revocation(cert.id, store::RevocationRecord{std::string(cert::to_string(req.reason)),
                                                                   revoked_at, req.invalidity_date}));
  }
  nlohmann::json detail = {{"reason", cert::to_string(req.reason)}};
  if (req.invalidity_date) detail["invalidity_date"] = when(*req.invalidity_date);
  PKI_TRY(audit(verb, cert.issuer_name, cert.serial, detail));
  PKI_ASSIGN(auto after, store_.certificate(cert.id));
  PKI_TRY(tx.commit());
  return Revoked{std::move(*after), action};
}

Result<store::AuthorityRecord> Authority::set_urls(const SetUrlsRequest& req) {
  PKI_TRY(check_urls(req.set));
  if (req.clear.empty() && !req.set.crl_url && !req.set.ocsp_url && !req.set.ca_issuers_url &&
      !req.set.delta_crl_url)
    return fail(ErrorCode::kBadInput, "nothing to change: give a URL to set or one to clear");
  PKI_ASSIGN(auto arec, find_authority(req.name));
  if (arec.kind == store::AuthorityKind::kOutside)
    return fail(ErrorCode::kRefused,
                "CA '" + arec.name + "' is an outside issuer: pki signs nothing with it");
  for (const UrlKind k : req.clear) {
    switch (k) {
      case UrlKind::kCrl:
        arec.crl_url.reset();
        break;
      case UrlKind::kOcsp:
        arec.ocsp_url.reset();
        break;
      case UrlKind::kCaIssuers:
        arec.ca_issuers_url.reset();
        break;
      case UrlKind::kDeltaCrl:
        arec.delta_crl_url.reset();
        break;
    }
  }
  apply_urls(req.set, arec);
  auto j = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
  PKI_TRY(store_.update_authority(arec));
  PKI_TRY(audit("ca-set", arec.name, std::nullopt,
                nlohmann::json{{"crl_url", j(arec.crl_url)},
                               {"ocsp_url", j(arec.ocsp_url)},
                               {"ca_issuers_url", j(arec.ca_issuers_url)},
                               {"delta_crl_url", j(arec.delta_crl_url)}}));
  PKI_TRY(tx.commit());
  return arec;
}

Result<store::CrlRecord> Authority::publish_crl(std::string_view ca, std::chrono::seconds validity,
                                                std::optional<int> generation, bool delta) {
  if (validity <= std::chrono::seconds{0})
    return fail(ErrorCode::kBadInput, Field::kCrlValidity,
                "the CRL validity (nextUpdate after thisUpdate) must be positive");
  if (generation && *generation < 1)
    return fail(ErrorCode::kBadInput, Field::kGeneration, "key generations are numbered from 1");
  PKI_ASSIGN(const Issuer issuer, load_issuer(ca, generation));
  const TimePoint now = clock_.now();
  if (now > issuer.certificate->not_after())
    warn("CA '" + issuer.record.name + "' expired on " + when(issuer.certificate->not_after()) +
         ": verifiers refuse a CRL signed by an expired CA, so the certificates it covers have no revocation "
         "status");
  else if (now < issuer.certificate->not_before())
    warn("CA '" + issuer.record.name + "' is not valid until " + when(issuer.certificate->not_before()) +
         ": verifiers refuse the CRL it signs until then");
  const crl::PublishRequest req{
      &issuer.record, issuer.certificate.get(), issuer.signer.get(), validity, actor_, issuer.generation,
      delta};
  return crl::publish(store_, clock_, req);
}

Result<crl::CheckReport> Authority::check_crl(std::string_view ca, const cert::Crl& crl,
                                              std::chrono::seconds min_remaining) {
  PKI_ASSIGN(const auto authority, find_authority(ca));
  if (authority.kind == store::AuthorityKind::kOutside || authority.pending())
    return fail(ErrorCode::kRefused, "CA '" + authority.name + "' publishes no CRLs through pki");
  // The CRL is checked against the key generation whose key signed it (the current one when none
  // did: the report then says the signature does not verify).
  int generation = authority.generation;
  PKI_ASSIGN(const auto gens, store_.generations(authority.id));
  cert::CertificatePtr ca_cert;
  for (const auto& g : gens) {
    PKI_ASSIGN(const auto rec, certificate_of(authority, g.generation));
    PKI_ASSIGN(auto c, cert::Certificate::from_der(rec.der));
    const EVP_PKEY* key = c->public_key();
    const bool verifies = key && crl.signature_verifies(*key);
    drain_openssl_errors();
    if (verifies || g.generation == authority.generation) {
      generation = g.generation;
      ca_cert = std::move(c);
    }
    if (verifies) break;
  }
  return crl::check_published(store_, authority, generation, *ca_cert, crl, clock_.now(), min_remaining);
}

}  // namespace pki::ca
