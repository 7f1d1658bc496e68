// pki ca create | install | import | rollover | set | ocsp-responder | list | show | export
#include <iostream>

#include "context.h"
#include "pki/ca/authority.h"
#include "pki/cert/csr.h"
#include "pki/cert/name.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

// Where a CA's clients find its CRLs, OCSP responder and certificate (create, install, import, set).
struct UrlOptions {
  std::string crl_url, ocsp_url, ca_issuers_url, delta_crl_url;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--crl-url", crl_url,
                    "CRL distribution point URL put in the certificates this CA issues");
    cmd->add_option("--ocsp-url", ocsp_url,
                    "OCSP responder URL put in the certificates this CA issues (authorityInfoAccess)");
    cmd->add_option("--ca-issuers-url", ca_issuers_url,
                    "where this CA's certificate is published (authorityInfoAccess caIssuers; default with "
                    "--ocsp-url: /ca/NAME.der at the OCSP URL's host, as `pki serve` publishes it)");
    cmd->add_option("--delta-crl-url", delta_crl_url,
                    "delta CRL URL put in the certificates and complete CRLs this CA issues (freshestCRL)");
  }
  ca::PublicationUrls urls() const {
    ca::PublicationUrls u;
    auto opt = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); };
    u.crl_url = opt(crl_url);
    u.ocsp_url = opt(ocsp_url);
    u.ca_issuers_url = opt(ca_issuers_url);
    u.delta_crl_url = opt(delta_crl_url);
    return u;
  }
};

nlohmann::json urls_json(const store::AuthorityRecord& a) {
  auto j = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"crl_url", j(a.crl_url)},
          {"ocsp_url", j(a.ocsp_url)},
          {"ca_issuers_url", j(a.ca_issuers_url)},
          {"delta_crl_url", j(a.delta_crl_url)}};
}

std::string urls_text(const store::AuthorityRecord& a) {
  std::string t;
  if (a.crl_url) t += "crl url:     " + *a.crl_url + "\n";
  if (a.delta_crl_url) t += "delta crl:   " + *a.delta_crl_url + "\n";
  if (a.ocsp_url) t += "ocsp url:    " + *a.ocsp_url + "\n";
  if (a.ca_issuers_url) t += "ca issuers:  " + *a.ca_issuers_url + "\n";
  return t.empty() ? t : t + "             (put in the certificates it issues)\n";
}

struct GenerationView {
  store::KeyGeneration key;
  store::CertificateRecord certificate;
  std::optional<store::CrlRecord> last_crl;
};

struct CaView {
  store::AuthorityRecord authority;
  std::optional<store::CertificateRecord> certificate;  // none while pending
  std::optional<std::string> parent;
  std::vector<GenerationView> generations;  // oldest first
};

Result<CaView> view(store::Store& st, const store::AuthorityRecord& a) {
  CaView v{a, std::nullopt, std::nullopt, {}};
  if (a.certificate_id) {
    PKI_ASSIGN(auto c, st.certificate(*a.certificate_id));
    if (!c) return fail(ErrorCode::kStore, "the certificate of CA '" + a.name + "' is missing");
    v.certificate = std::move(*c);
  }
  if (a.parent_id) {
    PKI_ASSIGN(auto p, st.authority_by_id(*a.parent_id));
    if (p) v.parent = p->name;
  }
  PKI_ASSIGN(auto gens, st.generations(a.id));
  for (auto& g : gens) {
    GenerationView gv{g, {}, std::nullopt};
    PKI_ASSIGN(auto c, st.certificate(g.certificate_id));
    if (c) gv.certificate = std::move(*c);
    PKI_ASSIGN(gv.last_crl, st.latest_crl(a.id, g.generation, false, store::Store::CrlPart::kMetadata));
    v.generations.push_back(std::move(gv));
  }
  return v;
}

std::string kind_of(const CaView& v) {
  if (v.authority.kind == store::AuthorityKind::kOutside) return "outside";
  return v.authority.pending() ? "pending" : "local";
}

