// pki revoke: by serial or certificate file, with an RFC 5280 reason.
#include <unistd.h>

#include <iostream>

#include "context.h"
#include "lookup.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct RevokeOptions {
  std::string serial, cert_file, ca, reason = "unspecified", invalidity_date;
  bool yes = false;
};

// Revoking a CA revokes with it every certificate it issued: said first, and confirmed (--yes, or
// a "y" on a terminal) when any of them is still unexpired. Nothing is changed before.
Result<void> confirm_ca_revocation(Context& ctx, store::Store& st, const ca::RevokeRequest& req, bool yes) {
  std::optional<store::CertificateRecord> rec;
  if (req.serial) {
    auto found = find_by_serial(st, *req.serial, req.ca.value_or(""));
    if (!found) return {};  // the revocation itself reports it
    rec = std::move(*found);
  } else {
    PKI_ASSIGN(rec, st.certificate_by_fingerprint(*req.fingerprint));
    if (!rec) return {};
  }
  PKI_ASSIGN(const auto owner, st.authority_of_certificate(rec->id));
  if (!owner || rec->revocation) return {};
  const store::AuthorityRecord& ca = owner->first;
  // Only what pki would revoke: not a root's own certificate, nor one an outside CA signed.
  PKI_ASSIGN(const auto issuer, st.authority_by_id(rec->issuer_id));
  if (!issuer || issuer->kind != store::AuthorityKind::kLocal || issuer->id == ca.id) return {};
  store::CertificateFilter f;
  f.issuer_id = ca.id;
  f.status = store::StatusFilter::kValid;
  f.now = ctx.now();
  std::int64_t unexpired = 0;
  PKI_TRY(st.for_each_certificate(f, [&](const store::CertificateRecord& c) -> Result<void> {
    if (c.id != rec->id && c.not_after >= f.now) ++unexpired;
    return {};
  }));
  if (unexpired == 0) return {};
  const std::string what = "CA '" + ca.name + "' has " + std::to_string(unexpired) +
                           " unexpired certificates, revoked with it (and what the CAs below it issued)";
  if (yes) {
    ctx.warnings.push_back(what);
    return {};
  }
  if (!::isatty(STDIN_FILENO)) return fail(ErrorCode::kBadInput, what + ": give --yes to revoke it");
  std::cerr << "pki: " << what << ". Revoke it? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "yes") return fail(ErrorCode::kRefused, "CA '" + ca.name + "' not revoked");
  return {};
}

Result<int> run_revoke(Context& ctx, const RevokeOptions& o) {
  if (o.serial.empty() == o.cert_file.empty())
    return fail(ErrorCode::kBadInput, "give a SERIAL or --cert FILE, not both");
  ca::RevokeRequest req;
  PKI_ASSIGN(req.reason, cert::parse_crl_reason(o.reason));
  if (!o.invalidity_date.empty()) {
    PKI_ASSIGN(req.invalidity_date, parse_rfc3339(o.invalidity_date));
  }
  if (!o.ca.empty()) req.ca = o.ca;
  if (!o.serial.empty()) {
    PKI_ASSIGN(req.serial, ca::normalize_serial(o.serial));
  } else {
    PKI_ASSIGN(req.fingerprint, fingerprint_of_file(o.cert_file));
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  if (req.reason != cert::CrlReason::kRemoveFromCrl) PKI_TRY(confirm_ca_revocation(ctx, *st, req, o.yes));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto r, authority.revoke(req));
  std::string what;
  switch (r.action) {
    case ca::RevokeAction::kRevoked:
      what = "revoked " + r.certificate.serial + " (" + o.reason + ")";
      break;
    case ca::RevokeAction::kHoldMadePermanent:
      what = "revoked " + r.certificate.serial + " (" + o.reason + ", was on hold)";
      break;
    case ca::RevokeAction::kHoldLifted:
      what = "lifted the hold on " + r.certificate.serial + ": it is valid again";
      break;
  }
  nlohmann::json j = certificate_json(r.certificate, ctx.now());
  j["action"] = r.action == ca::RevokeAction::kHoldLifted          ? "hold-lifted"
                : r.action == ca::RevokeAction::kHoldMadePermanent ? "hold-made-permanent"
                                                                   : "revoked";
  ctx.emit(j, what + "; publish a new CRL with `pki crl --ca " + r.certificate.issuer_name + "`");
  return 0;
}

}  // namespace

void register_revoke(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RevokeOptions>();
  auto* cmd =
      app.add_subcommand("revoke", "revoke a certificate (or lift a hold with --reason removeFromCRL)");
  cmd->add_option("serial", o->serial, "the certificate's serial (hex)");
  cmd->add_option("--cert", o->cert_file, "the certificate file instead of a serial");
  cmd->add_option("--ca", o->ca, "the issuing CA, when a serial is not unique");
  cmd->add_option("--reason", o->reason,
                  "an RFC 5280 reason: keyCompromise, superseded, certificateHold, ...");
  cmd->add_option("--invalidity-date", o->invalidity_date,
                  "when the key is known or suspected to have been compromised (RFC 3339)");
  cmd->add_flag(
      "--yes", o->yes,
      "revoke a CA that still has unexpired certificates (asked on a terminal, required otherwise)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_revoke(ctx, *o); }; });
}

}  // namespace pki::app
