// pki inspect: what files hold (certificates, CSRs, CRLs, keys, PKCS#12), decoded. No database.
#include <unistd.h>

#include <algorithm>

#include "context.h"
#include "pki/cert/inspect.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "render.h"

namespace pki::app {

namespace {

struct InspectOptions {
  std::vector<std::string> files;
  bool entries = false;
  std::string key_passphrase_file, p12_passphrase_file;
};

// How long until `t` from `now`, for people, to the nearest unit: "in 89 days", "3 days ago".
std::string relative(TimePoint now, TimePoint t) {
  const auto seconds = (t - now).count();
  const auto magnitude = seconds < 0 ? -seconds : seconds;
  auto nearest = [&](long long unit) { return std::to_string((magnitude + unit / 2) / unit); };
  std::string amount;
  if (magnitude >= 2 * 86400) {
    amount = nearest(86400) + " days";
  } else if (magnitude >= 2 * 3600) {
    amount = nearest(3600) + " hours";
  } else {
    amount = nearest(60) + " minutes";
  }
  return seconds < 0 ? amount + " ago" : "in " + amount;
}

std::string extensions_text(const std::vector<cert::InspectedExtension>& exts, const std::string& indent) {
  std::string out;
  for (const auto& e : exts) {
    out += indent + (e.name.empty() ? e.oid : e.name + " (" + e.oid + ")");
    if (e.critical) out += " [critical]";
    if (!e.decoded) out += e.error.empty() ? " [unknown]" : " [" + e.error + "]";
    out += "\n";
    for (const auto& f : e.fields) {
      if (f.kind == cert::FieldKind::kList && f.values.size() > 1) {
        out += indent + "    " + f.key + ":\n";
        for (const auto& v : f.values) out += indent + "      " + v + "\n";
      } else {
        out += indent + "    " + f.key + ": " + (f.values.empty() ? std::string("-") : join(f.values, ", ")) +
               "\n";
      }
    }
    if (!e.decoded) out += indent + "    value: " + e.value_hex + "\n";
  }
  return out;
}

std::string line(const std::string& indent, const std::string& key, const std::string& value) {
  std::string padded = key + ":";
  if (padded.size() < 14) padded += std::string(14 - padded.size(), ' ');
  return indent + padded + " " + value + "\n";
}

std::string certificate_text(const cert::InspectedCertificate& c, TimePoint now, const std::string& in) {
  std::string out;
  out += line(in, "subject", c.subject);
  out += line(in, "issuer", c.issuer + (c.self_signed ? " (self-signed)" : ""));
  out += line(in, "serial", c.serial);
  out += line(in, "version", std::to_string(c.version));
  out += line(in, "not before",
              format_rfc3339(c.not_before) +
                  (now < c.not_before ? " (not yet valid: starts " + relative(now, c.not_before) + ")" : ""));
  const std::string left =
      now > c.not_after ? "expired " + relative(now, c.not_after) : "expires " + relative(now, c.not_after);
  out += line(in, "not after", format_rfc3339(c.not_after) + " (" + left + ")");
  out += line(in, "sans", c.sans.empty() ? "-" : join(c.sans, ", "));
  out += line(in, "public key", c.public_key.description);
  out += line(in, "spki sha256", c.public_key.spki_sha256);
  out += line(in, "signature", c.signature_algorithm);
  out += line(in, "fingerprint", "sha256:" + c.fingerprint_sha256);
  out += in + "extensions:" + (c.extensions.empty() ? " -\n" : "\n");
  out += extensions_text(c.extensions, in + "  ");
  if (!c.problems.empty()) {
    out += in + "problems:\n";
    for (const auto& p : c.problems) out += in + "  - " + p + "\n";
  }
  return out;
}

nlohmann::json csr_json(const cert::InspectedCsr& c) {
  return {{"version", c.version},
          {"subject", c.subject},
          {"public_key", public_key_json(c.public_key)},
          {"signature_algorithm", c.signature_algorithm},
          // The one verdict inspect makes: whether the request's signature verifies with its own key.
          {"outcome", c.signature == cert::SignatureStatus::kValid ? "valid" : "invalid"},
          {"sans", c.sans},
          {"requested_extensions", extensions_json(c.requested_extensions)},
          {"attributes", c.attributes},
          {"fingerprint_sha256", c.fingerprint_sha256}};
}

std::string csr_text(const cert::InspectedCsr& c, const std::string& in) {
  std::string out;
  out += line(in, "subject", c.subject.empty() ? "(empty)" : c.subject);
  out += line(in, "sans", c.sans.empty() ? "-" : join(c.sans, ", "));
  out += line(in, "public key", c.public_key.description);
  out += line(in, "spki sha256", c.public_key.spki_sha256);
  out += line(in, "signature",
              c.signature_algorithm + (c.signature == cert::SignatureStatus::kValid
                                           ? " (verifies with the request's own key)"
                                           : " (DOES NOT VERIFY with the request's own key)"));
  out += line(in, "fingerprint", "sha256:" + c.fingerprint_sha256);
  out += in + "requested extensions:" + (c.requested_extensions.empty() ? " -\n" : "\n");
  out += extensions_text(c.requested_extensions, in + "  ");
  if (!c.attributes.empty()) out += line(in, "attributes", join(c.attributes, ", "));
  return out;
}

nlohmann::json crl_json(const cert::InspectedCrl& c, TimePoint now, bool with_entries) {
  nlohmann::json j = {{"version", c.version},
                      {"issuer", c.issuer},
                      {"this_update", format_rfc3339(c.this_update)},
                      {"next_update", nullptr},
                      {"crl_number", c.crl_number ? nlohmann::json(*c.crl_number) : nlohmann::json(nullptr)},
                      {"delta", c.delta_base.has_value()},
                      {"signature_algorithm", c.signature_algorithm},
                      {"entry_count", c.entry_count},
                      {"extensions", extensions_json(c.extensions)},
                      {"fingerprint_sha256", c.fingerprint_sha256}};
  if (c.next_update) {
    j["next_update"] = format_rfc3339(*c.next_update);
    j["status"] = now > *c.next_update ? "expired" : "current";
    j["remaining_seconds"] = (*c.next_update - now).count();
  }
  if (c.delta_base) j["delta_base_crl_number"] = *c.delta_base;
  if (with_entries) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : c.entries) {
      nlohmann::json je = {{"serial", e.serial}, {"revocation_date", format_rfc3339(e.revocation_date)}};
      je["reason"] = e.reason ? nlohmann::json(*e.reason) : nlohmann::json(nullptr);
      if (e.invalidity_date) je["invalidity_date"] = format_rfc3339(*e.invalidity_date);
      if (e.certificate_issuer) je["certificate_issuer"] = *e.certificate_issuer;
      entries.push_back(je);
    }
    j["entries"] = entries;
  }
  return j;
}

