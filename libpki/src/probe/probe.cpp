#include "pki/probe/probe.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pki/cert/general_name.h"
#include "pki/core/io.h"

namespace pki::probe {

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Connects to the first address that answers before the deadline.
Socket connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline, ProbeResult& out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    out.failure = Failure::kRefused;
    out.failure_message = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return Socket();
  }
  std::string last_error = "no address";
  bool timed_out = false;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (s.get() < 0) continue;
    char addr[INET6_ADDRSTRLEN] = "?";
    const void* a = ai->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                                             : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    ::inet_ntop(ai->ai_family, a, addr, sizeof addr);
    out.address = std::string(ai->ai_family == AF_INET6 ? "[" : "") + addr + (ai->ai_family == AF_INET6 ? "]" : "") + ":" +
                  std::to_string(port);
    if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    pollfd p{s.get(), POLLOUT, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready == 0) {
      timed_out = true;
      last_error = "timed out";
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (ready < 0 || err != 0) {
      last_error = std::strerror(ready < 0 ? errno : err);
      continue;
    }
    // Blocking from here on; every read and write is bounded by the time left.
    ::fcntl(s.get(), F_SETFL, ::fcntl(s.get(), F_GETFL) & ~O_NONBLOCK);
    ::freeaddrinfo(list);
    return s;
  }
  ::freeaddrinfo(list);
  out.failure = timed_out ? Failure::kTimedOut : Failure::kRefused;
  out.failure_message = "cannot connect to " + host + ":" + std::to_string(port) + ": " + last_error;
  return Socket();
}

