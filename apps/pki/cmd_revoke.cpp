// pki revoke: by serial or certificate file, with an RFC 5280 reason.
#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct RevokeOptions {
  std::string serial, cert_file, ca, reason = "unspecified", invalidity_date;
};

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
    PKI_ASSIGN(auto certs, load_certificates(o.cert_file));
    if (certs.size() != 1) return fail(ErrorCode::kBadInput, "--cert must hold one certificate");
    req.fingerprint = sha256_hex(der_of(*certs.front()));
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
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
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_revoke(ctx, *o); }; });
}

}  // namespace pki::app