nlohmann::json crl_json(const std::optional<store::CrlRecord>& crl) {
  if (!crl) return nullptr;
  return {{"crl_number", crl->crl_number},
          {"this_update", format_rfc3339(crl->this_update)},
          {"next_update", format_rfc3339(crl->next_update)},
          {"entries", crl->entries}};
}

nlohmann::json view_json(const CaView& v, TimePoint now, const RevokedIssuers& revoked) {
  nlohmann::json j = {
      {"name", v.authority.name},
      {"kind", kind_of(v)},
      {"parent", v.parent ? nlohmann::json(*v.parent) : nlohmann::json(nullptr)},
      {"certificate", v.certificate ? certificate_json(*v.certificate, now, revoked.covers(*v.certificate))
                                    : nlohmann::json(nullptr)}};
  j.update(urls_json(v.authority));
  if (v.authority.kind == store::AuthorityKind::kLocal) {
    j["generation"] = v.authority.generation;
    j["last_crl"] = v.generations.empty() ? nlohmann::json(nullptr) : crl_json(v.generations.back().last_crl);
    nlohmann::json gens = nlohmann::json::array();
    for (const auto& g : v.generations)
      gens.push_back({{"generation", g.key.generation},
                      {"serial", g.certificate.serial},
                      {"not_after", format_rfc3339(g.certificate.not_after)},
                      {"key_type", g.certificate.key_type},
                      {"last_crl", crl_json(g.last_crl)}});
    j["generations"] = gens;
  }
  return j;
}

// The CA as `pki ca show --json` shows it (docs/schema/ca.json): what every verb that makes or
// changes a CA answers with, beside what that verb adds.
Result<nlohmann::json> ca_json(store::Store& st, const store::AuthorityRecord& a, TimePoint now) {
  PKI_ASSIGN(const auto v, view(st, a));
  PKI_ASSIGN(const auto revoked, RevokedIssuers::of(st));
  return view_json(v, now, revoked);
}

struct CreateOptions {
  UrlOptions urls;
  std::string name, subject, key_type = "ec-p256", parent, csr_out;
  std::optional<int> days, path_len;
  std::vector<std::string> permit_dns, exclude_dns;
  bool external = false;
};

Result<int> run_create(Context& ctx, const CreateOptions& o) {
  if (o.external != !o.csr_out.empty())
    return fail(ErrorCode::kBadInput, o.external ? "--external needs --csr-out FILE: where the request goes"
                                                 : "--csr-out goes with --external");
  ca::CreateCaRequest req;
  req.name = o.name;
  req.subject = o.subject;
  PKI_ASSIGN(req.key_type, keys::parse_key_type(o.key_type));
  req.days = o.days;
  if (!o.parent.empty()) req.parent = o.parent;
  req.path_len = o.path_len;
  req.permit_dns = o.permit_dns;
  req.exclude_dns = o.exclude_dns;
  req.urls = o.urls.urls();
  req.external = o.external;
  PKI_TRY(ctx.check_outputs({&o.csr_out}));
  if (o.external) PKI_TRY(check_writable(o.csr_out, Overwrite::kRefuse));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto created, authority.create_ca(req));
  if (o.external) {
    // The CA is stored (pending) before the request is written: a failed write loses nothing, as
    // `pki ca show NAME --csr` writes the request again.
    const std::string pem = to_pem("CERTIFICATE REQUEST", created.csr_der);
    if (auto w = write_file_atomic(o.csr_out, pem, 0644, Overwrite::kRefuse); !w)
      return fail(w.error().code, "CA '" + o.name + "' is created (pending) but " + w.error().message +
                                      "; `pki ca show " + o.name + " --csr` prints the request");
    PKI_ASSIGN(nlohmann::json j, ca_json(*st, created.authority, ctx.now()));
    j["csr_out"] = o.csr_out;
    j["csr"] = pem;
    j["key_encrypted"] = pass != nullptr;
    ctx.emit(j, "created CA '" + created.authority.name + "' (pending) and its request " + o.csr_out +
                    ": have the outside CA sign it, then `pki ca install " + created.authority.name +
                    " --cert FILE --chain ISSUERS`" +
                    (pass ? "" : "\nits key is unencrypted (give --passphrase-file to encrypt CA keys)"));
    return 0;
  }
  PKI_ASSIGN(nlohmann::json j, ca_json(*st, created.authority, ctx.now()));
  j["key_encrypted"] = pass != nullptr;
  ctx.emit(j, "created CA '" + created.authority.name + "'" +
                  (req.parent ? " under '" + *req.parent + "'" : " (root)") +
                  (pass ? "" : " with an unencrypted key (give --passphrase-file to encrypt CA keys)") +
                  "\n" + certificate_text(created.certificate, ctx.now()));
  return 0;
}

