// What every verb shares: the global options, the clock, the store, the passphrase, output.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pki/ca/authority.h"
#include "pki/core/bytes.h"
#include "pki/core/clock.h"
#include "pki/core/error.h"
#include "pki/core/io.h"
#include "pki/store/postgres_store.h"
#include "pki/store/sqlite_store.h"
#include "pki/store/store.h"

namespace pki::app {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

class Context {
 public:
  // Global options.
  std::string db_path = "pki.db";
  bool json = false;
  std::string passphrase_file;
  std::string db_passphrase_file;  // the PostgreSQL password's file (--db-passphrase-file)
  std::string now_text;

  // The verb to run once parsing succeeded; returns the exit status.
  std::function<Result<int>()> action;

  Result<void> init_clock();
  const Clock& clock() const { return *clock_; }
  TimePoint now() const { return clock_->now(); }
  // Opens the store (kExisting: `pki init` must have run).
  Result<store::Store*> store(store::OpenMode mode = store::OpenMode::kWrite);
  // Opens a store other than --db's (pki db copy): a SQLite file or a postgresql:// URI, whose
  // password comes from --db-passphrase-file when one is given.
  Result<std::unique_ptr<store::Store>> open_db(const std::string& db, store::OpenMode mode);
  // The passphrase from --passphrase-file / PKI_PASSPHRASE_FILE, or null when none is set.
  Result<const Secret*> passphrase();
  // The first line of a passphrase file; an empty one is bad input. A warning when the file may be
  // read by others (warn_if_exposed).
  Result<Secret> read_passphrase_file(const std::string& path);
  // A warning when the file at `path` (a private key, a passphrase, the database) may be read by
  // its group or by others: reading it still works.
  void warn_if_exposed(const std::string& path, std::string_view what);
  // Output paths a verb will write: each writable, none the same file as another or as the
  // database (or its WAL and shared-memory files). Checked before anything changes.
  // With Overwrite::kKeepFiles an existing regular file is refused (pointing at --force).
  Result<void> check_outputs(std::initializer_list<const std::string*> paths,
                             Overwrite overwrite = Overwrite::kAllow) const;
  // The OS user, for the audit log.
  static std::string actor();
  // The CA side on the open store, its warnings collected here.
  ca::Authority authority(store::Store& store, const Secret* passphrase) {
    return ca::Authority(store, clock(), passphrase, actor(), &warnings);
  }

  // What the user should know of this run; emit() and the error report show them: one
  // "pki: warning: ..." line each on stderr after a success, and a "warnings" array in every JSON
  // document.
  Warnings warnings;

  // Prints `doc` as the one JSON document (with the warnings), or `text` for people.
  void emit(const nlohmann::json& doc, const std::string& text) const;

 private:
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<store::Store> store_;
  std::optional<Secret> passphrase_;
  bool passphrase_read_ = false;
};

// --force: a verb's outputs may replace existing files; without it they are refused (a device or a
// FIFO such as /dev/stdout is written either way).
void add_force_flag(CLI::App* cmd, bool& force);
inline Overwrite overwrite_for(bool force) { return force ? Overwrite::kAllow : Overwrite::kKeepFiles; }

// --days N, --valid-for DURATION or --not-after TIME: how long a leaf is valid.
struct LifetimeOptions {
  std::optional<int> days;
  std::string valid_for, not_after;
};
void add_lifetime_options(CLI::App* cmd, LifetimeOptions& o, const std::string& default_text);
Result<ca::Lifetime> to_lifetime(const LifetimeOptions& o);

// --out, --chain-out and --fullchain-out of a verb that makes a certificate, and --force.
struct CertOutputs {
  std::string out, chain_out, fullchain_out;
  bool force = false;
};
void add_cert_outputs(CLI::App* cmd, CertOutputs& o);
// Writes the certificate (and the chain; the leaf and the chain) where asked.
Result<void> write_cert_outputs(const CertOutputs& o, const std::string& pem, const std::string& chain_pem);

// A whole number in decimal, as people write it: "90" or "-1", never "0x5a", "1e2" or "";
// `message`, when given, says what is wrong with a value that is not one, in the option's words.
CLI::Validator decimal(std::function<std::string(const std::string&)> message = {});
// Makes the output directory `dir` (0755) when it is missing; it must then be one this user can
// write. `option` names it in messages ("--out-dir").
Result<void> make_output_dir(const std::string& dir, std::string_view option);
// Every option that takes a value refuses an empty one: a script passing an empty variable gets
// an error (exit 2), never a default or a skipped check. A repeatable option takes one value per
// occurrence.
void apply_option_rules(CLI::App& app);

// One register function per verb (cmd_<verb>.cpp).
void register_init(CLI::App& app, Context& ctx);
void register_ca(CLI::App& app, Context& ctx);
void register_issue(CLI::App& app, Context& ctx);
void register_revoke(CLI::App& app, Context& ctx);
void register_crl(CLI::App& app, Context& ctx);
void register_list(CLI::App& app, Context& ctx);
void register_show(CLI::App& app, Context& ctx);
void register_export(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);
void register_probe(CLI::App& app, Context& ctx);
void register_inspect(CLI::App& app, Context& ctx);
void register_csr(CLI::App& app, Context& ctx);
void register_renew(CLI::App& app, Context& ctx);
void register_serve(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);
void register_lint(CLI::App& app, Context& ctx);
void register_profile(CLI::App& app, Context& ctx);
void register_backup(CLI::App& app, Context& ctx);
void register_db(CLI::App& app, Context& ctx);
void register_passphrase(CLI::App& app, Context& ctx);
// pki help, pki completion, and the man page (cli_meta.cpp).
void register_meta(CLI::App& app, Context& ctx);
// When parsing failed: the verb or option typed wrong, with the nearest one ("unknown command
// 'isue'; did you mean 'issue'?"); empty when that is not what went wrong.
std::string explain_parse_error(const CLI::App& app, int argc, char** argv);

}  // namespace pki::app
