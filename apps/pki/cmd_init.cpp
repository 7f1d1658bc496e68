// pki init: create or migrate the database (idempotent).
#include "context.h"

namespace pki::app {

void register_init(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "create or migrate the database (idempotent)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> Result<int> {
      PKI_TRY(ctx.store(store::OpenMode::kCreate));
      ctx.emit({{"db", ctx.db_path}, {"schema_version", store::schema_version()}},
               "database " + ctx.db_path + " is ready (schema version " +
                   std::to_string(store::schema_version()) + ")");
      return 0;
    };
  });
}

}  // namespace pki::app
