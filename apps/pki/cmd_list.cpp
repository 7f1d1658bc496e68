// pki list: certificates, filtered by CA, status and expiry.
#include <fnmatch.h>

#include <algorithm>
#include <iostream>

#include "context.h"
#include "pki/cert/name.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct ListOptions {
  std::string ca, status = "all", expiring_within, cn, san, profile, format;
  bool renewal_due = false;
};

// The CN of the certificate, read from its DER name (the subject text escapes commas); empty for
// a record imported without its file.
std::string cn_of(const store::CertificateRecord& c) {
  if (!c.has_der()) return {};
  auto parsed = cert::Certificate::from_der(c.der);
  return parsed ? cert::common_name((*parsed)->subject()) : std::string();
}

bool matches(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), FNM_CASEFOLD) == 0;
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<int> run_list(Context& ctx, const ListOptions& o) {
  store::CertificateFilter f;
  f.now = ctx.now();
  if (o.status == "all")
    f.status = store::StatusFilter::kAll;
  else if (o.status == "valid")
    f.status = store::StatusFilter::kValid;
  else if (o.status == "revoked")
    f.status = store::StatusFilter::kRevoked;
  else if (o.status == "expired")
    f.status = store::StatusFilter::kExpired;
  else
    return fail(ErrorCode::kBadInput, "unknown --status '" + o.status + "' (valid, revoked, expired or all)");
  const std::string format = o.format.empty() ? (ctx.json ? "json" : "table") : o.format;
  if (format != "table" && format != "csv" && format != "json")
    return fail(ErrorCode::kBadInput, "unknown --format '" + o.format + "' (table, csv or json)");
  if (ctx.json && format != "json")
    return fail(ErrorCode::kBadInput, "--json prints JSON: leave out --format");
  // Revoked with their CA: the store knows them as valid, so valid and revoked are told here.
  const store::StatusFilter wanted = f.status;
  if (wanted == store::StatusFilter::kValid || wanted == store::StatusFilter::kRevoked)
    f.status = store::StatusFilter::kAll;
  if (!o.expiring_within.empty()) {
    PKI_ASSIGN(auto d, parse_duration(o.expiring_within));
    f.expiring_before = ctx.now() + d;
  }
  f.renewal_due = o.renewal_due;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  if (!o.ca.empty()) {
    PKI_ASSIGN(auto a, st->authority_by_name(o.ca));
    if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + o.ca + "'");
    f.issuer_id = a->id;
  }
  PKI_ASSIGN(const auto revoked_cas, RevokedIssuers::of(*st));
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  const TimePoint now = ctx.now();
  PKI_TRY(st->for_each_certificate(f, [&](const store::CertificateRecord& c) -> Result<void> {
    const bool issuer_revoked = revoked_cas.covers(c);
    const bool revoked = c.revocation.has_value() || issuer_revoked;
    if (wanted == store::StatusFilter::kRevoked && !revoked) return {};
    if (wanted == store::StatusFilter::kValid && (revoked || status_of(c, now) != "valid")) return {};
    if (!o.profile.empty() && c.profile != o.profile) return {};
    if (!o.cn.empty() && !matches(o.cn, cn_of(c))) return {};
    if (!o.san.empty() && std::none_of(c.sans.begin(), c.sans.end(), [&](const std::string& s) {
          const std::size_t colon = s.find(':');
          return matches(o.san, s) || (colon != std::string::npos && matches(o.san, s.substr(colon + 1)));
        }))
      return {};
    if (format == "json") {
      arr.push_back(certificate_json(c, now, issuer_revoked));
    } else {
      rows.push_back({c.serial, c.issuer_name, c.subject.empty() ? "-" : c.subject,
                      c.sans.empty() ? "-" : join(c.sans, ","), format_rfc3339(c.not_after),
                      status_of(c, now, issuer_revoked), c.profile});
    }
    return {};
  }));
  const std::vector<std::string> header = {"SERIAL",    "CA",     "SUBJECT", "SANS",
                                           "NOT_AFTER", "STATUS", "PROFILE"};
  if (format == "json") {
    // --format json without --json: the same document.
    ctx.json = true;
    ctx.emit({{"certificates", arr}}, "");
  } else if (format == "csv") {
    std::string out;
    for (std::size_t i = 0; i < header.size(); ++i) out += (i ? "," : "") + csv_field(header[i]);
    out += "\r\n";
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_field(r[i]);
      out += "\r\n";
    }
    std::cout << out;
  } else {
    ctx.emit({}, table(header, rows));
  }
  return 0;
}

}  // namespace

void register_list(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ListOptions>();
  auto* cmd = app.add_subcommand("list", "list certificates");
  cmd->add_option("--ca", o->ca, "only those issued by this CA");
  cmd->add_option("--status", o->status, "valid, revoked, expired or all (default)");
  cmd->add_option("--expiring-within", o->expiring_within,
                  "only those whose notAfter is within this duration, e.g. 30d");
  cmd->add_option("--cn", o->cn, "only those whose CN matches this pattern (shell wildcards, any case)");
  cmd->add_option("--san", o->san,
                  "only those with a SAN matching this pattern: www.example.com, *.example.com, IP:10.*");
  cmd->add_option("--profile", o->profile, "only those issued under this profile");
  cmd->add_option("--format", o->format, "table (default), csv (RFC 4180) or json (as --json)");
  cmd->add_flag("--renewal-due", o->renewal_due,
                "only valid certificates past two thirds of their lifetime and not renewed yet");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_list(ctx, *o); }; });
}

}  // namespace pki::app
