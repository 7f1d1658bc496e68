// pki csr: a PKCS#10 request signed with a key given or made here. No database.
#include <sys/stat.h>

#include "context.h"
#include "pki/cert/csr.h"
#include "pki/cert/inspect.h"
#include "pki/core/io.h"
#include "render.h"

namespace pki::app {

namespace {

struct CsrOptions {
  std::string cn, subject, key, key_out, key_type, key_passphrase_file, out;
  std::vector<std::string> sans;
  bool force = false;
};

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

Result<int> run_csr(Context& ctx, const CsrOptions& o) {
  // Which options go together, before anything is read.
  if (o.key.empty() == o.key_out.empty())
    return fail(ErrorCode::kBadInput,
                "give exactly one of --key FILE (an existing key) or --key-out FILE (a new one)");
  if (!o.key_type.empty() && o.key_out.empty())
    return fail(ErrorCode::kBadInput, "--key-type applies to a key generated with --key-out, not to --key");
  if (o.cn.empty() && o.subject.empty())
    return fail(ErrorCode::kBadInput, "give a subject: --cn CN, --subject DN, or both (a DN without a CN)");
  if (!o.key.empty() && same_file(o.key, o.out))
    return fail(ErrorCode::kBadInput, "refusing to write '" + o.out + "': it is the key file (--key)");
  std::optional<Secret> key_passphrase;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
    key_passphrase.emplace(std::move(p));
  }
  PKI_TRY(ctx.check_outputs({&o.out, &o.key_out}));
  PKI_TRY(ctx.check_outputs({&o.out}, overwrite_for(o.force)));
  PKI_TRY(ctx.check_outputs({&o.key_out}, Overwrite::kRefuse));  // a key file is never replaced

  cert::CsrRequest req;
  req.subject = o.subject;
  if (!o.cn.empty()) req.cn = o.cn;
  for (const auto& s : o.sans) {
    PKI_ASSIGN(auto gn, in_field(cert::parse_san(s), Field::kSubjectAltName));
    req.sans.push_back(std::move(gn));
  }
  const Secret* pass = key_passphrase ? &*key_passphrase : nullptr;
  if (!o.key.empty()) {
    req.key = cert::CsrKeyFile{o.key, pass};
    ctx.warn_if_exposed(o.key, "key file");
  } else {
    PKI_ASSIGN(const auto type, keys::parse_key_type(o.key_type.empty() ? "ec-p256" : o.key_type));
    req.key = cert::CsrNewKey{type, o.key_out, pass};
  }

  PKI_ASSIGN(const cert::CsrMade made, cert::create_csr(req));
  const std::string pem = to_pem("CERTIFICATE REQUEST", made.der);
  if (auto w = write_file_atomic(o.out, pem, 0644, overwrite_for(o.force)); !w) {
    if (!made.key_written) return tl::unexpected(std::move(w.error()));
    return fail(w.error().code, "wrote the key '" + o.key_out + "' but " + w.error().message +
                                    "; `pki csr --key " + o.key_out + "` makes the request again");
  }

  PKI_ASSIGN(const cert::InspectedCsr shown, cert::inspect_csr_details(made.der));
  nlohmann::json j = {{"out", o.out},
                      {"subject", shown.subject},
                      {"sans", shown.sans},
                      {"key_type", std::string(keys::to_string(made.key_type))},
                      {"signature_algorithm", shown.signature_algorithm},
                      {"pem", pem}};
  std::string text = "wrote CSR " + o.out + "\n";
  text += "subject:     " + shown.subject + "\n";
  text += "sans:        " + (shown.sans.empty() ? std::string("-") : join(shown.sans, ", ")) + "\n";
  text += "key:         " + std::string(keys::to_string(made.key_type));
  if (!o.key_out.empty()) {
    j["key_out"] = o.key_out;
    j["key_encrypted"] = key_passphrase.has_value();
    text += ", new, written to " + o.key_out + (key_passphrase ? " (0600, encrypted)" : " (0600)");
  } else {
    j["key"] = o.key;
    text += ", from " + o.key;
  }
  ctx.emit(j, text + "\n");
  return 0;
}

}  // namespace

void register_csr(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CsrOptions>();
  auto* cmd =
      app.add_subcommand("csr", "make a certificate signing request (PKCS#10) with a new or existing key");
  cmd->add_option("--cn", o->cn, "subject CN");
  cmd->add_option("--subject", o->subject, "subject DN, e.g. \"O=Acme, C=DE\" (with --cn: no CN of its own)");
  cmd->add_option("--san", o->sans, "DNS:name, IP:address, EMAIL:mailbox or URI:uri (repeatable)");
  cmd->add_option("--key", o->key, "sign with this private key (PKCS#8, SEC1 or PKCS#1; PEM or DER)");
  cmd->add_option("--key-out", o->key_out,
                  "generate a key and write it here (PKCS#8, 0600, never overwritten)");
  cmd->add_option("--key-type", o->key_type,
                  "with --key-out: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file,
                  "the first line of this file decrypts --key, or encrypts the --key-out key");
  cmd->add_option("--out", o->out, "write the request here (PEM)")->required();
  add_force_flag(cmd, o->force);
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_csr(ctx, *o); }; });
}

}  // namespace pki::app
