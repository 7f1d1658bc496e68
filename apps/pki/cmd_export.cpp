// pki export: a certificate as PEM, DER or PKCS#12, with its chain.
#include <iostream>

#include <openssl/pkcs12.h>

#include "context.h"
#include "lookup.h"

#include "pki/core/io.h"
#include "pki/keys/keys.h"

namespace pki::app {

namespace {

struct ExportOptions {
  std::string serial, ca, format = "pem", out, key;
  bool chain = false;
};

Result<std::string> pkcs12(const store::CertificateRecord& rec, const std::vector<cert::CertificatePtr>& chain,
                           const std::string& key_file, const Secret* pass) {
  PKI_ASSIGN(auto leaf, cert::Certificate::from_der(rec.der));
  OsslPtr<EVP_PKEY> key;
  if (!key_file.empty()) {
    PKI_ASSIGN(std::string pem, read_file(key_file));
    PKI_ASSIGN(key, keys::from_pkcs8_pem(pem, pass));
    if (X509_check_private_key(leaf->x509_mutable(), key.get()) != 1) {
      drain_openssl_errors();
      return fail(ErrorCode::kBadInput, "the key in '" + key_file + "' does not belong to certificate " + rec.serial);
    }
  }
  OsslPtr<STACK_OF(X509)> cas(sk_X509_new_null());
  for (const auto& c : chain) sk_X509_push(cas.get(), up_ref(c->x509_mutable()).release());
  // OpenSSL 3's defaults: AES-256-CBC with PBKDF2 for the bags, an HMAC-SHA-256 MAC.
  OsslPtr<PKCS12> p12(PKCS12_create(pass ? pass->reveal().c_str() : "", rec.subject.c_str(), key.get(),
                                    leaf->x509_mutable(), cas.get(), 0, 0, 0, 0, 0));
  if (!p12) return fail_openssl(ErrorCode::kInternal, "cannot build the PKCS#12 file");
  unsigned char* buf = nullptr;
  const int n = i2d_PKCS12(p12.get(), &buf);
  if (n <= 0) return fail_openssl(ErrorCode::kInternal, "cannot encode the PKCS#12 file");
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

Result<int> run_export(Context& ctx, const ExportOptions& o) {
  if (o.format != "pem" && o.format != "der" && o.format != "p12")
    return fail(ErrorCode::kBadInput, "unknown --format '" + o.format + "' (pem, der or p12)");
  if (o.format == "der" && o.chain) return fail(ErrorCode::kBadInput, "DER holds one certificate: use --format pem or p12 with --chain");
  if (!o.key.empty() && o.format != "p12") return fail(ErrorCode::kBadInput, "--key applies to --format p12");
  if (!o.key.empty() && ctx.passphrase_file.empty())
    return fail(ErrorCode::kBadInput, "a PKCS#12 file with a private key needs a passphrase: give --passphrase-file");
  PKI_TRY(ctx.check_outputs({&o.out}));
  PKI_ASSIGN(store::Store * st, ctx.store());
  PKI_ASSIGN(auto rec, find_by_serial(*st, o.serial, o.ca));
  std::vector<cert::CertificatePtr> chain;
  if (o.chain) {
    PKI_ASSIGN(auto issuer, st->authority_by_id(rec.issuer_id));
    ca::Authority authority(*st, ctx.clock(), nullptr, Context::actor());
    PKI_ASSIGN(chain, authority.chain(*issuer));
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
    PKI_ASSIGN(bytes, pkcs12(rec, chain, o.key, pass));
  }
  if (!o.out.empty()) {
    PKI_TRY(write_file_atomic(o.out, bytes, o.key.empty() ? 0644 : 0600));
    ctx.emit({{"serial", rec.serial}, {"format", o.format}, {"out", o.out}, {"certificates", 1 + chain.size()}},
             "wrote certificate " + rec.serial + (chain.empty() ? "" : " and its chain") + " (" + o.format + ") to " + o.out);
  } else if (ctx.json) {
    nlohmann::json j = {{"serial", rec.serial}, {"format", o.format}};
    if (o.format == "pem") j["pem"] = bytes;
    else return fail(ErrorCode::kBadInput, "--json without --out prints PEM only");
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
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_export(ctx, *o); }; });
}

}  // namespace pki::app
