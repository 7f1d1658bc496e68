// pki crl: publish a CA's CRL; pki crl check: the CI guard for a published CRL.

#include <algorithm>
#include <iostream>
#include <set>

#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/crl/crl_builder.h"
#include "pki/crl/crl_check.h"

namespace pki::app {

namespace {

struct CrlOptions {
  std::string ca, out, der_out, next_update, out_dir, bundle;
  bool der = false, delta = false, all = false;
  std::optional<int> generation;
};

nlohmann::json crl_json(const std::string& ca, const store::CrlRecord& rec) {
  return {{"ca", ca},
          {"crl_number", rec.crl_number},
          {"generation", rec.generation},
          {"this_update", format_rfc3339(rec.this_update)},
          {"next_update", format_rfc3339(rec.next_update)},
          {"entries", rec.entries},
          {"delta_base", rec.delta_base ? nlohmann::json(*rec.delta_base) : nlohmann::json(nullptr)}};
}

Result<std::chrono::seconds> crl_validity(const CrlOptions& o) {
  std::chrono::seconds validity = o.delta ? crl::kDefaultDeltaValidity : crl::kDefaultValidity;
  if (!o.next_update.empty()) {
    PKI_ASSIGN(validity, parse_duration(o.next_update));
    if (validity.count() <= 0) return fail(ErrorCode::kBadInput, "--next-update must be positive");
  }
  return validity;
}

// pki crl --all: the CRL of every key of every CA this store signs with, each into
// OUT_DIR/<ca>.crl (an older key's into <ca>-gen<N>.crl), and all of them into one PEM bundle.
// Each CRL is its own transaction: one that cannot be made is reported, the others still are.
Result<int> run_crl_all(Context& ctx, const CrlOptions& o) {
  if (!o.ca.empty() || !o.out.empty() || !o.der_out.empty() || o.generation)
    return fail(ErrorCode::kBadInput,
                "--all publishes every CA's CRLs: it goes with --out-dir, --bundle, "
                "--der, --delta and --next-update, not --ca, --out, --der-out or --generation");
  if (o.out_dir.empty() && o.bundle.empty())
    return fail(ErrorCode::kBadInput, "--all needs --out-dir DIR, --bundle FILE or both");
  if (o.der && o.out_dir.empty())
    return fail(ErrorCode::kBadInput, "--der applies to the files of --out-dir");
  PKI_ASSIGN(const auto validity, crl_validity(o));
  PKI_TRY(ctx.check_outputs({&o.bundle}));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(const auto cas, st->authorities());
  // Each CRL's file, known before anything is published: two that would share one (CA 'int' and
  // a CA named 'int-gen1') are refused.
  auto file_of = [&](const store::AuthorityRecord& a, int generation) {
    return o.out_dir + "/" + a.name +
           (generation == a.generation ? "" : "-gen" + std::to_string(generation)) +
           (o.delta ? "-delta" : "") + ".crl";
  };
  if (!o.out_dir.empty()) {
    std::set<std::string> files;
    for (const auto& a : cas) {
      if (a.kind != store::AuthorityKind::kLocal || a.pending()) continue;
      PKI_ASSIGN(const auto generations, st->generations(a.id));
      for (const auto& g : generations)
        if (!files.insert(file_of(a, g.generation)).second)
          return fail(ErrorCode::kBadInput, "two CRLs would be written to '" + file_of(a, g.generation) +
                                                "': publish CA '" + a.name +
                                                "' on its own with --ca and --out");
    }
    PKI_TRY(make_output_dir(o.out_dir, "--out-dir"));
  }
  nlohmann::json list = nlohmann::json::array(), failures = nlohmann::json::array();
  std::string text, bundle;
  int worst = 0;
  for (const auto& a : cas) {
    if (a.kind != store::AuthorityKind::kLocal || a.pending()) continue;
    PKI_ASSIGN(const auto generations, st->generations(a.id));
    for (const auto& g : generations) {
      const bool current = g.generation == a.generation;
      auto rec = authority.publish_crl(a.name, validity, g.generation, o.delta);
      if (!rec) {
        failures.push_back({{"ca", a.name}, {"generation", g.generation}, {"message", rec.error().message}});
        text +=
            "FAILED " + a.name + " (key " + std::to_string(g.generation) + "): " + rec.error().message + "\n";
        worst = std::max(worst, static_cast<int>(rec.error().code));
        continue;
      }
      nlohmann::json j = crl_json(a.name, *rec);
      std::string line = "published " + std::string(rec->delta_base ? "delta CRL #" : "CRL #") +
                         std::to_string(rec->crl_number) + " of CA '" + a.name + "'" +
                         (current ? "" : " (key " + std::to_string(g.generation) + ")") + ", " +
                         std::to_string(rec->entries) + " entries";
      if (!o.out_dir.empty()) {
        const std::string path = file_of(a, g.generation);
        const Producer der = [&rec](const Put& put) { return put(as_chars(rec->der)); };
        if (auto w = write_file_atomic(path, o.der ? der : pem_producer("X509 CRL", rec->der), 0644); !w) {
          // Published (and stored) but not written: said, and the others go on.
          const std::string why =
              "published CRL #" + std::to_string(rec->crl_number) + " but " + w.error().message;
          failures.push_back({{"ca", a.name}, {"generation", g.generation}, {"message", why}});
          text += "FAILED " + a.name + " (key " + std::to_string(g.generation) + "): " + why + "\n";
          worst = std::max(worst, static_cast<int>(w.error().code));
        } else {
          j["out"] = path;
          line += ": " + path;
        }
      }
      if (!o.bundle.empty()) bundle += to_pem("X509 CRL", rec->der);
      list.push_back(std::move(j));
      text += line + "\n";
    }
  }
  // A bundle missing a CA's CRL would make a server refuse every client of that CA: written only
  // when every CRL was made.
  if (!o.bundle.empty() && failures.empty()) {
    PKI_TRY(write_file_atomic(o.bundle, bundle, 0644));
    text += "bundle: " + o.bundle + " (" + std::to_string(list.size()) + " CRLs, PEM)\n";
  } else if (!o.bundle.empty()) {
    text += "bundle: " + o.bundle + " left as it was, since a CRL is missing\n";
  }
  nlohmann::json doc = {{"crls", list}, {"failed", failures}};
  if (!o.bundle.empty() && failures.empty()) doc["bundle"] = o.bundle;
  ctx.emit(doc, text);
  return worst;
}

struct CheckOptions {
  std::string file, ca, min_remaining;
};

Result<int> run_crl(Context& ctx, const CrlOptions& o) {
  if (o.all) return run_crl_all(ctx, o);
  if (!o.out_dir.empty() || !o.bundle.empty())
    return fail(ErrorCode::kBadInput, "--out-dir and --bundle go with --all");
  if (o.ca.empty()) return fail(ErrorCode::kBadInput, "--ca is required (or --all)");
  PKI_ASSIGN(const auto validity, crl_validity(o));
  if (ctx.json && o.der && o.out.empty() && o.der_out.empty())
    return fail(ErrorCode::kBadInput,
                "--der with --json needs --out: the JSON document carries a PEM CRL only");
  PKI_TRY(ctx.check_outputs({&o.out, &o.der_out}));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto rec, authority.publish_crl(o.ca, validity, o.generation, o.delta));
  const std::string what =
      std::string(rec.delta_base ? "delta CRL #" : "CRL #") + std::to_string(rec.crl_number);
  // A CRL may be tens of megabytes: the DER is written as it is, the PEM made in pieces as the file
  // is written; a whole PEM copy only for standard output.
  const Producer der = [&rec](const Put& put) { return put(as_chars(rec.der)); };
  const Producer bytes = o.der ? der : pem_producer("X509 CRL", rec.der);
  nlohmann::json j = crl_json(o.ca, rec);
  std::vector<std::string> written;
  auto write = [&](const std::string& path, const Producer& data, const char* key) -> Result<void> {
    if (path.empty()) return {};
    auto w = write_file_atomic(path, data, 0644);
    if (!w)
      return fail(w.error().code, "published " + what + " of CA '" + o.ca + "' but " + w.error().message +
                                      "; run `pki crl` again for a file");
    j[key] = path;
    written.push_back(path);
    return {};
  };
  PKI_TRY(write(o.out, bytes, "out"));
  PKI_TRY(write(o.der_out, der, "der_out"));
  if (!written.empty()) {
    std::string files;
    for (const auto& w : written) files += (files.empty() ? "" : ", ") + w;
    ctx.emit(j, "published " + what + " of CA '" + o.ca + "'" +
                    (rec.delta_base ? " (updates #" + std::to_string(*rec.delta_base) + ")" : "") + " with " +
                    std::to_string(rec.entries) + " entries, next update " + format_rfc3339(rec.next_update) +
                    ": " + files);
  } else if (ctx.json) {
    j["pem"] = to_pem("X509 CRL", rec.der);
    ctx.emit(j, "");
  } else {
    PKI_TRY(bytes([](std::string_view piece) -> Result<void> {
      std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      return {};
    }));
  }
  return 0;
}

Result<int> run_check(Context& ctx, const CheckOptions& o) {
  std::optional<std::chrono::seconds> window;
  if (!o.min_remaining.empty()) {
    PKI_ASSIGN(window, parse_duration(o.min_remaining));
  }
  PKI_ASSIGN(auto crls, load_crl_ders(o.file));
  if (crls.size() != 1)
    return fail(ErrorCode::kBadInput,
                "'" + o.file + "' holds " + std::to_string(crls.size()) + " CRLs; check one at a time");
  PKI_ASSIGN(auto crl, cert::Crl::from_der(std::move(crls.front())));
  if (!window) window = crl->is_delta() ? crl::kDefaultDeltaMinRemaining : crl::kDefaultMinRemaining;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto report, authority.check_crl(o.ca, *crl, *window));
  nlohmann::json items = nlohmann::json::array();
  std::string text;
  for (const auto& i : report.items) {
    items.push_back({{"check", i.check}, {"outcome", i.ok ? "pass" : "fail"}, {"message", i.message}});
    text += std::string(i.ok ? "pass  " : "FAIL  ") + i.check +
            std::string(i.check.size() < 13 ? 13 - i.check.size() : 1, ' ') + i.message + "\n";
  }
  text += report.ok ? "OK: " + o.file + " is the current CRL of CA '" + o.ca + "'\n"
                    : "NOT OK: " + o.file + " must not be published as it is\n";
  ctx.emit({{"file", o.file}, {"ca", o.ca}, {"outcome", report.ok ? "passes" : "fails"}, {"checks", items}},
           text);
  if (!report.ok) {
    std::string why;
    for (const auto& i : report.items)
      if (!i.ok) why += (why.empty() ? "" : "; ") + i.check + ": " + i.message;
    std::cerr << "pki: crl check failed: " << why << "\n";
  }
  return report.ok ? 0 : 1;
}

}  // namespace

