// pki audit: the audit log, listed, and its hash chain checked.
#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/time.h"
#include "pki/store/store.h"

namespace pki::app {

namespace {

struct AuditOptions {
  std::string since, serial, head;
};

Result<int> run_audit_list(Context& ctx, const AuditOptions& o) {
  store::AuditFilter filter;
  if (!o.since.empty()) {
    auto since = parse_rfc3339(o.since);
    if (!since)
      return fail(ErrorCode::kBadInput,
                  "--since takes an RFC 3339 time (2026-01-31T00:00:00Z): " + since.error().message);
    filter.since = format_rfc3339(*since);  // as the store writes times, so that they compare as text
  }
  if (!o.serial.empty()) {
    PKI_ASSIGN(filter.serial, ca::normalize_serial(o.serial));
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  nlohmann::json rows = nlohmann::json::array();
  std::string text;
  PKI_TRY(st->for_each_audit_row(filter, [&](const store::AuditRow& r) -> Result<void> {
    auto detail = nlohmann::json::parse(r.detail, nullptr, false);
    nlohmann::json j = {{"id", r.id},
                        {"at", r.at},
                        {"user", r.os_user},
                        {"verb", r.verb},
                        {"ca", r.authority ? nlohmann::json(*r.authority) : nlohmann::json()},
                        {"serial", r.serial ? nlohmann::json(*r.serial) : nlohmann::json()},
                        {"detail", detail.is_discarded() ? nlohmann::json(r.detail) : detail},
                        {"hash", to_hex(r.hash)}};
    if (ctx.json) {
      rows.push_back(std::move(j));
    } else {
      text += std::to_string(r.id) + "  " + r.at + "  " + r.verb;
      if (r.authority) text += "  ca=" + *r.authority;
      if (r.serial) text += "  serial=" + *r.serial;
      text += "  by " + r.os_user + "  " + r.detail + "\n";
    }
    return {};
  }));
  ctx.emit({{"events", rows}}, text);
  return 0;
}

Result<int> run_audit_verify(Context& ctx, const AuditOptions& o) {
  std::optional<Bytes> head;
  if (!o.head.empty()) {
    head = from_hex(o.head);
    if (!head || head->size() != 32)
      return fail(ErrorCode::kBadInput, "--head takes a SHA-256 in hex, as `pki audit verify` prints it");
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(const store::AuditCheck check, store::verify_audit_chain(*st, head));
  nlohmann::json j = {{"outcome", check.holds ? "holds" : "broken"},
                      {"rows", check.rows},
                      {"head_row", check.head_id},
                      {"head", to_hex(check.head_hash)}};
  std::string text;
  if (check.holds) {
    text = "audit log holds: " + std::to_string(check.rows) + " rows, head row " +
           std::to_string(check.head_id) + " sha256 " + to_hex(check.head_hash) + "\n";
  } else {
    j["problem"] = check.problem;
    if (check.first_bad_row) j["first_bad_row"] = *check.first_bad_row;
    text = "audit log broken: " + check.problem + "\n";
  }
  ctx.emit(j, text);
  return check.holds ? 0 : 1;
}

}  // namespace

void register_audit(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "list the audit log and check that nobody edited it");
  audit->require_subcommand(1, 1);
  auto o = std::make_shared<AuditOptions>();
  auto* list = audit->add_subcommand("list", "the audit log, oldest first");
  list->add_option("--since", o->since, "only events at or after this time (RFC 3339)");
  list->add_option("--serial", o->serial, "only events about this serial (hex)");
  list->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_audit_list(ctx, *o); }; });
  auto* verify = audit->add_subcommand(
      "verify",
      "check the log's hash chain: exit 0 when it holds, 1 naming the first row edited, deleted or inserted");
  verify->add_option("--head", o->head,
                     "a head hash printed earlier (kept elsewhere): it must still be in the chain");
  verify->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_audit_verify(ctx, *o); }; });
}

}  // namespace pki::app
