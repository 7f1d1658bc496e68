// pki export: a certificate as PEM, DER or PKCS#12, with its chain.
#include <iostream>

#include "context.h"
#include "lookup.h"
#include "pki/cert/pkcs12.h"
#include "pki/core/io.h"
#include "pki/keys/keys.h"

namespace pki::app {

namespace {

struct ExportOptions {
  std::string serial, ca, format = "pem", out, key;
  bool chain = false, force = false;
};

Result<int> run_export(Context& ctx, const ExportOptions& o) {
  if (o.format != "pem" && o.format != "der" && o.format != "p12")
    return fail(ErrorCode::kBadInput, "unknown --format '" + o.format + "' (pem, der or p12)");
  if (o.format == "der" && o.chain)
    return fail(ErrorCode::kBadInput, "DER holds one certificate: use --format pem or p12 with --chain");
  if (!o.key.empty() && o.format != "p12") return fail(ErrorCode::kBadInput, "--key applies to --format p12");
  if (!o.key.empty() && ctx.passphrase_file.empty())
    return fail(ErrorCode::kBadInput,
                "a PKCS#12 file with a private key needs a passphrase: give --passphrase-file");
  PKI_TRY(ctx.check_outputs({&o.out}, overwrite_for(o.force)));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto rec, find_by_serial(*st, o.serial, o.ca));
  if (!rec.has_der())
    return fail(ErrorCode::kNotFound,
                "certificate " + rec.serial +
                    " was imported from an openssl index without its file: pki has no copy");
  std::vector<cert::CertificatePtr> chain;
  if (o.chain) {
    PKI_ASSIGN(auto issuer, st->authority_by_id(rec.issuer_id));
    ca::Authority authority = ctx.authority(*st, nullptr);
    PKI_ASSIGN(chain, authority.chain(*issuer, rec.generation));
    // A self-signed root's own record: its chain is itself.
    if (!chain.empty() && chain.front()->fingerprint() == rec.fingerprint) chain.erase(chain.begin());
  }
  std::string bytes;
  if (o.format == "pem") {
    bytes = to_pem("CERTIFICATE", rec.der);
    for (const auto& c : chain) bytes += to_pem("CERTIFICATE", c->der());
  } else if (o.format == "der") {
    bytes.assign(as_chars(rec.der));
  } else {
    PKI_ASSIGN(const Secret* pass, ctx.passphrase());
    PKI_ASSIGN(auto leaf, cert::Certificate::from_der(rec.der));
    OsslPtr<EVP_PKEY> key;
    if (!o.key.empty()) {
      PKI_ASSIGN(std::string pem, read_input(o.key));
      ctx.warn_if_exposed(o.key, "key file");
      PKI_ASSIGN(key, keys::from_pkcs8_pem(pem, pass));
    }
    PKI_ASSIGN(Bytes p12, cert::build_pkcs12(*leaf, chain, key.get(), pass, rec.subject));
    bytes.assign(as_chars(p12));
  }
  if (!o.out.empty()) {
    PKI_TRY(write_file_atomic(o.out, bytes, o.key.empty() ? 0644 : 0600, overwrite_for(o.force)));
    ctx.emit(
        {{"serial", rec.serial}, {"format", o.format}, {"out", o.out}, {"certificates", 1 + chain.size()}},
        "wrote certificate " + rec.serial + (chain.empty() ? "" : " and its chain") + " (" + o.format +
            ") to " + o.out);
  } else if (ctx.json) {
    nlohmann::json j = {{"serial", rec.serial}, {"format", o.format}};
    if (o.format == "pem")
      j["pem"] = bytes;
    else
      return fail(ErrorCode::kBadInput, "--json without --out prints PEM only");
    ctx.emit(j, "");
  } else {
    std::cout << bytes;
  }
  return 0;
}

}  // namespace

void register_export(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "write a certificate as PEM, DER or PKCS#12");
  cmd->add_option("serial", o->serial, "serial (hex)")->required();
  cmd->add_option("--ca", o->ca, "the issuing CA, when a serial is not unique");
  cmd->add_option("--format", o->format, "pem (default), der or p12");
  cmd->add_flag("--chain", o->chain, "add the issuing CAs up to and including the root");
  cmd->add_option("--key", o->key, "with p12: include this private key (from --key-out)");
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  add_force_flag(cmd, o->force);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_export(ctx, *o); }; });
}

}  // namespace pki::app
