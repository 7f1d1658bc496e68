#include "render.h"

#include <algorithm>
#include <map>

#include "pki/cert/builder.h"
#include "pki/cert/inspect.h"
#include "pki/cert/oids.h"
#include "pki/core/time.h"

namespace pki::app {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string_view origin_name(store::Origin o) {
  switch (o) {
    case store::Origin::kIssued:
      return "issued";
    case store::Origin::kImported:
      return "imported";
    case store::Origin::kOutside:
      return "outside";
  }
  return "issued";
}

Result<RevokedIssuers> RevokedIssuers::of(store::Store& st) {
  using Key = std::pair<std::int64_t, int>;
  struct Made {
    bool revoked = false;
    std::optional<Key> by;  // the key that signed this key's certificate, when not its own
  };
  std::map<Key, Made> keys;
  PKI_ASSIGN(const auto all, st.authorities());
  for (const auto& a : all) {
    std::vector<std::pair<int, std::int64_t>> certs;  // (generation, certificate id)
    if (a.kind == store::AuthorityKind::kOutside) {
      if (a.certificate_id) certs.emplace_back(1, *a.certificate_id);
    } else {
      PKI_ASSIGN(const auto gens, st.generations(a.id));
      for (const auto& g : gens) certs.emplace_back(g.generation, g.certificate_id);
    }
    for (const auto& [generation, id] : certs) {
      PKI_ASSIGN(const auto c, st.certificate(id));
      if (!c) continue;
      Made m{c->revocation.has_value(), std::nullopt};
      if (c->issuer_id != a.id) m.by = Key{c->issuer_id, c->generation};
      keys[{a.id, generation}] = m;
    }
  }
  RevokedIssuers out;
  for (const auto& [key, made] : keys) {
    // Up the issuers: a bounded walk (a store's chains are short; a cycle is not followed twice).
    const Made* at = &made;
    for (std::size_t steps = 0; at && steps <= keys.size(); ++steps) {
      if (at->revoked) {
        out.keys_.insert(key);
        break;
      }
      const auto up = at->by ? keys.find(*at->by) : keys.end();
      at = up == keys.end() ? nullptr : &up->second;
    }
  }
  return out;
}

namespace {

std::string validity_status(TimePoint now, TimePoint not_before, TimePoint not_after) {
  if (now < not_before) return "not-yet-valid";
  if (now > not_after) return "expired";
  return "valid";
}

nlohmann::json field_json(const cert::InspectedField& f) {
  switch (f.kind) {
    case cert::FieldKind::kBoolean:
      return f.values.front() == "true";
    case cert::FieldKind::kInteger: {
      // Numbers that fit JSON's safe integers stay numbers; longer ones are decimal strings.
      const std::string& v = f.values.front();
      if (v.size() <= 15) return std::stoll(v);
      return v;
    }
    case cert::FieldKind::kText:
      return f.values.front();
    case cert::FieldKind::kList:
      return f.values;
  }
  return nullptr;
}

}  // namespace

std::string status_of(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked) {
  if (c.revocation) return "revoked";
  if (issuer_revoked) return "revoked (issuer revoked)";
  if (!c.not_before) return c.not_after < now ? "expired" : "valid";  // imported by its index line alone
  return validity_status(now, *c.not_before, c.not_after);
}

nlohmann::json certificate_json(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked) {
  nlohmann::json j = {
      {"serial", c.serial},
      {"ca", c.issuer_name},
      {"subject", c.subject},
      {"sans", c.sans},
      {"not_before", c.not_before ? nlohmann::json(format_rfc3339(*c.not_before)) : nlohmann::json()},
      {"not_after", format_rfc3339(c.not_after)},
      {"profile", c.profile},
      {"profile_version", c.profile_version ? nlohmann::json(*c.profile_version) : nlohmann::json()},
      {"key_type", c.key_type},
      {"fingerprint_sha256", c.has_der() ? nlohmann::json(c.fingerprint) : nlohmann::json()},
      {"status", c.revocation || issuer_revoked ? "revoked" : status_of(c, now)},
      {"origin", origin_name(c.origin)}};
  if (issuer_revoked) j["issuer_revoked"] = true;
  if (c.generation != 1) j["ca_generation"] = c.generation;
  if (c.renews_serial) j["renews"] = *c.renews_serial;
  if (c.renewed_by_serial) j["renewed_by"] = *c.renewed_by_serial;
  if (c.revocation) {
    nlohmann::json r = {{"reason", c.revocation->reason},
                        {"revoked_at", format_rfc3339(c.revocation->revoked_at)}};
    if (c.revocation->invalidity_date) r["invalidity_date"] = format_rfc3339(*c.revocation->invalidity_date);
    j["revocation"] = r;
  }
  return j;
}

nlohmann::json public_key_json(const cert::PublicKeyInfo& k) {
  nlohmann::json j = {
      {"algorithm", k.algorithm},
      {"description", k.description},
      {"spki_sha256", k.spki_sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(k.spki_sha256)}};
  if (k.bits) j["bits"] = *k.bits;
  if (k.curve) j["curve"] = *k.curve;
  return j;
}

nlohmann::json extensions_json(const std::vector<cert::InspectedExtension>& exts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : exts) {
    nlohmann::json j = {{"oid", e.oid}, {"name", e.name}, {"critical", e.critical}, {"decoded", e.decoded}};
    if (e.decoded) {
      nlohmann::json value = nlohmann::json::object();
      for (const auto& f : e.fields) value[f.key] = field_json(f);
      j["value"] = value;
    } else {
      j["value_hex"] = e.value_hex;
      if (!e.error.empty()) j["error"] = e.error;
    }
    out.push_back(j);
  }
  return out;
}

