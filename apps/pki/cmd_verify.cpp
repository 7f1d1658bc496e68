// pki verify: check a certificate as a TLS client checks a server, or a server a client.
#include <sys/stat.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "context.h"
#include "ocsp_fetch.h"
#include "pki/ca/authority.h"
#include "pki/cert/general_name.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/verify/verifier.h"
#include "render.h"
#include "verify_inputs.h"

namespace pki::app {

namespace {

struct VerifyOptionsCli {
  std::vector<std::string> certs;
  std::string host, ip, purpose = "any", at;
  std::vector<std::string> trust, trust_ca, untrusted, crls, policies;
  bool crl_from_store = false, explicit_policy = false, inhibit_mapping = false, inhibit_any = false;
  bool legacy = false, allow_unknown = false, ocsp = false, no_nonce = false;
  std::string ocsp_url;
  std::optional<int> max_depth;
};

// The intermediates every target shares, and those the target's own file carries (a server's
// chain file): set per target.
class TargetIntermediates final : public verify::CertificateSource {
 public:
  explicit TargetIntermediates(const verify::CertificateSet& shared) : shared_(shared) {}
  void by_subject(const X509_NAME& name, std::vector<cert::CertificatePtr>& out) const override {
    shared_.by_subject(name, out);
    own.by_subject(name, out);
  }
  verify::CertificateSet own;

