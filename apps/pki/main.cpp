// pki: the command. Parses options, runs one verb, maps the outcome to an exit status
// (DESIGN.md: 0 success, 1 a check failed, 2 usage or bad input, 3 not found, 4 store or I/O,
// 70 internal error).
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "context.h"

namespace {

// One line, whatever the input held: control characters are shown escaped.
std::string one_line(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// What the command line adds to a library message about one field: the option that sets it.
std::string hint(const pki::Error& e) {
  using pki::Field;
  switch (e.field) {
    case Field::kNone:
      return "";
    case Field::kDatabase:
      return e.code == pki::ErrorCode::kNotFound ? ": run `pki init` first (or set --db / PKI_DB)"
                                                 : " (--db)";
    case Field::kPassphrase:
      return " (--passphrase-file)";
    case Field::kCa:
      return " (--ca)";
    case Field::kDays:
      return " (--days)";
    case Field::kPathLen:
      return " (--path-len)";
    case Field::kPermittedDns:
      return " (--permit-dns)";
    case Field::kExcludedDns:
      return " (--exclude-dns)";
    case Field::kCommonName:
      return " (--cn)";
    case Field::kSubjectAltName:
      return " (--san)";
    case Field::kInvalidityDate:
      return " (--invalidity-date)";
    case Field::kCrlValidity:
      return " (--next-update)";
    case Field::kMaxDepth:
      return " (--max-depth)";
    case Field::kClientKey:
      return " (--key)";
    case Field::kKeyOut:
      return " (--key-out)";
    case Field::kCsr:
      return " (--csr)";
    case Field::kSubject:
      return " (--subject)";
    case Field::kKey:
      return " (--key)";
    case Field::kKeyPassphrase:
      return " (--key-passphrase-file)";
    case Field::kPkcs12Passphrase:
      return " (--p12-passphrase-file)";
    case Field::kParent:
      return " (--parent)";
    case Field::kCertificate:
      return " (--cert)";
    case Field::kChain:
      return " (--chain)";
    case Field::kIndex:
      return " (--openssl-index)";
    case Field::kCertsDir:
      return " (--certs-dir)";
    case Field::kCrlNumber:
      return " (--crl-number)";
    case Field::kGeneration:
      return " (--generation)";
    case Field::kProfile:
      return " (--profile)";
    case Field::kValidity:
      return " (--days, --valid-for or --not-after)";
    case Field::kOverwrite:
      return " (--force replaces it)";
  }
  return "";
}

int report(const pki::app::Context& ctx, const pki::Error& e) {
  std::cerr << "pki: " << one_line(e.message + hint(e));
  if (!e.detail.empty() && std::getenv("PKI_DEBUG")) std::cerr << " [" << one_line(e.detail) << "]";
  std::cerr << "\n";
  if (ctx.json)
    std::cout << nlohmann::json{{"error",
                                 {{"code", static_cast<int>(e.code)}, {"message", e.message + hint(e)}}},
                                {"warnings", ctx.warnings}}
                     .dump(2)
              << "\n";
  return static_cast<int>(e.code);
}

}  // namespace

int main(int argc, char** argv) {
  pki::app::Context ctx;
  CLI::App app{"pki: a certificate authority and PKI toolkit", "pki"};
  app.fallthrough(true);
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "pki 0.1.0");
  app.add_option("--db", ctx.db_path, "database: a SQLite file, or a postgresql:// URI (libpq's)")
      ->envname("PKI_DB")
      ->capture_default_str();
  app.add_option("--db-passphrase-file", ctx.db_passphrase_file,
                 "file whose first line is the PostgreSQL password (else libpq's PGPASSFILE or ~/.pgpass)")
      ->envname("PKI_DB_PASSPHRASE_FILE");
  app.add_flag("--json", ctx.json, "machine output: one JSON document on stdout");
  app.add_option("--passphrase-file", ctx.passphrase_file,
                 "file whose first line is the passphrase for CA keys")
      ->envname("PKI_PASSPHRASE_FILE");
  app.add_option("--now", ctx.now_text, "a fixed clock (RFC 3339), for tests and reproducible output");

  pki::app::register_init(app, ctx);
  pki::app::register_ca(app, ctx);
  pki::app::register_issue(app, ctx);
  pki::app::register_renew(app, ctx);
  pki::app::register_revoke(app, ctx);
  pki::app::register_crl(app, ctx);
  pki::app::register_list(app, ctx);
  pki::app::register_show(app, ctx);
  pki::app::register_export(app, ctx);
  pki::app::register_verify(app, ctx);
  pki::app::register_probe(app, ctx);
  pki::app::register_serve(app, ctx);
  pki::app::register_inspect(app, ctx);
  pki::app::register_csr(app, ctx);
  pki::app::register_audit(app, ctx);
  pki::app::register_lint(app, ctx);
  pki::app::register_profile(app, ctx);
  pki::app::register_backup(app, ctx);
  pki::app::register_db(app, ctx);
  pki::app::register_passphrase(app, ctx);
  pki::app::register_meta(app, ctx);
  pki::app::apply_option_rules(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Our own words where we can tell what was typed wrong (a verb or an option, with the nearest
    // one); CLI11's otherwise.
    std::string why = pki::app::explain_parse_error(app, argc, argv);
    if (why.empty()) why = argc < 2 ? "no verb given (see pki help)" : e.what();
    return report(ctx, pki::Error{pki::ErrorCode::kBadInput, why, {}});
  }

  try {
    if (auto c = ctx.init_clock(); !c) return report(ctx, c.error());
    if (!ctx.action)
      return report(ctx, pki::Error{pki::ErrorCode::kBadInput, "no verb given (see pki --help)", {}});
    auto result = ctx.action();
    if (!result) return report(ctx, result.error());
    std::cout.flush();
    for (const auto& w : ctx.warnings) std::cerr << "pki: warning: " << one_line(w) << "\n";
    return *result;
  } catch (const std::exception& e) {
    return report(ctx, pki::Error{pki::ErrorCode::kInternal, std::string("internal error: ") + e.what(), {}});
  }
}