// A certificate's one shape (docs/schema/certificate.json): the fields every pki document gives a
// certificate, then what only the file shows (certificate.json#/$defs/from_file).
nlohmann::json certificate_json(const cert::InspectedCertificate& c, TimePoint now) {
  return {{"serial", c.serial},
          {"subject", c.subject},
          {"sans", c.sans},
          {"not_before", format_rfc3339(c.not_before)},
          {"not_after", format_rfc3339(c.not_after)},
          {"key_type", c.key_type},
          {"fingerprint_sha256", c.fingerprint_sha256},
          {"status", validity_status(now, c.not_before, c.not_after)},
          {"version", c.version},
          {"issuer", c.issuer},
          {"self_signed", c.self_signed},
          {"remaining_seconds", (c.not_after - now).count()},
          {"public_key", public_key_json(c.public_key)},
          {"signature_algorithm", c.signature_algorithm},
          {"extensions", extensions_json(c.extensions)},
          {"problems", c.problems}};
}

std::string certificate_text(const store::CertificateRecord& c, TimePoint now, bool issuer_revoked) {
  std::string out;
  out += "serial:      " + c.serial + "\n";
  out += "ca:          " + c.issuer_name + "\n";
  out += "subject:     " + c.subject + "\n";
  out += "sans:        " + (c.sans.empty() ? std::string("-") : join(c.sans, ", ")) + "\n";
  out += "profile:     " + c.profile + (c.profile_version ? " v" + std::to_string(*c.profile_version) : "") +
         " (" + c.key_type + ")\n";
  out += "valid:       " + (c.not_before ? format_rfc3339(*c.not_before) : std::string("(unknown)")) +
         " to " + format_rfc3339(c.not_after) + "\n";
  out += "status:      " + status_of(c, now, issuer_revoked);
  if (c.revocation) {
    out += " (" + c.revocation->reason + ", " + format_rfc3339(c.revocation->revoked_at);
    if (c.revocation->invalidity_date)
      out += ", invalid since " + format_rfc3339(*c.revocation->invalidity_date);
    out += ")";
  }
  out += "\nfingerprint: " +
         (c.has_der() ? "sha256:" + c.fingerprint : std::string("- (imported without its file)")) + "\n";
  if (c.origin != store::Origin::kIssued) out += "origin:      " + std::string(origin_name(c.origin)) + "\n";
  if (c.generation != 1) out += "ca key:      generation " + std::to_string(c.generation) + "\n";
  if (c.renews_serial) out += "renews:      " + *c.renews_serial + "\n";
  if (c.renewed_by_serial) out += "renewed by:  " + *c.renewed_by_serial + "\n";
  return out;
}