std::string crl_text(const cert::InspectedCrl& c, TimePoint now, bool with_entries, const std::string& in) {
  std::string out;
  out += line(in, "issuer", c.issuer);
  out += line(in, "crl number", c.crl_number.value_or("- (none)"));
  if (c.delta_base) out += line(in, "delta crl", "yes, of base CRL number " + *c.delta_base);
  out += line(in, "this update", format_rfc3339(c.this_update));
  if (c.next_update) {
    out += line(in, "next update",
                format_rfc3339(*c.next_update) + (now > *c.next_update ? " (overdue: was due " : " (due ") +
                    relative(now, *c.next_update) + ")");
  } else {
    out += line(in, "next update", "- (none)");
  }
  out += line(in, "entries", std::to_string(c.entry_count));
  out += line(in, "signature", c.signature_algorithm);
  out += line(in, "fingerprint", "sha256:" + c.fingerprint_sha256);
  out += in + "extensions:" + (c.extensions.empty() ? " -\n" : "\n");
  out += extensions_text(c.extensions, in + "  ");
  if (with_entries) {
    out += in + "revoked:" + (c.entries.empty() ? " -\n" : "\n");
    for (const auto& e : c.entries) {
      out += in + "  " + e.serial + "  " + format_rfc3339(e.revocation_date) + "  " +
             e.reason.value_or("unspecified");
      if (e.invalidity_date) out += "  invalid since " + format_rfc3339(*e.invalidity_date);
      if (e.certificate_issuer) out += "  issuer " + *e.certificate_issuer;
      out += "\n";
    }
  }
  return out;
}

nlohmann::json key_json(const cert::InspectedKey& k) {
  nlohmann::json j = {{"format", std::string(keys::to_string(k.format))}, {"encrypted", k.encrypted}};
  if (k.encrypted) j["encryption"] = k.encryption;
  j["public_key"] = k.public_key ? public_key_json(*k.public_key) : nlohmann::json(nullptr);
  return j;
}

std::string key_text(const cert::InspectedKey& k, const std::string& in) {
  std::string out;
  out += line(in, "format", std::string(keys::to_string(k.format)));
  if (k.encrypted) out += line(in, "encrypted", k.encryption);
  if (k.public_key) {
    out += line(in, "public key", k.public_key->description);
    out += line(in, "spki sha256", k.public_key->spki_sha256);
  } else {
    out += line(in, "public key", "- (encrypted: give --key-passphrase-file to read it)");
  }
  return out;
}

nlohmann::json pkcs12_json(const cert::InspectedPkcs12& p, TimePoint now) {
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& c : p.certificates) certs.push_back(certificate_json(c, now));
  nlohmann::json j = {{"mac", p.mac_present}, {"certificates", certs}};
  j["key"] = p.key ? public_key_json(*p.key) : nlohmann::json(nullptr);
  j["key_certificate"] = p.key_certificate ? nlohmann::json(*p.key_certificate) : nlohmann::json(nullptr);
  return j;
}

