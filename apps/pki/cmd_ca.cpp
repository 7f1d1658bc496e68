// pki ca create | list | show | export
#include <iostream>

#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct CreateOptions {
  std::string name, subject, key_type = "ec-p256", parent, crl_url;
  std::optional<int> days, path_len;
  std::vector<std::string> permit_dns, exclude_dns;
};

Result<int> run_create(Context& ctx, const CreateOptions& o) {
  ca::CreateCaRequest req;
  req.name = o.name;
  req.subject = o.subject;
  PKI_ASSIGN(req.key_type, keys::parse_key_type(o.key_type));
  req.days = o.days;
  if (!o.parent.empty()) req.parent = o.parent;
  req.path_len = o.path_len;
  req.permit_dns = o.permit_dns;
  req.exclude_dns = o.exclude_dns;
  if (!o.crl_url.empty()) req.crl_url = o.crl_url;
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto created, authority.create_ca(req));
  nlohmann::json j = {{"name", created.authority.name},
                      {"certificate", certificate_json(created.certificate, ctx.now())},
                      {"key_encrypted", pass != nullptr}};
  if (created.authority.crl_url) j["crl_url"] = *created.authority.crl_url;
  ctx.emit(j, "created CA '" + created.authority.name + "'" +
                  (req.parent ? " under '" + *req.parent + "'" : " (root)") +
                  (pass ? "" : " with an unencrypted key (give --passphrase-file to encrypt CA keys)") +
                  "\n" + certificate_text(created.certificate, ctx.now()));
  return 0;
}

struct CaView {
  store::AuthorityRecord authority;
  store::CertificateRecord certificate;
  std::optional<std::string> parent;
  std::optional<store::CrlRecord> last_crl;
};

Result<CaView> view(store::Store& st, const store::AuthorityRecord& a) {
  CaView v{a, {}, std::nullopt, std::nullopt};
  if (!a.certificate_id) return fail(ErrorCode::kStore, "CA '" + a.name + "' has no certificate");
  PKI_ASSIGN(auto c, st.certificate(*a.certificate_id));
  if (!c) return fail(ErrorCode::kStore, "the certificate of CA '" + a.name + "' is missing");
  v.certificate = std::move(*c);
  if (a.parent_id) {
    PKI_ASSIGN(auto p, st.authority_by_id(*a.parent_id));
    if (p) v.parent = p->name;
  }
  PKI_ASSIGN(v.last_crl, st.latest_crl(a.id));
  return v;
}

nlohmann::json view_json(const CaView& v, TimePoint now) {
  nlohmann::json j = {
      {"name", v.authority.name},
      {"parent", v.parent ? nlohmann::json(*v.parent) : nlohmann::json(nullptr)},
      {"certificate", certificate_json(v.certificate, now)},
      {"crl_url", v.authority.crl_url ? nlohmann::json(*v.authority.crl_url) : nlohmann::json(nullptr)}};
  if (v.last_crl)
    j["last_crl"] = {{"crl_number", v.last_crl->crl_number},
                     {"this_update", format_rfc3339(v.last_crl->this_update)},
                     {"next_update", format_rfc3339(v.last_crl->next_update)},
                     {"entries", v.last_crl->entries}};
  return j;
}

Result<int> run_list(Context& ctx) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto all, st->authorities());
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : all) {
    PKI_ASSIGN(auto v, view(*st, a));
    arr.push_back(view_json(v, ctx.now()));
    rows.push_back({v.authority.name, v.parent.value_or("-"), v.certificate.subject,
                    format_rfc3339(v.certificate.not_after), v.certificate.key_type,
                    status_of(v.certificate, ctx.now()),
                    v.last_crl ? std::to_string(v.last_crl->crl_number) : "-"});
  }
  ctx.emit({{"authorities", arr}},
           rows.empty() ? "no CAs yet: create one with `pki ca create NAME --subject DN`"
                        : table({"NAME", "PARENT", "SUBJECT", "NOT_AFTER", "KEY", "STATUS", "CRL#"}, rows));
  return 0;
}

Result<int> run_show(Context& ctx, const std::string& name) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto a, st->authority_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + name + "'");
  PKI_ASSIGN(auto v, view(*st, *a));
  PKI_ASSIGN(auto parsed, cert::Certificate::from_der(v.certificate.der));
  nlohmann::json j = view_json(v, ctx.now());
  j["details"] = certificate_details_json(*parsed);
  std::string text = "name:        " + v.authority.name + "\nparent:      " + v.parent.value_or("- (root)") +
                     "\n" + certificate_text(v.certificate, ctx.now()) + certificate_details_text(*parsed);
  if (v.authority.crl_url) text += "crl url:     " + *v.authority.crl_url + " (put in issued certificates)\n";
  if (v.last_crl)
    text += "last crl:    #" + std::to_string(v.last_crl->crl_number) + ", " +
            std::to_string(v.last_crl->entries) + " entries, next update " +
            format_rfc3339(v.last_crl->next_update) + "\n";
  ctx.emit(j, text);
  return 0;
}

Result<int> run_export(Context& ctx, const std::string& name, bool chain, const std::string& out) {
  PKI_TRY(ctx.check_outputs({&out}));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  PKI_ASSIGN(auto a, st->authority_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no CA named '" + name + "'");
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(auto certs, authority.chain(*a));
  if (!chain) certs.resize(1);
  std::string pem;
  for (const auto& c : certs) pem += to_pem("CERTIFICATE", c->der());
  if (!out.empty()) {
    PKI_TRY(write_file_atomic(out, pem, 0644));
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
  auto* ca = app.add_subcommand("ca", "create and inspect certificate authorities");
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
  c->add_option("--crl-url", create->crl_url,
                "CRL distribution point URL put in the certificates this CA issues");
  c->callback([&ctx, create] { ctx.action = [&ctx, create] { return run_create(ctx, *create); }; });

  auto* l = ca->add_subcommand("list", "list the CAs");
  l->callback([&ctx] { ctx.action = [&ctx] { return run_list(ctx); }; });

  auto show_name = std::make_shared<std::string>();
  auto* s = ca->add_subcommand("show", "show one CA");
  s->add_option("name", *show_name, "CA name")->required();
  s->callback([&ctx, show_name] { ctx.action = [&ctx, show_name] { return run_show(ctx, *show_name); }; });

  struct ExportOptions {
    std::string name, out;
    bool chain = false;
  };
  auto ex = std::make_shared<ExportOptions>();
  auto* e = ca->add_subcommand("export", "write a CA's certificate (PEM)");
  e->add_option("name", ex->name, "CA name")->required();
  e->add_flag("--chain", ex->chain, "also its parents, up to and including the root");
  e->add_option("--out", ex->out, "file to write (default: standard output)");
  e->callback(
      [&ctx, ex] { ctx.action = [&ctx, ex] { return run_export(ctx, ex->name, ex->chain, ex->out); }; });
}

}  // namespace pki::app
