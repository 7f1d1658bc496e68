// pki profile: the issuance profiles of the store, as JSON documents (profiles/profile.h).
#include "context.h"
#include "pki/ca/authority.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/profiles/profile.h"

namespace pki::app {

namespace {

struct ProfileOptions {
  std::string name, file;
  std::optional<int> version;
};

std::string_view kind_name(const profiles::Profile& p) {
  return p.kind == profiles::Kind::kCa ? "ca" : "leaf";
}

nlohmann::json summary(const profiles::Profile& p) {
  return {{"name", p.name},
          {"version", p.version},
          {"kind", kind_name(p)},
          {"profile", nlohmann::json::parse(profiles::to_json(p).dump())}};
}

Result<int> run_list(Context& ctx) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(const auto all, authority.list_profiles());
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %3s %-5s %-14s %-28s %s\n", "NAME", "V", "KIND", "VALIDITY",
                "USAGE", "DESCRIPTION");
  text += line;
  for (const auto& p : all) {
    list.push_back(summary(p));
    std::string usage;
    for (const auto& e : p.extended_key_usage) usage += (usage.empty() ? "" : ",") + profiles::eku_name(e);
    if (p.kind == profiles::Kind::kCa) usage = "keyCertSign,cRLSign";
    const std::string validity = format_duration(p.default_validity) + "/" + format_duration(p.max_validity);
    std::snprintf(line, sizeof line, "%-20s %3d %-5s %-14s %-28s %s\n", p.name.c_str(), p.version,
                  std::string(kind_name(p)).c_str(), validity.c_str(), usage.c_str(), p.description.c_str());
    text += line;
  }
  ctx.emit({{"profiles", list}}, text);
  return 0;
}

Result<int> run_show(Context& ctx, const ProfileOptions& o) {
  if (o.version && *o.version < 1)
    return fail(ErrorCode::kBadInput, "profile versions are numbered from 1 (--version)");
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kRead));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(const profiles::Profile p, authority.find_profile(o.name, o.version));
  // The document alone, as `pki profile update` takes it back.
  ctx.emit(summary(p), profiles::to_json(p).dump(2) + "\n");
  return 0;
}

Result<int> run_put(Context& ctx, const ProfileOptions& o, ca::Authority::ProfileChange change) {
  PKI_ASSIGN(const std::string document, read_input(o.file));
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(const profiles::Profile p, authority.put_profile(change, o.name, document));
  const bool added = change == ca::Authority::ProfileChange::kAdd;
  ctx.emit(summary(p), std::string(added ? "added" : "updated") + " profile '" + p.name + "', version " +
                           std::to_string(p.version) + "\n");
  return 0;
}

Result<int> run_remove(Context& ctx, const ProfileOptions& o) {
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  ca::Authority authority = ctx.authority(*st, nullptr);
  PKI_ASSIGN(const profiles::Profile p, authority.remove_profile(o.name));
  ctx.emit(summary(p), "removed profile '" + p.name + "' (its " + std::to_string(p.version) +
                           " version(s) stay, for the certificates issued under them)\n");
  return 0;
}

}  // namespace

void register_profile(CLI::App& app, Context& ctx) {
  auto* profile = app.add_subcommand("profile", "the issuance profiles: list, show, add, update, remove");
  profile->require_subcommand(1, 1);
  auto o = std::make_shared<ProfileOptions>();

  auto* list = profile->add_subcommand("list", "every profile, its current version and limits");
  list->callback([&ctx] { ctx.action = [&ctx] { return run_list(ctx); }; });

  auto* show = profile->add_subcommand("show", "a profile's JSON document (what update takes back)");
  show->add_option("name", o->name, "the profile")->required();
  show->add_option("--version", o->version, "an older version (default: the current one)")->check(decimal());
  show->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_show(ctx, *o); }; });

  auto* add = profile->add_subcommand("add", "add a profile from a JSON document (README: Profiles)");
  add->add_option("--file", o->file, "the JSON document ('-': standard input)")->required();
  add->callback(
      [&ctx, o] { ctx.action = [&ctx, o] { return run_put(ctx, *o, ca::Authority::ProfileChange::kAdd); }; });

  auto* update = profile->add_subcommand("update", "a new version of a profile from a JSON document");
  update->add_option("name", o->name, "the profile")->required();
  update->add_option("--file", o->file, "the JSON document ('-': standard input)")->required();
  update->callback([&ctx, o] {
    ctx.action = [&ctx, o] { return run_put(ctx, *o, ca::Authority::ProfileChange::kUpdate); };
  });

  auto* remove = profile->add_subcommand("remove", "stop offering a profile (its versions are kept)");
  remove->add_option("name", o->name, "the profile")->required();
  remove->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_remove(ctx, *o); }; });
}

}  // namespace pki::app
