// Benchmark (not a test): a load generator for OCSP responders. CONNECTIONS threads POST the same
// DER request to URL for SECONDS, each over its own keep-alive connection; an answer counts when it
// is HTTP 200 and a successful OCSP response with a basic response in it. Prints one line of JSON.
// With ISSUER.pem, the first answer's signature is checked against that CA before the clock starts
// (a responder that answers fast but wrongly must not win). scripts/bench-ocsp.sh runs it.
//
//   bench_ocsp URL REQUEST.der SECONDS CONNECTIONS [ISSUER.pem]
//
// {"url":...,"seconds":S,"connections":C,"ok":N,"errors":N,"per_second":N/S}: S is the time the
// run really took (the last answers finish after SECONDS). Exit 1 when no answer counted.
#include <httplib.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using Clk = std::chrono::steady_clock;

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Response = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE, OCSP_RESPONSE_free>>;
using Basic = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP, OCSP_BASICRESP_free>>;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_ocsp: %s\n", message.c_str());
  std::exit(1);
}

// The basic response of an answer that counts, or null.
Basic parse_answer(const httplib::Result& res) {
  if (!res || res->status != 200) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(res->body.data());
  Response resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(res->body.size())));
  if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return nullptr;
  return Basic(OCSP_response_get1_basic(resp.get()));
}

// Signed by the issuer, or by a responder the issuer delegated (OCSP_basic_verify's own checks);
// the issuer is the trust anchor even though it is not a root, hence PARTIAL_CHAIN.
bool signed_by(OCSP_BASICRESP* basic, const std::string& issuer_pem) {
  FILE* f = std::fopen(issuer_pem.c_str(), "r");
  if (!f) die("cannot read " + issuer_pem);
  X509* issuer = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!issuer) die(issuer_pem + " is not a PEM certificate");
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, issuer);
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  STACK_OF(X509)* certs = sk_X509_new_null();
  sk_X509_push(certs, issuer);  // the signer when the response carries no certificates
  const bool ok = OCSP_basic_verify(basic, certs, store, 0) == 1;
  sk_X509_free(certs);
  X509_STORE_free(store);
  X509_free(issuer);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) die("usage: bench_ocsp URL REQUEST.der SECONDS CONNECTIONS [ISSUER.pem]");
  const std::string url = argv[1];
  const double seconds = std::atof(argv[3]);
  const int connections = std::atoi(argv[4]);
  if (seconds <= 0 || connections <= 0) die("SECONDS and CONNECTIONS must be positive");
  std::ifstream in(argv[2], std::ios::binary);
  const std::string request{std::istreambuf_iterator<char>(in), {}};
  if (request.empty()) die(std::string("cannot read ") + argv[2]);

  // httplib::Client takes scheme://host:port; the path goes with each request.
  const auto host_start = url.find("://");
  if (host_start == std::string::npos) die("URL must be http://HOST:PORT/PATH");
  const auto path_start = url.find('/', host_start + 3);
  const std::string origin = url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);

  // Keep-alive when the server allows it; when it closes after an answer (openssl ocsp does),
  // httplib reconnects on the next request by itself. No Nagle: httplib writes the headers and the
  // body apart, and the body would wait for the server's delayed ACK (40 ms a request). Timeouts
  // so that a stuck server ends the run.
  auto client = [&] {
    auto c = std::make_unique<httplib::Client>(origin);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_connection_timeout(5);
    c->set_read_timeout(5);
    c->set_write_timeout(5);
    return c;
  };
  auto post = [&](httplib::Client& c) { return c.Post(path, request, "application/ocsp-request"); };

  // One answer before the clock starts: the responder must work (and sign right) to be measured.
  {
    auto c = client();
    Basic first = parse_answer(post(*c));
    if (!first) die("the first answer from " + url + " is not a successful OCSP response");
    if (argc == 6 && !signed_by(first.get(), argv[5]))
      die("the first answer is not signed for " + std::string(argv[5]));
  }

  std::atomic<long> ok{0}, errors{0};
  const auto start = Clk::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i)
    threads.emplace_back([&] {
      auto c = client();
      long mine_ok = 0, mine_errors = 0;  // counted locally: no shared cache line per request
      while (Clk::now() < deadline) (parse_answer(post(*c)) ? mine_ok : mine_errors)++;
      ok += mine_ok;
      errors += mine_errors;
    });
  for (auto& t : threads) t.join();
  // The answers in flight at the deadline finish after it: divide by the time really taken.
  const double elapsed = std::chrono::duration<double>(Clk::now() - start).count();

  std::printf(
      "{\"url\":\"%s\",\"seconds\":%.3f,\"connections\":%d,\"ok\":%ld,\"errors\":%ld,\"per_second\":%.1f}\n",
      url.c_str(), elapsed, connections, ok.load(), errors.load(), ok.load() / elapsed);
  return ok.load() > 0 ? 0 : 1;
}
