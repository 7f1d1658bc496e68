#include "pki/crl/crl_builder.h"

#include <nlohmann/json.hpp>

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
  CrlEncoder encoder(issuer_name, req.signer->algorithm(), now, next);
  PKI_TRY(store.for_each_revocation(
      req.authority->id, req.generation, [&](const store::RevokedEntry& r) -> Result<void> {
        auto serial = from_hex(r.serial);
        if (!serial) return fail(ErrorCode::kStore, "corrupt serial in the revocations table: " + r.serial);
        PKI_ASSIGN(auto reason, cert::parse_crl_reason(r.reason));
        encoder.add(Entry{std::move(*serial), r.revoked_at, reason, r.invalidity_date});
        return {};
      }));
  const cert::Extension exts[] = {cert::ext::authority_key_id(ski), crl_number_extension(number)};
  const Bytes tbs = encoder.finish(exts);
  PKI_ASSIGN(Bytes signature, req.signer->sign(tbs));
  store::CrlRecord rec;
  rec.issuer_id = req.authority->id;
  rec.generation = req.generation;
  rec.crl_number = number;
  rec.this_update = now;
  rec.next_update = next;
  rec.entries = static_cast<std::int64_t>(encoder.size());
  rec.der = cert::signed_structure(tbs, req.signer->algorithm(), signature);
  PKI_TRY(store.insert_crl(rec));
  store::AuditEvent e;
  e.at = now;
  e.os_user = req.actor;
  e.verb = "crl";
  e.authority = req.authority->name;
  e.detail = nlohmann::json{{"crl_number", number},
                            {"generation", req.generation},
                            {"entries", rec.entries},
                            {"next_update", format_rfc3339(next)}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  PKI_TRY(store.append_audit(e));
  PKI_TRY(tx.commit());
  return rec;
}

}  // namespace pki::crl
