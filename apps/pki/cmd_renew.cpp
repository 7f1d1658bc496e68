// pki renew: a new certificate for the same subject, names and profile, linked to the old one.
#include <iostream>

#include "context.h"
#include "lookup.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "render.h"

namespace pki::app {

namespace {

struct RenewOptions {
  std::string serial, cert_file, ca, key_out, key_type, key_passphrase_file, profile;
  CertOutputs outputs;
  LifetimeOptions lifetime;
  bool rekey = false, revoke_old = false;
};

Result<int> run_renew(Context& ctx, const RenewOptions& o) {
  if (o.serial.empty() == o.cert_file.empty())
    return fail(ErrorCode::kBadInput, "give a SERIAL or --cert FILE, not both");
  if (o.rekey != !o.key_out.empty())
    return fail(ErrorCode::kBadInput,
                o.rekey ? "--rekey needs --key-out FILE: where the new key goes"
                        : "--key-out goes with --rekey (without it the old public key is kept)");
  if (!o.rekey && (!o.key_type.empty() || !o.key_passphrase_file.empty()))
    return fail(ErrorCode::kBadInput, "--key-type and --key-passphrase-file go with --rekey");
  std::optional<Secret> key_passphrase;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
    key_passphrase.emplace(std::move(p));
  }
  const CertOutputs& out = o.outputs;
  PKI_TRY(ctx.check_outputs({&out.out, &out.chain_out, &out.fullchain_out, &o.key_out}));
  PKI_TRY(ctx.check_outputs({&out.out, &out.chain_out, &out.fullchain_out}, overwrite_for(out.force)));
  PKI_TRY(ctx.check_outputs({&o.key_out}, Overwrite::kRefuse));  // a key file is never replaced
  ca::RenewRequest req;
  if (!o.serial.empty()) {
    PKI_ASSIGN(req.serial, ca::normalize_serial(o.serial));
  } else {
    PKI_ASSIGN(req.fingerprint, fingerprint_of_file(o.cert_file));
  }
  if (!o.ca.empty()) req.ca = o.ca;
  if (!o.profile.empty()) req.profile = o.profile;
  PKI_ASSIGN(req.lifetime, to_lifetime(o.lifetime));
  req.revoke_old = o.revoke_old;
  if (o.rekey) {
    PKI_ASSIGN(const auto type, keys::parse_key_type(o.key_type.empty() ? "ec-p256" : o.key_type));
    req.rekey = ca::NewKey{type, o.key_out, key_passphrase ? &*key_passphrase : nullptr};
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(const ca::Issued result, authority.renew(req));
  const auto& issued = result.certificate;
  const std::string pem = to_pem("CERTIFICATE", issued.der);
  std::string chain_pem;
  for (const auto& c : result.chain) chain_pem += to_pem("CERTIFICATE", c->der());
  if (auto written = write_cert_outputs(out, pem, chain_pem); !written)
    return fail(written.error().code, "renewed as serial " + issued.serial + " but " +
                                          written.error().message + "; `pki export " + issued.serial +
                                          "` writes it again");
  nlohmann::json j = certificate_json(issued, ctx.now());
  j["revoked_old"] = o.revoke_old;
  if (!out.out.empty()) j["out"] = out.out;
  if (!out.chain_out.empty()) j["chain_out"] = out.chain_out;
  if (!out.fullchain_out.empty()) j["fullchain_out"] = out.fullchain_out;
  if (!o.key_out.empty()) j["key_out"] = o.key_out;
  j["pem"] = pem;
  if (ctx.json) {
    ctx.emit(j, "");
  } else if (out.out.empty()) {
    std::cout << pem;
  } else {
    std::string text = "renewed " + issued.renews_serial.value_or("?") + " as " + issued.serial +
                       (o.revoke_old ? " (the old one is revoked: superseded)" : "") + "\n" +
                       certificate_text(issued, ctx.now()) + "certificate: " + out.out + "\n";
    if (!o.key_out.empty())
      text += "key:         " + o.key_out + (key_passphrase ? " (0600, encrypted)\n" : " (0600)\n");
    ctx.emit(j, text);
  }
  return 0;
}

}  // namespace

void register_renew(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RenewOptions>();
  auto* cmd =
      app.add_subcommand("renew", "renew a certificate: same subject, names and profile, a new validity");
  cmd->add_option("serial", o->serial, "the certificate's serial (hex)");
  cmd->add_option("--cert", o->cert_file, "the certificate file instead of a serial");
  cmd->add_option("--ca", o->ca, "the issuing CA, when a serial is not unique");
  add_lifetime_options(cmd, o->lifetime, "default: the profile's");
  cmd->add_flag("--rekey", o->rekey, "a new key (--key-out) instead of the old public key");
  cmd->add_option("--key-out", o->key_out, "with --rekey: where the new key goes (PKCS#8, 0600)");
  cmd->add_option("--key-type", o->key_type, "with --rekey: the new key's type (default ec-p256)");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file, "with --rekey: encrypt the new key");
  cmd->add_flag("--revoke-old", o->revoke_old,
                "revoke the old certificate (superseded) in the same transaction");
  cmd->add_option("--profile", o->profile, "another profile (default: the old certificate's, as it is now)");
  add_cert_outputs(cmd, o->outputs);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_renew(ctx, *o); }; });
}

}  // namespace pki::app
