// pki probe HOST:PORT: a TLS client that verifies the server's chain as `pki verify` does.
#include <iostream>

#include "context.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/keys/keys.h"
#include "pki/probe/probe.h"
#include "render.h"
#include "verify_inputs.h"

namespace pki::app {

namespace {

struct ProbeCli {
  std::string target, servername, cert, key, timeout = "10s";
  std::optional<std::string> http_get;
  std::vector<std::string> trust, trust_ca, crls;
  bool crl_from_store = false, allow_unknown = false;
};

std::string_view failure_code(probe::Failure f) {
  switch (f) {
    case probe::Failure::kNone:
      return "none";
    case probe::Failure::kRefused:
      return "connection-refused";
    case probe::Failure::kTimedOut:
      return "timed-out";
    case probe::Failure::kHandshake:
      return "handshake-failed";
    case probe::Failure::kPeerRefused:
      return "peer-refused";
    case probe::Failure::kHttpRefused:
      return "http-refused";
  }
  return "?";
}

// One line on what happened to the client certificate, as the wire showed it.
std::string client_certificate_text(const probe::ProbeResult& r) {
  using V = probe::ClientCertVerdict;
  switch (r.client_certificate.verdict) {
    case V::kNotOffered:
      return r.client_certificate.requested ? "the server asked for one; none given (--cert, --key)" : "";
    case V::kNotRequested:
      return "not sent: the server did not ask for one";
    case V::kNotSent:
      return "the server asked for one; none was sent";
    case V::kRefused:
      return "sent; the server refused it with alert '" + r.alert + "'";
    case V::kTlsAccepted:
      return "sent; the handshake completed with no alert after it: TLS-level acceptance is all that was "
             "observed" +
             std::string(r.http ? "" : " (--http-get asks the application too)");
    case V::kUnknown:
      return r.client_certificate.sent ? "sent; the connection failed before the server answered"
                                       : "not sent: the connection failed first";
  }
  return "";
}

Result<int> run_probe(Context& ctx, const ProbeCli& o) {
  probe::ProbeOptions p;
  PKI_ASSIGN(auto hp, probe::parse_host_port(o.target));
  p.host = hp.first;
  p.port = hp.second;
  p.servername = o.servername.empty() ? p.host : o.servername;
  PKI_ASSIGN(auto timeout, parse_duration(o.timeout));
  if (timeout.count() <= 0) return fail(ErrorCode::kBadInput, "--timeout must be positive");
  p.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  if (o.cert.empty() != o.key.empty()) return fail(ErrorCode::kBadInput, "--cert and --key go together");
  p.http_get = o.http_get;
  if (!o.cert.empty()) {
    PKI_TRY(load_certificates(o.cert));  // a clear message for a file that holds no certificate
    p.client_cert_file = o.cert;
    PKI_ASSIGN(std::string pem, read_input(o.key));
    ctx.warn_if_exposed(o.key, "key file");
    PKI_ASSIGN(const Secret* pass, ctx.passphrase());
    PKI_ASSIGN(p.client_key, keys::from_pkcs8_pem(pem, pass));
  }
  verify::CertificateSet anchors, intermediates;
  verify::CrlSet crls;
  // Intermediates come only from the server, as in any TLS client.
  const std::vector<std::string> none;
  PKI_TRY(load_verify_inputs(ctx, {o.trust, o.trust_ca, none, o.crls, o.crl_from_store, false}, anchors,
                             intermediates, crls));
  verify::VerifyOptions vo;
  vo.at = ctx.now();
  vo.unknown_revocation =
      o.allow_unknown ? verify::UnknownRevocation::kAllow : verify::UnknownRevocation::kFail;
  PKI_ASSIGN(auto r, probe::run(p, anchors, intermediates, crls, vo));

  const bool connected = r.failure == probe::Failure::kNone;
  const bool valid = r.verification && r.verification->valid;
  nlohmann::json j = {{"target", o.target},
                      {"servername", p.servername},
                      {"address", r.address},
                      {"connected", connected},
                      {"protocol", r.protocol},
                      {"cipher", r.cipher},
                      {"cipher_bits", r.cipher_bits},
                      {"handshake_completed", r.handshake_completed},
                      {"client_certificate",
                       {{"offered", r.client_certificate.offered},
                        {"requested", r.client_certificate.requested},
                        {"sent", r.client_certificate.sent},
                        {"outcome", probe::to_string(r.client_certificate.verdict)}}}};
  if (r.http)
    j["http"] = {
        {"request", r.http->request}, {"status", r.http->status}, {"status_line", r.http->status_line}};
  if (!connected)
    j["failure"] = {{"code", failure_code(r.failure)}, {"message", r.failure_message}, {"alert", r.alert}};
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& c : r.peer_chain)
    chain.push_back({{"subject", c->subject_text()}, {"issuer", c->issuer_text()}});
  j["server_chain"] = chain;
  if (r.verification) j["verification"] = verify_result_json(*r.verification);
  j["outcome"] = connected && valid ? "valid" : "invalid";
  // The stapled OCSP answer, as the verifier judged it for the server's certificate.
  std::string staple_text = "none (the server stapled no OCSP answer)";
  nlohmann::json staple = {{"present", r.stapled_ocsp.has_value()}};
  if (r.stapled_ocsp) {
    staple["bytes"] = r.stapled_ocsp->size();
    staple_text = std::to_string(r.stapled_ocsp->size()) + " bytes";
    if (r.verification && !r.verification->chain.empty())
      for (const auto& f : r.verification->chain.front().findings)
        if (f.check == verify::Check::kRevocation) {
          staple["outcome"] = verify::to_string(f.outcome);
          staple["message"] = f.message;
          staple_text += ", " + std::string(verify::to_string(f.outcome)) + ": " + f.message;
        }
  }
  j["stapled_ocsp"] = staple;

