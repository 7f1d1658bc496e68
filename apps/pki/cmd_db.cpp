// pki db copy --from SRC --to DST: a whole store moved between SQLite and PostgreSQL (either way),
// then read back and compared row for row.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "context.h"
#include "pki/core/io.h"

namespace pki::app {

namespace {

struct CopyOptions {
  std::string from;
  std::string to;
};

// Opens the store `option` names: its errors name that option, not --db (nor, for --from, tell
// the user to run pki init).
Result<std::unique_ptr<store::Store>> open_option(Context& ctx, const std::string& db, store::OpenMode mode,
                                                  std::string_view option) {
  auto opened = ctx.open_db(db, mode);
  if (opened || opened.error().field != Field::kDatabase) return opened;
  Error e = std::move(opened.error());
  e.field = Field::kNone;
  e.message += " (" + std::string(option) + ")";
  return tl::unexpected(std::move(e));
}

// A SQLite destination is made whole beside its name and linked there only once the copy has
// committed and the store is closed: a failed copy leaves nothing, and nothing at --to is touched.
Result<store::StoreCopy> copy_to_new_file(Context& ctx, store::Store& from, const std::string& to) {
  struct stat st {};
  if (::lstat(to.c_str(), &st) == 0)
    return fail(ErrorCode::kBadInput, "'" + to +
                                          "' exists: pki db copy makes a new SQLite file (or fills an empty "
                                          "PostgreSQL database)");
  PKI_ASSIGN(const std::string tmp, temporary_name(to));
  auto remove_tmp = [&] {
    for (const std::string& f : {tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"}) ::unlink(f.c_str());
  };
  auto copied = [&]() -> Result<store::StoreCopy> {
    PKI_ASSIGN(auto made, open_option(ctx, tmp, store::OpenMode::kCreate, "--to"));
    return store::copy_store(from, *made);
  }();  // closed here: SQLite folds its WAL into the file
  if (!copied) {
    remove_tmp();
    return copied;
  }
  const bool linked = ::link(tmp.c_str(), to.c_str()) == 0;
  const int err = errno;
  remove_tmp();
  if (!linked)
    return fail(
        err == EEXIST ? ErrorCode::kBadInput : ErrorCode::kStore,
        "cannot make '" + to + "': " + (err == EEXIST ? "it appeared meanwhile" : std::strerror(err)));
  sync_directory(to);
  return copied;
}

Result<int> run_copy(Context& ctx, const CopyOptions& o) {
  if (o.from == o.to) return fail(ErrorCode::kBadInput, "--from and --to name the same store");
  PKI_ASSIGN(auto from, open_option(ctx, o.from, store::OpenMode::kRead, "--from"));
  Result<store::StoreCopy> copied = fail(ErrorCode::kInternal, "not copied");
  if (store::is_postgres_url(o.to)) {
    copied = [&]() -> Result<store::StoreCopy> {
      PKI_ASSIGN(auto to, open_option(ctx, o.to, store::OpenMode::kCreate, "--to"));
      return store::copy_store(*from, *to);
    }();
  } else {
    copied = copy_to_new_file(ctx, *from, o.to);
  }
  PKI_TRY(copied);
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
  copy->add_option(
          "--to", o->to,
          "the new store: a SQLite file that does not exist yet (made), or a postgresql:// URI of an "
          "empty database")
      ->required();
  copy->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_copy(ctx, *o); }; });
}

}  // namespace pki::app