 private:
  const verify::CertificateSet& shared_;
};

// A target file: its first certificate, and the others as its own intermediates.
struct Target {
  std::string file;
  cert::CertificatePtr certificate;
  std::vector<cert::CertificatePtr> chain;
  Warnings skipped;  // the certificates after the first that could not be read
};

std::string skipped_certificate(const std::string& file, std::size_t index, const Error& e) {
  return "certificate " + std::to_string(index + 1) + " in '" + file + "' skipped: " + e.message;
}

Result<Target> load_target(const std::string& file, OSSL_LIB_CTX* libctx) {
  PKI_ASSIGN(const auto ders, load_certificate_ders(file));
  Target t{file, nullptr, {}, {}};
  for (std::size_t i = 0; i < ders.size(); ++i) {
    // The target's own key is never given to OpenSSL (its issuer's key checks it): read apart,
    // which spares OpenSSL's decoders. Its intermediates' keys check signatures and OCSP answers.
    auto c = i == 0 ? cert::Certificate::from_der_key_apart(ders[i], libctx)
                    : cert::Certificate::from_der(ders[i], libctx);
    if (!c && i == 0) return fail(c.error().code, "certificate '" + file + "': " + c.error().message);
    if (!c)
      t.skipped.push_back(skipped_certificate(file, i, c.error()));
    else if (t.certificate)
      t.chain.push_back(std::move(*c));
    else
      t.certificate = std::move(*c);
  }
  return t;
}

// A bundle of anchors or intermediates: one certificate that cannot be read is skipped with a
// warning (as a trust store does), not the others with it; a file with none that can be is bad input.
Result<void> add_certificates(const std::string& path, verify::CertificateSet& into, Warnings& warnings) {
  PKI_ASSIGN(const auto ders, load_certificate_ders(path));
  std::optional<Error> last;
  std::size_t added = 0;
  for (std::size_t i = 0; i < ders.size(); ++i) {
    auto c = cert::Certificate::from_der(ders[i]);
    if (!c) {
      warnings.push_back(skipped_certificate(path, i, c.error()));
      last = c.error();
      continue;
    }
    into.add(std::move(*c));
    ++added;
  }
  if (added == 0 && last) return fail(last->code, "certificate '" + path + "': " + last->message);
  return {};
}

}  // namespace

// Shared with `pki probe`: the trust anchors, intermediates and CRLs the options name, from files
// and from the store.
Result<void> load_verify_inputs(Context& ctx, const VerifyInputs& in, verify::CertificateSet& anchors,
                                verify::CertificateSet& intermediates, verify::CrlSet& crl_set) {
  const auto& [trust, trust_ca, untrusted, crls, crl_from_store, store_intermediates] = in;
  if (trust.empty() && trust_ca.empty())
    return fail(ErrorCode::kBadInput, "give a trust anchor: --trust FILE or --trust-ca NAME");
  for (const auto& f : trust) PKI_TRY(add_certificates(f, anchors, ctx.warnings));
  for (const auto& f : untrusted) PKI_TRY(add_certificates(f, intermediates, ctx.warnings));
  // A file given twice is read once; a CRL met twice (two copies) is kept once.
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& f : crls) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && !seen.insert({st.st_dev, st.st_ino}).second)
      continue;
    PKI_ASSIGN(auto list, load_crl_ders(f));
    for (auto& der : list) {
      PKI_ASSIGN(auto c, cert::Crl::from_der(std::move(der)));
      crl_set.add(std::move(c));
    }
  }
  if (trust_ca.empty() && !crl_from_store) return {};
  const bool add_store_cas = store_intermediates && !trust_ca.empty();
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  ca::Authority authority = ctx.authority(*st, nullptr);
  // Every certificate a CA has had (one per key generation; an outside issuer has one).
  auto certificates_of = [&](const store::AuthorityRecord& a) -> Result<std::vector<cert::CertificatePtr>> {
    std::vector<cert::CertificatePtr> out;
    if (a.pending()) return out;
    if (a.kind == store::AuthorityKind::kOutside) {
      PKI_ASSIGN(auto chain, authority.chain(a));
      out.push_back(chain.front());
      return out;
    }
    PKI_ASSIGN(auto gens, st->generations(a.id));
    for (const auto& g : gens) {
      PKI_ASSIGN(auto chain, authority.chain(a, g.generation));
      out.push_back(chain.front());
    }
    return out;
  };
  for (const auto& name : trust_ca) {
    PKI_ASSIGN(auto a, st->authority_by_name(name));
    if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + name + "'");
    if (a->pending())
      return fail(ErrorCode::kRefused, "CA '" + name + "' is pending: it has no certificate to trust yet");
    PKI_ASSIGN(auto certs, certificates_of(*a));
    for (auto& c : certs) anchors.add(std::move(c));
  }
  // With --trust-ca, `pki verify` takes the store as a source of issuers: every CA certificate it
  // holds (each key generation, the outside issuers) may be an intermediate. `pki probe` does not:
  // a TLS client has only the server's chain.
  PKI_ASSIGN(auto all, st->authorities());
  for (const auto& a : all) {
    if (add_store_cas) {
      PKI_ASSIGN(auto certs, certificates_of(a));
      for (auto& c : certs)
        if (!anchors.contains(*c)) intermediates.add(std::move(c));
    }
    if (crl_from_store && a.kind == store::AuthorityKind::kLocal) {
      PKI_ASSIGN(auto gens, st->generations(a.id));
      for (const auto& g : gens) {
        PKI_ASSIGN(auto latest, st->latest_crl(a.id, g.generation, false, store::Store::CrlPart::kWhole));
        if (latest) {
          PKI_ASSIGN(auto c, cert::Crl::from_der(latest->der));
          crl_set.add(std::move(c));
        }
      }
    }
  }
  return {};
}

Result<verify::Purpose> parse_purpose(const std::string& p) {
  if (p == "any") return verify::Purpose::kAny;
  if (p == "server") return verify::Purpose::kServer;
  if (p == "client") return verify::Purpose::kClient;
  return fail(ErrorCode::kBadInput, "unknown --purpose '" + p + "' (server, client or any)");
}

