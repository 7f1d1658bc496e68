// Authority: the CA side. Creates root and intermediate CAs, issues leaves by profile, revokes.
//
// Each change is one write transaction on the store, with its audit row; nothing is written when a
// check refuses the request. Checks happen in this order: the request's own form (kBadInput), then
// lookups (kNotFound: the CA), the issuing CA's state and the profile's limits (kRefused), then
// signing and storing.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "pki/cert/builder.h"
#include "pki/cert/certificate.h"
#include "pki/cert/crl_reason.h"
#include "pki/cert/general_name.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/crl/crl_builder.h"
#include "pki/crl/crl_check.h"
#include "pki/keys/keys.h"
#include "pki/lint/lint.h"
#include "pki/ocsp/responder.h"
#include "pki/profiles/profile.h"
#include "pki/store/store.h"

namespace pki::ca {

// A CA loaded for signing: its record, its certificate, its key (decrypted and decoded once) and its
// chain up to the root. Load it once per process and issue many certificates with it.
struct Issuer {
  store::AuthorityRecord record;
  cert::CertificatePtr certificate;
  std::vector<cert::CertificatePtr> chain;  // this CA's certificate first, then its ancestors to the root
  std::unique_ptr<cert::Signer> signer;
  // Why this CA may not issue although its key loads: a revocation of its certificate or of an
  // ancestor's. Issuing refuses while it is set.
  std::optional<std::string> revoked;
  int generation = 1;  // which of the CA's keys this is (the current one unless asked otherwise)
};

// Where the clients of a CA find its revocation status and certificate: put in what it signs
// (cRLDistributionPoints, freshestCRL, authorityInfoAccess). http://, https:// or ldap:// URLs.
struct PublicationUrls {
  std::optional<std::string> crl_url;
  std::optional<std::string> ocsp_url;
  // The CA's certificate (caIssuers). Default with ocsp_url: the OCSP URL's scheme, host and port
  // with /ca/<name>.der, where `pki serve` publishes it.
  std::optional<std::string> ca_issuers_url;
  std::optional<std::string> delta_crl_url;
};

enum class UrlKind { kCrl, kOcsp, kCaIssuers, kDeltaCrl };

// Changes a CA's URLs: those set in `set` replace, those in `clear` are removed. Certificates and
// CRLs made from then on carry them; what was signed before keeps what it has.
struct SetUrlsRequest {
  std::string name;
  PublicationUrls set;
  std::vector<UrlKind> clear;
};

struct CreateCaRequest {
  std::string name;
  std::string subject;  // a DN as cert::parse_dn reads it
  keys::KeyType key_type = keys::kDefaultKeyType;
  std::optional<int> days;
  std::optional<std::string> parent;  // the signing CA; none for a root
  std::optional<int> path_len;
  std::vector<std::string> permit_dns;
  std::vector<std::string> exclude_dns;
  PublicationUrls urls;
  // A CA signed elsewhere: only its key and a request (PKCS#10) for an outside CA are made; the CA
  // is pending until install_ca() brings its certificate. parent, days and path_len do not apply
  // (the outside CA decides them).
  bool external = false;
};

struct CaCreated {
  store::AuthorityRecord authority;
  store::CertificateRecord certificate;  // id 0 for an external (pending) CA, which has none yet
  Bytes csr_der;                         // the request of an external CA
};

// The certificate an outside CA made for a pending CA, and the outside issuers above it (any
// order; those already in the store may be left out).
struct InstallCaRequest {
  std::string name;
  Bytes certificate_der;
  std::vector<Bytes> chain_der;
  PublicationUrls urls;  // those given replace what create_ca recorded
};

// An existing CA made elsewhere: its certificate and key, its issuers when it is not a root.
struct ImportCaRequest {
  std::string name;
  Bytes certificate_der;
  std::string key_pem;                     // any private key format keys::load_private_key reads
  const Secret* key_passphrase = nullptr;  // decrypts key_pem
  std::vector<Bytes> chain_der;
  PublicationUrls urls;
  // What the CA issued and revoked, from an `openssl ca` (or easy-rsa) directory.
  std::optional<std::string> openssl_index;  // index.txt
  std::optional<std::string> certs_dir;      // <serial>.pem files; default: newcerts/ or certs_by_serial/
  std::optional<std::string>
      crl_number_file;  // the next CRL number in hex; default: crlnumber beside index.txt
};

struct CaInstalled {
  store::AuthorityRecord authority;
  store::CertificateRecord certificate;
  std::vector<std::string> outside_issuers;  // names given to the outside issuers stored
  // An import's history.
  std::size_t imported_certificates = 0;
  std::size_t imported_without_file = 0;
  std::size_t imported_revocations = 0;
  std::int64_t crl_number_floor = 0;
};

struct RolloverRequest {
  std::string name;
  std::optional<keys::KeyType> key_type;  // default: the current key's type
  std::optional<int> days;
};

// The key a certificate certifies: one the caller holds, one a CSR carries, or one made here.
struct SubjectKey {
  Bytes spki;  // DER SubjectPublicKeyInfo
  keys::KeyType type = keys::kDefaultKeyType;
};
struct CsrKey {
  Bytes der;  // a PKCS#10 request: its signature is checked (proof of possession); its subject and
              // SANs are used when the request gives none; everything else it asks for is ignored
};
struct NewKey {
  keys::KeyType type = keys::kDefaultKeyType;
  // Where the key goes: PKCS#8, 0600, never over an existing file. It is written before the
  // certificate is stored and removed if storing fails, so that a certificate is never stored
  // without the key it certifies. The library keeps no copy.
  std::string out;
  const Secret* passphrase = nullptr;  // encrypts the key file when set
};

// How long a leaf is valid: for `length` from now, or until `not_after`; neither: the profile's
// default. Either is refused past the profile's maximum. The validity includes the notAfter second
// (RFC 5280 4.1.2.5): 90 days end one second before now + 90 days.
struct Lifetime {
  std::optional<std::chrono::seconds> length;
  std::optional<TimePoint> not_after;
};

struct IssueRequest {
  std::string ca;  // the issuing CA
  std::string profile;
  std::variant<SubjectKey, CsrKey, NewKey> key;
  std::optional<std::string> cn;        // the subject's CN (else a CSR's subject)
  std::optional<std::string> subject;   // a DN as cert::parse_dn reads it; with cn when it has no CN
  std::vector<cert::GeneralName> sans;  // else a CSR's SANs
  Lifetime lifetime;
};

struct Issued {
  store::CertificateRecord certificate;
  // The issuing CAs from the signing CA up, without the self-signed root: what a server sends
  // after its own certificate.
  std::vector<cert::CertificatePtr> chain;
};

struct RevokeRequest {
  std::optional<std::string> serial;       // hex, any case, ':' allowed
  std::optional<std::string> fingerprint;  // SHA-256 of a certificate's DER
  std::optional<std::string> ca;           // limits the serial lookup to one CA
  cert::CrlReason reason = cert::CrlReason::kUnspecified;
  std::optional<TimePoint> invalidity_date;
};

struct RenewRequest {
  std::optional<std::string> serial;  // the certificate to renew, as for RevokeRequest
  std::optional<std::string> fingerprint;
  std::optional<std::string> ca;
  Lifetime lifetime;                   // default: the profile's default
  std::optional<std::string> profile;  // default: the old certificate's (its current version)
  std::optional<NewKey> rekey;         // a new key instead of the old certificate's public key
  bool revoke_old = false;             // revoke the old one (superseded) in the same transaction
};

// A delegated OCSP responder (RFC 6960 4.2.2.2) for a CA's current key.
struct OcspResponderRequest {
  std::string ca;
  std::chrono::seconds validity = std::chrono::days{7};  // short-lived: it is never revoked-checked
  std::optional<keys::KeyType> key_type;                 // default: the CA key's type
};

struct OcspResponderIssued {
  store::CertificateRecord certificate;
  ocsp::SigningKey signing;  // its certificate and key, ready to sign answers
};

// Bulk issuance (Authority::issue_bulk).
struct BulkOptions {
  unsigned workers = 0;          // threads that read, check and sign requests; 0: one per core
  std::size_t max_group = 1000;  // the most certificates one write transaction stores
};

struct BulkOutcome {
  std::size_t index = 0;                    // which request
  Result<store::CertificateRecord> result;  // stored (and committed), or why it was refused
};

// Makes request `index`; called on the worker threads, several at once.
using BulkSource = std::function<Result<IssueRequest>(std::size_t index)>;
// Called on the calling thread after each group is committed, with the group's outcomes (its
// refusals included), in no particular order of index. An error ends the run there.
using BulkSink = std::function<Result<void>(std::span<BulkOutcome> outcomes)>;

enum class RevokeAction { kRevoked, kHoldMadePermanent, kHoldLifted };

struct Revoked {
  store::CertificateRecord certificate;  // as it is after the change
  RevokeAction action = RevokeAction::kRevoked;
};

// 127 random bits from OpenSSL's CSPRNG: a positive INTEGER of at most 16 octets, well within
// RFC 5280 4.1.2.2's 20, and above the CA/Browser Forum's 64 bits of entropy (BR 7.1).
Result<Bytes> random_serial();
// Normalises a serial as users write it ("0A:1b" -> "a1b"); kBadInput when it is not hex.
Result<std::string> normalize_serial(std::string_view text);

class Authority {
 public:
  // `actor` is recorded in the audit log (the OS user); `passphrase` decrypts CA keys and encrypts
  // new ones (may be null: keys are then stored unencrypted); `warnings`, when given, collects what
  // a user should know of each operation (each line once).
  Authority(store::Store& store, const Clock& clock, const Secret* passphrase, std::string actor,
            Warnings* warnings = nullptr);

