// pki show: one certificate's details and history.
#include "context.h"
#include "lookup.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct ShowOptions {
  std::string serial, ca, cert_file;
};

Result<int> run_show(Context& ctx, const ShowOptions& o) {
  if (o.serial.empty() == o.cert_file.empty())
    return fail(ErrorCode::kBadInput, "give a SERIAL or --cert FILE, not both");
  PKI_ASSIGN(const auto named, NamedCertificate::read(o.serial, o.cert_file, o.ca));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto rec, named.find(*st));
  PKI_ASSIGN(auto events, st->audit_for(rec));
  PKI_ASSIGN(const auto revoked_cas, RevokedIssuers::of(*st));
  const bool issuer_revoked = revoked_cas.covers(rec);
  nlohmann::json j = certificate_json(rec, ctx.now(), issuer_revoked);
  std::string text = certificate_text(rec, ctx.now(), issuer_revoked);
  if (rec.has_der()) {  // an imported record without its file is known by its index line only
    PKI_TRY(add_file_details(rec.der, ctx.now(), ctx.json, j, text));
  }
  text += "history:\n";
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : events) {
    auto detail = nlohmann::json::parse(e.detail, nullptr, false);
    history.push_back(
        {{"at", format_rfc3339(e.at)}, {"verb", e.verb}, {"user", e.os_user}, {"detail", detail}});
    std::string extra;
    if (detail.is_object() && detail.contains("reason"))
      extra = " (" + detail["reason"].get<std::string>() + ")";
    text += "  " + format_rfc3339(e.at) + "  " + e.verb + extra + " by " + e.os_user + "\n";
  }
  j["history"] = history;
  ctx.emit(j, text);
  return 0;
}

}  // namespace

void register_show(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ShowOptions>();
  auto* cmd = app.add_subcommand("show", "show one certificate's details and history");
  cmd->add_option("serial", o->serial, "serial (hex)");
  cmd->add_option("--cert", o->cert_file, "the certificate file (PEM or DER) instead of a serial");
  cmd->add_option("--ca", o->ca, "the issuing CA, when a serial is not unique");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_show(ctx, *o); }; });
}

}  // namespace pki::app