// The certificates of a file: the first, and the rest (a chain that came with it).
Result<std::vector<Bytes>> read_certificates(const std::string& path, Field field) {
  PKI_ASSIGN(auto x509s, in_field(load_certificates(path), field));
  if (x509s.empty()) return fail(ErrorCode::kBadInput, field, "'" + path + "' holds no certificate");
  std::vector<Bytes> out;
  for (const auto& x : x509s) out.push_back(der_of(*x));
  return out;
}

Result<nlohmann::json> installed_json(store::Store& st, const ca::CaInstalled& in, TimePoint now) {
  PKI_ASSIGN(nlohmann::json j, ca_json(st, in.authority, now));
  j["outside_issuers"] = in.outside_issuers;
  return j;
}

struct InstallOptions {
  UrlOptions urls;
  std::string name, cert, chain;
};

Result<int> run_install(Context& ctx, const InstallOptions& o) {
  ca::InstallCaRequest req;
  req.name = o.name;
  PKI_ASSIGN(auto certs, read_certificates(o.cert, Field::kCertificate));
  req.certificate_der = certs.front();
  req.chain_der.assign(certs.begin() + 1, certs.end());
  if (!o.chain.empty()) {
    PKI_ASSIGN(auto chain, read_certificates(o.chain, Field::kChain));
    req.chain_der.insert(req.chain_der.end(), chain.begin(), chain.end());
  }
  req.urls = o.urls.urls();
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto in, authority.install_ca(req));
  std::string text = "installed the certificate of CA '" + in.authority.name + "': it may issue now\n" +
                     certificate_text(in.certificate, ctx.now());
  if (!in.outside_issuers.empty()) text += "outside issuers stored: " + join(in.outside_issuers, ", ") + "\n";
  PKI_ASSIGN(const nlohmann::json j, installed_json(*st, in, ctx.now()));
  ctx.emit(j, text);
  return 0;
}

struct SetOptions {
  UrlOptions urls;
  std::string name;
  std::vector<std::string> clear;
};

Result<int> run_set(Context& ctx, const SetOptions& o) {
  ca::SetUrlsRequest req;
  req.name = o.name;
  req.set = o.urls.urls();
  for (const auto& c : o.clear) {
    if (c == "crl-url")
      req.clear.push_back(ca::UrlKind::kCrl);
    else if (c == "ocsp-url")
      req.clear.push_back(ca::UrlKind::kOcsp);
    else if (c == "ca-issuers-url")
      req.clear.push_back(ca::UrlKind::kCaIssuers);
    else if (c == "delta-crl-url")
      req.clear.push_back(ca::UrlKind::kDeltaCrl);
    else
      return fail(ErrorCode::kBadInput,
                  "--clear '" + c + "': expected crl-url, ocsp-url, ca-issuers-url or delta-crl-url");
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto a, authority.set_urls(req));
  PKI_ASSIGN(const nlohmann::json j, ca_json(*st, a, ctx.now()));
  const std::string t = urls_text(a);
  ctx.emit(j, "CA '" + a.name + "': " +
                  (t.empty() ? std::string("no URLs; the certificates it issues name none\n")
                             : "from now on\n" + t));
  return 0;
}

struct ImportOptions {
  UrlOptions urls;
  std::string name, cert, key, key_passphrase_file, chain, index, certs_dir, crl_number;
};