  Result<CaCreated> create_ca(const CreateCaRequest& request);
  // Gives a pending CA (create_ca with external) the certificate an outside CA signed: it must
  // certify the CA's key, be a CA certificate and chain to the issuers given or stored.
  Result<CaInstalled> install_ca(const InstallCaRequest& request);
  // Takes over a CA made elsewhere, with what it issued when an openssl index is given.
  Result<CaInstalled> import_ca(const ImportCaRequest& request);
  // A new key and certificate for a CA, same subject; new certificates are signed with it, the
  // older keys keep signing the CRLs for what they signed.
  Result<CaCreated> rollover_ca(const RolloverRequest& request);
  Result<store::AuthorityRecord> set_urls(const SetUrlsRequest& request);

  // Issues a delegated OCSP responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) with
  // a new key for the CA's current key, stored for `pki serve`; it replaces the one before.
  Result<OcspResponderIssued> issue_ocsp_responder(const OcspResponderRequest& request);
  // What an OCSP responder needs for the CAs named (all local CAs that have a certificate when
  // none is named): every key generation's certificate and who signs its answers: for the current
  // key its newest delegated responder unless that is revoked (an expired one is renewed by
  // renew_ocsp_responder), for older keys (after a rollover) those keys themselves.
  Result<std::vector<ocsp::ServedKey>> ocsp_keys(std::span<const std::string> names);
  // A served key's delegated responder, renewed (same lifetime, new key) when a third of its
  // lifetime or less is left; nullopt when it is not due or the key signs its own answers. When
  // the CA has rolled over to a new key meanwhile, the old key signs its own answers instead.
  Result<std::optional<ocsp::SigningKey>> renew_ocsp_responder(const ocsp::ServedKey& key);

