// pki issue: a leaf certificate by profile, from a CSR or from a key generated here; or one for
// every CSR of a directory (bulk issuance).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/profiles/profile.h"
#include "render.h"

namespace pki::app {

namespace {

struct IssueOptions {
  std::string ca, profile, csr, key_out, key_type, key_passphrase_file, cn, subject;
  CertOutputs outputs;
  std::string csr_dir, out_dir;
  std::vector<std::string> sans;
  LifetimeOptions lifetime;
};

// A line on a terminal that redraws itself: done/total, rate. Nothing when stderr is not a terminal.
class Progress {
 public:
  Progress(std::size_t total, bool shown) : total_(total), shown_(shown && ::isatty(STDERR_FILENO)) {}
  void update(std::size_t done, double seconds) {
    if (!shown_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.0f/s ", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, ' ').c_str(), done, total_, seconds > 0 ? done / seconds : 0.0);
    if (done == total_) std::fputs("\n", stderr);
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  bool shown_;
  std::chrono::steady_clock::time_point last_{};
};

// Every *.csr file of the directory (PEM or DER), in name order.
Result<std::vector<std::string>> csr_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(ErrorCode::kBadInput, "--csr-dir '" + dir + "' is not a directory");
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 4 && name.ends_with(".csr") && it->is_regular_file(ec)) names.push_back(name);
  }
  if (ec) return fail(ErrorCode::kStore, "cannot read --csr-dir '" + dir + "': " + ec.message());
  if (names.empty()) return fail(ErrorCode::kBadInput, "no *.csr files in --csr-dir '" + dir + "'");
  std::sort(names.begin(), names.end());
  return names;
}

// pki issue --csr-dir DIR --out-dir OUT: a certificate for each DIR/<name>.csr into OUT/<name>.pem,
// stored in groups; a refused CSR is reported and the others go on.
Result<int> run_bulk(Context& ctx, const IssueOptions& o) {
  if (o.out_dir.empty())
    return fail(ErrorCode::kBadInput, "--csr-dir needs --out-dir DIR for the certificates");
  if (!o.csr.empty() || !o.key_out.empty() || !o.key_type.empty() || !o.key_passphrase_file.empty() ||
      !o.cn.empty() || !o.subject.empty() || !o.sans.empty() || !o.outputs.out.empty() ||
      !o.outputs.chain_out.empty() || !o.outputs.fullchain_out.empty() || o.outputs.force)
    return fail(ErrorCode::kBadInput,
                "--csr-dir takes each certificate's names from its CSR: it goes with --ca, --profile, "
                "--days, --valid-for, --not-after and --out-dir only");
  PKI_ASSIGN(const ca::Lifetime lifetime, to_lifetime(o.lifetime));
  PKI_ASSIGN(const std::vector<std::string> names, csr_files(o.csr_dir));
  auto out_name = [&](std::size_t i) { return names[i].substr(0, names[i].size() - 4) + ".pem"; };

  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  // Once, not once per CSR.
  PKI_ASSIGN(const auto profile, authority.current_profile(o.profile));
  if (profile->kind != profiles::Kind::kLeaf)
    return fail(ErrorCode::kBadInput, Field::kProfile,
                "profile '" + o.profile + "' is for CA certificates, not leaves");
  PKI_ASSIGN(const ca::Issuer issuer, authority.load_issuer(o.ca));
  PKI_TRY(make_output_dir(o.out_dir, "--out-dir"));

  // Made on the worker threads: reads the CSR, and refuses one whose certificate file is there.
  const ca::BulkSource source = [&](std::size_t i) -> Result<ca::IssueRequest> {
    const std::string out = o.out_dir + "/" + out_name(i);
    struct stat sb;
    if (::lstat(out.c_str(), &sb) == 0)
      return fail(ErrorCode::kBadInput, "refusing to overwrite existing file '" + out + "'");
    ca::IssueRequest req;
    req.profile = o.profile;
    req.lifetime = lifetime;
    PKI_ASSIGN(Bytes der, load_csr_der(o.csr_dir + "/" + names[i]));
    req.key = ca::CsrKey{std::move(der)};
    return req;
  };

  struct Refusal {
    std::size_t index;
    Error error;
  };
  std::vector<Refusal> refused;
  std::size_t issued = 0, unwritten = 0;
  // Each certificate's JSON, kept only for --json: a run of a million keeps no records otherwise.
  std::vector<std::pair<std::size_t, nlohmann::json>> listed;
  Progress progress(names.size(), !ctx.json);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  std::size_t done = 0;
  std::vector<NewFile> files;
  std::vector<std::size_t> file_of;  // outcome index of each file
  const ca::BulkSink sink = [&](std::span<ca::BulkOutcome> outcomes) -> Result<void> {
    files.clear();
    file_of.clear();
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      const auto& r = outcomes[k];
      if (!r.result) {
        refused.push_back(Refusal{r.index, r.result.error()});
        continue;
      }
      files.push_back(NewFile{out_name(r.index), to_pem("CERTIFICATE", r.result->der)});
      file_of.push_back(k);
    }
    // Written once the group is committed: a certificate written out is always in the store.
    const auto written = write_new_files(o.out_dir, files, 0644);
    for (std::size_t f = 0; f < files.size(); ++f) {
      auto& r = outcomes[file_of[f]];
      if (!written[f]) {
        ++unwritten;
        refused.push_back(Refusal{
            r.index, Error{written[f].error().code,
                           "issued serial " + r.result->serial + " but " + written[f].error().message +
                               "; `pki export " + r.result->serial + "` writes it again",
                           {}}});
      }
      ++issued;
      if (ctx.json) {
        nlohmann::json c = certificate_json(*r.result, ctx.now());
        c["csr"] = o.csr_dir + "/" + names[r.index];
        c["out"] = o.out_dir + "/" + out_name(r.index);
        listed.emplace_back(r.index, std::move(c));
      }
    }
    done += outcomes.size();
    progress.update(done, elapsed());
    return {};
  };
  PKI_TRY(authority.issue_bulk(issuer, names.size(), source, sink));
  const double seconds = elapsed();
  std::sort(refused.begin(), refused.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const double rate = seconds > 0 ? static_cast<double>(issued) / seconds : 0.0;

  nlohmann::json j = {{"ca", o.ca},           {"profile", o.profile},
                      {"csr_dir", o.csr_dir}, {"out_dir", o.out_dir},
                      {"issued", issued},     {"refused", refused.size()},
                      {"seconds", seconds},   {"certificates_per_second", rate}};
  j["certificates"] = nlohmann::json::array();
  for (auto& [i, c] : listed) j["certificates"].push_back(std::move(c));
  j["refusals"] = nlohmann::json::array();
  for (const auto& r : refused)
    j["refusals"].push_back({{"csr", o.csr_dir + "/" + names[r.index]},
                             {"code", static_cast<int>(r.error.code)},
                             {"message", r.error.message}});
  char line[160];
  std::snprintf(line, sizeof line, "in %.2f s (%.0f certificates/s)\n", seconds, rate);
  // Issued means stored: a certificate whose file could not be written is counted, and listed below.
  std::string text = "issued " + std::to_string(issued) + " of " + std::to_string(names.size()) + " " +
                     o.profile + " certificates from CA '" + o.ca + "' into " + o.out_dir + "/ " + line;
  for (const auto& r : refused) text += "refused " + names[r.index] + ": " + r.error.message + "\n";
  ctx.emit(j, text);
  // 0: every CSR issued and written; 1: some refused, the others issued; 4: a file not written.
  if (unwritten) return static_cast<int>(ErrorCode::kStore);
  return refused.empty() ? 0 : 1;
}

Result<int> run_issue(Context& ctx, const IssueOptions& o) {
  if (!o.csr_dir.empty()) return run_bulk(ctx, o);
  if (!o.out_dir.empty()) return fail(ErrorCode::kBadInput, "--out-dir goes with --csr-dir DIR");
  // Which options go together, before anything is read.
  if (o.csr.empty() == o.key_out.empty())
    return fail(ErrorCode::kBadInput, "give exactly one of --csr FILE or --key-out FILE");
  if (!o.key_type.empty() && o.key_out.empty())
    return fail(ErrorCode::kBadInput, "--key-type applies to a key generated with --key-out, not to a CSR");
  if (!o.key_passphrase_file.empty() && o.key_out.empty())
    return fail(ErrorCode::kBadInput, "--key-passphrase-file applies to a key generated with --key-out");
  std::optional<Secret> key_passphrase;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
    key_passphrase.emplace(std::move(p));
  }
  const CertOutputs& out = o.outputs;
  PKI_TRY(ctx.check_outputs({&out.out, &out.chain_out, &out.fullchain_out, &o.key_out}));
  PKI_TRY(ctx.check_outputs({&out.out, &out.chain_out, &out.fullchain_out}, overwrite_for(out.force)));
  PKI_TRY(ctx.check_outputs({&o.key_out}, Overwrite::kRefuse));  // a key file is never replaced
  ca::IssueRequest req;
  req.ca = o.ca;
  req.profile = o.profile;
  PKI_ASSIGN(req.lifetime, to_lifetime(o.lifetime));
  if (!o.cn.empty()) req.cn = o.cn;
  if (!o.subject.empty()) req.subject = o.subject;
  for (const auto& s : o.sans) {
    PKI_ASSIGN(auto gn, cert::parse_san(s));
    req.sans.push_back(std::move(gn));
  }
  if (!o.csr.empty()) {
    PKI_ASSIGN(Bytes der, load_csr_der(o.csr));
    req.key = ca::CsrKey{std::move(der)};
  } else {
    PKI_ASSIGN(const auto type, keys::parse_key_type(o.key_type.empty() ? "ec-p256" : o.key_type));
    req.key = ca::NewKey{type, o.key_out, key_passphrase ? &*key_passphrase : nullptr};
  }

  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(const ca::Issued result, authority.issue(req));
  const store::CertificateRecord* issued = &result.certificate;
  const std::string pem = to_pem("CERTIFICATE", issued->der);
  std::string chain_pem;
  for (const auto& c : result.chain) chain_pem += to_pem("CERTIFICATE", c->der());

