// pki lint: the rules pki checks before signing (RFC 5280 and a subset of the CA/Browser Forum
// Baseline Requirements), run on any certificate.
#include "context.h"
#include "pki/cert/certificate.h"
#include "pki/core/io.h"
#include "pki/lint/lint.h"

namespace pki::app {

namespace {

struct LintOptions {
  std::vector<std::string> files;
  bool list_rules = false;
};

nlohmann::json rule_json(const lint::Rule& r) {
  return {{"rule", r.name},
          {"level", lint::to_string(r.level)},
          {"applies_to", lint::to_string(r.scope)},
          {"source", r.source},
          {"summary", r.summary}};
}

Result<int> run_lint(Context& ctx, const LintOptions& o) {
  if (o.list_rules) {
    nlohmann::json rules = nlohmann::json::array();
    std::string text;
    for (const auto& r : lint::rules()) {
      rules.push_back(rule_json(r));
      text += std::string(r.name) + "  " + std::string(lint::to_string(r.level)) + "  " +
              std::string(lint::to_string(r.scope)) + "  " + std::string(r.source) + "\n    " +
              std::string(r.summary) + "\n";
    }
    ctx.emit({{"rules", rules}}, text);
    return 0;
  }
  if (o.files.empty()) return fail(ErrorCode::kBadInput, "give a certificate file to lint (or --rules)");
  // Every file read and parsed before anything is reported: bad input is exit 2 alone.
  struct Target {
    std::string file;
    cert::CertificatePtr cert;
  };
  std::vector<Target> targets;
  for (const auto& file : o.files) {
    PKI_ASSIGN(const auto ders, load_certificate_ders(file));
    for (const auto& der : ders) {
      auto c = cert::Certificate::from_der(der);
      if (!c) return fail(c.error().code, "certificate '" + file + "': " + c.error().message);
      targets.push_back({file, std::move(*c)});
    }
  }
  bool errors = false;
  nlohmann::json docs = nlohmann::json::array();
  std::string text;
  for (const auto& t : targets) {
    const auto findings = lint::check(*t.cert);
    const bool failed = lint::has_error(findings);
    errors = errors || failed;
    nlohmann::json list = nlohmann::json::array();
    text += t.file + ": " + t.cert->subject_text() + " (serial " + t.cert->serial_hex() + "): " +
            (failed             ? "fails"
             : findings.empty() ? "passes"
                                : "passes with warnings") +
            "\n";
    for (const auto& f : findings) {
      nlohmann::json j = rule_json(*f.rule);
      j["detail"] = f.detail;
      list.push_back(std::move(j));
      text += "  " + std::string(lint::to_string(f.rule->level)) + "  " + std::string(f.rule->name) + "  " +
              f.detail + "  (" + std::string(f.rule->source) + ")\n";
    }
    docs.push_back({{"file", t.file},
                    {"subject", t.cert->subject_text()},
                    {"serial", t.cert->serial_hex()},
                    {"outcome", failed ? "fails" : "passes"},
                    {"findings", list}});
  }
  ctx.emit({{"outcome", errors ? "fails" : "passes"}, {"certificates", docs}}, text);
  return errors ? 1 : 0;
}

}  // namespace

void register_lint(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<LintOptions>();
  auto* cmd = app.add_subcommand(
      "lint",
      "check certificates against RFC 5280 and the CA/Browser Forum rules pki applies before signing");
  cmd->add_option("files", o->files, "certificate files (PEM, one or more certificates each, or DER)");
  cmd->add_flag("--rules", o->list_rules, "list the rules, their level, scope and source");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_lint(ctx, *o); }; });
}

}  // namespace pki::app
