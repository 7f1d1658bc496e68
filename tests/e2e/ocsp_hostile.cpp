// Hostile clients against `pki serve`: malformed HTTP and OCSP, oversized and slow requests, many
// connections at once, and random mutations of a valid request. Each case says what the server
// must answer; after all of them the server must still answer. Used by tests/e2e/test_serve_ocsp.sh.
//
// Usage: ocsp_hostile PORT ISSUER.pem LEAF.pem FOREIGN_ISSUER.pem MUTATIONS
// Prints "ok NAME" or "FAIL NAME: why" per case; exits 1 when any case failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

int port = 0;
int failures = 0;

void report(const std::string& name, bool ok, const std::string& why = "") {
  if (ok) {
    std::printf("ok %s\n", name.c_str());
  } else {
    std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
    ++failures;
  }
  std::fflush(stdout);
}

int connect_server() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `limit` passes; what arrived.
std::string read_all(int fd, std::chrono::milliseconds limit) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

struct Reply {
  int status = 0;  // 0: no HTTP answer (the connection was closed)
  std::string body;
  std::string raw;
};

Reply parse_reply(const std::string& raw) {
  Reply r;
  r.raw = raw;
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) r.status = std::atoi(raw.c_str() + 9);
  const auto end = raw.find("\r\n\r\n");
  if (end != std::string::npos) r.body = raw.substr(end + 4);
  return r;
}

// Sends raw bytes on a new connection (closing our side's writing when asked) and reads the answer.
Reply exchange(const std::string& data, bool close_write = false,
               std::chrono::milliseconds limit = std::chrono::milliseconds{8000}) {
  const int fd = connect_server();
  if (fd < 0) return {};
  send_all(fd, data);
  if (close_write) shutdown(fd, SHUT_WR);
  Reply r = parse_reply(read_all(fd, limit));
  close(fd);
  return r;
}

std::string post(const std::string& body, const std::string& type = "application/ocsp-request",
                 const std::string& extra_headers = "") {
  return "POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}
std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}
std::string url_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
      out += c;
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

X509* read_cert(const char* path) {
  FILE* f = std::fopen(path, "r");
  if (!f) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return x;
}

std::string der_of(OCSP_REQUEST* req) {
  unsigned char* buf = nullptr;
  const int n = i2d_OCSP_REQUEST(req, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n > 0 ? n : 0));
  OPENSSL_free(buf);
  return out;
}

// An OCSP request for `count` copies of the leaf's CertID, by `md`; with a nonce when asked.
std::string request(X509* leaf, X509* issuer, const EVP_MD* md, int count, bool nonce) {
  OCSP_REQUEST* req = OCSP_REQUEST_new();
  for (int i = 0; i < count; ++i) OCSP_request_add0_id(req, OCSP_cert_to_id(md, leaf, issuer));
  if (nonce) OCSP_request_add1_nonce(req, nullptr, 16);
  std::string der = der_of(req);
  OCSP_REQUEST_free(req);
  return der;
}

// The OCSP status of an answer body: -1 when it is not an OCSP response.
int ocsp_status(const std::string& body, bool* has_nonce = nullptr) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(body.data());
  OCSP_RESPONSE* r = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body.size()));
  if (!r) return -1;
  const int s = OCSP_response_status(r);
  if (has_nonce) {
    OCSP_BASICRESP* b = OCSP_response_get1_basic(r);
    *has_nonce = b && OCSP_BASICRESP_get_ext_by_NID(b, NID_id_pkix_OCSP_Nonce, -1) >= 0;
    OCSP_BASICRESP_free(b);
  }
  OCSP_RESPONSE_free(r);
  return s;
}

void expect_status(const std::string& name, const Reply& r, std::set<int> allowed, int ocsp = -2) {
  if (!allowed.count(r.status)) {
    report(name, false,
           "HTTP " + std::to_string(r.status) + " (" +
               r.raw.substr(0, std::min<std::size_t>(r.raw.size(), 60)) + ")");
    return;
  }
  if (ocsp != -2 && ocsp_status(r.body) != ocsp) {
    report(name, false,
           "OCSP status " + std::to_string(ocsp_status(r.body)) + ", expected " + std::to_string(ocsp));
    return;
  }
  report(name, true);
}

