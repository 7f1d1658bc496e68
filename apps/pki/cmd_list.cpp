// pki list: certificates, filtered by CA, status and expiry.
#include "context.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct ListOptions {
  std::string ca, status = "all", expiring_within;
  bool renewal_due = false;
};

Result<int> run_list(Context& ctx, const ListOptions& o) {
  store::CertificateFilter f;
  f.now = ctx.now();
  if (o.status == "all")
    f.status = store::StatusFilter::kAll;
  else if (o.status == "valid")
    f.status = store::StatusFilter::kValid;
  else if (o.status == "revoked")
    f.status = store::StatusFilter::kRevoked;
  else if (o.status == "expired")
    f.status = store::StatusFilter::kExpired;
  else
    return fail(ErrorCode::kBadInput, "unknown --status '" + o.status + "' (valid, revoked, expired or all)");
  if (!o.expiring_within.empty()) {
    PKI_ASSIGN(auto d, parse_duration(o.expiring_within));
    f.expiring_before = ctx.now() + d;
  }
  f.renewal_due = o.renewal_due;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  if (!o.ca.empty()) {
    PKI_ASSIGN(auto a, st->authority_by_name(o.ca));
    if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + o.ca + "'");
    f.issuer_id = a->id;
  }
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  PKI_TRY(st->for_each_certificate(f, [&](const store::CertificateRecord& c) -> Result<void> {
    if (ctx.json) {
      arr.push_back(certificate_json(c, ctx.now()));
    } else {
      rows.push_back({c.serial, c.issuer_name, c.subject.empty() ? "-" : c.subject,
                      c.sans.empty() ? "-" : join(c.sans, ","), format_rfc3339(c.not_after),
                      status_of(c, ctx.now()), c.profile});
    }
    return {};
  }));
  ctx.emit({{"certificates", arr}},
           table({"SERIAL", "CA", "SUBJECT", "SANS", "NOT_AFTER", "STATUS", "PROFILE"}, rows));
  return 0;
}

}  // namespace

void register_list(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ListOptions>();
  auto* cmd = app.add_subcommand("list", "list certificates");
  cmd->add_option("--ca", o->ca, "only those issued by this CA");
  cmd->add_option("--status", o->status, "valid, revoked, expired or all (default)");
  cmd->add_option("--expiring-within", o->expiring_within,
                  "only those whose notAfter is within this duration, e.g. 30d");
  cmd->add_flag("--renewal-due", o->renewal_due,
                "only valid certificates past two thirds of their lifetime and not renewed yet");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_list(ctx, *o); }; });
}

}  // namespace pki::app
