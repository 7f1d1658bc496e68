// pki backup FILE / pki restore FILE: a consistent copy of the store taken while others write, and
// the store put back from one.
#include "context.h"
#include "pki/store/postgres_store.h"
#include "pki/store/sqlite_store.h"

namespace pki::app {

namespace {

struct BackupOptions {
  std::string file;
  bool force = false;
};

nlohmann::json report_json(const store::CopyReport& r) {
  return {{"schema_version", r.schema_version},
          {"authorities", r.authorities},
          {"certificates", r.certificates},
          {"bytes", r.bytes}};
}

std::string report_text(const store::CopyReport& r) {
  return std::to_string(r.authorities) + " CAs, " + std::to_string(r.certificates) +
         " certificates, schema " + std::to_string(r.schema_version) + ", " + std::to_string(r.bytes) +
         " bytes; integrity ok\n";
}

// backup and restore copy a SQLite file; a PostgreSQL store has its server's own tools.
Result<void> sqlite_only(const Context& ctx, std::string_view verb) {
  if (store::is_postgres_url(ctx.db_path))
    return fail(ErrorCode::kBadInput, "pki " + std::string(verb) +
                                          " works on a SQLite store: back a PostgreSQL store up with pg_dump "
                                          "(or copy it to a SQLite file: pki db copy --from URI --to FILE)");
  return {};
}

Result<int> run_backup(Context& ctx, const BackupOptions& o) {
  PKI_TRY(sqlite_only(ctx, "backup"));
  PKI_TRY(ctx.check_outputs({&o.file}, overwrite_for(o.force)));
  PKI_ASSIGN(const store::CopyReport r,
             store::backup_sqlite(ctx.db_path, o.file, o.force ? Overwrite::kAllow : Overwrite::kRefuse));
  nlohmann::json j = report_json(r);
  j["out"] = o.file;
  ctx.emit(j, "backed up '" + ctx.db_path + "' to '" + o.file + "': " + report_text(r));
  return 0;
}

Result<int> run_restore(Context& ctx, const BackupOptions& o) {
  PKI_TRY(sqlite_only(ctx, "restore"));
  PKI_ASSIGN(const store::CopyReport r, store::restore_sqlite(o.file, ctx.db_path, o.force));
  nlohmann::json j = report_json(r);
  j["from"] = o.file;
  ctx.emit(j, "restored '" + ctx.db_path + "' from '" + o.file + "': " + report_text(r));
  return 0;
}

}  // namespace

void register_backup(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<BackupOptions>();
  auto* backup = app.add_subcommand(
      "backup", "copy the database to FILE (0600), consistent while other processes write");
  backup->add_option("file", o->file, "the copy (a SQLite file, a pki store of its own)")->required();
  add_force_flag(backup, o->force);
  backup->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_backup(ctx, *o); }; });

  auto* restore = app.add_subcommand(
      "restore", "put the database (--db) back from a backup; refused while another process has it open");
  restore->add_option("file", o->file, "a backup made by pki backup")->required();
  restore->add_flag("--force", o->force, "replace the database at --db (without it, only a new one is made)");
  restore->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_restore(ctx, *o); }; });
}

}  // namespace pki::app