bool healthy() { return exchange(get("/healthz")).status == 200; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: ocsp_hostile PORT ISSUER.pem LEAF.pem FOREIGN_ISSUER.pem MUTATIONS\n");
    return 2;
  }
  port = std::atoi(argv[1]);
  X509* issuer = read_cert(argv[2]);
  X509* leaf = read_cert(argv[3]);
  X509* foreign = read_cert(argv[4]);
  const int mutations = std::atoi(argv[5]);
  if (!issuer || !leaf || !foreign) {
    std::fprintf(stderr, "ocsp_hostile: cannot read the certificates\n");
    return 2;
  }
  const std::string valid = request(leaf, issuer, EVP_sha1(), 1, false);
  const int kOk = OCSP_RESPONSE_STATUS_SUCCESSFUL, kMalformed = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
            kUnauthorized = OCSP_RESPONSE_STATUS_UNAUTHORIZED;

  // The protocol's own cases.
  expect_status("a valid POST", exchange(post(valid)), {200}, kOk);
  expect_status("a valid GET", exchange(get("/ocsp/" + url_escape(base64(valid)))), {200}, kOk);
  expect_status("a GET without URL escaping", exchange(get("/ocsp/" + base64(valid))), {200}, kOk);
  expect_status("a CertID by SHA-256", exchange(post(request(leaf, issuer, EVP_sha256(), 1, false))), {200},
                kOk);
  {
    const Reply r = exchange(post(request(leaf, issuer, EVP_sha1(), 1, true)));
    bool nonce = false;
    report("a nonce is echoed", r.status == 200 && ocsp_status(r.body, &nonce) == kOk && nonce,
           "no nonce in the answer");
  }
  expect_status("an empty POST body", exchange(post("")), {400}, kMalformed);
  expect_status("garbage bytes", exchange(post("this is not DER at all")), {400}, kMalformed);
  expect_status("half a request", exchange(post(valid.substr(0, valid.size() / 2))), {400}, kMalformed);
  expect_status("a request with trailing bytes", exchange(post(valid + "xx")), {400}, kMalformed);
  expect_status("a request with no CertID", exchange(post(request(leaf, issuer, EVP_sha1(), 0, false))),
                {400}, kMalformed);
  expect_status("33 CertIDs (over the cap)", exchange(post(request(leaf, issuer, EVP_sha1(), 33, false))),
                {400}, kMalformed);
  expect_status("32 CertIDs (at the cap)", exchange(post(request(leaf, issuer, EVP_sha1(), 32, false))),
                {200}, kOk);
  expect_status("a CertID by MD5", exchange(post(request(leaf, issuer, EVP_md5(), 1, false))), {200},
                kUnauthorized);
  expect_status("an issuer not served", exchange(post(request(leaf, foreign, EVP_sha1(), 1, false))), {200},
                kUnauthorized);
  {
    std::string nested;
    for (int i = 0; i < 2000; ++i) nested = std::string("\x30\x80", 2) + nested;
    expect_status("2000 nested indefinite-length SEQUENCEs", exchange(post(nested)), {400}, kMalformed);
  }
  {
    std::string ber = valid;
    ber[1] = static_cast<char>(0x80);  // the outer length made indefinite (BER, not DER)
    expect_status("an indefinite length (BER)", exchange(post(ber)), {400}, kMalformed);
  }
  expect_status("the wrong Content-Type", exchange(post(valid, "text/plain")), {415});
  expect_status("a body over the 64 KiB cap", exchange(post(std::string(100 * 1024, 'A'))), {413});
  expect_status("a Content-Length of a terabyte",
                exchange("POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                         "Content-Length: 1000000000000\r\n\r\nabc"),
                {413, 400});
  expect_status("a negative Content-Length",
                exchange("POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc"), {400, 413});
  expect_status("a body shorter than its Content-Length",
                exchange("POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + valid, true),
                {0, 400});
  expect_status("bad base64 in a GET", exchange(get("/ocsp/!!!notbase64!!!")), {400}, kMalformed);
  expect_status("base64 of garbage in a GET", exchange(get("/ocsp/" + base64("garbage garbage"))), {400},
                kMalformed);
  expect_status("base64 of half a request", exchange(get("/ocsp/" + url_escape(base64(valid.substr(0, 20))))),
                {400}, kMalformed);
  expect_status("a NUL in the path", exchange(get("/ocsp/%00")), {400}, kMalformed);
  expect_status("a 100 KB URL", exchange(get("/ocsp/" + std::string(100 * 1024, 'A'))), {400, 413, 414, 0});
  expect_status(
      "a 10 KB header line",
      exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10 * 1024, 'b') + "\r\n\r\n"),
      {400, 431, 0});
  {
    std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 1000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    expect_status("1000 header lines", exchange(many + "Connection: close\r\n\r\n"), {200, 400, 431, 0});
  }
  expect_status("a TLS ClientHello on the plain port",
                exchange(std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10), true), {0, 400});
  expect_status("not HTTP at all", exchange("\x01\x02\x03 hello\r\n\r\n", true), {0, 400});
  expect_status("HTTP/9.9", exchange("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", true), {0, 400, 505});
  expect_status("a request line without a version", exchange("GET /healthz\r\n\r\n", true), {0, 400});
  expect_status("an unknown method", exchange("BREW /ocsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                {400, 405, 501});
  expect_status("a bad chunk size",
                exchange("POST /ocsp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: "
                         "application/ocsp-request\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                         true),
                {0, 400});
  {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", valid.size());
    expect_status(
        "a valid request in chunks",
        exchange("POST /ocsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
                 "Content-Type: application/ocsp-request\r\n\r\n" +
                 std::string(size) + "\r\n" + valid + "\r\n0\r\n\r\n"),
        {200}, kOk);
  }
  expect_status("a path out of /crl", exchange(get("/crl/../../etc/passwd.crl")), {400, 404});
  expect_status("an unknown CA's CRL", exchange(get("/crl/nosuch.crl")), {404});
  expect_status("an unknown CA's certificate", exchange(get("/ca/nosuch.der")), {404});
  {
    // Two requests in one write (pipelining): the first is answered, and nothing breaks.
    const std::string one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const Reply r = exchange(one + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    report("two pipelined requests", r.status == 200, "HTTP " + std::to_string(r.status));
  }
  {
    // A slow client: half a request line, then silence. The server drops it after its timeout.
    const int fd = connect_server();
    send_all(fd, "GET /heal");
    const auto start = std::chrono::steady_clock::now();
    const std::string got = read_all(fd, std::chrono::milliseconds{15000});
    const auto took = std::chrono::steady_clock::now() - start;
    close(fd);
    report("a slow client is dropped within 10 s", took < std::chrono::seconds{10},
           "still connected after " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(took).count()) + " s");
  }
  {
    // 32 clients that keep their connections open and idle after one answer: more than the
    // workers. A new client is still answered within seconds (idle connections are let go).
    std::vector<int> idle;
    const std::string keep =
        "POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
        "Content-Length: " +
        std::to_string(valid.size()) + "\r\n\r\n" + valid;
    for (int i = 0; i < 32; ++i) {
      const int fd = connect_server();
      if (fd < 0) continue;
      send_all(fd, keep);
      idle.push_back(fd);
    }
    const auto start = std::chrono::steady_clock::now();
    const Reply r = exchange(post(valid), false, std::chrono::milliseconds{10000});
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    for (int fd : idle) close(fd);
    report("32 idle kept-alive clients do not hold the server", r.status == 200 && took.count() < 5000,
           "HTTP " + std::to_string(r.status) + " after " + std::to_string(took.count()) + " ms");
  }
  {
    // Many connections at once, each one valid request.
    constexpr int kConnections = 200;
    std::atomic<int> good{0};
    std::vector<int> fds;
    for (int i = 0; i < kConnections; ++i) fds.push_back(connect_server());
    std::vector<std::thread> threads;
    for (int fd : fds)
      threads.emplace_back([&, fd] {
        if (fd < 0) return;
        send_all(fd, post(valid));
        const Reply r = parse_reply(read_all(fd, std::chrono::milliseconds{20000}));
        if (r.status == 200 && ocsp_status(r.body) == OCSP_RESPONSE_STATUS_SUCCESSFUL) ++good;
        close(fd);
      });
    for (auto& t : threads) t.join();
    report("200 connections at once, all answered", good == kConnections, std::to_string(good) + " answered");
  }

  // Random mutations of a valid request: every answer is HTTP 200 or 400 with an OCSP response.
  std::mt19937 rng(12345);
  int bad_answers = 0;
  std::string first_bad;
  for (int i = 0; i < mutations; ++i) {
    std::string m = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:  // flip a byte
          m[rng() % m.size()] = static_cast<char>(rng());
          break;
        case 1:  // truncate
          m.resize(rng() % (m.size() + 1));
          break;
        case 2:  // insert a byte
          m.insert(m.begin() + static_cast<long>(rng() % (m.size() + 1)), static_cast<char>(rng()));
          break;
        default:  // duplicate a slice
          if (!m.empty()) {
            const std::size_t at = rng() % m.size();
            m.insert(at, m.substr(at, rng() % 16));
          }
      }
      if (m.empty()) m = "0";
    }
    const Reply r = exchange(post(m));
    if ((r.status != 200 && r.status != 400) || ocsp_status(r.body) < 0) {
      ++bad_answers;
      if (first_bad.empty())
        first_bad = "mutation " + std::to_string(i) + ": HTTP " + std::to_string(r.status);
    }
  }
  report(std::to_string(mutations) + " mutated requests answered with an OCSP response", bad_answers == 0,
         std::to_string(bad_answers) + " were not (" + first_bad + ")");
  report("the server still answers after all of it", healthy(), "/healthz failed");
  expect_status("and still answers OCSP", exchange(post(valid)), {200}, kOk);
  X509_free(issuer);
  X509_free(leaf);
  X509_free(foreign);
  return failures ? 1 : 0;
}
