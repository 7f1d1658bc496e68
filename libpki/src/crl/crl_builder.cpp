#include "pki/crl/crl_builder.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "pki/cert/crl.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/time.h"

namespace pki::crl {

CrlEncoder::CrlEncoder(BytesView issuer_name_der, BytesView signature_algorithm, TimePoint this_update,
                       TimePoint next_update) {
  const Bytes version = der::integer(1);  // v2 (RFC 5280 5.1.2.1): required with extensions
  const Bytes tu = der::time(this_update), nu = der::time(next_update);
  for (BytesView part :
       {BytesView(version), signature_algorithm, issuer_name_der, BytesView(tu), BytesView(nu)})
    head_.insert(head_.end(), part.begin(), part.end());
}

void CrlEncoder::add(const Entry& e) {
  std::vector<cert::Extension> exts;
  // RFC 5280 5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
  // unspecified (0) reasonCode value".
  if (e.reason != cert::CrlReason::kUnspecified)
    exts.push_back({oid::kCrlReason, false, der::enumerated(static_cast<int>(e.reason))});
  // RFC 5280 5.3.2: the invalidity date is a GeneralizedTime.
  if (e.invalidity_date)
    exts.push_back({oid::kInvalidityDate, false, der::generalized_time(*e.invalidity_date)});
  const Bytes serial = der::unsigned_integer(e.serial);
  const Bytes date = der::time(e.revoked_at);
  const Bytes ext = exts.empty() ? Bytes{} : cert::encode_extensions(exts);
  der::append_header(entries_, der::tag::kSequence, serial.size() + date.size() + ext.size());
  entries_.insert(entries_.end(), serial.begin(), serial.end());
  entries_.insert(entries_.end(), date.begin(), date.end());
  entries_.insert(entries_.end(), ext.begin(), ext.end());
  ++count_;
}

Bytes CrlEncoder::finish(std::span<const cert::Extension> crl_extensions) const {
  const Bytes exts = crl_extensions.empty() ? Bytes{}
                                            : der::tlv(der::tag::context_constructed(0),
                                                       cert::encode_extensions(crl_extensions));
  // RFC 5280 5.1.2.6: with no revoked certificates the list is absent, not empty.
  const std::size_t list_size = count_ ? der::header_size(entries_.size()) + entries_.size() : 0;
  const std::size_t body = head_.size() + list_size + exts.size();
  Bytes tbs;
  tbs.reserve(der::header_size(body) + body);
  der::append_header(tbs, der::tag::kSequence, body);
  tbs.insert(tbs.end(), head_.begin(), head_.end());
  if (count_) {
    der::append_header(tbs, der::tag::kSequence, entries_.size());
    tbs.insert(tbs.end(), entries_.begin(), entries_.end());
  }
  tbs.insert(tbs.end(), exts.begin(), exts.end());
  return tbs;
}

cert::Extension crl_number_extension(std::int64_t number) {
  return {oid::kCrlNumber, false, der::integer(number)};
}

cert::Extension delta_crl_indicator(std::int64_t base_number) {
  return {oid::kDeltaCrlIndicator, true, der::integer(base_number)};
}

namespace {

struct BaseEntry {
  TimePoint revoked_at{};
  cert::CrlReason reason = cert::CrlReason::kUnspecified;
};

// The entries of a complete CRL pki made, by serial (lowercase hex, as the store keeps them).
Result<std::unordered_map<std::string, BaseEntry>> base_entries(const store::CrlRecord& base) {
  PKI_ASSIGN(auto crl, cert::Crl::from_der(base.der));
  std::unordered_map<std::string, BaseEntry> out;
  const STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(crl->x509_mutable());
  const int n = list ? sk_X509_REVOKED_num(list) : 0;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(list, i);
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(r);
    const auto* p = ASN1_STRING_get0_data(serial);
    BaseEntry e;
    PKI_ASSIGN(e.revoked_at, from_asn1_time(*X509_REVOKED_get0_revocationDate(r)));
    int crit = 0;
    auto* code = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr));
    if (code) {
      e.reason = static_cast<cert::CrlReason>(ASN1_ENUMERATED_get(code));
      ASN1_ENUMERATED_free(code);
    }
    out.emplace(cert::serial_to_hex(BytesView(p, static_cast<std::size_t>(ASN1_STRING_length(serial)))), e);
  }
  return out;
}

}  // namespace

