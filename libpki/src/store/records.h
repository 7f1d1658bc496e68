// What the SQLite and PostgreSQL stores share: the SELECT lists whose rows make records, and how
// a row becomes one. `Row` is each store's reader of the current row, by column index: integer,
// optional_integer, text, optional_text, blob, is_null, time, optional_time, strings (a JSON array
// of strings), and done(value), which fails when a value did not parse.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/core/time.h"
#include "pki/store/store.h"

namespace pki::store::records {

// Both dialects take these as written (SELECT lists; the statement adds WHERE and ORDER BY).
inline constexpr std::string_view kCertColumns =
    "c.id, c.issuer_id, a.name, c.serial, c.subject, c.sans, c.not_before, c.not_after, c.profile, "
    "c.key_type, c.der, c.fingerprint, c.created_at, r.reason, r.revoked_at, r.invalidity_date, "
    "c.generation, c.origin, c.renews, "
    "(SELECT o.serial FROM certificates o WHERE o.id = c.renews), "
    "(SELECT n.serial FROM certificates n WHERE n.renews = c.id ORDER BY n.id DESC LIMIT 1), "
    "c.profile_version "
    "FROM certificates c JOIN authorities a ON a.id = c.issuer_id "
    "LEFT JOIN revocations r ON r.certificate_id = c.id ";

inline constexpr std::string_view kAuthorityColumns =
    "SELECT a.id, a.name, a.kind, a.parent_id, a.key_id, a.certificate_id, a.crl_url, a.pending_csr, "
    "a.crl_number_floor, a.created_at, "
    "COALESCE((SELECT k.generation FROM authority_keys k WHERE k.certificate_id = a.certificate_id), 0), "
    "a.ocsp_url, a.ca_issuers_url, a.delta_crl_url "
    "FROM authorities a ";

inline constexpr std::string_view kProfileColumns = "v.name, v.version, v.document, v.created_at";
// The columns of a CrlRecord; with `whole` false the CRL itself is left out (NULL: der reads as
// empty), for callers that want its number, times, entries or fingerprint.
inline std::string crl_columns(bool whole) {
  return std::string("id, issuer_id, generation, crl_number, this_update, next_update, entries, ") +
         (whole ? "der" : "NULL") + ", delta_base, fingerprint";
}

inline std::string_view origin_name(Origin o) {
  switch (o) {
    case Origin::kIssued:
      return "issued";
    case Origin::kImported:
      return "imported";
    case Origin::kOutside:
      return "outside";
  }
  return "issued";
}

// Times are stored as RFC 3339 text (schema/README.md).
inline std::string t2s(TimePoint t) { return format_rfc3339(t); }
inline std::optional<std::string> t2s(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return t2s(*t);
}

// A stored value that does not parse: the store is damaged, and the message names the column.
inline Error damaged(const std::string& what, std::string_view column) {
  return Error{ErrorCode::kStore,
               "the database holds " + what + " in column " + std::string(column) + ": it is damaged",
               {},
               Field::kDatabase};
}

// A stored JSON array of strings (certificates.sans); nullopt when it is not one.
inline std::optional<std::vector<std::string>> string_list(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A row of kCertColumns.
template <class Row>
Result<CertificateRecord> certificate(Row& r) {
  CertificateRecord c;
  c.id = r.integer(0);
  c.issuer_id = r.integer(1);
  c.issuer_name = r.text(2);
  c.serial = r.text(3);
  c.subject = r.text(4);
  c.sans = r.strings(5);
  c.not_before = r.optional_time(6);
  c.not_after = r.time(7);
  c.profile = r.text(8);
  if (!r.is_null(21)) c.profile_version = static_cast<int>(r.integer(21));
  c.key_type = r.text(9);
  if (!r.is_null(10)) c.der = r.blob(10);
  c.fingerprint = r.optional_text(11).value_or("");
  c.created_at = r.time(12);
  if (!r.is_null(13)) c.revocation = RevocationRecord{r.text(13), r.time(14), r.optional_time(15)};
  c.generation = static_cast<int>(r.integer(16));
  const std::string origin = r.text(17);
  c.origin = origin == "imported"  ? Origin::kImported
             : origin == "outside" ? Origin::kOutside
                                   : Origin::kIssued;
  c.renews = r.optional_integer(18);
  c.renews_serial = r.optional_text(19);
  c.renewed_by_serial = r.optional_text(20);
  return r.done(std::move(c));
}

// A row of kAuthorityColumns.
template <class Row>
Result<AuthorityRecord> authority(Row& r) {
  AuthorityRecord a;
  a.id = r.integer(0);
  a.name = r.text(1);
  a.kind = r.text(2) == "outside" ? AuthorityKind::kOutside : AuthorityKind::kLocal;
  a.parent_id = r.optional_integer(3);
  a.key_id = r.optional_integer(4);
  a.certificate_id = r.optional_integer(5);
  a.crl_url = r.optional_text(6);
  if (!r.is_null(7)) a.pending_csr = r.blob(7);
  a.crl_number_floor = r.integer(8);
  a.created_at = r.time(9);
  a.generation = static_cast<int>(r.integer(10));
  a.ocsp_url = r.optional_text(11);
  a.ca_issuers_url = r.optional_text(12);
  a.delta_crl_url = r.optional_text(13);
  return r.done(std::move(a));
}

// A row of crl_columns().
template <class Row>
Result<CrlRecord> crl(Row& r) {
  CrlRecord c{r.integer(0),
              r.integer(1),
              static_cast<int>(r.integer(2)),
              r.integer(3),
              r.time(4),
              r.time(5),
              r.integer(6),
              r.blob(7),
              r.optional_integer(8),
              r.optional_text(9).value_or("")};  // empty for CRLs published before schema 0006
  return r.done(std::move(c));
}

// A row of kProfileColumns.
template <class Row>
Result<ProfileRecord> profile(Row& r) {
  ProfileRecord p{r.text(0), static_cast<int>(r.integer(1)), r.text(2), r.time(3)};
  return r.done(std::move(p));
}

}  // namespace pki::store::records