namespace {

std::string eku_name(const std::string& oid) {
  if (oid == oid::kServerAuth) return "serverAuth";
  if (oid == oid::kClientAuth) return "clientAuth";
  if (oid == oid::kAnyExtendedKeyUsage) return "anyExtendedKeyUsage";
  return oid;
}

// What certificate_details_text shows.
nlohmann::json certificate_details_json(const cert::Certificate& c) {
  nlohmann::json j = {{"version", c.version()},
                      {"serial", c.serial_hex()},
                      {"subject", c.subject_text()},
                      {"issuer", c.issuer_text()},
                      {"not_before", format_rfc3339(c.not_before())},
                      {"not_after", format_rfc3339(c.not_after())},
                      {"public_key", c.public_key_algorithm()},
                      {"signature_algorithm", c.signature_algorithm()}};
  if (const auto& bc = c.basic_constraints()) {
    j["basic_constraints"] = {{"ca", bc->ca}};
    if (bc->path_len) j["basic_constraints"]["path_len"] = *bc->path_len;
  }
  if (c.key_usage()) j["key_usage"] = cert::key_usage_names(*c.key_usage());
  if (c.extended_key_usage()) {
    std::vector<std::string> names;
    for (const auto& o : *c.extended_key_usage()) names.push_back(eku_name(o));
    j["extended_key_usage"] = names;
  }
  if (c.subject_alt_names()) {
    std::vector<std::string> names;
    for (const auto& n : *c.subject_alt_names()) names.push_back(cert::to_string(n));
    j["subject_alt_names"] = names;
  }
  if (c.subject_key_id()) j["subject_key_id"] = to_hex(*c.subject_key_id());
  if (c.authority_key_id() && c.authority_key_id()->key_id)
    j["authority_key_id"] = to_hex(*c.authority_key_id()->key_id);
  if (const auto& nc = c.name_constraints()) {
    std::vector<std::string> permitted, excluded;
    for (const auto& s : nc->permitted) permitted.push_back(cert::to_string(s.base));
    for (const auto& s : nc->excluded) excluded.push_back(cert::to_string(s.base));
    j["name_constraints"] = {{"permitted", permitted}, {"excluded", excluded}};
  }
  std::vector<std::string> dps;
  for (const auto& dp : c.crl_distribution_points())
    if (dp.full_name)
      for (const auto& n : *dp.full_name) dps.push_back(cert::to_string(n));
  if (!dps.empty()) j["crl_distribution_points"] = dps;
  j["fingerprint_sha256"] = c.fingerprint();
  return j;
}

std::string certificate_details_text(const cert::Certificate& c) {
  const auto j = certificate_details_json(c);
  std::string out;
  out += "issuer:      " + c.issuer_text() + "\n";
  out += "public key:  " + c.public_key_algorithm() + ", signed with " + c.signature_algorithm() + "\n";
  if (j.contains("basic_constraints")) {
    out += "basic:       CA:" + std::string(j["basic_constraints"]["ca"].get<bool>() ? "TRUE" : "FALSE");
    if (j["basic_constraints"].contains("path_len"))
      out += ", pathLen:" + std::to_string(j["basic_constraints"]["path_len"].get<long>());
    out += "\n";
  }
  if (j.contains("key_usage"))
    out += "key usage:   " + join(j["key_usage"].get<std::vector<std::string>>(), ", ") + "\n";
  if (j.contains("extended_key_usage"))
    out += "ext usage:   " + join(j["extended_key_usage"].get<std::vector<std::string>>(), ", ") + "\n";
  if (j.contains("name_constraints")) {
    const auto p = j["name_constraints"]["permitted"].get<std::vector<std::string>>();
    const auto e = j["name_constraints"]["excluded"].get<std::vector<std::string>>();
    out += "constraints: permitted " + (p.empty() ? std::string("-") : join(p, ", ")) + "; excluded " +
           (e.empty() ? std::string("-") : join(e, ", ")) + "\n";
  }
  if (j.contains("crl_distribution_points"))
    out += "crl dp:      " + join(j["crl_distribution_points"].get<std::vector<std::string>>(), ", ") + "\n";
  return out;
}
}  // namespace