Result<store::CrlRecord> publish(store::Store& store, const Clock& clock, const PublishRequest& req) {
  if (req.validity <= std::chrono::seconds{0})
    return fail(ErrorCode::kBadInput, Field::kCrlValidity,
                "the CRL validity (nextUpdate after thisUpdate) must be positive");
  const TimePoint now = clock.now();
  const TimePoint next = now + req.validity;
  // RFC 5280 5.1.2.5 times end at 9999-12-31T23:59:59Z.
  if (std::chrono::floor<std::chrono::days>(next) > std::chrono::sys_days{std::chrono::year{9999} / 12 / 31})
    return fail(ErrorCode::kBadInput, "nextUpdate would fall after 9999-12-31");
  PKI_ASSIGN(Bytes issuer_name, cert::name_der(req.ca_certificate->subject()));
  Bytes ski;
  if (req.ca_certificate->subject_key_id()) {
    ski = *req.ca_certificate->subject_key_id();
  } else {
    PKI_ASSIGN(ski, cert::key_identifier(req.ca_certificate->spki_der()));
  }

  PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store));
  PKI_ASSIGN(const std::int64_t last, store.last_crl_number(req.authority->id));
  const std::int64_t number = last + 1;  // strictly increasing per CA (RFC 5280 5.2.3)
  std::optional<std::int64_t> delta_base;
  std::unordered_map<std::string, BaseEntry> base;
  if (req.delta) {
    PKI_ASSIGN(const auto complete, store.latest_crl(req.authority->id, req.generation));
    if (!complete)
      return fail(ErrorCode::kRefused,
                  "CA '" + req.authority->name + "' has no complete CRL of key generation " +
                      std::to_string(req.generation) + ": a delta CRL updates one, so publish that first");
    delta_base = complete->crl_number;
    PKI_ASSIGN(base, base_entries(*complete));
  }
  CrlEncoder encoder(issuer_name, req.signer->algorithm(), now, next);
  PKI_TRY(store.for_each_revocation(
      req.authority->id, req.generation, [&](const store::RevokedEntry& r) -> Result<void> {
        auto serial = from_hex(r.serial);
        if (!serial) return fail(ErrorCode::kStore, "corrupt serial in the revocations table: " + r.serial);
        PKI_ASSIGN(auto reason, cert::parse_crl_reason(r.reason));
        if (delta_base) {
          const auto it = base.find(cert::serial_to_hex(*serial));
          const bool unchanged = it != base.end() && it->second.reason == reason;
          if (it != base.end()) base.erase(it);
          if (unchanged) return {};
        }
        encoder.add(Entry{std::move(*serial), r.revoked_at, reason, r.invalidity_date});
        return {};
      }));
  // What the base lists and is revoked no more (a lifted hold).
  for (const auto& [hex, e] : base) {
    auto serial = from_hex(hex.size() % 2 ? "0" + hex : hex);
    if (!serial) return fail(ErrorCode::kInternal, "unreadable serial in the base CRL");
    encoder.add(Entry{std::move(*serial), e.revoked_at, cert::CrlReason::kRemoveFromCrl, std::nullopt});
  }
  std::vector<cert::Extension> exts{cert::ext::authority_key_id(ski), crl_number_extension(number)};
  if (delta_base)
    exts.push_back(delta_crl_indicator(*delta_base));
  else if (req.authority->delta_crl_url)
    exts.push_back(cert::ext::freshest_crl(*req.authority->delta_crl_url));
  const Bytes tbs = encoder.finish(exts);
  PKI_ASSIGN(Bytes signature, req.signer->sign(tbs));
  store::CrlRecord rec;
  rec.issuer_id = req.authority->id;
  rec.generation = req.generation;
  rec.crl_number = number;
  rec.this_update = now;
  rec.next_update = next;
  rec.entries = static_cast<std::int64_t>(encoder.size());
  rec.delta_base = delta_base;
  rec.der = cert::signed_structure(tbs, req.signer->algorithm(), signature);
  PKI_TRY(store.insert_crl(rec));
  store::AuditEvent e;
  e.at = now;
  e.os_user = req.actor;
  e.verb = "crl";
  e.authority = req.authority->name;
  nlohmann::json detail{{"crl_number", number},
                        {"generation", req.generation},
                        {"entries", rec.entries},
                        {"next_update", format_rfc3339(next)}};
  if (delta_base) detail["delta_base"] = *delta_base;
  e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  PKI_TRY(store.append_audit(e));
  PKI_TRY(tx.commit());
  return rec;
}

}  // namespace pki::crl
