// pki passphrase change: every stored key encrypted with a new passphrase, in one transaction.
#include "context.h"
#include "pki/ca/authority.h"

namespace pki::app {

namespace {

Result<int> run_change(Context& ctx, const std::string& new_file) {
  PKI_ASSIGN(const Secret fresh, ctx.read_passphrase_file(new_file));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* current, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, current);
  PKI_ASSIGN(const std::size_t n, authority.change_passphrase(fresh));
  ctx.emit({{"keys", n}}, "re-encrypted " + std::to_string(n) +
                              " keys with the new passphrase: give it with --passphrase-file from now on\n");
  return 0;
}

}  // namespace

void register_passphrase(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("passphrase", "the passphrase of the stored keys");
  cmd->require_subcommand(1, 1);
  auto file = std::make_shared<std::string>();
  auto* change = cmd->add_subcommand(
      "change",
      "encrypt every CA key with a new passphrase (the current one from --passphrase-file), "
      "in one transaction");
  change->add_option("--new-passphrase-file", *file, "the new passphrase, the first line of this file")
      ->required();
  change->callback([&ctx, file] { ctx.action = [&ctx, file] { return run_change(ctx, *file); }; });
}

}  // namespace pki::app