Result<int> run_import(Context& ctx, const ImportOptions& o) {
  ca::ImportCaRequest req;
  req.name = o.name;
  PKI_ASSIGN(auto certs, read_certificates(o.cert, Field::kCertificate));
  req.certificate_der = certs.front();
  req.chain_der.assign(certs.begin() + 1, certs.end());
  if (!o.chain.empty()) {
    PKI_ASSIGN(auto chain, read_certificates(o.chain, Field::kChain));
    req.chain_der.insert(req.chain_der.end(), chain.begin(), chain.end());
  }
  PKI_ASSIGN(req.key_pem, in_field(read_input(o.key), Field::kKey));
  ctx.warn_if_exposed(o.key, "key file");
  std::optional<Secret> key_passphrase;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
    key_passphrase.emplace(std::move(p));
    req.key_passphrase = &*key_passphrase;
  }
  req.urls = o.urls.urls();
  if (!o.index.empty()) req.openssl_index = o.index;
  if (!o.certs_dir.empty()) req.certs_dir = o.certs_dir;
  if (!o.crl_number.empty()) req.crl_number_file = o.crl_number;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto in, authority.import_ca(req));
  PKI_ASSIGN(nlohmann::json j, installed_json(*st, in, ctx.now()));
  j["key_encrypted"] = pass != nullptr;
  std::string text =
      "imported CA '" + in.authority.name + "'\n" + certificate_text(in.certificate, ctx.now());
  if (!in.outside_issuers.empty()) text += "outside issuers stored: " + join(in.outside_issuers, ", ") + "\n";
  if (req.openssl_index) {
    j["openssl_index"] = {{"certificates", in.imported_certificates},
                          {"without_file", in.imported_without_file},
                          {"revoked", in.imported_revocations},
                          {"crl_number_floor", in.crl_number_floor}};
    text += "from " + *req.openssl_index + ": " + std::to_string(in.imported_certificates) +
            " certificate(s), " + std::to_string(in.imported_revocations) + " revoked, " +
            std::to_string(in.imported_without_file) + " without a file; the next CRL is number " +
            std::to_string(in.crl_number_floor + 1) + " or above\n";
  }
  ctx.emit(j, text);
  return 0;
}

struct ResponderOptions {
  std::string name, key_type, validity, out;
  bool force = false;
};

Result<int> run_ocsp_responder(Context& ctx, const ResponderOptions& o) {
  ca::OcspResponderRequest req;
  req.ca = o.name;
  if (!o.key_type.empty()) {
    PKI_ASSIGN(req.key_type, keys::parse_key_type(o.key_type));
  }
  if (!o.validity.empty()) {
    PKI_ASSIGN(req.validity, parse_duration(o.validity));
  }
  PKI_TRY(ctx.check_outputs({&o.out}, overwrite_for(o.force)));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto issued, authority.issue_ocsp_responder(req));
  const auto& rec = issued.certificate;
  nlohmann::json j = {{"ca", o.name}, {"certificate", certificate_json(rec, ctx.now())}};
  if (!o.out.empty()) {
    if (auto w = write_file_atomic(o.out, to_pem("CERTIFICATE", rec.der), 0644, overwrite_for(o.force)); !w)
      return fail(w.error().code,
                  "issued the OCSP responder of CA '" + o.name + "' but " + w.error().message);
    j["out"] = o.out;
  }
  ctx.emit(j, "issued a delegated OCSP responder for CA '" + o.name +
                  "': `pki serve` signs its answers with it and renews it when a third of its lifetime is "
                  "left\n" +
                  certificate_text(rec, ctx.now()));
  return 0;
}

struct RolloverOptions {
  std::string name, key_type;
  std::optional<int> days;
};

