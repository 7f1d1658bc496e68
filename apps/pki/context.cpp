#include "context.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "pki/core/io.h"
#include "pki/core/time.h"

namespace pki::app {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<void> Context::init_clock() {
  if (now_text.empty()) {
    clock_ = std::make_unique<SystemClock>();
  } else {
    PKI_ASSIGN(TimePoint t, parse_rfc3339(now_text));
    clock_ = std::make_unique<FixedClock>(t);
  }
  return {};
}

Result<store::Store*> Context::store(store::OpenMode mode) {
  if (!store_) {
    PKI_ASSIGN(store_, open_db(db_path, mode));
  }
  return store_.get();
}

Result<std::unique_ptr<store::Store>> Context::open_db(const std::string& db, store::OpenMode mode) {
  if (store::is_postgres_url(db)) {
    std::optional<Secret> password;
    if (!db_passphrase_file.empty()) {
      PKI_ASSIGN(Secret text, read_passphrase_file(db_passphrase_file));
      password.emplace(std::move(text));
    }
    return store::open_postgres(db, mode, password ? &*password : nullptr);
  }
  PKI_ASSIGN(auto opened, store::open_sqlite(db, mode));
  warn_if_exposed(db, "database");  // pki tightens its own files; another user's it only reads
  return opened;
}

void Context::warn_if_exposed(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  warnings.push_back("the " + std::string(what) + " '" + path + "' may be read by " +
                     ((st.st_mode & 007) ? "any user" : "its group") + " (mode " + mode +
                     "): make it 0600 (chmod 600)");
}

Result<Secret> Context::read_passphrase_file(const std::string& path) {
  PKI_ASSIGN(std::string text, read_input(path));
  warn_if_exposed(path, "passphrase file");
  // The passphrase is the file's first line; the rest of the buffer is wiped with it.
  Secret whole(std::move(text));
  const std::string& all = whole.reveal();
  Secret line(all.substr(0, all.find_first_of("\r\n")));
  if (line.reveal().empty()) return fail(ErrorCode::kBadInput, "the passphrase file '" + path + "' is empty");
  return line;
}

Result<const Secret*> Context::passphrase() {
  if (!passphrase_read_) {
    passphrase_read_ = true;
    if (!passphrase_file.empty()) {
      PKI_ASSIGN(Secret text, read_passphrase_file(passphrase_file));
      passphrase_.emplace(std::move(text));
    }
  }
  return passphrase_ ? &*passphrase_ : nullptr;
}

namespace {

// The identity of a file: device and inode when it exists, else its resolved directory and name.
// Empty for a device or a FIFO (/dev/null, /dev/stdout), which several outputs may share.
std::string file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return {};
    return "inode:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  char resolved[PATH_MAX];
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return "path:" + std::string(::realpath(dir.c_str(), resolved) ? resolved : dir) + "/" + base;
}

}  // namespace

Result<void> Context::check_outputs(std::initializer_list<const std::string*> paths,
                                    Overwrite overwrite) const {
  std::vector<std::pair<std::string, std::string>> seen;  // identity, path
  if (!store::is_postgres_url(db_path))
    for (const std::string& db : {db_path, db_path + "-wal", db_path + "-shm"})
      seen.emplace_back(file_identity(db), db);
  const std::size_t db_entries = seen.size();
  for (const std::string* p : paths) {
    if (!p || p->empty()) continue;
    PKI_TRY(check_writable(*p, overwrite));
    const std::string id = file_identity(*p);
    if (id.empty()) continue;
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (seen[i].first == id)
        return fail(ErrorCode::kBadInput,
                    "refusing to write '" + *p + "': it is " +
                        (i < db_entries ? "the database" : "also the output '" + seen[i].second + "'"));
    seen.emplace_back(id, *p);
  }
  return {};
}

