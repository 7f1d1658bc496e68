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
  std::string serial, cert_file, ca, format = "pem", out, key, p12_passphrase_file, key_passphrase_file;
  bool chain = false, force = false;
};

Result<int> run_export(Context& ctx, const ExportOptions& o) {
  if (o.format != "pem" && o.format != "der" && o.format != "p12")
    return fail(ErrorCode::kBadInput, "unknown --format '" + o.format + "' (pem, der or p12)");
  if (o.format == "der" && o.chain)
    return fail(ErrorCode::kBadInput, "DER holds one certificate: use --format pem or p12 with --chain");
  if (o.serial.empty() == o.cert_file.empty())
    return fail(ErrorCode::kBadInput, "give a SERIAL or --cert FILE, not both");
  if (!o.key.empty() && o.format != "p12") return fail(ErrorCode::kBadInput, "--key applies to --format p12");
  if (!o.key_passphrase_file.empty() && o.key.empty())
    return fail(ErrorCode::kBadInput, "--key-passphrase-file decrypts the --key file");
  if (o.format != "p12" && !o.p12_passphrase_file.empty())
    return fail(ErrorCode::kBadInput, "--p12-passphrase-file applies to --format p12");
  // The PKCS#12 password is the file's own, never the CA passphrase taken silently.
  if (o.format == "p12" && o.p12_passphrase_file.empty())
    return fail(ErrorCode::kBadInput, Field::kPkcs12Passphrase, "a PKCS#12 file needs its own password");
  PKI_TRY(ctx.check_outputs({&o.out}, overwrite_for(o.force)));
  PKI_ASSIGN(const auto named, NamedCertificate::read(o.serial, o.cert_file, o.ca));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto rec, named.find(*st));
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
    PKI_ASSIGN(const Secret p12_pass, ctx.read_passphrase_file(o.p12_passphrase_file));
    PKI_ASSIGN(auto leaf, cert::Certificate::from_der(rec.der));
    OsslPtr<EVP_PKEY> key;
    if (!o.key.empty()) {
      std::optional<Secret> key_pass;
      if (!o.key_passphrase_file.empty()) {
        PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
        key_pass.emplace(std::move(p));
      }
      PKI_ASSIGN(std::string pem, read_input(o.key));
      ctx.warn_if_exposed(o.key, "key file");
      PKI_ASSIGN(key,
                 in_field(keys::from_pkcs8_pem(pem, key_pass ? &*key_pass : nullptr), Field::kKeyPassphrase));
    }
    PKI_ASSIGN(Bytes p12, cert::build_pkcs12(*leaf, chain, key.get(), &p12_pass, rec.subject));
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
  cmd->add_option("serial", o->serial, "serial (hex)");
  cmd->add_option("--cert", o->cert_file, "the certificate file instead of a serial (one this store issued)");
  cmd->add_option("--ca", o->ca, "the issuing CA, when a serial is not unique");
  cmd->add_option("--format", o->format, "pem (default), der or p12");
  cmd->add_flag("--chain", o->chain, "add the issuing CAs up to and including the root");
  cmd->add_option("--key", o->key, "with p12: include this private key (from --key-out)");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file, "decrypts an encrypted --key");
  cmd->add_option("--p12-passphrase-file", o->p12_passphrase_file,
                  "with p12: the file's password, the first line of this file (required)");
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  add_force_flag(cmd, o->force);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_export(ctx, *o); }; });
}

}  // namespace pki::app