void register_crl(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CrlOptions>();
  auto* cmd =
      app.add_subcommand("crl", "publish a CA's certificate revocation list (or check one: pki crl check)");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--ca", o->ca, "the CA");
  cmd->add_flag("--all", o->all,
                "every CA's CRLs (each key's, after a rollover), with --out-dir and/or --bundle");
  cmd->add_option("--out-dir", o->out_dir,
                  "with --all: write DIR/<ca>.crl for each CA (older keys: <ca>-gen<N>.crl)");
  cmd->add_option("--bundle", o->bundle,
                  "with --all: also one PEM file of every CRL (nginx ssl_crl takes it)");
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  cmd->add_flag("--der", o->der, "DER instead of PEM for --out and standard output");
  cmd->add_option("--der-out", o->der_out, "also write the same CRL as DER to this file");
  cmd->add_option("--next-update", o->next_update,
                  "how long the CRL is current, e.g. 7d (default; 1d for --delta), 12h");
  cmd->add_flag("--delta", o->delta,
                "a delta CRL: what changed since the newest complete CRL (RFC 5280 5.2.4)");
  cmd->add_option("--generation", o->generation,
                  "after a rollover: the CRL of an older key, for what it signed (default: the current key)")
      ->check(decimal());

  auto c = std::make_shared<CheckOptions>();
  auto* check = cmd->add_subcommand("check", "check a published CRL: signature, newest number, time left");
  check->add_option("file", c->file, "the CRL (PEM or DER)")->required();
  check->add_option("--ca", c->ca, "the CA that should have issued it")->required();
  check->add_option("--min-remaining", c->min_remaining,
                    "fail when nextUpdate is sooner than this (default 2d; 6h for a delta CRL)");
  check->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_check(ctx, *c); }; });

  cmd->callback([&ctx, o, check] {
    if (check->parsed()) return;
    ctx.action = [&ctx, o] { return run_crl(ctx, *o); };
  });
}

}  // namespace pki::app