  // A CA's key for signing: the current generation, or an older one (for its CRLs).
  Result<Issuer> load_issuer(std::string_view name, std::optional<int> generation = std::nullopt);
  // The certificates of a CA (one generation: the current one by default) and its issuers up to
  // the root, outside ones included, without loading keys.
  Result<std::vector<cert::CertificatePtr>> chain(const store::AuthorityRecord& authority,
                                                  std::optional<int> generation = std::nullopt);

  // The whole of `pki issue`: the request's form, the CA named by request.ca, its limits, the
  // key (checked from a CSR, or made and written), signing, storing, the chain.
  Result<Issued> issue(const IssueRequest& request);
  // The same with a CA loaded once, for many certificates; request.ca is empty or names it.
  Result<Issued> issue(const Issuer& issuer, const IssueRequest& request);
  // Issues every request in one write transaction: all are stored, or none. Keys come from the
  // caller or from CSRs (NewKey is refused: the batch writes no files).
  Result<std::vector<store::CertificateRecord>> issue_batch(const Issuer& issuer,
                                                            std::span<const IssueRequest> requests);

  // Issues `count` requests as issue() would, keys from the caller or from CSRs (NewKey is
  // refused): worker threads make, check and sign them while this thread stores them in groups,
  // each group one write transaction with an audit row per certificate. A refused request (a bad
  // CSR, a profile's limit) is reported to `committed` and the others go on; a store error ends
  // the run, what was committed before it staying stored.
  Result<void> issue_bulk(const Issuer& issuer, std::size_t count, const BulkSource& request,
                          const BulkSink& committed, const BulkOptions& options = {});

  // Issuance profiles (profiles/profile.h), as the store holds them: the current version of each.
  Result<std::vector<profiles::Profile>> list_profiles();
  // One profile, its current version or an older one; kNotFound when there is none.
  Result<profiles::Profile> find_profile(std::string_view name, std::optional<int> version = std::nullopt);
  // A profile issuance may use now (its current version), read from the store once per Authority
  // (issue_bulk loads them before its workers start, which then only read them); kBadInput naming
  // the profiles there are when there is no such profile.
  Result<std::shared_ptr<const profiles::Profile>> current_profile(std::string_view name);
  enum class ProfileChange { kAdd, kUpdate };
  // Checks the JSON document and stores it as the profile's next version (kAdd: a profile of that
  // name must not exist; kUpdate: it must), with its audit row; a document equal to the current
  // version changes nothing. Returns the profile as stored.
  Result<profiles::Profile> put_profile(ProfileChange change, std::string_view name,
                                        std::string_view document);
  // The profile is no longer offered (its versions stay, for the certificates issued under them);
  // the CA profiles cannot be removed. Returns the last version.
  Result<profiles::Profile> remove_profile(std::string_view name);