void set_io_timeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  if (ms <= 0) tv = {0, 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// TLS alert names (RFC 8446 6.2, RFC 5246 7.2): OpenSSL 3.0 has no name for the newer ones.
std::string alert_name(int code) {
  switch (code) {
    case 0: return "close notify";
    case 10: return "unexpected message";
    case 20: return "bad record mac";
    case 22: return "record overflow";
    case 40: return "handshake failure";
    case 42: return "bad certificate";
    case 43: return "unsupported certificate";
    case 44: return "certificate revoked";
    case 45: return "certificate expired";
    case 46: return "certificate unknown";
    case 47: return "illegal parameter";
    case 48: return "unknown ca";
    case 49: return "access denied";
    case 50: return "decode error";
    case 51: return "decrypt error";
    case 70: return "protocol version";
    case 71: return "insufficient security";
    case 80: return "internal error";
    case 86: return "inappropriate fallback";
    case 90: return "user canceled";
    case 109: return "missing extension";
    case 110: return "unsupported extension";
    case 112: return "unrecognized name";
    case 113: return "bad certificate status response";
    case 115: return "unknown psk identity";
    case 116: return "certificate required";
    case 120: return "no application protocol";
    default: return "alert " + std::to_string(code);
  }
}

// The fatal alert the peer sent, recorded by libssl's info callback.
void on_info(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  auto* result = static_cast<ProbeResult*>(SSL_get_app_data(ssl));
  const int level = (ret >> 8) & 0xff;  // 2: fatal (RFC 5246 7.2)
  if (result && result->alert.empty() && level == 2) result->alert = alert_name(ret & 0xff);
}

std::string ssl_failure(ProbeResult& r, const char* stage) {
  if (!r.alert.empty()) return std::string("the server sent alert '") + r.alert + "' " + stage;
  std::string detail = drain_openssl_errors();
  if (detail.empty()) detail = errno ? std::strerror(errno) : "the connection was closed";
  return std::string("TLS failed ") + stage + ": " + detail;
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(ErrorCode::kBadInput, "invalid address '" + std::string(text) + "': expected [IPv6]:PORT");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(ErrorCode::kBadInput, "invalid address '" + std::string(text) + "': expected HOST:PORT");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  long port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return fail(ErrorCode::kBadInput, "invalid port '" + std::string(port_text) + "'");
    port = port * 10 + (c - '0');
    if (port > 65535) break;
  }
  if (port_text.empty() || port < 1 || port > 65535)
    return fail(ErrorCode::kBadInput, "invalid port '" + std::string(port_text) + "': expected 1 to 65535");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

Result<ProbeResult> run(const ProbeOptions& probe, const verify::CertificateSet& anchors,
                        const verify::CertificateSet& intermediates, const verify::CrlSet& crls,
                        verify::VerifyOptions options) {
  OsslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail_openssl(ErrorCode::kInternal, "cannot create a TLS context");
  // TLS 1.2 and 1.3 (RFC 8996 deprecates the older versions).
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the verifier judges, below
  SSL_CTX_set_info_callback(ctx.get(), on_info);
  if (probe.client_cert_file) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), probe.client_cert_file->c_str()) != 1)
      return fail_openssl(ErrorCode::kBadInput, "cannot use the client certificate '" + *probe.client_cert_file + "'");
    if (!probe.client_key) return fail(ErrorCode::kBadInput, Field::kClientKey, "a client certificate needs its private key");
    if (SSL_CTX_use_PrivateKey(ctx.get(), probe.client_key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
      return fail_openssl(ErrorCode::kBadInput, "the client key does not match the client certificate");
  }

  ProbeResult result;
  const auto deadline = Clock::now() + probe.timeout;
  Socket sock = connect_tcp(probe.host, probe.port, deadline, result);
  if (sock.get() < 0) return result;

  OsslPtr<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_app_data(ssl.get(), &result);
  SSL_set_fd(ssl.get(), sock.get());
  const bool name_is_ip = cert::parse_ip(probe.servername).has_value();
  // RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
  if (!name_is_ip) SSL_set_tlsext_host_name(ssl.get(), probe.servername.c_str());
  set_io_timeout(sock.get(), remaining_ms(deadline));
  errno = 0;
  if (SSL_connect(ssl.get()) != 1) {
    result.failure = (errno == EAGAIN || errno == EWOULDBLOCK) && result.alert.empty() ? Failure::kTimedOut : Failure::kHandshake;
    result.failure_message = result.failure == Failure::kTimedOut ? "the TLS handshake timed out" : ssl_failure(result, "during the handshake");
  }
  if (result.failure == Failure::kNone || result.failure == Failure::kHandshake) {
    result.protocol = SSL_get_version(ssl.get());
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl.get())) {
      result.cipher = SSL_CIPHER_get_name(c);
      result.cipher_bits = SSL_CIPHER_get_bits(c, nullptr);
    }
  }
  if (result.failure == Failure::kNone) {
    result.client_certificate_sent = probe.client_cert_file.has_value() && SSL_get_certificate(ssl.get()) != nullptr;
    // The server's first response: data, a close, an alert, or nothing within the wait. (A TLS 1.3
    // server's session tickets are consumed on the way; the wait bounds the whole read.)
    const int wait = std::min<int>(static_cast<int>(kRefusalWait.count()), remaining_ms(deadline));
    set_io_timeout(sock.get(), std::max(1, wait));
    char buf[1];
    errno = 0;
    const int n = SSL_peek(ssl.get(), buf, sizeof buf);
    if (n <= 0) {
      const int err = SSL_get_error(ssl.get(), n);
      const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
      if (err == SSL_ERROR_SSL || !result.alert.empty()) {
        result.failure = Failure::kPeerRefused;
        result.failure_message = ssl_failure(result, "after the handshake: it refused the connection");
      } else if (err == SSL_ERROR_SYSCALL && errno != 0 && !timed_out) {
        result.failure = Failure::kPeerRefused;
        result.failure_message = std::string("the server dropped the connection after the handshake: ") + std::strerror(errno);
      }
      // A clean close_notify, or nothing within the wait: accepted.
    }
  }

  // The chain the server presented (libssl keeps it even when the connection failed later).
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get())) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      auto c = cert::Certificate::from_x509(up_ref(sk_X509_value(chain, i)));
      if (c) result.peer_chain.push_back(*c);
    }
  }
  drain_openssl_errors();
  if (result.peer_chain.empty()) return result;

  verify::CertificateSet pool;
  for (const auto& c : intermediates.all()) pool.add(c);
  for (std::size_t i = 1; i < result.peer_chain.size(); ++i) pool.add(result.peer_chain[i]);
  options.purpose = verify::Purpose::kServer;
  options.host = probe.servername;
  options.ip.reset();
  verify::Verifier verifier({&anchors, &pool, crls.empty() ? nullptr : &crls});
  PKI_ASSIGN(auto v, verifier.verify(result.peer_chain.front(), options));
  result.verification = std::move(v);
  return result;
}

}  // namespace pki::probe
