// pki crl: publish a CA's CRL.
#include <iostream>

#include "context.h"

#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/crl/crl_builder.h"

namespace pki::app {

namespace {

struct CrlOptions {
  std::string ca, out, next_update;
  bool der = false;
};

Result<int> run_crl(Context& ctx, const CrlOptions& o) {
  std::chrono::seconds validity = crl::kDefaultValidity;
  if (!o.next_update.empty()) {
    PKI_ASSIGN(validity, parse_duration(o.next_update));
    if (validity.count() <= 0) return fail(ErrorCode::kBadInput, "--next-update must be positive");
  }
  PKI_ASSIGN(store::Store * st, ctx.store());
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority(*st, ctx.clock(), pass, Context::actor());
  PKI_ASSIGN(auto issuer, authority.load_issuer(o.ca));
  crl::PublishRequest req{&issuer.record, issuer.certificate.get(), issuer.signer.get(), validity, Context::actor()};
  PKI_ASSIGN(auto rec, crl::publish(*st, ctx.clock(), req));
  const std::string bytes = o.der ? std::string(as_chars(rec.der)) : to_pem("X509 CRL", rec.der);
  nlohmann::json j = {{"ca", o.ca},
                      {"crl_number", rec.crl_number},
                      {"this_update", format_rfc3339(rec.this_update)},
                      {"next_update", format_rfc3339(rec.next_update)},
                      {"entries", rec.entries}};
  if (!o.out.empty()) {
    PKI_TRY(write_file_atomic(o.out, bytes, 0644));
    j["out"] = o.out;
    ctx.emit(j, "published CRL #" + std::to_string(rec.crl_number) + " of CA '" + o.ca + "' with " +
                    std::to_string(rec.entries) + " entries, next update " + format_rfc3339(rec.next_update) + ": " + o.out);
  } else if (ctx.json) {
    if (!o.der) j["pem"] = bytes;
    ctx.emit(j, "");
  } else {
    std::cout << bytes;
  }
  return 0;
}

}  // namespace

void register_crl(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CrlOptions>();
  auto* cmd = app.add_subcommand("crl", "publish a CA's certificate revocation list");
  cmd->add_option("--ca", o->ca, "the CA")->required();
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  cmd->add_flag("--der", o->der, "DER instead of PEM");
  cmd->add_option("--next-update", o->next_update, "how long the CRL is current, e.g. 7d (default), 12h");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_crl(ctx, *o); }; });
}

}  // namespace pki::app
