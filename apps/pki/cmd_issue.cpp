// pki issue: a leaf certificate by profile, from a CSR or from a key generated here.
#include <iostream>

#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "render.h"

namespace pki::app {

namespace {

struct IssueOptions {
  std::string ca, profile, csr, key_out, key_type, key_passphrase_file, cn, subject, out, chain_out;
  std::vector<std::string> sans;
  std::optional<int> days;
};

Result<int> run_issue(Context& ctx, const IssueOptions& o) {
  // Which options go together, before anything is read.
  if (o.csr.empty() == o.key_out.empty())
    return fail(ErrorCode::kBadInput, "give exactly one of --csr FILE or --key-out FILE");
  if (!o.key_type.empty() && o.key_out.empty())
    return fail(ErrorCode::kBadInput, "--key-type applies to a key generated with --key-out, not to a CSR");
  if (!o.key_passphrase_file.empty() && o.key_out.empty())
    return fail(ErrorCode::kBadInput, "--key-passphrase-file applies to a key generated with --key-out");
  std::optional<Secret> key_passphrase;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, Context::read_passphrase_file(o.key_passphrase_file));
    key_passphrase.emplace(std::move(p));
  }
  PKI_TRY(ctx.check_outputs({&o.out, &o.chain_out, &o.key_out}));
  ca::IssueRequest req;
  req.ca = o.ca;
  req.profile = o.profile;
  req.days = o.days;
  if (!o.cn.empty()) req.cn = o.cn;
  if (!o.subject.empty()) req.subject = o.subject;
  for (const auto& s : o.sans) {
    PKI_ASSIGN(auto gn, cert::parse_san(s));
    req.sans.push_back(std::move(gn));
  }
  if (!o.csr.empty()) {
    PKI_ASSIGN(Bytes der, load_csr_der(o.csr));
    req.key = ca::CsrKey{std::move(der)};
  } else {
    PKI_ASSIGN(const auto type, keys::parse_key_type(o.key_type.empty() ? "ec-p256" : o.key_type));
    req.key = ca::NewKey{type, o.key_out, key_passphrase ? &*key_passphrase : nullptr};
  }

  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(const ca::Issued result, authority.issue(req));
  const store::CertificateRecord* issued = &result.certificate;
  const std::string pem = to_pem("CERTIFICATE", issued->der);
  std::string chain_pem;
  for (const auto& c : result.chain) chain_pem += to_pem("CERTIFICATE", c->der());

  auto written = [&]() -> Result<void> {
    if (!o.out.empty()) PKI_TRY(write_file_atomic(o.out, pem, 0644));
    if (!o.chain_out.empty()) PKI_TRY(write_file_atomic(o.chain_out, chain_pem, 0644));
    return {};
  }();
  if (!written)
    return fail(written.error().code, "issued serial " + issued->serial + " but " + written.error().message +
                                          "; `pki export " + issued->serial + "` writes it again");

  nlohmann::json j = certificate_json(*issued, ctx.now());
  if (!o.out.empty()) j["out"] = o.out;
  if (!o.key_out.empty()) {
    j["key_out"] = o.key_out;
    j["key_encrypted"] = key_passphrase.has_value();
  }
  if (!o.chain_out.empty()) j["chain_out"] = o.chain_out;
  j["pem"] = pem;
  if (ctx.json) {
    ctx.emit(j, "");
  } else if (o.out.empty()) {
    std::cout << pem;  // the certificate itself, for pipes
  } else {
    std::string text = "issued " + issued->profile + " certificate " + issued->serial + " from CA '" + o.ca +
                       "'\n" + certificate_text(*issued, ctx.now()) + "certificate: " + o.out + "\n";
    if (!o.key_out.empty())
      text += "key:         " + o.key_out + (key_passphrase ? " (0600, encrypted)\n" : " (0600)\n");
    if (!o.chain_out.empty()) text += "chain:       " + o.chain_out + "\n";
    ctx.emit(j, text);
  }
  return 0;
}

}  // namespace

void register_issue(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<IssueOptions>();
  auto* cmd = app.add_subcommand("issue", "issue a certificate from a CSR or a key generated here");
  cmd->add_option("--ca", o->ca, "the issuing CA")->required();
  cmd->add_option("--profile", o->profile, "server, client or server-client")->required();
  cmd->add_option("--csr", o->csr, "a PKCS#10 request (PEM or DER); its signature is checked");
  cmd->add_option("--key-out", o->key_out, "generate a key and write it here (PKCS#8, 0600)");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file,
                  "with --key-out: encrypt the key with the passphrase on this file's first line");
  cmd->add_option("--key-type", o->key_type,
                  "with --key-out: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519");
  cmd->add_option("--cn", o->cn, "subject CN (a server's is also added as a SAN)");
  cmd->add_option("--subject", o->subject,
                  "the subject DN, e.g. 'O=Example, OU=Ops, C=DE' (with --cn when it has no CN)");
  cmd->add_option("--san", o->sans, "DNS:name, IP:address, EMAIL:mailbox or URI:uri (repeatable)");
  cmd->add_option("--days", o->days, "validity in days (server 90, client 365)")->check(decimal());
  cmd->add_option("--out", o->out, "write the certificate here (default: standard output)");
  cmd->add_option("--chain-out", o->chain_out, "write the issuing CAs, up to but not including the root");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_issue(ctx, *o); }; });
}

}  // namespace pki::app