namespace {

// From this many targets on, they are read and verified on every core.
constexpr std::size_t kManyTargets = 64;

Result<int> run_verify(Context& ctx, const VerifyOptionsCli& o) {
  verify::VerifyOptions opts;
  PKI_ASSIGN(opts.purpose, parse_purpose(o.purpose));
  if (!o.host.empty() && !o.ip.empty()) return fail(ErrorCode::kBadInput, "give --host or --ip, not both");
  if (!o.host.empty()) opts.host = o.host;
  if (!o.ip.empty()) {
    PKI_ASSIGN(opts.ip, cert::parse_ip(o.ip));
  }
  opts.at = ctx.now();
  if (!o.at.empty()) {
    PKI_ASSIGN(opts.at, parse_rfc3339(o.at));
  }
  if (o.max_depth) {
    if (*o.max_depth < 0) return fail(ErrorCode::kBadInput, "--max-depth must be 0 or more");
    opts.max_depth = *o.max_depth;
  }
  opts.initial_policy_set = o.policies;
  if (o.explicit_policy) opts.explicit_policy = verify::ExplicitPolicy::kRequired;
  if (o.inhibit_mapping) opts.policy_mapping = verify::PolicyMappingInhibit::kInhibited;
  if (o.inhibit_any) opts.any_policy = verify::AnyPolicyInhibit::kInhibited;
  opts.algorithms = o.legacy ? verify::AlgorithmPolicy::kLegacy : verify::AlgorithmPolicy::kModern;
  opts.unknown_revocation =
      o.allow_unknown ? verify::UnknownRevocation::kAllow : verify::UnknownRevocation::kFail;

  // Every target is read before anything is verified: a file that is not a certificate stops the
  // run (exit 2) instead of being reported among the results. Many targets are read on every core
  // while this thread reads the anchors, intermediates and CRLs.
  // Each reader has its own OpenSSL library context (new_library_context), declared before what
  // holds the certificates, so that it outlives them.
  std::vector<OsslPtr<OSSL_LIB_CTX>> contexts;
  std::vector<std::optional<Result<Target>>> loaded(o.certs.size());
  std::atomic<std::size_t> next{0};
  auto load_targets = [&](OSSL_LIB_CTX* libctx) {
    for (std::size_t i; (i = next++) < o.certs.size();) loaded[i] = load_target(o.certs[i], libctx);
  };
  std::vector<std::thread> readers;
  if (o.certs.size() >= kManyTargets)
    for (unsigned n = std::max(1u, std::thread::hardware_concurrency()); n > 0; --n) {
      contexts.push_back(new_library_context());
      readers.emplace_back(load_targets, contexts.back().get());
    }
  verify::CertificateSet anchors, intermediates;
  verify::CrlSet crls;
  auto inputs = load_verify_inputs(ctx, {o.trust, o.trust_ca, o.untrusted, o.crls, o.crl_from_store, true},
                                   anchors, intermediates, crls);
  load_targets(nullptr);
  for (auto& r : readers) r.join();
  std::vector<Target> targets;
  targets.reserve(o.certs.size());
  for (auto& t : loaded) {
    if (!*t) return tl::unexpected(std::move(t->error()));
    for (auto& w : (*t)->skipped) ctx.warnings.push_back(std::move(w));
    targets.push_back(std::move(**t));
  }
  PKI_TRY(inputs);
  if (!o.ocsp_url.empty() && !o.ocsp) return fail(ErrorCode::kBadInput, "--ocsp-url goes with --ocsp");
  std::optional<HttpOcspSource> ocsp;
  if (o.ocsp)
    ocsp.emplace(o.ocsp_url.empty() ? std::nullopt : std::optional(o.ocsp_url), !o.no_nonce,
                 std::chrono::seconds{10});
  // Verified on every core when there are many: a Verifier per thread, sharing one memory of what
  // they checked, so that each CA's signature and each CRL's is checked once in all. With OCSP, one
  // (the answers are fetched one at a time).
  verify::CheckMemory memory;
  std::vector<std::optional<Result<verify::VerifyResult>>> results(targets.size());
  std::atomic<std::size_t> next_target{0};
  auto verify_targets = [&] {
    TargetIntermediates per_target(intermediates);
    verify::Verifier verifier({&anchors, &per_target, &crls, ocsp ? &*ocsp : nullptr, &memory});
    for (std::size_t i; (i = next_target++) < targets.size();) {
      per_target.own = verify::CertificateSet();
      for (const auto& c : targets[i].chain)
        if (!intermediates.contains(*c)) per_target.own.add(c);
      results[i] = verifier.verify(targets[i].certificate, opts);
    }
  };
  std::vector<std::thread> verifiers;
  if (!ocsp && targets.size() >= kManyTargets)
    for (unsigned n = std::max(1u, std::thread::hardware_concurrency()); n > 1; --n)
      verifiers.emplace_back(verify_targets);
  verify_targets();
  for (auto& t : verifiers) t.join();

  if (targets.size() == 1) {
    PKI_ASSIGN(auto result, std::move(*results.front()));
    ctx.emit(verify_result_json(result), verify_result_text(result));
    if (!result.valid) std::cerr << "pki: verify: INVALID: " << result.summary << "\n";
    return result.valid ? 0 : 1;
  }
  // Several: one line each for people, every report in JSON; exit 0 only when all are valid.
  nlohmann::json reports = nlohmann::json::array();
  std::string text;
  std::size_t valid = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    PKI_ASSIGN(auto result, std::move(*results[i]));
    if (ctx.json) {  // a report per target is built only when it is printed
      nlohmann::json j = verify_result_json(result);
      j["file"] = t.file;
      reports.push_back(std::move(j));
    }
    if (result.valid) {
      ++valid;
      text += t.file + ": VALID: " + t.certificate->subject_text() + "\n";
    } else {
      text += t.file + ": INVALID: " +
              (result.summary.empty() ? std::string("no path to a trust anchor") : result.summary) + "\n";
    }
  }
  text += std::to_string(valid) + " of " + std::to_string(targets.size()) + " valid\n";
  ctx.emit({{"outcome", valid == targets.size() ? "valid" : "invalid"},
            {"targets", targets.size()},
            {"valid_targets", valid},
            {"results", std::move(reports)}},
           text);
  if (valid != targets.size())
    std::cerr << "pki: verify: INVALID: " << targets.size() - valid << " of " << targets.size()
              << " certificates\n";
  return valid == targets.size() ? 0 : 1;
}

}  // namespace

