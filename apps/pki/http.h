// HTTP for `pki serve` and `pki verify --ocsp`, from a module loaded only by those verbs.
//
// cpp-httplib comes from Debian as a shared library that brings its own libssl, libcrypto, zlib
// and brotli: linked into `pki`, resolving their symbols cost every run of every verb ~10 ms on a
// small VM, more than issuing a certificate. So the HTTP side is a module (pki-http.so) that `pki`
// loads with dlopen when a verb needs HTTP. The interface holds only standard C++ types: no
// OpenSSL object crosses it (the module's TLS uses its own libssl; `pki` links OpenSSL statically
// and exports none of it), and no exception does (`pki` links its C++ runtime statically too, so
// each side has its own: the module catches what httplib throws, `pki serve` what its handlers do).
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pki/core/error.h"

namespace pki::app::http {

struct Request {
  std::string method, path, body;
  std::vector<std::string> matches;         // the route pattern's groups; [0] is the whole path
  std::optional<std::string> content_type;  // the Content-Type header, when sent
};

struct Response {
  int status = 200;
  std::string body, content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
  void set(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
};

using Handler = std::function<void(const Request&, Response&)>;

struct Route {
  std::string method;   // "GET" or "POST"
  std::string pattern;  // an ECMAScript regular expression the whole path must match
  Handler handler;
};

struct ServerSettings {
  std::size_t max_body = 64 * 1024;  // larger request bodies are refused (413)
  std::time_t timeout_seconds = 5;   // a client silent this long is dropped (read and write)
  std::size_t threads = 16;          // connections served at once; more wait in the queue
  // A kept-alive connection holds a worker: idle ones are let go after a second, and none is kept
  // for more than 100 requests, so that a few clients cannot hold every worker for long.
  std::time_t keep_alive_seconds = 1;
  std::size_t keep_alive_max_requests = 100;
  std::string tls_cert, tls_key;  // PEM files; empty: plain HTTP
};

class Server {
 public:
  virtual ~Server() = default;
  // Listens on host:port (port 0: any free port) with the system's backlog; the port, or -1.
  virtual int bind(const std::string& host, int port) = 0;
  // Serves until stop(); false when it could not accept connections.
  virtual bool listen() = 0;
  // Asks listen() to return; ignored until listen() has started (ask again until it returned).
  virtual void stop() = 0;
};

struct PostResult {
  std::optional<int> status;  // the HTTP status, when an answer came
  std::string body;
  std::string error;  // why there is no answer (unreachable, too large)
};

// What the module provides; its one exported symbol, pki_http_module_v1, points to this.
struct Module {
  // A server answering `routes` in order (a handler that throws answers 500); nullptr with
  // `error` set when the TLS certificate or key cannot be used.
  std::unique_ptr<Server> (*make_server)(const ServerSettings& settings, std::vector<Route> routes,
                                         std::string& error);
  // POSTs `body` to an http or https URL; an answer larger than max_answer is an error.
  PostResult (*post)(const std::string& url, const std::string& body, const std::string& content_type,
                     std::chrono::seconds timeout, std::size_t max_answer);
};

// Loads the module: pki-http.so beside the `pki` executable, else in ../lib/pki/ from it (as
// installed). Loaded once; an error (exit 4) names where it looked.
Result<const Module*> module();

}  // namespace pki::app::http
