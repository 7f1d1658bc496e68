#include "pki/crl/crl_builder.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "pki/cert/crl.h"
#include "pki/cert/name.h"
#include "pki/cert/oids.h"
#include "pki/core/der.h"
#include "pki/core/time.h"

namespace pki::crl {

namespace {

// The most a DER header takes here: a tag and a length of up to eight octets.
constexpr std::size_t kMaxHeader = 10;

// The reasonCode entry extension (RFC 5280 5.3.1) as encoded bytes: Extension { id-ce-cRLReasons,
// OCTET STRING { ENUMERATED code } }; only the code's octet varies.
constexpr std::uint8_t kReasonExtension[] = {0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d,
                                             0x15, 0x04, 0x03, 0x0a, 0x01, 0x00};
// invalidityDate (5.3.2): Extension { id-ce-invalidityDate, OCTET STRING { GeneralizedTime } }.
constexpr std::uint8_t kInvalidityDateHead[] = {0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11};

// Writes a header ending at buf[end] (exclusive); returns where it starts.
std::size_t put_header_before(Bytes& buf, std::size_t end, std::uint8_t tag, std::size_t length) {
  Bytes h;
  der::append_header(h, tag, length);
  std::copy(h.begin(), h.end(), buf.begin() + static_cast<std::ptrdiff_t>(end - h.size()));
  return end - h.size();
}

}  // namespace

CrlEncoder::CrlEncoder(BytesView issuer_name_der, BytesView signature_algorithm, TimePoint this_update,
                       TimePoint next_update)
    : algorithm_(signature_algorithm.begin(), signature_algorithm.end()) {
  const Bytes version = der::integer(1);  // v2 (RFC 5280 5.1.2.1): required with extensions
  const Bytes tu = der::time(this_update), nu = der::time(next_update);
  for (BytesView part :
       {BytesView(version), signature_algorithm, issuer_name_der, BytesView(tu), BytesView(nu)})
    head_.insert(head_.end(), part.begin(), part.end());
  // The CertificateList's, the TBSCertList's and the entry list's headers, and the head.
  gap_ = 3 * kMaxHeader + head_.size();
  buf_.resize(gap_);
}

void CrlEncoder::reserve(std::size_t entries) {
  // An entry is about 40 octets with a 16-octet serial and a reason; the list's end grows it.
  buf_.reserve(gap_ + entries * 42 + 1024);
}

void CrlEncoder::add(const Entry& e) { add(e.serial, e.revoked_at, e.reason, e.invalidity_date); }

void CrlEncoder::add(BytesView serial, TimePoint revoked_at, cert::CrlReason reason,
                     const std::optional<TimePoint>& invalidity_date) {
  // The serial as a positive INTEGER: leading zero octets dropped, one added when the top bit is set.
  while (!serial.empty() && serial.front() == 0) serial = serial.subspan(1);
  const bool pad = serial.empty() || (serial.front() & 0x80);  // zero is one 0x00 octet
  const std::size_t serial_len = serial.size() + (pad ? 1 : 0);
  const std::size_t date_len = der::time_size(revoked_at);
  // RFC 5280 5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
  // unspecified (0) reasonCode value".
  const bool has_reason = reason != cert::CrlReason::kUnspecified;
  std::size_t exts_len =
      (has_reason ? sizeof kReasonExtension : 0) + (invalidity_date ? sizeof kInvalidityDateHead + 17 : 0);
  const std::size_t exts_total = exts_len ? der::header_size(exts_len) + exts_len : 0;
  const std::size_t serial_total = der::header_size(serial_len) + serial_len;
  der::append_header(buf_, der::tag::kSequence, serial_total + date_len + exts_total);
  der::append_header(buf_, der::tag::kInteger, serial_len);
  if (pad) buf_.push_back(0);
  buf_.insert(buf_.end(), serial.begin(), serial.end());
  der::append_time(buf_, revoked_at);
  if (exts_len) {
    der::append_header(buf_, der::tag::kSequence, exts_len);
    if (has_reason) {
      buf_.insert(buf_.end(), std::begin(kReasonExtension), std::end(kReasonExtension));
      buf_.back() = static_cast<std::uint8_t>(reason);
    }
    // RFC 5280 5.3.2: the invalidity date is a GeneralizedTime.
    if (invalidity_date) {
      buf_.insert(buf_.end(), std::begin(kInvalidityDateHead), std::end(kInvalidityDateHead));
      der::append_generalized_time(buf_, *invalidity_date);
    }
  }
  ++count_;
}

std::size_t CrlEncoder::place_tbs(std::span<const cert::Extension> crl_extensions) {
  const std::size_t list_len = buf_.size() - gap_;
  const Bytes exts = crl_extensions.empty() ? Bytes{}
                                            : der::tlv(der::tag::context_constructed(0),
                                                       cert::encode_extensions(crl_extensions));
  buf_.insert(buf_.end(), exts.begin(), exts.end());
  std::size_t start = gap_;
  // RFC 5280 5.1.2.6: with no revoked certificates the list is absent, not empty.
  if (count_) start = put_header_before(buf_, start, der::tag::kSequence, list_len);
  std::copy(head_.begin(), head_.end(), buf_.begin() + static_cast<std::ptrdiff_t>(start - head_.size()));
  start -= head_.size();
  return put_header_before(buf_, start, der::tag::kSequence, buf_.size() - start);
}

Bytes CrlEncoder::finish(std::span<const cert::Extension> crl_extensions) const {
  CrlEncoder copy = *this;
  const std::size_t start = copy.place_tbs(crl_extensions);
  return Bytes(copy.buf_.begin() + static_cast<std::ptrdiff_t>(start), copy.buf_.end());
}

Result<Bytes> CrlEncoder::sign(std::span<const cert::Extension> crl_extensions,
                               const cert::Signer& signer) && {
  const std::size_t start = place_tbs(crl_extensions);
  PKI_ASSIGN(const Bytes signature, signer.sign(BytesView(buf_.data() + start, buf_.size() - start)));
  buf_.insert(buf_.end(), algorithm_.begin(), algorithm_.end());
  der::append_header(buf_, der::tag::kBitString, signature.size() + 1);
  buf_.push_back(0);  // no unused bits
  buf_.insert(buf_.end(), signature.begin(), signature.end());
  const std::size_t outer = put_header_before(buf_, start, der::tag::kSequence, buf_.size() - start);
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(outer));
  return std::move(buf_);
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
  out.reserve(crl->entry_count());
  for (const auto& [serial, entry] : crl->entries())
    out.emplace(serial,
                BaseEntry{entry.revocation_date, entry.reason.value_or(cert::CrlReason::kUnspecified)});
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
    PKI_ASSIGN(const auto complete,
               store.latest_crl(req.authority->id, req.generation, false, store::Store::CrlPart::kWhole));
    if (!complete)
      return fail(ErrorCode::kRefused,
                  "CA '" + req.authority->name + "' has no complete CRL of key generation " +
                      std::to_string(req.generation) + ": a delta CRL updates one, so publish that first");
    delta_base = complete->crl_number;
    PKI_ASSIGN(base, base_entries(*complete));
  }
  CrlEncoder encoder(issuer_name, req.signer->algorithm(), now, next);
  PKI_ASSIGN(const std::int64_t revocations, store.revocation_count(req.authority->id, req.generation));
  encoder.reserve(static_cast<std::size_t>(revocations) + base.size());
  Bytes serial;
  PKI_TRY(store.for_each_revocation(
      req.authority->id, req.generation, [&](const store::RevokedEntry& r) -> Result<void> {
        if (!from_hex_into(r.serial, serial))
          return fail(ErrorCode::kStore, "corrupt serial in the revocations table: " + r.serial);
        PKI_ASSIGN(auto reason, cert::parse_crl_reason(r.reason));
        if (delta_base) {
          const auto it = base.find(cert::serial_to_hex(serial));
          const bool unchanged = it != base.end() && it->second.reason == reason;
          if (it != base.end()) base.erase(it);
          if (unchanged) return {};
        }
        encoder.add(serial, r.revoked_at, reason, r.invalidity_date);
        return {};
      }));
  // What the base lists and is revoked no more (a lifted hold).
  for (const auto& [hex, e] : base) {
    if (!from_hex_into(hex, serial)) return fail(ErrorCode::kInternal, "unreadable serial in the base CRL");
    encoder.add(serial, e.revoked_at, cert::CrlReason::kRemoveFromCrl, std::nullopt);
  }
  std::vector<cert::Extension> exts{cert::ext::authority_key_id(ski), crl_number_extension(number)};
  if (delta_base)
    exts.push_back(delta_crl_indicator(*delta_base));
  else if (req.authority->delta_crl_url)
    exts.push_back(cert::ext::freshest_crl(*req.authority->delta_crl_url));
  const std::size_t entries = encoder.size();
  PKI_ASSIGN(Bytes der, std::move(encoder).sign(exts, *req.signer));
  store::CrlRecord rec;
  rec.issuer_id = req.authority->id;
  rec.generation = req.generation;
  rec.crl_number = number;
  rec.this_update = now;
  rec.next_update = next;
  rec.entries = static_cast<std::int64_t>(entries);
  rec.delta_base = delta_base;
  rec.der = std::move(der);
  rec.fingerprint = sha256_hex(rec.der);
  PKI_TRY(store.insert_crl(rec));
  store::AuditEvent e;
  e.at = now;
  e.os_user = req.actor;
  e.verb = "crl";
  e.authority = req.authority->name;
  nlohmann::json detail{{"crl_number", number},
                        {"generation", req.generation},
                        {"entries", rec.entries},
                        {"fingerprint", rec.fingerprint},
                        {"next_update", format_rfc3339(next)}};
  if (delta_base) detail["delta_base"] = *delta_base;
  e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  PKI_TRY(store.append_audit(e));
  PKI_TRY(tx.commit());
  return rec;
}

}  // namespace pki::crl
