// pki db copy --from SRC --to DST: a whole store moved between SQLite and PostgreSQL (either way),
// then read back and compared row for row.
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"

namespace pki::app {

namespace {

struct CopyOptions {
  std::string from;
  std::string to;
};

Result<int> run_copy(Context& ctx, const CopyOptions& o) {
  if (o.from == o.to) return fail(ErrorCode::kBadInput, "--from and --to name the same store");
  PKI_ASSIGN(auto from, ctx.open_db(o.from, store::OpenMode::kRead));
  // A new SQLite file made here is removed again if the copy fails: nothing half-made is left.
  struct stat st {};
  const bool new_file = !store::is_postgres_url(o.to) && ::stat(o.to.c_str(), &st) != 0;
  auto copied = [&]() -> Result<store::StoreCopy> {
    PKI_ASSIGN(auto to, ctx.open_db(o.to, store::OpenMode::kCreate));
    return store::copy_store(*from, *to);
  }();
  if (!copied) {
    if (new_file)
      for (const std::string& f : {o.to, o.to + "-wal", o.to + "-shm"}) ::unlink(f.c_str());
    return tl::unexpected(copied.error());
  }
  nlohmann::json tables = nlohmann::json::object();
  std::string text = "copied '" + o.from + "' to '" + o.to + "':";
  for (const auto& [name, rows] : copied->rows) {
    tables[name] = rows;
    text += " " + name + " " + std::to_string(rows) + ",";
  }
  text.back() = '\n';
  text +=
      "read back: every table's rows identical (sha256 " + to_hex(copied->digest) + "), audit chain holds\n";
  ctx.emit({{"from", o.from},
            {"to", o.to},
            {"schema_version", store::schema_version()},
            {"tables", tables},
            {"certificates", copied->certificates},
            {"sha256", to_hex(copied->digest)},
            {"outcome", "identical"}},
           text);
  return 0;
}

}  // namespace

void register_db(CLI::App& app, Context& ctx) {
  auto* db = app.add_subcommand("db", "the store itself: copy it between SQLite and PostgreSQL");
  db->require_subcommand(1, 1);
  auto o = std::make_shared<CopyOptions>();
  auto* copy = db->add_subcommand(
      "copy",
      "copy a whole store into a new, empty one (SQLite file or postgresql:// URI, either way), "
      "then compare them row for row");
  copy->add_option("--from", o->from, "the store to copy: a SQLite file or a postgresql:// URI")->required();
  copy->add_option("--to", o->to,
                   "the new store: a SQLite file (made) or a postgresql:// URI of an empty database")
      ->required();
  copy->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_copy(ctx, *o); }; });
}

}  // namespace pki::app