void register_verify(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<VerifyOptionsCli>();
  auto* cmd = app.add_subcommand(
      "verify", "verify certificates: path to a trust anchor, RFC 5280 checks, name, revocation");
  cmd->add_option("cert", o->certs,
                  "the certificates to verify (PEM or DER), each in its own file; further PEM certificates "
                  "in a file are its intermediates")
      ->required();
  cmd->add_option("--trust", o->trust,
                  "trust anchors from this file (repeatable; a certificate in it that cannot be read is "
                  "skipped with a warning)");
  cmd->add_option("--trust-ca", o->trust_ca,
                  "trust this CA of the store (repeatable); the store's CAs become intermediates");
  cmd->add_option("--untrusted", o->untrusted,
                  "intermediate certificates from this file (repeatable; one that cannot be read is skipped "
                  "with a warning)");
  cmd->add_option("--crl", o->crls, "CRLs to check revocation with (repeatable)");
  cmd->add_flag("--crl-from-store", o->crl_from_store,
                "check revocation with the latest CRL of every CA in the store");
  cmd->add_flag("--ocsp", o->ocsp,
                "ask each certificate's OCSP responder (authorityInfoAccess) first; CRLs given decide when "
                "it cannot answer");
  cmd->add_option("--ocsp-url", o->ocsp_url, "with --ocsp: ask this responder instead");
  cmd->add_flag("--no-nonce", o->no_nonce, "with --ocsp: send no nonce (RFC 8954)");
  cmd->add_option("--host", o->host, "the DNS name (or IP) the certificate must match");
  cmd->add_option("--ip", o->ip, "the IP address the certificate must match");
  cmd->add_option("--purpose", o->purpose, "server, client or any (default)");
  cmd->add_option("--at", o->at, "verify at this time (RFC 3339; default now)");
  cmd->add_option("--max-depth", o->max_depth,
                  "at most this many intermediates, self-issued ones not counted (default 10)")
      ->check(decimal());
  cmd->add_option("--policy", o->policies,
                  "an acceptable certificate policy OID (repeatable; default anyPolicy)");
  cmd->add_flag("--explicit-policy", o->explicit_policy,
                "require a valid policy (RFC 5280 initial-explicit-policy)");
  cmd->add_flag("--inhibit-policy-mapping", o->inhibit_mapping, "RFC 5280 initial-policy-mapping-inhibit");
  cmd->add_flag("--inhibit-any-policy", o->inhibit_any, "RFC 5280 initial-any-policy-inhibit");
  cmd->add_flag("--legacy-algorithms", o->legacy,
                "accept SHA-1 and DSA signatures (old hierarchies, test suites)");
  cmd->add_flag("--allow-unknown-revocation", o->allow_unknown,
                "warn instead of failing when revocation status is unknown (no CRL, stale, no OCSP answer)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_verify(ctx, *o); }; });
}

}  // namespace pki::app