Result<int> run_rollover(Context& ctx, const RolloverOptions& o) {
  ca::RolloverRequest req;
  req.name = o.name;
  if (!o.key_type.empty()) {
    PKI_ASSIGN(req.key_type, keys::parse_key_type(o.key_type));
  }
  req.days = o.days;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto made, authority.rollover_ca(req));
  PKI_ASSIGN(const nlohmann::json j, ca_json(*st, made.authority, ctx.now()));
  ctx.emit(j, "CA '" + made.authority.name + "' has a new key (generation " +
                  std::to_string(made.authority.generation) +
                  "): new certificates are signed with it; `pki crl --ca " + made.authority.name +
                  " --generation " + std::to_string(made.authority.generation - 1) +
                  "` keeps the older key's CRL current\n" + certificate_text(made.certificate, ctx.now()));
  return 0;
}

Result<int> run_list(Context& ctx) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto all, st->authorities());
  PKI_ASSIGN(const auto revoked, RevokedIssuers::of(*st));
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : all) {
    PKI_ASSIGN(auto v, view(*st, a));
    arr.push_back(view_json(v, ctx.now(), revoked));
    const auto& last =
        v.generations.empty() ? std::optional<store::CrlRecord>() : v.generations.back().last_crl;
    rows.push_back(
        {v.authority.name, kind_of(v), v.parent.value_or("-"), v.certificate ? v.certificate->subject : "-",
         v.certificate ? format_rfc3339(v.certificate->not_after) : "-",
         v.certificate ? v.certificate->key_type : "-",
         v.certificate ? status_of(*v.certificate, ctx.now(), revoked.covers(*v.certificate)) : "pending",
         v.authority.generation ? std::to_string(v.authority.generation) : "-",
         last ? std::to_string(last->crl_number) : "-"});
  }
  ctx.emit(
      {{"authorities", arr}},
      rows.empty()
          ? "no CAs yet: create one with `pki ca create NAME --subject DN`"
          : table({"NAME", "KIND", "PARENT", "SUBJECT", "NOT_AFTER", "KEY", "STATUS", "GEN", "CRL#"}, rows));
  return 0;
}

Result<int> run_show(Context& ctx, const std::string& name, bool csr) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto a, st->authority_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + name + "'");
  PKI_ASSIGN(auto v, view(*st, *a));
  if (csr) {
    if (!a->pending_csr)
      return fail(ErrorCode::kRefused, "CA '" + name + "' is not waiting for a certificate");
    const std::string pem = to_pem("CERTIFICATE REQUEST", *a->pending_csr);
    if (ctx.json)
      ctx.emit({{"name", name}, {"csr", pem}}, "");
    else
      std::cout << pem;
    return 0;
  }
  PKI_ASSIGN(const auto revoked, RevokedIssuers::of(*st));
  nlohmann::json j = view_json(v, ctx.now(), revoked);
  std::string text = "name:        " + v.authority.name + " (" + kind_of(v) + ")\nparent:      " +
                     v.parent.value_or(v.authority.pending() ? "- (pending)" : "- (root)") + "\n";
  if (v.authority.pending()) {
    PKI_ASSIGN(auto info, cert::inspect_csr_der(*a->pending_csr));
    text += "requested:   " + (info.subject ? cert::format_dn(*info.subject) : std::string("-")) +
            "\nwaiting for its certificate: `pki ca show " + name +
            " --csr` prints the request; `pki ca install " + name + " --cert FILE` installs the answer\n";
  } else {
    text += certificate_text(*v.certificate, ctx.now(), revoked.covers(*v.certificate));
    PKI_TRY(add_file_details(v.certificate->der, ctx.now(), ctx.json, j["certificate"], text));
  }
  text += urls_text(v.authority);
  for (const auto& g : v.generations) {
    if (v.generations.size() > 1)
      text += "key " + std::to_string(g.key.generation) + ":       certificate " + g.certificate.serial +
              ", " + g.certificate.key_type + ", until " + format_rfc3339(g.certificate.not_after) +
              (g.key.generation == v.authority.generation ? " (current)" : "") + "\n";
    if (g.last_crl)
      text += std::string(v.generations.size() > 1 ? "  last crl:  #" : "last crl:    #") +
              std::to_string(g.last_crl->crl_number) + ", " + std::to_string(g.last_crl->entries) +
              " entries, next update " + format_rfc3339(g.last_crl->next_update) + "\n";
  }
  ctx.emit(j, text);
  return 0;
}