  std::string text;
  if (!r.address.empty()) text += "connected to " + r.address + " (server name " + p.servername + ")\n";
  if (!r.protocol.empty() && !r.cipher.empty())
    text += "protocol " + r.protocol + ", cipher " + r.cipher + " (" + std::to_string(r.cipher_bits) +
            "-bit keys)\n";
  if (const std::string c = client_certificate_text(r); !c.empty()) text += "client certificate: " + c + "\n";
  if (r.http) text += "HTTP: " + r.http->request + " -> " + r.http->status_line + "\n";
  if (r.handshake_completed) text += "stapled OCSP: " + staple_text + "\n";
  if (!r.peer_chain.empty()) {
    text += "server chain, as sent:\n";
    for (std::size_t i = 0; i < r.peer_chain.size(); ++i)
      text += "  " + std::to_string(i) + ": " + r.peer_chain[i]->subject_text() + "\n";
    text += "\n";
  }
  if (r.verification)
    text += "the server's chain, as a TLS client checks it:\n" + verify_result_text(*r.verification);
  if (!connected) text += "CONNECTION FAILED: " + r.failure_message + "\n";
  ctx.emit(j, text);
  // 4 when the connection failed or the server refused us (an alert, an HTTP status of 400 or
  // above); else 1 when a check failed.
  if (!connected) {
    std::cerr << "pki: probe: connection failed: " << r.failure_message << "\n";
    return 4;
  }
  if (!valid)
    std::cerr << "pki: probe: INVALID: " << (r.verification ? r.verification->summary : "no certificate")
              << "\n";
  return valid ? 0 : 1;
}

}  // namespace

void register_probe(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ProbeCli>();
  auto* cmd = app.add_subcommand(
      "probe", "connect to a TLS server and verify its chain (mutual TLS with --cert/--key)");
  cmd->add_option("target", o->target, "HOST:PORT ([IPv6]:PORT)")->required();
  cmd->add_option("--servername", o->servername, "the name sent as SNI and checked (default HOST)");
  cmd->add_option("--trust", o->trust,
                  "trust anchors from this file (repeatable; a certificate in it that cannot be read is "
                  "skipped with a warning)");
  cmd->add_option("--trust-ca", o->trust_ca, "trust this CA of the store (repeatable)");
  cmd->add_option("--cert", o->cert, "present this client certificate (PEM, its chain after it)");
  cmd->add_option("--key", o->key, "the client certificate's key (PKCS#8 PEM)");
  cmd->add_option("--crl", o->crls, "CRLs to check the server's chain with (repeatable)");
  cmd->add_flag("--crl-from-store", o->crl_from_store,
                "check revocation with the latest CRL of every CA in the store");
  cmd->add_flag("--allow-unknown-revocation", o->allow_unknown,
                "warn instead of failing when a CRL is missing or stale");
  cmd->add_option("--timeout", o->timeout,
                  "for connecting, the handshake and the HTTP request (default 10s)");
  cmd->add_option("--http-get", o->http_get,
                  "after the handshake, GET this path (Host: the server name) and report the status; 400 or "
                  "above exits 4");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_probe(ctx, *o); }; });
}

}  // namespace pki::app