std::string Context::actor() {
  const uid_t uid = ::geteuid();
  if (const passwd* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return "uid:" + std::to_string(uid);
}

void Context::emit(const nlohmann::json& doc, const std::string& text) const {
  if (json) {
    nlohmann::json out = doc;
    if (out.is_object()) out["warnings"] = warnings;
    // Text taken from inputs (names in a certificate under inspection) need not be UTF-8: shown
    // with U+FFFD rather than failing the whole document.
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
  }
}

void add_force_flag(CLI::App* cmd, bool& force) {
  cmd->add_flag("--force", force, "replace output files that exist (without it, they are refused)");
}

void add_lifetime_options(CLI::App* cmd, LifetimeOptions& o, const std::string& default_text) {
  auto* d = cmd->add_option("--days", o.days, "validity in whole days (" + default_text + ")")
                ->check(decimal([](const std::string& v) {
                  return "takes whole days, not '" + v + "': use --valid-for " + v +
                         " for a duration (24h, 90m) or --not-after for an end time";
                }));
  auto* v = cmd->add_option("--valid-for", o.valid_for, "validity as a duration: 24h, 90d, 1d12h, 30m");
  auto* n = cmd->add_option("--not-after", o.not_after, "the last moment of validity (RFC 3339)");
  d->excludes(v)->excludes(n);
  v->excludes(n);
}

Result<ca::Lifetime> to_lifetime(const LifetimeOptions& o) {
  ca::Lifetime l;
  if (o.days) l.length = std::chrono::days{*o.days};
  if (!o.valid_for.empty()) {
    auto d = parse_duration(o.valid_for);
    if (!d) return fail(ErrorCode::kBadInput, "--valid-for: " + d.error().message);
    l.length = *d;
  }
  if (!o.not_after.empty()) {
    auto t = parse_rfc3339(o.not_after);
    if (!t) return fail(ErrorCode::kBadInput, "--not-after: " + t.error().message);
    l.not_after = *t;
  }
  return l;
}

void add_cert_outputs(CLI::App* cmd, CertOutputs& o) {
  cmd->add_option("--out", o.out, "write the certificate here (default: standard output)");
  cmd->add_option("--chain-out", o.chain_out, "write the issuing CAs, up to but not including the root");
  cmd->add_option("--fullchain-out", o.fullchain_out,
                  "write the certificate and then the issuing CAs (what a TLS server sends)");
  add_force_flag(cmd, o.force);
}

Result<void> write_cert_outputs(const CertOutputs& o, const std::string& pem, const std::string& chain_pem) {
  const Overwrite ow = overwrite_for(o.force);
  if (!o.out.empty()) PKI_TRY(write_file_atomic(o.out, pem, 0644, ow));
  if (!o.chain_out.empty()) PKI_TRY(write_file_atomic(o.chain_out, chain_pem, 0644, ow));
  if (!o.fullchain_out.empty()) PKI_TRY(write_file_atomic(o.fullchain_out, pem + chain_pem, 0644, ow));
  return {};
}

CLI::Validator decimal(std::function<std::string(const std::string&)> message) {
  return CLI::Validator(
      [message](std::string& v) -> std::string {
        const std::size_t start = !v.empty() && v[0] == '-' ? 1 : 0;
        if (v.size() == start || v.size() > start + 9 ||
            v.find_first_not_of("0123456789", start) != std::string::npos)
          return message ? message(v) : "'" + v + "' is not a whole number in decimal";
        return {};
      },
      "DECIMAL");
}

Result<void> make_output_dir(const std::string& dir, std::string_view option) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(
        errno == ENOENT || errno == ENOTDIR || errno == EACCES ? ErrorCode::kBadInput : ErrorCode::kStore,
        "cannot make " + std::string(option) + " '" + dir + "': " + std::strerror(errno));
  if (struct stat sb;
      ::stat(dir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode) || ::access(dir.c_str(), W_OK | X_OK) != 0)
    return fail(ErrorCode::kBadInput, std::string(option) + " '" + dir + "' is not a writable directory");
  return {};
}

void apply_option_rules(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_type_size() != 0)
      opt->check(CLI::Validator(
          [](std::string& v) { return v.empty() ? std::string("an empty value") : std::string(); }, "",
          "non-empty"));
    // A repeatable option takes one value each time it is given: `--trust a.pem cert.pem` leaves
    // cert.pem to the verb's arguments.
    if (!opt->get_positional()) opt->allow_extra_args(false);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) apply_option_rules(*sub);
}

}  // namespace pki::app
