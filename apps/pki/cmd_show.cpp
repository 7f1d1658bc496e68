// pki show: one certificate's details and history.
#include "context.h"
#include "lookup.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

Result<int> run_show(Context& ctx, const std::string& serial, const std::string& ca) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto rec, find_by_serial(*st, serial, ca));
  PKI_ASSIGN(auto parsed, cert::Certificate::from_der(rec.der));
  PKI_ASSIGN(auto events, st->audit_for(rec));
  nlohmann::json j = certificate_json(rec, ctx.now());
  j["details"] = certificate_details_json(*parsed);
  nlohmann::json history = nlohmann::json::array();
  std::string text = certificate_text(rec, ctx.now()) + certificate_details_text(*parsed) + "history:\n";
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
  auto serial = std::make_shared<std::string>();
  auto ca = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("show", "show one certificate's details and history");
  cmd->add_option("serial", *serial, "serial (hex)")->required();
  cmd->add_option("--ca", *ca, "the issuing CA, when a serial is not unique");
  cmd->callback(
      [&ctx, serial, ca] { ctx.action = [&ctx, serial, ca] { return run_show(ctx, *serial, *ca); }; });
}

}  // namespace pki::app
