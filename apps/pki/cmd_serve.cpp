// pki serve: OCSP (RFC 6960 / RFC 5019), CRLs and CA certificates over HTTP, from the store.
//
// The server reads; its one write is renewing its own delegated OCSP responder certificates.
// SIGHUP reads the CAs again (one made or rolled over since serve started); SIGTERM and SIGINT stop.
// The HTTP module (http.h) runs the connections on a thread pool; every store access is serialised by one
// mutex (SQLite reads take microseconds; signing, the dear part, runs outside it).
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "context.h"
#include "http.h"
#include "pki/core/io.h"
#include "pki/core/time.h"
#include "pki/ocsp/responder.h"

namespace pki::app {

namespace {

// Requests are small: an OCSP request for a few certificates is a few hundred bytes.
constexpr std::size_t kMaxBody = 64 * 1024;

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::vector<std::string> cas;
  std::string tls_cert, tls_key, ocsp_validity;
};

std::string http_date(TimePoint t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// RFC 4648 base64 (the standard alphabet, padding optional): the GET form of an OCSP request
// (RFC 6960 A.1); nullopt when it is not base64.
std::optional<Bytes> decode_base64(std::string text) {
  while (text.size() % 4) text += '=';
  if (text.empty() || text.size() > 4 * kMaxBody) return std::nullopt;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') return std::nullopt;
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++pad;
  if (pad > 2) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Result<std::pair<std::string, int>> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(ErrorCode::kBadInput, "--listen '" + listen + "': expected HOST:PORT, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return fail(ErrorCode::kBadInput,
                "--listen '" + listen + "': the port must be 0 to 65535 (0: any free port)");
  return std::pair{host, std::stoi(port)};
}

class Server {
 public:
  Server(Context& ctx, store::Store& store, ca::Authority& authority, std::vector<ocsp::ServedKey> keys,
         std::chrono::seconds validity)
      : ctx_(ctx), store_(store), authority_(authority), validity_(validity) {
    install(std::move(keys));
  }

  std::vector<http::Route> routes() {
    using http::Request, http::Response;
    std::vector<http::Route> out = {
        {"GET", "/healthz", [](const Request&, Response& res) { res.set("ok\n", "text/plain"); }},
        {"GET", R"(/ocsp/(.+))",
         [this](const Request& req, Response& res) {
           auto der = decode_base64(req.matches[1]);
           if (!der) return malformed(res);
           answer(*der, res, true);
         }},
        {"POST", R"(/.*)",
         [this](const Request& req, Response& res) {
           if (req.content_type && *req.content_type != "application/ocsp-request") {
             res.status = 415;
             res.set("POST carries application/ocsp-request\n", "text/plain");
             return;
           }
           answer(as_bytes(req.body), res, false);
         }},
        {"GET", R"(/crl/([A-Za-z0-9._-]+)\.crl)",
         [this](const Request& req, Response& res) { crl(req.matches[1], res); }},
        {"GET", R"(/ca/([A-Za-z0-9._-]+)\.(pem|der))",
         [this](const Request& req, Response& res) {
           ca_certificate(req.matches[1], req.matches[2] == "pem", res);
         }},
    };
    // Nothing thrown here unwinds into the HTTP module, which has a C++ runtime of its own.
    for (auto& route : out)
      route.handler = [handler = std::move(route.handler)](const Request& req, Response& res) {
        try {
          handler(req, res);
        } catch (const std::exception& e) {
          std::cerr << "pki serve: internal error: " << e.what() << std::endl;
          res = Response{};
          res.status = 500;
          res.set("internal error\n", "text/plain");
        }
      };
    return out;
  }

  // Renews delegated responders before they expire, until stop().
  void maintain() {
    std::unique_lock lock(stop_mutex_);
    while (!stopping_) {
      lock.unlock();  // stop() must not wait for a renewal (a key made, a transaction)
      renew_due();
      lock.lock();
      stop_cv_.wait_for(lock, check_interval(), [this] { return stopping_; });
    }
  }
  void stop() {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
  }
  // Each served key whose delegated responder is due gets a new one; a failure is reported and
  // the others are still renewed (the next round tries again).
  void renew_due() {
    const auto responder = current().responder;
    for (const auto& k : responder->served()) {
      Result<std::optional<ocsp::SigningKey>> renewed;
      {
        std::lock_guard lock(store_mutex_);
        renewed = authority_.renew_ocsp_responder(k);
      }
      if (!renewed) {
        std::cerr << "pki serve: could not renew the OCSP responder of CA '" << k.authority.name
                  << "': " << renewed.error().message << "\n";
        continue;
      }
      if (!*renewed) continue;
      if ((*renewed)->delegated)
        std::cerr << "pki serve: renewed the OCSP responder of CA '" << k.authority.name << "' (serial "
                  << (*renewed)->certificate->serial_hex() << ", until "
                  << format_rfc3339((*renewed)->certificate->not_after()) << ")\n";
      else
        std::cerr << "pki serve: CA '" << k.authority.name << "' has a newer key: key " << k.generation
                  << " signs its own answers from now on\n";
      responder->replace_signing(k.authority.id, k.generation, std::move(**renewed));
    }
  }

  // SIGHUP: the CAs to serve (those --ca names, or every CA of the store) and their keys read
  // again, so that a CA created or rolled over since serve started is answered for. Requests in
  // flight finish with what they began with; if the CAs cannot be read, serve keeps what it had.
  void reload(const std::vector<std::string>& cas) {
    Result<std::vector<ocsp::ServedKey>> keys;
    {
      std::lock_guard lock(store_mutex_);
      keys = authority_.ocsp_keys(cas);
      for (const auto& w : ctx_.warnings) std::cerr << "pki: warning: " << w << "\n";
      ctx_.warnings.clear();
    }
    if (!keys || keys->empty()) {
      std::cerr << "pki serve: could not reload: "
                << (keys ? "there is no CA to serve" : keys.error().message) << "; still serving CA "
                << served_names() << std::endl;
      return;
    }
    install(std::move(*keys));
    std::cerr << "pki serve: reloaded: CA " << served_names() << std::endl;
    renew_due();
  }

  // The served CAs' names, quoted, in order: 'int', 'root'.
  std::string served_names() const {
    const auto names = current().names;  // held: a reload may swap them meanwhile
    std::string out;
    for (const auto& n : *names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
  }

  // The OCSP counts since serve started, across reloads (once no request is in flight).
  ocsp::Statistics statistics() const {
    std::lock_guard lock(state_mutex_);
    ocsp::Statistics s = state_.responder->statistics();
    for (const auto& r : retired_) {
      const ocsp::Statistics t = r->statistics();
      s.answered += t.answered;
      s.signed_now += t.signed_now;
      s.from_cache += t.from_cache;
      s.malformed += t.malformed;
      s.unauthorized += t.unauthorized;
    }
    return s;
  }

 private:
  // What serve answers for: replaced whole by a reload, read by each request as it starts.
  struct State {
    std::shared_ptr<ocsp::Responder> responder;
    std::shared_ptr<const std::set<std::string>> names;
  };
  State current() const {
    std::lock_guard lock(state_mutex_);
    return state_;
  }
  void install(std::vector<ocsp::ServedKey> keys) {
    State next;
    next.responder =
        std::make_shared<ocsp::Responder>(store_, store_mutex_, ctx_.clock(), std::move(keys), validity_);
    auto names = std::make_shared<std::set<std::string>>();
    for (const auto& k : next.responder->served()) names->insert(k.authority.name);
    next.names = std::move(names);
    std::lock_guard lock(state_mutex_);
    if (state_.responder) retired_.push_back(state_.responder);  // a request may still be answering
    state_ = std::move(next);
  }

  // A tenth of the shortest delegated responder's lifetime, between 1 s and 60 s.
  std::chrono::seconds check_interval() const {
    std::chrono::seconds interval{60};
    const auto responder = current().responder;  // held: a reload may swap it meanwhile
    for (const auto& k : responder->served()) {
      if (!k.signing.delegated) continue;
      const auto& c = *k.signing.certificate;
      interval = std::min(
          interval, std::chrono::duration_cast<std::chrono::seconds>(c.not_after() - c.not_before()) / 10);
    }
    return std::max(interval, std::chrono::seconds{1});
  }

  void malformed(http::Response& res) {
    res.status = 400;
    const Bytes der = ocsp::error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    res.set(std::string(as_chars(der)), "application/ocsp-response");
  }

  void answer(BytesView request, http::Response& res, bool get) {
    const ocsp::Answer a = current().responder->respond(request);
    if (a.outcome == ocsp::Outcome::kInternalError)
      std::cerr << "pki serve: answered OCSP with internalError: " << a.error << std::endl;
    res.status = a.outcome == ocsp::Outcome::kMalformed       ? 400
                 : a.outcome == ocsp::Outcome::kInternalError ? 500
                                                              : 200;
    // RFC 5019 6.2: caching headers consistent with the answer's own times.
    const TimePoint now = ctx_.now();
    if (a.cacheable && a.this_update && a.next_update && *a.next_update > now) {
      const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(*a.next_update - now).count();
      res.headers.emplace_back("Last-Modified", http_date(*a.this_update));
      res.headers.emplace_back("Expires", http_date(*a.next_update));
      res.headers.emplace_back("Cache-Control",
                               "max-age=" + std::to_string(max_age) +
                                   (get ? ", public, no-transform, must-revalidate" : ", no-transform"));
      res.headers.emplace_back("ETag", "\"" + sha256_hex(a.der) + "\"");
    } else {
      res.headers.emplace_back("Cache-Control", "no-store");
    }
    res.set(std::string(as_chars(a.der)), "application/ocsp-response");
  }

  void crl(const std::string& file, http::Response& res) {
    // "<ca>.crl" is the newest complete CRL, "<ca>-delta.crl" the newest delta; a CA whose own
    // name ends in -delta is matched by its full name first.
    const auto names = current().names;
    std::string name = file;
    bool delta = false;
    if (!names->count(name) && name.size() > 6 && name.ends_with("-delta")) {
      name.resize(name.size() - 6);
      delta = true;
    }
    if (!names->count(name)) return not_found(res, "no CA named '" + file + "' is served here");
    const std::string none = "CA '" + name + "' has published no " + (delta ? "delta CRL" : "CRL") + " yet";
    std::shared_ptr<const store::CrlRecord> crl;
    {
      std::lock_guard lock(store_mutex_);
      auto a = store_.authority_by_name(name);
      if (!a) return server_error(res, a.error());
      if (!*a) return not_found(res, "no CA named '" + name + "'");
      auto newest = store_.latest_crl((*a)->id, (*a)->generation, delta, store::Store::CrlPart::kMetadata);
      if (!newest) return server_error(res, newest.error());
      if (!*newest) return not_found(res, none);
      const store::CrlRecord& n = **newest;
      auto& cached = crls_[std::pair((*a)->id, delta)];
      if (!cached || cached->id != n.id || cached->generation != n.generation ||
          cached->crl_number != n.crl_number || cached->fingerprint != n.fingerprint) {
        auto whole = store_.latest_crl((*a)->id, (*a)->generation, delta, store::Store::CrlPart::kWhole);
        if (!whole) return server_error(res, whole.error());
        if (!*whole) return not_found(res, none);
        cached = std::make_shared<const store::CrlRecord>(std::move(**whole));
      }
      crl = cached;
    }
    res.headers.emplace_back("Last-Modified", http_date(crl->this_update));
    res.headers.emplace_back("Expires", http_date(crl->next_update));
    res.set(std::string(as_chars(crl->der)), "application/pkix-crl");
  }

  void ca_certificate(const std::string& name, bool pem, http::Response& res) {
    if (!current().names->count(name)) return not_found(res, "no CA named '" + name + "' is served here");
    Result<std::optional<store::CertificateRecord>> cert;
    {
      std::lock_guard lock(store_mutex_);
      auto a = store_.authority_by_name(name);
      if (!a) return server_error(res, a.error());
      if (!*a || !(*a)->certificate_id) return not_found(res, "no CA named '" + name + "'");
      cert = store_.certificate(*(*a)->certificate_id);
    }
    if (!cert) return server_error(res, cert.error());
    if (!*cert)
      return server_error(res,
                          Error{ErrorCode::kStore, "the CA's certificate is missing from the store", {}, {}});
    if (pem)
      res.set(to_pem("CERTIFICATE", (*cert)->der), "application/x-pem-file");
    else
      res.set(std::string(as_chars((*cert)->der)), "application/pkix-cert");
  }

  static void not_found(http::Response& res, const std::string& why) {
    res.status = 404;
    res.set(why + "\n", "text/plain");
  }
  // The client learns only that the store could not be read; the operator, why (on stderr).
  static void server_error(http::Response& res, const Error& why) {
    std::cerr << "pki serve: the store could not be read: " << why.message << std::endl;
    res.status = 500;
    res.set("the store could not be read\n", "text/plain");
  }

  Context& ctx_;
  store::Store& store_;
  ca::Authority& authority_;
  std::mutex store_mutex_;
  // The newest CRL of each CA and kind (complete, delta), read whole once and kept while it stays
  // the newest (the same row, key generation, number and fingerprint): a request reads only the
  // store's metadata (a million-entry CRL is tens of MB). Guarded by store_mutex_.
  std::map<std::pair<std::int64_t, bool>, std::shared_ptr<const store::CrlRecord>> crls_;
  const std::chrono::seconds validity_;
  mutable std::mutex state_mutex_;  // guards state_ and retired_
  State state_;
  std::vector<std::shared_ptr<ocsp::Responder>> retired_;  // those reloads replaced, for their counts
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

Result<int> run_serve(Context& ctx, const ServeOptions& o) {
  PKI_ASSIGN(auto endpoint, parse_listen(o.listen));
  if (o.tls_cert.empty() != o.tls_key.empty())
    return fail(ErrorCode::kBadInput, "--tls-cert and --tls-key go together");
  std::chrono::seconds validity = ocsp::kDefaultValidity;
  if (!o.ocsp_validity.empty()) {
    PKI_ASSIGN(validity, parse_duration(o.ocsp_validity));
    if (validity.count() <= 0) return fail(ErrorCode::kBadInput, "--ocsp-validity must be positive");
  }
  PKI_ASSIGN(store::Store * st, ctx.store(store::OpenMode::kWrite));
  PKI_ASSIGN(const Secret* pass, ctx.passphrase());
  ca::Authority authority = ctx.authority(*st, pass);
  PKI_ASSIGN(auto keys, authority.ocsp_keys(o.cas));
  if (keys.empty())
    return fail(ErrorCode::kRefused, "there is no CA to serve: create one with `pki ca create`");

  // SIGTERM, SIGINT and SIGHUP are taken by one thread (sigwait), blocked everywhere else: on
  // SIGHUP the server reads its CAs again; on the others it stops accepting, finishes what is in
  // flight and returns.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(ctx, *st, authority, std::move(keys), validity);
  server.renew_due();
  PKI_ASSIGN(const http::Module* module, http::module());
  http::ServerSettings settings;
  settings.max_body = kMaxBody;
  settings.tls_cert = o.tls_cert;
  settings.tls_key = o.tls_key;
  std::string tls_error;
  auto server_http = module->make_server(settings, server.routes(), tls_error);
  if (!server_http) return fail(ErrorCode::kBadInput, tls_error);
  const int port = server_http->bind(endpoint.first, endpoint.second);
  if (port <= 0)
    return fail(ErrorCode::kRefused,
                endpoint.second == 0 ? "cannot listen on " + endpoint.first + ": no free port"
                                     : "cannot listen on " + o.listen + " (in use, or not an address here)");
  const std::string served = server.served_names();
  const std::string url =
      std::string(o.tls_cert.empty() ? "http" : "https") + "://" +
      (endpoint.first.find(':') != std::string::npos ? "[" + endpoint.first + "]" : endpoint.first) + ":" +
      std::to_string(port);
  for (const auto& w : ctx.warnings) std::cerr << "pki: warning: " << w << "\n";
  ctx.warnings.clear();
  std::cout << "pki serve: listening on " << url << " for CA " << served << " (OCSP at " << url
            << "/ocsp, CRLs at " << url << "/crl/NAME.crl)" << std::endl;

  // The signal thread stops the server; the server ignores stop() until listen has started, so it
  // asks again until listen has returned.
  std::atomic<bool> listen_returned{false};
  std::thread signal_thread([&] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP && !listen_returned) {
      try {
        server.reload(o.cas);
      } catch (const std::exception& e) {
        std::cerr << "pki serve: could not reload: internal error: " << e.what() << std::endl;
      }
    }
    while (!listen_returned) {
      server_http->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  });
  std::thread maintenance([&] { server.maintain(); });
  const bool listened = server_http->listen();
  listen_returned = true;
  server.stop();
  // Wakes the signal thread if it still waits (SIGTERM stays blocked: it is delivered to sigwait).
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  maintenance.join();
  const auto s = server.statistics();
  std::cerr << "pki serve: stopped; OCSP answers " << s.answered << " (" << s.signed_now << " signed, "
            << s.from_cache << " cached), malformed " << s.malformed << ", unauthorized " << s.unauthorized
            << "\n";
  if (!listened) return fail(ErrorCode::kStore, "the server stopped: it could not accept connections");
  return 0;
}

}  // namespace

void register_serve(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve",
                                 "answer OCSP and publish CRLs and CA certificates over HTTP (until SIGTERM; "
                                 "SIGHUP reads the CAs again)");
  cmd->add_option("--listen", o->listen,
                  "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any free port)");
  cmd->add_option("--ca", o->cas, "a CA to answer for (repeatable; default: every CA of the store)");
  cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this certificate (PEM, chain after it)");
  cmd->add_option("--tls-key", o->tls_key, "the key of --tls-cert (unencrypted PEM)");
  cmd->add_option("--ocsp-validity", o->ocsp_validity,
                  "how long an OCSP answer is current (nextUpdate - thisUpdate), default 1h");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return run_serve(ctx, *o); }; });
}

}  // namespace pki::app