  if (auto written = write_cert_outputs(out, pem, chain_pem); !written)
    return fail(written.error().code, "issued serial " + issued->serial + " but " + written.error().message +
                                          "; `pki export " + issued->serial + "` writes it again");

  nlohmann::json j = certificate_json(*issued, ctx.now());
  if (!out.out.empty()) j["out"] = out.out;
  if (!o.key_out.empty()) {
    j["key_out"] = o.key_out;
    j["key_encrypted"] = key_passphrase.has_value();
  }
  if (!out.chain_out.empty()) j["chain_out"] = out.chain_out;
  if (!out.fullchain_out.empty()) j["fullchain_out"] = out.fullchain_out;
  j["pem"] = pem;
  if (ctx.json) {
    ctx.emit(j, "");
  } else if (out.out.empty()) {
    std::cout << pem;  // the certificate itself, for pipes
  } else {
    std::string text = "issued " + issued->profile + " certificate " + issued->serial + " from CA '" + o.ca +
                       "'\n" + certificate_text(*issued, ctx.now()) + "certificate: " + out.out + "\n";
    if (!o.key_out.empty())
      text += "key:         " + o.key_out + (key_passphrase ? " (0600, encrypted)\n" : " (0600)\n");
    if (!out.chain_out.empty()) text += "chain:       " + out.chain_out + "\n";
    if (!out.fullchain_out.empty()) text += "full chain:  " + out.fullchain_out + "\n";
    ctx.emit(j, text);
  }
  return 0;
}

}  // namespace