  // Every stored key (CA keys, delegated OCSP responders' keys) decrypted with this Authority's
  // passphrase (keys stored unencrypted need none) and encrypted with `new_passphrase`, each read
  // back before it is kept, all in one transaction with its audit row. Returns how many keys.
  Result<std::size_t> change_passphrase(const Secret& new_passphrase);

  Result<Revoked> revoke(const RevokeRequest& request);
  // A new certificate for the same subject, names and profile, linked to the one it replaces.
  Result<Issued> renew(const RenewRequest& request);

  // The whole of `pki crl`: the CA's next CRL for one of its keys (the current one by default),
  // every revocation of what that key signed on it, current for `validity` from now; stored with
  // its audit row. With `delta`, a delta CRL against that key's newest complete CRL instead.
  Result<store::CrlRecord> publish_crl(std::string_view ca,
                                       std::chrono::seconds validity = crl::kDefaultValidity,
                                       std::optional<int> generation = std::nullopt, bool delta = false);
  // The whole of `pki crl check`: is `crl` the current CRL of CA `ca`, signed by it, current for
  // `min_remaining` more?
  Result<crl::CheckReport> check_crl(std::string_view ca, const cert::Crl& crl,
                                     std::chrono::seconds min_remaining = crl::kDefaultMinRemaining);

 private:
  struct Shaped;
  struct Prepared;
  Result<Shaped> shape(const IssueRequest& request, const X509_NAME* subject = nullptr);
  Result<CaCreated> create_external(const CreateCaRequest& request, const X509_NAME& subject);
  Result<Prepared> prepare(const Issuer& issuer, const Shaped& shaped, const SubjectKey& key);
  Result<Prepared> prepare_batch_item(const Issuer& issuer, const IssueRequest& request);
  using InTransaction = std::function<Result<void>(const store::CertificateRecord&)>;
  // in_tx runs inside the issuing transaction, after the certificate is stored.
  Result<Issued> issue_shaped(const Issuer& issuer, const Shaped& shaped,
                              const InTransaction* in_tx = nullptr);
  Result<store::CertificateRecord> certificate_of(const store::AuthorityRecord& authority, int generation);
  // outside_may_share: an outside issuer may share its subject with another outside issuer (its
  // renewed or re-keyed certificate), never with a CA of this store.
  Result<void> check_subject_free(const X509_NAME& subject, std::optional<std::int64_t> except_id,
                                  bool outside_may_share = false);
  struct Parents;
  Result<Parents> find_parents(const cert::Certificate& certificate, std::span<const Bytes> chain_der,
                               std::string_view for_name);
  Result<std::vector<std::string>> store_parents(Parents& parents, TimePoint now);
  Result<store::CertificateRecord> store_prepared(const Issuer& issuer, Prepared& prepared);
  // Inside a write transaction: inserts the signed certificate `rec` (tbs signed by `signer`),
  // signing it again with a new serial on the (2^-127) chance that the issuer has used it.
  Result<void> insert_with_fresh_serial(cert::TbsCertificate& tbs, store::CertificateRecord& rec,
                                        const cert::Signer& signer,
                                        lint::Baseline baseline = lint::Baseline::kApply);
  Result<store::AuthorityRecord> find_authority(std::string_view name);
  // A stored private key, decrypted with the store's passphrase and checked against its checksum;
  // `who` names its owner in messages ("CA 'x'").
  Result<std::pair<OsslPtr<EVP_PKEY>, store::KeyRecord>> load_key(std::int64_t key_id,
                                                                  const std::string& who);
  Result<store::CertificateRecord> find_certificate(const std::optional<std::string>& serial,
                                                    const std::optional<std::string>& fingerprint,
                                                    const std::optional<std::string>& ca,
                                                    std::optional<std::int64_t> ca_id);
  // Appends an audit row; `detail` is a JSON object (stored as text, invalid UTF-8 replaced).
  Result<void> audit(std::string verb, std::optional<std::string> authority,
                     std::optional<std::string> serial, const nlohmann::json& detail);

  void warn(std::string message);
  Result<void> load_profiles();
  struct ProfileCache;

  store::Store& store_;
  const Clock& clock_;
  const Secret* passphrase_;
  std::string actor_;
  Warnings* warnings_;
  std::shared_ptr<ProfileCache> profiles_;
};

}  // namespace pki::ca