Result<void> add_file_details(BytesView der, TimePoint now, bool json, nlohmann::json& stored,
                              std::string& text) {
  if (json) {
    PKI_ASSIGN(const auto read, cert::inspect_certificate(der));
    nlohmann::json file = certificate_json(read, now);
    for (auto& [key, value] : file.items())
      if (!stored.contains(key)) stored[key] = std::move(value);
  } else {
    PKI_ASSIGN(const auto parsed, cert::Certificate::from_der(der));
    text += certificate_details_text(*parsed);
  }
  return {};
}

nlohmann::json verify_result_json(const verify::VerifyResult& r) {
  nlohmann::json chain = nlohmann::json::array();
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    const auto& rep = r.chain[i];
    const auto& c = *rep.certificate;
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : rep.findings)
      findings.push_back({{"check", verify::to_string(f.check)},
                          {"outcome", verify::to_string(f.outcome)},
                          {"code", verify::to_string(f.code)},
                          {"message", f.message}});
    chain.push_back({{"index", i},
                     {"role", verify::to_string(rep.role)},
                     {"subject", c.subject_text()},
                     {"issuer", c.issuer_text()},
                     {"serial", c.serial_hex()},
                     {"not_before", format_rfc3339(c.not_before())},
                     {"not_after", format_rfc3339(c.not_after())},
                     {"fingerprint_sha256", c.fingerprint()},
                     {"outcome", rep.failed() ? "invalid" : "valid"},
                     {"findings", findings}});
  }
  nlohmann::json j = {{"outcome", r.valid ? "valid" : "invalid"},
                      {"anchored", r.anchored},
                      {"chain", chain},
                      {"failures", r.failure_codes()},
                      {"paths_tried", r.paths_tried},
                      {"signature_checks", r.signature_checks}};
  if (!r.valid) j["summary"] = r.summary;
  if (!r.user_constrained_policy_set.empty()) j["policies"] = r.user_constrained_policy_set;
  return j;
}

std::string verify_result_text(const verify::VerifyResult& r) {
  std::string out = "chain (target first):\n";
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    const auto& rep = r.chain[i];
    out += "  [" + std::to_string(i) + "] " + rep.certificate->subject_text() + "  (" +
           std::string(verify::to_string(rep.role)) + ")\n";
  }
  for (std::size_t i = 0; i < r.chain.size(); ++i) {
    const auto& rep = r.chain[i];
    const auto& c = *rep.certificate;
    out += "\n[" + std::to_string(i) + "] " + c.subject_text() + "\n    serial " + c.serial_hex() +
           ", sha256 " + c.fingerprint().substr(0, 16) + "...\n";
    for (const auto& f : rep.findings) {
      std::string outcome(verify::to_string(f.outcome));
      std::string check(verify::to_string(f.check));
      out += "    " + outcome + std::string(6 - outcome.size(), ' ') + check +
             std::string(check.size() < 20 ? 20 - check.size() : 1, ' ') +
             (f.outcome == verify::Outcome::kPass ? "" : std::string(verify::to_string(f.code)) + ": ") +
             f.message + "\n";
    }
  }
  out += "\n";
  if (r.valid) {
    out += "VALID: " + r.chain.front().certificate->subject_text() + " chains to trust anchor " +
           r.chain.back().certificate->subject_text();
  } else {
    out += "INVALID: " + (r.summary.empty() ? std::string("no path to a trust anchor") : r.summary);
  }
  out += " (" + std::to_string(r.chain.size()) + " certificates, " + std::to_string(r.paths_tried) +
         " path(s) tried, " + std::to_string(r.signature_checks) + " signature checks)\n";
  return out;
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace pki::app