Result<int> run_export(Context& ctx, const std::string& name, bool chain, const std::string& out,
                       std::optional<int> generation, bool force) {
  if (generation && *generation < 1)
    return fail(ErrorCode::kBadInput, Field::kGeneration, "key generations are numbered from 1");
  PKI_TRY(ctx.check_outputs({&out}, overwrite_for(force)));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto a, st->authority_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + name + "'");
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto certs, authority.chain(*a, generation));
  if (!chain) certs.resize(1);
  std::string pem;
  for (const auto& c : certs) pem += to_pem("CERTIFICATE", c->der());
  if (!out.empty()) {
    PKI_TRY(write_file_atomic(out, pem, 0644, overwrite_for(force)));
    ctx.emit({{"name", name}, {"out", out}, {"certificates", certs.size()}},
             "wrote " + std::to_string(certs.size()) + " certificate(s) of CA '" + name + "' to " + out);
  } else if (ctx.json) {
    ctx.emit({{"name", name}, {"pem", pem}}, "");
  } else {
    std::cout << pem;
  }
  return 0;
}

}  // namespace

void register_ca(CLI::App& app, Context& ctx) {
  auto* ca =
      app.add_subcommand("ca", "create, install, import, roll over and inspect certificate authorities");
  ca->require_subcommand(1, 1);

  auto create = std::make_shared<CreateOptions>();
  auto* c = ca->add_subcommand("create", "create a root CA, or an intermediate with --parent");
  c->add_option("name", create->name, "the CA's name in this database")->required();
  c->add_option("--subject", create->subject, "distinguished name, e.g. 'CN=Example Root, O=Example'")
      ->required();
  c->add_option("--key-type", create->key_type,
                "ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519");
  c->add_option("--days", create->days, "validity in days (root 3650, intermediate 1825)")->check(decimal());
  c->add_option("--parent", create->parent, "the CA that signs this one");
  c->add_option("--path-len", create->path_len, "how many CAs may follow this one (basicConstraints pathLen)")
      ->check(decimal());
  c->add_option("--permit-dns", create->permit_dns, "name constraint: permit this DNS subtree (repeatable)");
  c->add_option("--exclude-dns", create->exclude_dns,
                "name constraint: exclude this DNS subtree (repeatable)");
  create->urls.add_to(c);
  c->add_flag("--external", create->external,
              "signed elsewhere: make the key and a request (--csr-out) for an outside CA; the CA is pending "
              "until `pki ca install`");
  c->add_option("--csr-out", create->csr_out, "with --external: where the request (PEM) goes");
  c->callback([&ctx, create] { ctx.action = [&ctx, create] { return run_create(ctx, *create); }; });

  auto inst = std::make_shared<InstallOptions>();
  auto* in = ca->add_subcommand("install",
                                "give a pending CA (create --external) the certificate an outside CA signed");
  in->add_option("name", inst->name, "the pending CA")->required();
  in->add_option("--cert", inst->cert,
                 "the CA's certificate (PEM or DER; a PEM file may carry its issuers after it)")
      ->required();
  in->add_option("--chain", inst->chain, "the outside issuers up to the root (PEM), unless already stored");
  inst->urls.add_to(in);
  in->callback([&ctx, inst] { ctx.action = [&ctx, inst] { return run_install(ctx, *inst); }; });

  auto imp = std::make_shared<ImportOptions>();
  auto* im = ca->add_subcommand("import",
                                "take over a CA made elsewhere (and what it issued, from an openssl index)");
  im->add_option("name", imp->name, "the CA's name in this database")->required();
  im->add_option("--cert", imp->cert, "the CA's certificate")->required();
  im->add_option("--key", imp->key, "the CA's private key (PKCS#8, SEC1 or PKCS#1; PEM or DER)")->required();
  im->add_option("--key-passphrase-file", imp->key_passphrase_file, "file whose first line decrypts --key");
  im->add_option("--chain", imp->chain,
                 "its issuers up to the root (PEM), unless it is a root or they are stored");
  imp->urls.add_to(im);
  im->add_option("--openssl-index", imp->index,
                 "an openssl ca or easy-rsa index.txt: import what the CA issued");
  im->add_option(
      "--certs-dir", imp->certs_dir,
      "the certificate files <SERIAL>.pem (default: newcerts/ or certs_by_serial/ beside the index)");
  im->add_option("--crl-number", imp->crl_number,
                 "the crlnumber file: the next CRL number, in hex (default: crlnumber beside the index)");
  im->callback([&ctx, imp] { ctx.action = [&ctx, imp] { return run_import(ctx, *imp); }; });

  auto roll = std::make_shared<RolloverOptions>();
  auto* r = ca->add_subcommand("rollover", "give a CA a new key and certificate (same subject)");
  r->add_option("name", roll->name, "the CA")->required();
  r->add_option("--key-type", roll->key_type, "the new key's type (default: the current key's)");
  r->add_option("--days", roll->days, "validity in days (root 3650, intermediate 1825)")->check(decimal());
  r->callback([&ctx, roll] { ctx.action = [&ctx, roll] { return run_rollover(ctx, *roll); }; });

  auto resp = std::make_shared<ResponderOptions>();
  auto* rs = ca->add_subcommand(
      "ocsp-responder", "issue a delegated OCSP responder certificate for `pki serve` (RFC 6960 4.2.2.2)");
  rs->add_option("name", resp->name, "the CA")->required();
  rs->add_option("--validity", resp->validity,
                 "its lifetime, e.g. 7d (default), 12h: short, as it is never checked");
  rs->add_option("--key-type", resp->key_type, "the responder key's type (default: the CA key's)");
  rs->add_option("--out", resp->out, "also write its certificate (PEM) here");
  add_force_flag(rs, resp->force);
  rs->callback([&ctx, resp] { ctx.action = [&ctx, resp] { return run_ocsp_responder(ctx, *resp); }; });

  auto set = std::make_shared<SetOptions>();
  auto* st = ca->add_subcommand("set", "change the URLs a CA puts in what it signs from now on");
  st->add_option("name", set->name, "the CA")->required();
  set->urls.add_to(st);
  st->add_option("--clear", set->clear,
                 "remove a URL: crl-url, ocsp-url, ca-issuers-url or delta-crl-url (repeatable)");
  st->callback([&ctx, set] { ctx.action = [&ctx, set] { return run_set(ctx, *set); }; });

  auto* l = ca->add_subcommand("list", "list the CAs");
  l->callback([&ctx] { ctx.action = [&ctx] { return run_list(ctx); }; });

  struct ShowOptions {
    std::string name;
    bool csr = false;
  };
  auto show = std::make_shared<ShowOptions>();
  auto* s = ca->add_subcommand("show", "show one CA");
  s->add_option("name", show->name, "CA name")->required();
  s->add_flag("--csr", show->csr, "print the request of a pending CA (PEM)");
  s->callback([&ctx, show] { ctx.action = [&ctx, show] { return run_show(ctx, show->name, show->csr); }; });

  struct ExportOptions {
    std::string name, out;
    bool chain = false, force = false;
    std::optional<int> generation;
  };
  auto ex = std::make_shared<ExportOptions>();
  auto* e = ca->add_subcommand("export", "write a CA's certificate (PEM)");
  e->add_option("name", ex->name, "CA name")->required();
  e->add_flag("--chain", ex->chain, "also its parents, up to and including the root");
  e->add_option("--out", ex->out, "file to write (default: standard output)");
  add_force_flag(e, ex->force);
  e->add_option("--generation", ex->generation, "an older key's certificate (default: the current one)")
      ->check(decimal());
  e->callback([&ctx, ex] {
    ctx.action = [&ctx, ex] {
      return run_export(ctx, ex->name, ex->chain, ex->out, ex->generation, ex->force);
    };
  });
}

}  // namespace pki::app
