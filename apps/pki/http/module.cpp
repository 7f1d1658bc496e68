// pki-http.so: the HTTP server and client of `pki` on cpp-httplib (see ../http.h for why this is
// a module). Only standard C++ types cross its interface, and no exception: `pki` and this module
// each have a C++ runtime of their own.
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include "../http.h"

namespace {

using namespace pki::app::http;

class HttplibServer final : public Server {
 public:
  explicit HttplibServer(std::unique_ptr<httplib::Server> http) : http_(std::move(http)) {}

  int bind(const std::string& host, int port) override {
    try {
      return bind_to(host, port);
    } catch (const std::exception&) {
      return -1;
    }
  }
  bool listen() override {
    try {
      return http_->listen_after_bind();
    } catch (const std::exception&) {
      return false;
    }
  }
  void stop() override { http_->stop(); }

 private:
  int bind_to(const std::string& host, int port) {
    // cpp-httplib 0.11 listens with a backlog of 5: a burst of clients would wait for SYN
    // retransmissions. The listening socket is taken as it is made and given the system's backlog.
    int listen_fd = -1;
    http_->set_socket_options([&listen_fd](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_fd = sock;
    });
    const int bound =
        port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
    if (bound <= 0) return -1;
    if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
    return bound;
  }

  std::unique_ptr<httplib::Server> http_;
};

Request request_of(const httplib::Request& req) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  for (const auto& m : req.matches) r.matches.push_back(m.str());
  if (req.has_header("Content-Type")) r.content_type = req.get_header_value("Content-Type");
  return r;
}

void respond(const Response& from, httplib::Response& res) {
  res.status = from.status;
  for (const auto& [name, value] : from.headers) res.set_header(name, value);
  res.set_content(from.body, from.content_type);
}

std::unique_ptr<Server> make_server(const ServerSettings& s, std::vector<Route> routes, std::string& error) {
  std::unique_ptr<httplib::Server> http;
  if (!s.tls_cert.empty()) {
    http = std::make_unique<httplib::SSLServer>([&](SSL_CTX& tls) {
      if (SSL_CTX_use_certificate_chain_file(&tls, s.tls_cert.c_str()) != 1)
        error = "cannot use --tls-cert '" + s.tls_cert + "'";
      else if (SSL_CTX_use_PrivateKey_file(&tls, s.tls_key.c_str(), SSL_FILETYPE_PEM) != 1)
        error = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH
                    ? "--tls-key is not the key of --tls-cert"
                    : "cannot use --tls-key '" + s.tls_key + "' (an unencrypted PEM key)";
      else if (SSL_CTX_check_private_key(&tls) != 1)
        error = "--tls-key is not the key of --tls-cert";
      ERR_clear_error();
      return error.empty();
    });
    if (error.empty() && !http->is_valid()) error = "cannot set up TLS with --tls-cert and --tls-key";
    if (!error.empty()) return nullptr;
  } else {
    http = std::make_unique<httplib::Server>();
  }
  http->set_payload_max_length(s.max_body);
  http->set_read_timeout(s.timeout_seconds, 0);
  http->set_write_timeout(s.timeout_seconds, 0);
  http->set_keep_alive_timeout(s.keep_alive_seconds);
  http->set_keep_alive_max_count(s.keep_alive_max_requests);
  // cpp-httplib writes headers and body separately: without TCP_NODELAY, Nagle's algorithm holds
  // the body of each answer on a kept-alive connection until the client's delayed ACK (40 ms).
  http->set_tcp_nodelay(true);
  const std::size_t threads = s.threads;
  http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("internal error\n", "text/plain");
  });
  for (auto& route : routes) {
    auto handler = [h = std::move(route.handler)](const httplib::Request& req, httplib::Response& res) {
      Response out;
      h(request_of(req), out);
      respond(out, res);
    };
    if (route.method == "POST")
      http->Post(route.pattern, std::move(handler));
    else
      http->Get(route.pattern, std::move(handler));
  }
  return std::make_unique<HttplibServer>(std::move(http));
}

PostResult post(const std::string& url, const std::string& body, const std::string& content_type,
                std::chrono::seconds timeout, std::size_t max_answer) {
  PostResult a;
  const auto scheme_end = url.find("://");
  const auto path_start = scheme_end == std::string::npos ? url.npos : url.find('/', scheme_end + 3);
  const std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (scheme_end == std::string::npos) {
    a.error = "cannot use the responder URL '" + url + "'";
    return a;
  }
  httplib::Client client(origin);
  if (!client.is_valid()) {
    a.error = "cannot use the responder URL '" + url + "'";
    return a;
  }
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  // The answer is read into a buffer that stops at max_answer: a hostile server cannot make the
  // client hold more.
  bool too_large = false;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  req.set_header("Content-Type", content_type);
  req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    if (a.body.size() + size > max_answer) {
      too_large = true;
      return false;
    }
    a.body.append(data, size);
    return true;
  };
  auto res = client.send(req);
  if (too_large) {
    a.body.clear();
    a.error = "the answer from " + url + " is too large to be one";
  } else if (!res) {
    a.error = "could not reach " + url + " (" + httplib::to_string(res.error()) + ")";
  } else {
    a.status = res->status;
  }
  return a;
}

// The entry points, which let nothing be thrown out of the module.
std::unique_ptr<Server> make_server_caught(const ServerSettings& s, std::vector<Route> routes,
                                           std::string& error) {
  try {
    return make_server(s, std::move(routes), error);
  } catch (const std::exception& e) {
    error = std::string("cannot set up the HTTP server: ") + e.what();
    return nullptr;
  }
}

PostResult post_caught(const std::string& url, const std::string& body, const std::string& content_type,
                       std::chrono::seconds timeout, std::size_t max_answer) {
  try {
    return post(url, body, content_type, timeout, max_answer);
  } catch (const std::exception& e) {
    PostResult a;
    a.error = "could not ask " + url + " (" + e.what() + ")";
    return a;
  }
}

const Module kModule{make_server_caught, post_caught};

}  // namespace

extern "C" __attribute__((visibility("default"))) const Module* pki_http_module_v1() { return &kModule; }
