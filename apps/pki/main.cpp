// pki: the command. Parses options, runs one verb, maps the outcome to an exit status
// (DESIGN.md: 0 success, 1 a check failed, 2 usage or bad input, 3 not found, 4 store or I/O,
// 70 internal error).
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string_view>
#include <utility>

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

using Register = void (*)(CLI::App&, pki::app::Context&);
// Each verb and the function that registers it, in the order `pki --help` lists them.
constexpr std::pair<std::string_view, Register> kVerbs[] = {
    {"init", pki::app::register_init},
    {"ca", pki::app::register_ca},
    {"issue", pki::app::register_issue},
    {"renew", pki::app::register_renew},
    {"revoke", pki::app::register_revoke},
    {"crl", pki::app::register_crl},
    {"list", pki::app::register_list},
    {"show", pki::app::register_show},
    {"export", pki::app::register_export},
    {"verify", pki::app::register_verify},
    {"probe", pki::app::register_probe},
    {"serve", pki::app::register_serve},
    {"inspect", pki::app::register_inspect},
    {"csr", pki::app::register_csr},
    {"audit", pki::app::register_audit},
    {"lint", pki::app::register_lint},
    {"profile", pki::app::register_profile},
    {"backup", pki::app::register_backup},
    {"restore", pki::app::register_backup},
    {"db", pki::app::register_db},
    {"passphrase", pki::app::register_passphrase},
};

// The verb of this command line when nothing before it asks for more than that verb: the first
// word that is neither one of `app`'s global options nor the value of one. nullopt for help,
// --version, an option pki does not know, a word that is no verb, or no verb at all.
std::optional<std::pair<std::string_view, Register>> verb_registration(const CLI::App& app, int argc,
                                                                       char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("-")) {
      const std::string_view name = arg.substr(0, arg.find('='));
      const CLI::Option* option = app.get_option_no_throw(std::string(name));
      if (!option || option == app.get_help_ptr() || option == app.get_version_ptr()) return std::nullopt;
      if (option->get_items_expected_min() > 0 && name.size() == arg.size())
        ++i;  // its value is the next word
      continue;
    }
    for (const auto& verb : kVerbs)
      if (verb.first == arg) return verb;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenSSL's default random generator, CTR_DRBG over AES-256, sets up every cipher OpenSSL has
  // the first time it runs: half a millisecond, a twentieth of a one-process `pki issue`.
  // Hash_DRBG over SHA-256 (NIST SP 800-90A, the same 256-bit security strength, seeded from the
  // operating system alike) needs only the digest signing sets up anyway. Set before OpenSSL reads
  // its configuration, so that a [random] section there still chooses.
  RAND_set_DRBG_type(nullptr, "HASH-DRBG", nullptr, nullptr, "SHA256");
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

  // Only the verb typed is set up when it is plain which one it is: building every verb's options
  // took half a millisecond of each run. Every verb for help, completion and anything unclear.
  if (const auto verb = verb_registration(app, argc, argv)) {
    verb->second(app, ctx);
  } else {
    for (const auto& [name, add] : kVerbs) {
      if (name != "restore") add(app, ctx);  // registered with backup
    }
    pki::app::register_meta(app, ctx);
  }
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