void register_issue(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<IssueOptions>();
  auto* cmd = app.add_subcommand(
      "issue", "issue a certificate from a CSR or a key generated here, or one per CSR of a directory");
  cmd->add_option("--ca", o->ca, "the issuing CA")->required();
  cmd->add_option("--profile", o->profile,
                  "a profile of the store: server, client, server-client, ... (pki profile list)")
      ->required();
  cmd->add_option("--csr", o->csr, "a PKCS#10 request (PEM or DER); its signature is checked");
  cmd->add_option("--key-out", o->key_out, "generate a key and write it here (PKCS#8, 0600)");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file,
                  "with --key-out: encrypt the key with the passphrase on this file's first line");
  cmd->add_option("--key-type", o->key_type,
                  "with --key-out: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519");
  cmd->add_option("--cn", o->cn, "subject CN (a server's is also added as a SAN)");
  cmd->add_option("--subject", o->subject,
                  "the subject DN, e.g. 'O=Example, OU=Ops, C=DE' (with --cn when it has no CN)");
  cmd->add_option("--san", o->sans, "DNS:name, IP:address, EMAIL:mailbox or URI:uri (repeatable)");
  add_lifetime_options(cmd, o->lifetime, "default: the profile's, e.g. server 90, client 365");
  add_cert_outputs(cmd, o->outputs);
  cmd->add_option("--csr-dir", o->csr_dir,
                  "bulk: a certificate for every *.csr in this directory (PEM or DER), on every core");
  cmd->add_option("--out-dir", o->out_dir, "bulk: write each certificate to DIR/<name of its CSR>.pem");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_issue(ctx, *o); }; });
}

}  // namespace pki::app