std::string pkcs12_text(const cert::InspectedPkcs12& p, TimePoint now, const std::string& in) {
  std::string out;
  out += line(in, "mac", p.mac_present ? "yes" : "no");
  if (p.key) {
    out += line(in, "key", p.key->description + (p.key_certificate ? " (belongs to certificate 1)" : ""));
    out += line(in, "spki sha256", p.key->spki_sha256);
  } else {
    out += line(in, "key", "- (none)");
  }
  out += line(in, "certificates", std::to_string(p.certificates.size()));
  for (std::size_t i = 0; i < p.certificates.size(); ++i) {
    out += in + "certificate " + std::to_string(i + 1) + ":\n";
    out += certificate_text(p.certificates[i], now, in + "  ");
  }
  return out;
}

struct Rendered {
  nlohmann::json json;
  std::string text;
};

Rendered render(const cert::InspectedObject& object, TimePoint now, bool with_entries) {
  const std::string in = "  ";
  if (const auto* c = std::get_if<cert::InspectedCertificate>(&object.value))
    return {certificate_json(*c, now), certificate_text(*c, now, in)};
  if (const auto* c = std::get_if<cert::InspectedCsr>(&object.value)) return {csr_json(*c), csr_text(*c, in)};
  if (const auto* c = std::get_if<cert::InspectedCrl>(&object.value))
    return {crl_json(*c, now, with_entries), crl_text(*c, now, with_entries, in)};
  if (const auto* k = std::get_if<cert::InspectedKey>(&object.value)) return {key_json(*k), key_text(*k, in)};
  if (const auto* p = std::get_if<cert::InspectedPkcs12>(&object.value))
    return {pkcs12_json(*p, now), pkcs12_text(*p, now, in)};
  const auto& params = std::get<cert::InspectedParameters>(object.value);
  return {{{"description", params.description}}, line(in, "parameters", params.description)};
}

Result<int> run_inspect(Context& ctx, const InspectOptions& o) {
  // The form first: standard input once at most, the passphrase files readable.
  if (std::count(o.files.begin(), o.files.end(), "-") > 1)
    return fail(ErrorCode::kBadInput, "standard input ('-') can be read only once");
  std::optional<Secret> key_pass, p12_pass;
  if (!o.key_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.key_passphrase_file));
    key_pass.emplace(std::move(p));
  }
  if (!o.p12_passphrase_file.empty()) {
    PKI_ASSIGN(Secret p, ctx.read_passphrase_file(o.p12_passphrase_file));
    p12_pass.emplace(std::move(p));
  }
  cert::InspectOptions options;
  options.key_passphrase = key_pass ? &*key_pass : nullptr;
  options.pkcs12_passphrase = p12_pass ? &*p12_pass : nullptr;
  options.crl_entries = o.entries ? cert::CrlEntries::kList : cert::CrlEntries::kCount;

  // Every file decoded before anything is printed: one bad input is one line, and no output.
  nlohmann::json objects = nlohmann::json::array();
  std::string text;
  for (const std::string& file : o.files) {
    const bool stdin_input = file == "-";
    const std::string shown = stdin_input ? std::string("standard input") : "'" + file + "'";
    PKI_ASSIGN(const std::string data, stdin_input ? read_descriptor(STDIN_FILENO, shown) : read_input(file));
    auto found = cert::inspect(data, options);
    if (!found) {
      Error e = std::move(found.error());
      e.message = shown + ": " + e.message;
      return tl::unexpected(std::move(e));
    }
    for (std::size_t i = 0; i < found->size(); ++i) {
      const auto& object = (*found)[i];
      const std::string type(cert::type_name(object));
      Rendered r = render(object, ctx.now(), o.entries);
      nlohmann::json j = {{"type", type}, {"source", file}, {"index", i + 1}};
      j.update(r.json);
      objects.push_back(std::move(j));
      if (!text.empty()) text += "\n";
      text += (stdin_input ? std::string("-") : file) + " [" + std::to_string(i + 1) + "/" +
              std::to_string(found->size()) + "]: " + type + "\n" + r.text;
    }
  }
  ctx.emit({{"objects", objects}}, text);
  return 0;
}

}  // namespace

void register_inspect(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand(
      "inspect",
      "decode certificates, chains, CSRs, CRLs, keys (public part) and PKCS#12 files; no database");
  cmd->add_option("files", o->files, "PEM or DER files ('-' for standard input), at most 64 MiB each")
      ->required();
  cmd->add_flag("--entries", o->entries, "list each revoked serial of a CRL with its date and reason");
  cmd->add_option("--key-passphrase-file", o->key_passphrase_file,
                  "decrypt encrypted keys with the first line of this file (else only 'encrypted' is shown)");
  cmd->add_option("--p12-passphrase-file", o->p12_passphrase_file,
                  "open PKCS#12 files with the first line of this file");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_inspect(ctx, *o); }; });
}

}  // namespace pki::app
